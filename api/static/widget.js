/*
 * Pasokhgoo (پاسخگو) web chat widget.
 *
 * Embed on any page with one line:
 *   <script src="https://chat.example.com/static/widget.js"
 *           data-api="https://chat.example.com" data-title="پشتیبانی فروشگاه" defer></script>
 *
 * It talks to POST /v1/chat, draws the transcript from GET /v1/chat/{id}/messages
 * (every line has an id, so a line is drawn once whichever way it arrived), and gets
 * operator messages live over the WebSocket /v1/chat/{id}/ws, polling when the socket
 * fails. The widget lives in a shadow root, so the shop's styles and ours never mix.
 *
 * Text from the server is always set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";

  var script =
    document.currentScript || document.querySelector('script[src$="/widget.js"][data-api]');
  if (!script || window.__pasokhgooWidget) return;
  window.__pasokhgooWidget = true;

  var API = (script.dataset.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var TITLE = script.dataset.title || "پشتیبانی آنلاین";
  var GREETING =
    script.dataset.greeting ||
    "سلام! من پاسخگو هستم، دستیار پشتیبانی. سؤالتان را بنویسید؛ اگر لازم باشد، تیکت ثبت می‌کنم یا به کارشناس وصلتان می‌کنم.";
  var STORE_KEY = "pasokhgoo:" + API;
  var PAGE = 200; // transcript lines per request
  var POLL_WAITING_MS = 3000; // while a person may write: waiting or with an operator
  var POLL_BOT_MS = 20000;

  var ROLE_NAMES = { customer: "شما", bot: "پاسخگو", operator: "کارشناس پشتیبانی" };
  var MODE_TEXT = {
    bot: "دستیار خودکار پاسخگو",
    waiting: "در صف انتظار کارشناس…",
    operator: "در حال گفتگو با کارشناس پشتیبانی",
  };
  var ERROR_TEXT = {
    network: "ارتباط با سرور برقرار نشد. لطفاً اتصال اینترنت را بررسی کنید و دوباره بفرستید.",
    message_too_long: "پیامتان خیلی طولانی است؛ لطفاً کوتاه‌ترش کنید.",
    payload_too_large: "حجم فایل بیشتر از حد مجاز است.",
    attachment_too_large: "حجم فایل بیشتر از حد مجاز است.",
    attachment_type: "فقط عکس یا ویدئو می‌توانید بفرستید.",
    attachment_empty: "این فایل خالی است.",
    rate_limited: "پیام‌ها خیلی سریع فرستاده شد؛ چند لحظه صبر کنید.",
    other: "خطایی پیش آمد و پیام فرستاده نشد. لطفاً دوباره تلاش کنید.",
  };

  // ---------------------------------------------------------------- state

  var memoryStore = {};
  function loadState() {
    try {
      return JSON.parse(localStorage.getItem(STORE_KEY) || "{}") || {};
    } catch (e) {
      return memoryStore;
    }
  }
  var state = loadState(); // {senderId, form, open}
  function saveState() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) {
      memoryStore = state; // private mode: the conversation lasts as long as the page
    }
  }
  function senderId() {
    if (!state.senderId) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      state.senderId =
        "web-" +
        Array.prototype.map
          .call(bytes, function (b) {
            return b.toString(16).padStart(2, "0");
          })
          .join("");
      saveState();
    }
    return state.senderId;
  }

  var seen = new Set(); // transcript line ids already drawn
  var lastId = 0;
  var pending = []; // customer bubbles shown before the server gave them an id
  var lastButtons = {}; // payload → title of the latest buttons, to redraw clicks as titles
  var mode = "bot";

  // ---------------------------------------------------------------- DOM

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "class") node.className = attrs[name];
      else if (attrs[name] === true) node.setAttribute(name, "");
      else if (attrs[name] !== false && attrs[name] != null) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  var SVG = "http://www.w3.org/2000/svg";
  function icon(d) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }
  var ICON_CHAT =
    "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  var ICON_SEND = "M3 20.5 21 12 3 3.5l.01 6.6L15 12 3.01 13.9z";
  var ICON_CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";
  var ICON_CLIP =
    "M16.5 6.5v10.1a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v9.7a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.8a6 6 0 0 0 12 0V6.5z";

  // fonts must be declared in the document, not the shadow root (see fonts.css)
  if (!document.querySelector('link[data-pasokhgoo-fonts]')) {
    document.head.appendChild(
      el("link", { rel: "stylesheet", href: API + "/static/fonts.css", "data-pasokhgoo-fonts": true })
    );
  }

  var host = el("div", { id: "pasokhgoo-widget" });
  var root = host.attachShadow({ mode: "open" });
  var sheet = el("link", { rel: "stylesheet", href: API + "/static/widget.css" });
  var frame = el("div", { class: "pg", dir: "rtl", lang: "fa", hidden: true });
  sheet.addEventListener("load", function () {
    frame.hidden = false;
  });
  sheet.addEventListener("error", function () {
    frame.hidden = false;
  });

  var badge = el("span", { class: "pg-badge", hidden: true, "aria-hidden": "true" });
  var launcher = el(
    "button",
    {
      type: "button",
      class: "pg-launcher",
      "aria-expanded": "false",
      "aria-controls": "pg-panel",
      "aria-label": "گفتگو با پشتیبانی: " + TITLE,
    },
    [icon(ICON_CHAT), el("span", { class: "pg-launcher-text", text: "پشتیبانی" }), badge]
  );

  var statusLine = el("p", { class: "pg-status", text: MODE_TEXT.bot });
  var closeButton = el(
    "button",
    { type: "button", class: "pg-close", "aria-label": "بستن پنجرهٔ گفتگو" },
    [icon(ICON_CLOSE)]
  );
  var header = el("header", { class: "pg-header" }, [
    el("div", { class: "pg-heading" }, [
      el("h2", { id: "pg-title", class: "pg-title", text: TITLE }),
      statusLine,
    ]),
    closeButton,
  ]);
  var log = el("div", {
    class: "pg-log",
    role: "log",
    "aria-live": "polite",
    "aria-label": "پیام‌های گفتگو",
    tabindex: "0",
  });
  var typing = el("div", { class: "pg-typing", role: "status", hidden: true }, [
    el("span", { class: "pg-sr", text: "پاسخگو در حال نوشتن است…" }),
    el("span", { class: "pg-dot", "aria-hidden": "true" }),
    el("span", { class: "pg-dot", "aria-hidden": "true" }),
    el("span", { class: "pg-dot", "aria-hidden": "true" }),
  ]);
  var fileInput = el("input", {
    type: "file",
    class: "pg-file-input",
    accept: "image/*,video/*",
    "aria-label": "پیوست عکس یا ویدئو",
  });
  var attach = el("label", { class: "pg-attach", hidden: true, title: "پیوست عکس یا ویدئو" }, [
    fileInput,
    icon(ICON_CLIP),
  ]);
  var input = el("input", {
    id: "pg-input",
    class: "pg-input",
    type: "text",
    autocomplete: "off",
    maxlength: "2000",
    dir: "auto",
    enterkeyhint: "send",
    placeholder: "پیامتان را بنویسید…",
  });
  var sendButton = el("button", { type: "submit", class: "pg-send", "aria-label": "ارسال پیام" }, [
    icon(ICON_SEND),
  ]);
  var composer = el("form", { class: "pg-composer" }, [
    attach,
    el("label", { for: "pg-input", class: "pg-sr", text: "پیام شما" }),
    input,
    sendButton,
  ]);
  var panel = el(
    "section",
    {
      id: "pg-panel",
      class: "pg-panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "pg-title",
      hidden: true,
    },
    [header, log, typing, composer]
  );
  frame.appendChild(launcher);
  frame.appendChild(panel);
  root.appendChild(sheet);
  root.appendChild(frame);

  // ---------------------------------------------------------------- drawing

  var timeFormat = new Intl.DateTimeFormat("fa-IR", { hour: "2-digit", minute: "2-digit" });
  function shownTime(at) {
    var date = at ? new Date(at) : new Date();
    return isNaN(date) ? "" : timeFormat.format(date);
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function disableOldButtons() {
    log.querySelectorAll(".pg-choices button").forEach(function (button) {
      button.disabled = true;
    });
  }

  /** Put a bubble in id order (lines may arrive by socket and by fetch in any order). */
  function place(bubble, id) {
    if (id) {
      bubble.dataset.id = String(id);
      var later = Array.prototype.find.call(log.children, function (node) {
        return node.dataset.id && Number(node.dataset.id) > id;
      });
      if (later) {
        log.insertBefore(bubble, later);
        return;
      }
    }
    log.appendChild(bubble);
  }

  function bubble(role, text, at) {
    var who = el("span", { class: "pg-who", text: ROLE_NAMES[role] || "" });
    var body = el("p", { class: "pg-text", dir: "auto", text: text });
    var time = el("time", { class: "pg-time", text: shownTime(at) });
    if (at) time.setAttribute("datetime", at);
    return el("div", { class: "pg-msg pg-" + role }, [who, body, time]);
  }

  function choices(buttons) {
    var group = el("div", { class: "pg-choices", role: "group", "aria-label": "گزینه‌ها" });
    lastButtons = {};
    buttons.forEach(function (b) {
      lastButtons[b.payload] = b.title;
      var button = el("button", { type: "button", class: "pg-choice", text: b.title });
      button.addEventListener("click", function () {
        send(b.payload, b.title);
      });
      group.appendChild(button);
    });
    return group;
  }

  /** Draw one transcript line unless it is already on screen. */
  function accept(line) {
    if (line.id && seen.has(line.id)) return;
    if (line.id) {
      seen.add(line.id);
      lastId = Math.max(lastId, line.id);
    }
    if (line.role === "customer") {
      var mine = pending.shift();
      if (mine) {
        if (line.id) mine.dataset.id = String(line.id);
        return;
      }
      disableOldButtons();
      var shown = line.text ? lastButtons[line.text] || line.text : "پیوست فرستاده شد";
      place(bubble("customer", shown, line.at), line.id);
      scrollDown();
      return;
    }
    // a reply drawn from /v1/chat while the transcript could not be read: adopt it
    var orphan = Array.prototype.find.call(log.querySelectorAll(".pg-unsynced"), function (node) {
      return node.querySelector(".pg-text").textContent === line.text;
    });
    if (orphan) {
      orphan.classList.remove("pg-unsynced");
      if (line.id) orphan.dataset.id = String(line.id);
      return;
    }
    var node = bubble(line.role, line.text, line.at);
    if (line.buttons && line.buttons.length) node.appendChild(choices(line.buttons));
    place(node, line.id);
    if (line.role === "operator" && panel.hidden) badge.hidden = false;
    scrollDown();
  }

  function notice(text) {
    var node = el("div", { class: "pg-notice", role: "alert" }, [
      el("p", { class: "pg-text", text: text }),
    ]);
    log.appendChild(node);
    scrollDown();
  }

  function setMode(next) {
    if (!MODE_TEXT[next] || next === mode) return;
    var wasBot = mode === "bot";
    mode = next;
    statusLine.textContent = MODE_TEXT[next];
    if (pollTimer && wasBot) {
      // a person may write soon: poll at the short interval from now on
      stopPolling();
      startPolling();
    }
  }

  function updateComposer() {
    var wantsFile = Boolean(state.form && state.form.requested_slot === "attachment");
    attach.hidden = !wantsFile;
  }

  var waiting = 0;
  function setTyping(on) {
    waiting += on ? 1 : -1;
    typing.hidden = waiting <= 0;
    if (!typing.hidden) scrollDown();
  }

  // ---------------------------------------------------------------- server

  function ApiFailure(code, status) {
    this.code = code;
    this.status = status;
  }

  async function request(path, options) {
    var response;
    try {
      response = await fetch(API + path, options);
    } catch (e) {
      throw new ApiFailure("network", 0);
    }
    var body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      var code = body && body.error && body.error.code;
      throw new ApiFailure(code || "other", response.status);
    }
    return body;
  }

  function failureText(err) {
    return ERROR_TEXT[(err && err.code) || "other"] || ERROR_TEXT.other;
  }

  var syncing = null;
  var syncAgain = false;
  /** Fetch every transcript line after the last one drawn (one fetch at a time). */
  function sync() {
    if (!state.senderId) return Promise.resolve();
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    syncing = (async function () {
      do {
        syncAgain = false;
        var more = true;
        while (more) {
          var body = await request(
            "/v1/chat/" + encodeURIComponent(state.senderId) + "/messages?after=" + lastId +
              "&limit=" + PAGE
          );
          setMode(body.mode);
          body.messages.forEach(accept);
          more = body.messages.length === PAGE;
        }
      } while (syncAgain);
    })();
    syncing.then(
      function () {
        syncing = null;
      },
      function () {
        syncing = null;
      }
    );
    return syncing;
  }

  var HANDOFF_MODE = { waiting: "waiting", with_operator: "operator", left: "bot", unavailable: "bot" };

  async function turn(text, shown, prepare) {
    senderId();
    connect();
    disableOldButtons();
    var mine = bubble("customer", shown, null);
    pending.push(mine);
    log.appendChild(mine);
    scrollDown();
    setTyping(true);
    try {
      var metadata = prepare ? await prepare() : {};
      var body = await request("/v1/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          sender_id: state.senderId,
          text: text,
          channel: "web",
          metadata: metadata,
        }),
      });
      state.form = body.form;
      saveState();
      updateComposer();
      if (body.handoff && HANDOFF_MODE[body.handoff.status]) setMode(HANDOFF_MODE[body.handoff.status]);
      try {
        await sync();
      } catch (e) {
        body.replies.forEach(function (reply) {
          accept({ role: "bot", text: reply.text, buttons: reply.buttons });
          log.lastChild.classList.add("pg-unsynced");
        });
      }
    } catch (err) {
      var index = pending.indexOf(mine);
      if (index >= 0) pending.splice(index, 1);
      mine.classList.add("pg-failed");
      notice(failureText(err));
    } finally {
      setTyping(false);
    }
  }

  var queue = Promise.resolve();
  /** Send one message; messages go one after another, in the order they were written. */
  function send(text, shown, prepare) {
    queue = queue.then(function () {
      return turn(text, shown || text, prepare);
    });
    return queue;
  }

  function sendFile(file) {
    send("", "پیوست: " + file.name, async function () {
      var form = new FormData();
      form.append("file", file, file.name);
      var body = await request(
        "/v1/chat/" + encodeURIComponent(state.senderId) + "/attachments",
        { method: "POST", body: form }
      );
      return { attachment_ids: [body.id] };
    });
  }

  // ------------------------------------------------------ live: socket, else polling

  var socket = null;
  var retries = 0;
  var pollTimer = null;
  var reconnectTimer = null;
  var pingTimer = null;

  function connect() {
    if (socket || reconnectTimer || !state.senderId) return;
    var url =
      API.replace(/^http/, "ws") + "/v1/chat/" + encodeURIComponent(state.senderId) + "/ws";
    try {
      socket = new WebSocket(url);
    } catch (e) {
      socket = null;
      disconnected();
      return;
    }
    socket.addEventListener("open", function () {
      retries = 0;
      stopPolling();
      sync().catch(function () {});
      pingTimer = setInterval(function () {
        if (socket && socket.readyState === 1) socket.send("ping");
      }, 25000);
    });
    socket.addEventListener("message", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data.type !== "message" || data.sender_id !== state.senderId) return;
      accept(data);
      sync().catch(function () {}); // also learns the new mode
    });
    socket.addEventListener("close", function () {
      socket = null;
      clearInterval(pingTimer);
      disconnected();
    });
  }

  function disconnected() {
    startPolling();
    var delay = Math.min(60000, 2000 * Math.pow(2, retries++));
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function startPolling() {
    if (pollTimer) return;
    var tick = function () {
      sync()
        .catch(function () {})
        .then(function () {
          if (!pollTimer) return;
          pollTimer = setTimeout(tick, mode === "bot" ? POLL_BOT_MS : POLL_WAITING_MS);
        });
    };
    pollTimer = setTimeout(tick, POLL_WAITING_MS);
  }

  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  // ---------------------------------------------------------------- open / close

  function open(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    frame.classList.add("pg-is-open");
    badge.hidden = true;
    state.open = true;
    saveState();
    scrollDown();
    if (focus) input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    frame.classList.remove("pg-is-open");
    state.open = false;
    saveState();
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open(true);
    else close();
  });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
    input.focus();
  });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) sendFile(file);
  });

  // ---------------------------------------------------------------- start

  log.appendChild(bubble("bot", GREETING, null));
  updateComposer();
  (document.body || document.documentElement).appendChild(host);
  if (state.senderId) {
    sync().catch(function () {
      notice(ERROR_TEXT.network);
    });
    connect();
  }
  if (state.open) open(false);
})();
