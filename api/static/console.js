/*
 * Pasokhgoo operator console (/console).
 *
 * The operator logs in with their token (kept in sessionStorage, so it goes when the tab
 * closes). The waiting queue follows the operator WebSocket /v1/operator/ws: every event
 * refreshes it, and it is polled when the socket is down. Presence is sent every minute
 * so customers are offered a person only while someone is here.
 *
 * Text from the server is always set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "pasokhgoo.operator.token";
  var NAME_KEY = "pasokhgoo.operator.name";
  var PRESENCE_MS = 60000;
  var POLL_MS = 5000;

  var STATUS = {
    open: "باز",
    in_progress: "در حال بررسی",
    answered: "پاسخ داده شده",
    closed: "بسته",
  };
  // the moves the server allows (bot/domain.py TICKET_TRANSITIONS), as buttons
  var MOVES = {
    open: [["in_progress", "شروع بررسی"], ["closed", "بستن تیکت"]],
    in_progress: [["answered", "پاسخ داده شد"], ["closed", "بستن تیکت"]],
    answered: [["in_progress", "بررسی دوباره"], ["closed", "بستن تیکت"]],
    closed: [],
  };
  var TYPES = { ticket: "تیکت پشتیبانی", return: "مرجوعی کالا" };
  // the ticket form's topics (bot/dialogue/forms.py TOPICS)
  var TOPICS = {
    order: "سفارش",
    return: "مرجوعی کالا",
    payment: "پرداخت",
    account: "حساب کاربری",
    after_sales: "خدمات پس از فروش",
    sellers: "فروشندگان",
    other: "سایر موضوعات",
  };
  var ROLES = { customer: "مشتری", bot: "ربات", operator: "کارشناس" };
  var REASONS = {
    "customer asked for a person": "مشتری خواست با کارشناس صحبت کند",
    "customer asked for a person during a form": "مشتری وسط فرم، کارشناس خواست",
    "not understood twice in a row": "ربات دو بار پشت سر هم منظور مشتری را نفهمید",
  };
  var ERRORS = {
    network: "ارتباط با سرور برقرار نشد.",
    not_waiting: "این گفتگو دیگر منتظر کارشناس نیست.",
    claimed_by_other: "کارشناس دیگری این گفتگو را برداشته است.",
    not_claimed: "اول گفتگو را بپذیرید.",
    ticket_not_found: "این تیکت پیدا نشد.",
    ticket_transition: "این تغییر وضعیت برای این تیکت مجاز نیست.",
    invalid_request: "درخواست نامعتبر است (متن خالی یا خیلی طولانی؟).",
  };

  var token = sessionStorage.getItem(TOKEN_KEY);
  var me = sessionStorage.getItem(NAME_KEY); // the presence answer names the token's operator

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "class") node.className = attrs[name];
      else if (attrs[name] === true) node.setAttribute(name, "");
      else if (attrs[name] !== false && attrs[name] != null) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  var timeFormat = new Intl.DateTimeFormat("fa-IR", {
    dateStyle: "short",
    timeStyle: "short",
  });
  function when(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    return isNaN(date) ? "" : timeFormat.format(date);
  }
  var clockFormat = new Intl.DateTimeFormat("fa-IR", { timeStyle: "short" });
  function clock(iso) {
    var date = new Date(iso);
    return isNaN(date) ? "" : clockFormat.format(date);
  }
  var digits = new Intl.NumberFormat("fa-IR");

  // ---------------------------------------------------------------- server

  function ApiFailure(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  async function call(method, path, body) {
    var headers = { Authorization: "Bearer " + token };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var response;
    try {
      response = await fetch(path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiFailure(0, "network", "");
    }
    var data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      var error = (data && data.error) || {};
      if (response.status === 401 || response.status === 403) {
        logout("توکن پذیرفته نشد. دوباره وارد شوید.");
      }
      throw new ApiFailure(response.status, error.code || "http_error", error.message || "");
    }
    return data;
  }

  var flashTimer = null;
  function flash(text) {
    var box = $("flash");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () {
      box.hidden = true;
    }, 8000);
  }

  function failed(err) {
    if (err && (err.status === 401 || err.status === 403)) return;
    var code = (err && err.code) || "";
    flash(ERRORS[code] || "خطا: " + ((err && err.message) || code || "نامشخص"));
  }

  // ---------------------------------------------------------------- login

  var online = [];
  function showWho() {
    var who = $("who");
    who.hidden = false;
    who.textContent =
      (me ? "وارد شده: " + me : "وارد شده") +
      (online.length ? " · آنلاین: " + online.join("، ") : "");
  }

  function presence() {
    return call("POST", "/v1/operator/presence").then(function (body) {
      online = (body && body.online) || [];
      if (body && body.operator) {
        me = body.operator;
        sessionStorage.setItem(NAME_KEY, me);
      }
      showWho();
    });
  }

  async function login(event) {
    event.preventDefault();
    var given = $("token").value.trim();
    if (!given) return;
    token = given;
    $("login-error").textContent = "";
    try {
      await presence();
    } catch (err) {
      token = null;
      $("login-error").textContent =
        err.status === 401 || err.status === 403
          ? "این توکن معتبر نیست."
          : ERRORS[err.code] || "ورود ممکن نشد.";
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    start();
  }

  var presenceTimer = null;
  function start() {
    $("login").hidden = true;
    $("desk").hidden = false;
    $("logout").hidden = false;
    showWho();
    refreshQueue();
    refreshTickets();
    connect();
    presenceTimer = setInterval(function () {
      presence().catch(function () {});
      refreshTickets();
    }, PRESENCE_MS);
    if (!online.length) presence().catch(function () {});
  }

  function logout(message) {
    token = null;
    me = null;
    online = [];
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(NAME_KEY);
    clearInterval(presenceTimer);
    stopPolling();
    if (socket) {
      var closing = socket;
      socket = null;
      closing.close();
    }
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    $("desk").hidden = true;
    $("logout").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("queue").textContent = "";
    $("tickets").textContent = "";
    conversationCards.clear();
    ticketCards.clear();
    document.title = "میز اپراتور پاسخگو";
    $("token").focus();
  }

  // ---------------------------------------------------------------- the queue

  var conversationCards = new Map(); // sender_id → card
  var queueBusy = null;
  var queueAgain = false;

  function refreshQueue() {
    if (!token) return Promise.resolve();
    if (queueBusy) {
      queueAgain = true;
      return queueBusy;
    }
    queueBusy = (async function () {
      do {
        queueAgain = false;
        var body = await call("GET", "/v1/operator/queue");
        drawQueue(body.conversations);
      } while (queueAgain && token);
    })()
      .catch(failed)
      .then(function () {
        queueBusy = null;
      });
    return queueBusy;
  }

  function drawQueue(items) {
    var list = $("queue");
    var keep = new Set();
    var waiting = 0;
    items.forEach(function (item, index) {
      keep.add(item.sender_id);
      if (item.status === "waiting") waiting += 1;
      var card = conversationCards.get(item.sender_id) || conversationCard(item.sender_id);
      updateConversation(card, item);
      if (list.children[index] !== card.root) list.insertBefore(card.root, list.children[index] || null);
    });
    conversationCards.forEach(function (card, id) {
      if (!keep.has(id)) {
        card.root.remove();
        conversationCards.delete(id);
      }
    });
    $("queue-empty").hidden = items.length > 0;
    $("queue-count").textContent = items.length ? "(" + digits.format(items.length) + ")" : "";
    document.title = (waiting ? "(" + digits.format(waiting) + ") " : "") + "میز اپراتور پاسخگو";
  }

  var cardCount = 0;
  function conversationCard(senderId) {
    cardCount += 1;
    var titleId = "conv-title-" + cardCount;
    var replyId = "conv-reply-" + cardCount;
    var card = {
      senderId: senderId,
      title: el("h3", { id: titleId, class: "conv-title", dir: "ltr" }),
      badge: el("span", { class: "badge" }),
      meta: el("p", { class: "meta" }),
      reason: el("p", { class: "reason" }),
      transcript: el("ol", { class: "transcript", "aria-label": "متن گفتگو" }),
      claim: el("button", { type: "button", text: "پذیرفتن گفتگو" }),
      close: el("button", { type: "button", class: "danger", text: "پایان گفتگو" }),
      input: el("textarea", { id: replyId, rows: "2", maxlength: "4000", dir: "auto" }),
    };
    card.send = el("button", { type: "submit", text: "ارسال پاسخ" });
    card.form = el("form", { class: "reply" }, [
      el("label", { for: replyId, text: "پاسخ به مشتری" }),
      card.input,
      card.send,
    ]);
    card.root = el("article", { class: "card conv", "aria-labelledby": titleId }, [
      el("header", { class: "card-head" }, [card.title, card.badge]),
      card.meta,
      card.reason,
      card.transcript,
      el("div", { class: "actions" }, [card.claim, card.close]),
      card.form,
    ]);
    card.title.textContent = senderId;
    card.claim.addEventListener("click", function () {
      act(card, "claim").then(function (body) {
        if (body && body.operator) {
          me = body.operator;
          sessionStorage.setItem(NAME_KEY, me);
          showWho();
          card.input.focus();
        }
      });
    });
    card.close.addEventListener("click", function () {
      act(card, "close");
    });
    card.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter starts a new line
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        card.form.requestSubmit();
      }
    });
    card.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = card.input.value.trim();
      if (!text) return;
      act(card, "messages", { text: text }).then(function (body) {
        if (body) card.input.value = "";
      });
    });
    conversationCards.set(senderId, card);
    return card;
  }

  async function act(card, what, body) {
    var path = "/v1/operator/conversations/" + encodeURIComponent(card.senderId) + "/" + what;
    try {
      var result = await call("POST", path, body);
      await refreshQueue();
      return result;
    } catch (err) {
      failed(err);
      refreshQueue();
      return null;
    }
  }

  function updateConversation(card, item) {
    var mine = item.status === "claimed" && (!me || item.operator === me);
    var other = item.status === "claimed" && !mine;
    card.root.classList.toggle("is-waiting", item.status === "waiting");
    card.badge.className = "badge " + (item.status === "waiting" ? "badge-waiting" : "badge-claimed");
    card.badge.textContent =
      item.status === "waiting" ? "در انتظار" : "در دست " + (item.operator || "کارشناس");
    card.meta.textContent =
      "کانال: " + item.channel + (item.since ? " · در صف از " + when(item.since) : "");
    card.reason.textContent = "دلیل ارجاع: " + (REASONS[item.reason] || item.reason || "—");
    card.reason.title = item.reason || "";

    var atBottom =
      card.transcript.scrollHeight - card.transcript.scrollTop - card.transcript.clientHeight < 24;
    var lines = item.transcript.map(function (line) {
      return el("li", { class: "line line-" + line.role }, [
        el("span", { class: "line-role", text: ROLES[line.role] || line.role }),
        el("span", { class: "line-text", dir: "auto", text: line.text || "(پیوست)" }),
        el("time", { class: "line-time", datetime: line.at, text: clock(line.at) }),
      ]);
    });
    card.transcript.replaceChildren.apply(card.transcript, lines);
    if (atBottom || !card.seen) card.transcript.scrollTop = card.transcript.scrollHeight;
    card.seen = true;

    card.claim.hidden = item.status !== "waiting";
    card.close.hidden = !mine;
    card.form.hidden = !mine;
    card.root.classList.toggle("is-other", other);
  }

  // ---------------------------------------------------------------- tickets

  var ticketCards = new Map(); // tracking code → card

  async function refreshTickets() {
    if (!token) return;
    var status = $("ticket-filter").value;
    try {
      var body = await call("GET", "/v1/staff/tickets?limit=100" + (status ? "&status=" + status : ""));
    } catch (err) {
      failed(err);
      return;
    }
    var list = $("tickets");
    var keep = new Set();
    body.tickets.forEach(function (ticket, index) {
      keep.add(ticket.tracking_code);
      var card = ticketCards.get(ticket.tracking_code) || ticketCard(ticket.tracking_code);
      updateTicket(card, ticket);
      if (list.children[index] !== card.root) list.insertBefore(card.root, list.children[index] || null);
    });
    ticketCards.forEach(function (card, code) {
      if (!keep.has(code)) {
        card.root.remove();
        ticketCards.delete(code);
      }
    });
    $("tickets-empty").hidden = body.tickets.length > 0;
  }

  function ticketCard(code) {
    cardCount += 1;
    var titleId = "ticket-title-" + cardCount;
    var replyId = "ticket-reply-" + cardCount;
    var card = {
      code: code,
      badge: el("span", { class: "badge" }),
      facts: el("dl", { class: "facts" }),
      message: el("p", { class: "message", dir: "auto" }),
      history: el("ol", { class: "history" }),
      summary: el("summary"),
      moves: el("div", { class: "actions", role: "group", "aria-label": "تغییر وضعیت" }),
      input: el("textarea", { id: replyId, rows: "2", maxlength: "8000", dir: "auto" }),
    };
    card.form = el("form", { class: "reply" }, [
      el("label", { for: replyId, text: "پاسخ به تیکت" }),
      card.input,
      el("button", { type: "submit", text: "ارسال پاسخ" }),
    ]);
    card.root = el("article", { class: "card ticket", "aria-labelledby": titleId }, [
      el("header", { class: "card-head" }, [
        el("h3", { id: titleId, dir: "ltr", text: code }),
        card.badge,
      ]),
      card.facts,
      card.message,
      el("details", {}, [card.summary, card.history]),
      card.moves,
      card.form,
    ]);
    card.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = card.input.value.trim();
      if (!text) return;
      ticketCall(card, "POST", "/replies", { text: text }).then(function (ok) {
        if (ok) {
          card.input.value = "";
          flash("پاسخ تیکت " + code + " ثبت شد.");
        }
      });
    });
    ticketCards.set(code, card);
    return card;
  }

  async function ticketCall(card, method, suffix, body) {
    try {
      await call(method, "/v1/staff/tickets/" + encodeURIComponent(card.code) + suffix, body);
      await refreshTickets();
      return true;
    } catch (err) {
      failed(err);
      return false;
    }
  }

  function fact(name, value) {
    if (!value) return [];
    return [el("dt", { text: name }), el("dd", { dir: "auto", text: value })];
  }

  function updateTicket(card, t) {
    card.badge.className = "badge status-" + t.status;
    card.badge.textContent = STATUS[t.status] || t.status;
    card.facts.replaceChildren.apply(
      card.facts,
      [].concat(
        fact("نوع", TYPES[t.type] || t.type),
        fact("موضوع", TOPICS[t.topic] || t.topic),
        fact("ثبت", when(t.created_at)),
        fact("نام", t.name),
        fact("ایمیل", t.email),
        fact("تلفن", t.phone),
        fact("شماره سفارش", t.order_number),
        fact("کانال", t.channel),
        fact("پیوست", t.attachments.length ? digits.format(t.attachments.length) + " فایل" : "")
      )
    );
    card.message.textContent = t.message || "";
    card.summary.textContent = "تاریخچه (" + digits.format(t.history.length) + ")";
    card.history.replaceChildren.apply(
      card.history,
      t.history.map(function (event) {
        return el("li", {}, [
          el("span", { text: when(event.at) + " · " + (STATUS[event.status] || event.status) }),
          el("span", { class: "actor", text: " · " + event.actor }),
          event.note ? el("p", { class: "note", dir: "auto", text: event.note }) : null,
        ]);
      })
    );
    card.moves.replaceChildren.apply(
      card.moves,
      MOVES[t.status].map(function (move) {
        var button = el("button", {
          type: "button",
          class: move[0] === "closed" ? "danger" : "",
          text: move[1],
        });
        button.addEventListener("click", function () {
          ticketCall(card, "PATCH", "", { status: move[0] });
        });
        return button;
      })
    );
    card.form.hidden = t.status === "closed";
  }

  // ---------------------------------------------------------------- live updates

  var socket = null;
  var reconnectTimer = null;
  var retries = 0;
  var pollTimer = null;
  var refreshTimer = null;

  function live(text) {
    $("live").textContent = text;
  }

  function connect() {
    if (!token || socket || reconnectTimer) return;
    var url =
      location.origin.replace(/^http/, "ws") + "/v1/operator/ws?token=" + encodeURIComponent(token);
    try {
      socket = new WebSocket(url);
    } catch (e) {
      socket = null;
      disconnected();
      return;
    }
    var current = socket;
    current.addEventListener("open", function () {
      retries = 0;
      stopPolling();
      live("به‌روزرسانی زنده فعال است.");
      refreshQueue();
    });
    current.addEventListener("message", function () {
      // any event may change the queue: refresh once for a burst of events
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refreshQueue, 150);
    });
    current.addEventListener("close", function () {
      if (socket !== current) return; // logged out
      socket = null;
      disconnected();
    });
  }

  function disconnected() {
    if (!token) return;
    live("اتصال زنده برقرار نیست؛ صف هر ۵ ثانیه به‌روز می‌شود.");
    startPolling();
    var delay = Math.min(60000, 2000 * Math.pow(2, retries++));
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function startPolling() {
    if (pollTimer) return;
    pollTimer = setInterval(refreshQueue, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  // ---------------------------------------------------------------- start

  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", function () {
    logout("");
  });
  $("ticket-filter").addEventListener("change", refreshTickets);
  $("tickets-refresh").addEventListener("click", refreshTickets);
  if (token) start();
  else $("token").focus();
})();
