/* Pasokhgoo content team's admin page (/admin): FAQ entries, history, import, training,
   knowledge gaps and charts. Server text is drawn with textContent only (strict CSP). */
(function () {
  "use strict";

  var TOKEN_KEY = "pasokhgoo-admin-token";
  var METRICS = ["conversations", "deflection_rate", "fallback_rate"];
  var METRIC_NAMES = {
    conversations: "گفتگوها در روز",
    deflection_rate: "نرخ پاسخ خودکار",
    fallback_rate: "نرخ نفهمیدن",
  };
  var PROBLEMS = {
    empty_answer: "پاسخ نمی‌تواند خالی باشد (برای مورد فعال).",
    too_few_questions: "پرسش‌ها کافی نیست: مورد فعال سه پرسش متفاوت و پیش‌نویس دست‌کم یکی لازم دارد.",
    empty_question: "یکی از پرسش‌ها خالی است.",
    duplicate_question: "این پرسش تکراری است.",
    question_taken: "این پرسش در مورد دیگری هست.",
    question_too_long: "یکی از پرسش‌ها خیلی بلند است.",
    title_too_long: "عنوان خیلی بلند است.",
    duplicate_key: "موردی با این کلید هست.",
    invalid_key: "کلید نامعتبر است.",
  };
  var FIELDS = { key: "کلید", title: "عنوان", category: "دسته", questions: "پرسش‌ها", answer: "پاسخ" };
  var ERRORS = {
    network: "ارتباط با سرور برقرار نشد.",
    revision_conflict: "کس دیگری این مورد را هم‌زمان ذخیره کرده است؛ دوباره باز کنید.",
    training_running: "آموزش در حال اجراست.",
    import_rejected: "برخی ردیف‌ها رد شدند؛ چیزی وارد نشد.",
  };
  var ACTIONS = { added: "افزوده", changed: "تغییر", unchanged: "بدون تغییر", rejected: "رد شده" };
  var RUN_STATES = { running: "در حال آموزش…", succeeded: "آموزش تمام شد.", failed: "آموزش ناموفق بود." };

  var token = sessionStorage.getItem(TOKEN_KEY);
  var current = null; // the entry being edited
  var importFile = null;
  var trainTimer = null;

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

  var timeFormat = new Intl.DateTimeFormat("fa-IR", { dateStyle: "short", timeStyle: "short" });
  function when(iso) {
    var date = new Date(iso);
    return isNaN(date) ? "" : timeFormat.format(date);
  }
  var digits = new Intl.NumberFormat("fa-IR");

  // ---------------------------------------------------------------- server

  function ApiFailure(status, code, message, details) {
    this.status = status;
    this.code = code;
    this.message = message;
    this.details = details || [];
  }

  async function request(method, path, options) {
    var headers = { Authorization: "Bearer " + token };
    var init = { method: method, headers: headers };
    if (options && options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
    } else if (options && options.form) {
      init.body = options.form;
    }
    var response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiFailure(0, "network", "");
    }
    if (!response.ok) {
      var data = null;
      try {
        data = await response.json();
      } catch (e) {
        data = null;
      }
      var error = (data && data.error) || {};
      if (response.status === 401 || response.status === 403) {
        logout("توکن پذیرفته نشد. دوباره وارد شوید.");
      }
      throw new ApiFailure(response.status, error.code || "http_error", error.message || "", error.details);
    }
    return response;
  }

  async function call(method, path, options) {
    return (await request(method, path, options)).json();
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

  function problemText(problem) {
    return PROBLEMS[problem.type] || "مقدار نامعتبر: " + (problem.message || problem.type || "");
  }

  // ---------------------------------------------------------------- login

  function showWorkspace() {
    $("login").hidden = true;
    $("workspace").hidden = false;
    $("logout").hidden = false;
    loadEntries().catch(failed);
    loadTraining().catch(failed);
    loadGaps().catch(failed);
    loadCharts().catch(failed);
  }

  function logout(message) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(trainTimer);
    $("workspace").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
  }

  $("login-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    token = $("token").value.trim();
    $("login-error").textContent = "";
    try {
      await call("GET", "/v1/admin/train");
    } catch (err) {
      if (err.status !== 401 && err.status !== 403) {
        logout(ERRORS[err.code] || "ورود ناموفق بود.");
      }
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    showWorkspace();
  });

  $("logout").addEventListener("click", function () {
    logout("");
  });

  // ---------------------------------------------------------------- FAQ list

  async function loadEntries() {
    var q = $("search").value.trim();
    var data = await call("GET", "/v1/admin/faq" + (q ? "?q=" + encodeURIComponent(q) : ""));
    var rows = $("faq-rows");
    rows.textContent = "";
    data.entries.forEach(function (entry) {
      var open = el("button", { type: "button", class: "ghost", dir: "ltr", text: entry.key });
      open.addEventListener("click", function () {
        openEntry(entry.key).catch(failed);
      });
      var row = el("tr", { "data-key": entry.key }, [
        el("td", {}, [open]),
        el("td", { text: entry.title }),
        el("td", { text: entry.enabled ? "بله" : "خیر" }),
      ]);
      if (current && current.key === entry.key) row.setAttribute("aria-selected", "true");
      rows.appendChild(row);
    });
    $("faq-empty").hidden = data.entries.length > 0;
  }

  $("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    loadEntries().catch(failed);
  });

  // ---------------------------------------------------------------- editor

  function clearErrors() {
    ["title", "category", "questions", "answer", "form"].forEach(function (name) {
      $("err-" + name).textContent = "";
    });
  }

  function fillForm(entry) {
    current = entry;
    clearErrors();
    $("saved").textContent = "";
    $("editor").hidden = false;
    $("editor-key").textContent = entry.key;
    $("f-title").value = entry.title;
    $("f-category").value = entry.category;
    $("f-questions").value = entry.questions.join("\n");
    $("f-answer").value = entry.answer;
    $("f-enabled").checked = entry.enabled;
    Array.prototype.forEach.call($("faq-rows").children, function (row) {
      row.setAttribute("aria-selected", row.getAttribute("data-key") === entry.key ? "true" : "false");
    });
  }

  async function openEntry(key) {
    var data = await call("GET", "/v1/admin/faq/" + encodeURIComponent(key));
    fillForm(data.entry);
    await loadHistory();
  }

  function showProblems(details) {
    details.forEach(function (problem) {
      var field = String(problem.field || "").replace(/^body\./, "").split(/[.[]/)[0];
      var box = $("err-" + field) || $("err-form");
      box.textContent = (box.textContent ? box.textContent + " " : "") + problemText(problem);
    });
  }

  $("entry-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!current) return;
    clearErrors();
    $("saved").textContent = "";
    var body = {
      title: $("f-title").value,
      category: $("f-category").value,
      questions: $("f-questions")
        .value.split("\n")
        .map(function (line) {
          return line.trim();
        })
        .filter(Boolean),
      answer: $("f-answer").value,
      tags: current.tags,
      enabled: $("f-enabled").checked,
      revision: current.revision,
    };
    try {
      var data = await call("PUT", "/v1/admin/faq/" + encodeURIComponent(current.key), { json: body });
      fillForm(data.entry);
      $("saved").textContent = "ذخیره شد. برای رسیدن به مشتری‌ها، مدل را دوباره آموزش دهید.";
      await loadEntries();
      await loadHistory();
    } catch (err) {
      if (err.status === 422 && err.details.length) {
        $("err-form").textContent = "ذخیره نشد؛ خطاها را درست کنید.";
        showProblems(err.details);
      } else if (err.status !== 401 && err.status !== 403) {
        $("err-form").textContent = ERRORS[err.code] || "ذخیره نشد: " + (err.message || err.code);
      }
    }
  });

  // ---------------------------------------------------------------- history

  async function loadHistory() {
    var key = current.key;
    var data = await call("GET", "/v1/admin/faq/" + encodeURIComponent(key) + "/history?limit=20");
    var list = $("history");
    list.textContent = "";
    data.history.forEach(function (record) {
      var revert = el("button", { type: "button", class: "ghost", text: "بازگرداندن به پیش از این" });
      revert.addEventListener("click", async function () {
        try {
          var reverted = await call(
            "POST",
            "/v1/admin/faq/" + encodeURIComponent(key) + "/revert/" + record.id
          );
          if (reverted.entry) {
            fillForm(reverted.entry);
            await loadHistory();
          } else {
            $("editor").hidden = true;
            current = null;
          }
          await loadEntries();
        } catch (err) {
          failed(err);
        }
      });
      var title = record.after ? record.after.title : "(حذف شده)";
      list.appendChild(
        el("li", {}, [
          el("span", { text: when(record.at) + " · " + record.author + " · " + record.action + " · " }),
          el("span", { text: title }),
          document.createTextNode(" "),
          record.before ? revert : null,
        ])
      );
    });
  }

  // ---------------------------------------------------------------- import

  function reason(outcome) {
    if (outcome.problems) {
      return outcome.problems
        .map(function (p) {
          var name = String(p.field || "").split(/[.[]/)[0];
          return (FIELDS[name] || p.field) + ": " + problemText(p);
        })
        .join("؛ ");
    }
    return outcome.fields ? outcome.fields.join("، ") : "";
  }

  function showReport(report) {
    var rows = $("import-rows");
    rows.textContent = "";
    ["added", "changed", "rejected"].forEach(function (group) {
      (report[group] || []).forEach(function (outcome) {
        rows.appendChild(
          el("tr", { class: "import-" + group }, [
            el("td", { text: digits.format(outcome.row) }),
            el("td", { dir: "ltr", text: outcome.key }),
            el("td", { text: ACTIONS[group] }),
            el("td", { text: reason(outcome) }),
          ])
        );
      });
    });
    $("import-table").hidden = false;
  }

  async function sendImport(dryRun) {
    var form = new FormData();
    form.append("file", importFile);
    return call("POST", "/v1/admin/faq/import?dry_run=" + dryRun, { form: form });
  }

  $("import-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    importFile = $("import-file").files[0] || null;
    $("import-apply").hidden = true;
    if (!importFile) return;
    try {
      var report = await sendImport(true);
      showReport(report);
      var s = report.summary;
      $("import-status").textContent =
        "پیش‌نمایش: " + digits.format(s.added) + " افزوده، " + digits.format(s.changed) +
        " تغییر، " + digits.format(s.rejected) + " رد شده.";
      $("import-apply").hidden = s.rejected > 0 || s.added + s.changed === 0;
    } catch (err) {
      failed(err);
    }
  });

  $("import-apply").addEventListener("click", async function () {
    try {
      var report = await sendImport(false);
      showReport(report);
      $("import-apply").hidden = true;
      $("import-status").textContent = "وارد شد. برای رسیدن به مشتری‌ها، مدل را دوباره آموزش دهید.";
      await loadEntries();
    } catch (err) {
      failed(err);
    }
  });

  // ---------------------------------------------------------------- training

  async function loadTraining() {
    clearTimeout(trainTimer);
    var data = await call("GET", "/v1/admin/train");
    var run = data.run;
    var text = run ? RUN_STATES[run.status] || run.status : "هنوز آموزشی از اینجا اجرا نشده است.";
    if (data.pending_changes) text += " تغییراتی منتظر آموزش است.";
    $("train-status").textContent = text;
    if (run && run.status === "running") {
      trainTimer = setTimeout(function () {
        if (token) loadTraining().catch(failed);
      }, 2000);
    }
  }

  $("train").addEventListener("click", async function () {
    try {
      await call("POST", "/v1/admin/train");
    } catch (err) {
      failed(err);
    }
    loadTraining().catch(failed);
  });

  // ---------------------------------------------------------------- knowledge gaps

  async function loadGaps() {
    var data = await call("GET", "/v1/admin/gaps?limit=20");
    var box = $("gaps");
    box.textContent = "";
    data.gaps.forEach(function (gap) {
      var keyInput = el("input", { dir: "ltr", "aria-label": "کلید مورد تازه", placeholder: "new_key" });
      var promote = el("button", { type: "button", text: "ساخت پیش‌نویس پرسش متداول" });
      promote.addEventListener("click", async function () {
        var key = keyInput.value.trim();
        if (!key) {
          flash("کلید مورد تازه را بنویسید.");
          return;
        }
        try {
          var made = await call("POST", "/v1/admin/gaps/" + encodeURIComponent(gap.id) + "/promote", {
            json: { since: data.since, until: data.until, key: key },
          });
          flash("پیش‌نویس " + made.entry.key + " ساخته شد.");
          await loadEntries();
          await loadGaps();
        } catch (err) {
          if (err.status === 422 && err.details.length) flash(err.details.map(problemText).join(" "));
          else failed(err);
        }
      });
      var examples = el("ul", { class: "gap-examples" });
      gap.examples.forEach(function (text) {
        examples.appendChild(el("li", { text: text }));
      });
      box.appendChild(
        el("article", { class: "card" }, [
          el("p", { text: digits.format(gap.count) + " پیام" }),
          examples,
          el("div", { class: "row" }, [keyInput, promote]),
        ])
      );
    });
    $("gaps-empty").hidden = data.gaps.length > 0;
  }

  $("gaps-refresh").addEventListener("click", function () {
    loadGaps().catch(failed);
  });

  // ---------------------------------------------------------------- charts

  // a data: URL, which the page's CSP allows for images (blob: is not allowed)
  function dataUrl(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        resolve(reader.result);
      };
      reader.onerror = reject;
      reader.readAsDataURL(blob);
    });
  }

  async function loadCharts() {
    var box = $("charts");
    box.textContent = "";
    for (var i = 0; i < METRICS.length; i++) {
      var metric = METRICS[i];
      var response = await request("GET", "/v1/admin/analytics/chart.png?metric=" + metric);
      var url = await dataUrl(await response.blob());
      box.appendChild(
        el("figure", {}, [
          el("img", { src: url, alt: METRIC_NAMES[metric], "data-metric": metric }),
          el("figcaption", { text: METRIC_NAMES[metric] }),
        ])
      );
    }
  }

  if (token) showWorkspace();
})();
