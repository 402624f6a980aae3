/* Anju console and resident H5: small progressive enhancements, no build step. */
(function () {
  "use strict";

  function messages() {
    var el = document.getElementById("anju-i18n");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  function errorText(body, fallback) {
    var lang = messages().lang === "en" ? "en" : "zh";
    if (body && body.error && body.error.message) {
      var m = body.error.message[lang] || body.error.message.en;
      var fields = (body.error.fields || []).map(function (f) { return f.message; }).filter(Boolean);
      return fields.length ? m + ": " + fields.join("; ") : m;
    }
    return fallback;
  }

  // Row messages come as "中文 / English"; show the half in the page's language.
  function bilingual(text, lang) {
    var parts = String(text || "").split(" / ");
    if (parts.length !== 2) { return text; }
    return lang === "en" ? parts[1] : parts[0];
  }

  function readJson(resp) {
    return resp.text().then(function (text) {
      try { return JSON.parse(text); } catch (e) { return null; }
    });
  }

  // Phone console: the menu button folds the side menu in and out (CSS hides it under 720 px).
  document.addEventListener("click", function (ev) {
    var btn = ev.target && ev.target.closest ? ev.target.closest(".nav-toggle") : null;
    if (btn) {
      var open = document.body.classList.toggle("nav-open");
      btn.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    if (document.body.classList.contains("nav-open") && !(ev.target.closest && ev.target.closest(".sidenav"))) {
      document.body.classList.remove("nav-open");
      var toggle = document.querySelector(".nav-toggle");
      if (toggle) { toggle.setAttribute("aria-expanded", "false"); }
    }
  });

  // Polled regions (data-hold-while-typing) skip a refresh while the user is filling a form inside
  // them: the parking desk's 3-second poll used to wipe a release reason or receipt number mid-typing.
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var region = ev.detail && ev.detail.elt;
    if (!region || !region.hasAttribute || !region.hasAttribute("data-hold-while-typing")) { return; }
    var active = document.activeElement;
    var typing = active && region.contains(active) && active.matches("input, textarea, select");
    var filled = Array.prototype.some.call(region.querySelectorAll("input, textarea"), function (f) {
      return f.type !== "hidden" && f.value !== f.defaultValue;
    });
    if (typing || filled) { ev.preventDefault(); }
  });

  // Compound switch and other selects that submit their form when changed.
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });

  // "查看完整号码": ask for a reason, POST it (audited), show the value in place.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("[data-reveal]") : null;
    if (!btn) { return; }
    ev.preventDefault();
    var msg = messages();
    var field = btn.getAttribute("data-reveal");
    var panel = btn.closest(".person");
    var errorBox = panel ? panel.querySelector(".reveal-error") : null;
    var reason = window.prompt(msg.prompt || "Reason?");
    if (reason === null) { return; }
    reason = reason.trim();
    if (reason.length < 2) { window.alert(msg.short || "Reason too short"); return; }
    btn.disabled = true;
    fetch("/api/v1/people/" + btn.getAttribute("data-person-id") + "/reveal", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({field: field, reason: reason})
    }).then(function (resp) {
      return readJson(resp).then(function (body) {
        if (!resp.ok) { throw new Error(errorText(body, resp.status + "")); }
        var target = panel.querySelector('[data-field="' + field + '"]');
        if (target) { target.textContent = body.value || "—"; target.classList.add("revealed"); }
        if (target && body.value && btn.getAttribute("data-call")) {
          // "Call the household" (alarm panel): the number, once revealed (audited), dials on a phone.
          var call = document.createElement("a");
          call.href = "tel:" + String(body.value).replace(/[^0-9+]/g, "");
          call.className = "btn btn-small btn-primary";
          call.textContent = "☎";
          target.after(call);
        }
        btn.remove();
      });
    }).catch(function (err) {
      btn.disabled = false;
      if (errorBox) { errorBox.textContent = err.message; errorBox.hidden = false; }
    });
  });

  // Roster import: post the file, then show the row report.
  function setupImport() {
    var form = document.getElementById("import-form");
    if (!form) { return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var msg = messages();
      var data = new FormData(form);
      ["dry_run", "all_or_nothing"].forEach(function (name) {
        data.set(name, form.elements[name].checked ? "true" : "false");
      });
      var report = document.getElementById("import-report");
      var status = document.getElementById("import-status");
      var errorBox = document.getElementById("import-error");
      status.hidden = false;
      fetch(form.action, {method: "POST", body: data, credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (resp) {
          return readJson(resp).then(function (body) {
            status.hidden = true;
            report.hidden = false;
            var tbody = document.querySelector("#import-errors tbody");
            tbody.innerHTML = "";
            if (!resp.ok || !body || body.total_rows === undefined) {
              errorBox.textContent = (msg.failed || "Failed") + ": " + errorText(body, "HTTP " + resp.status);
              errorBox.hidden = false;
              return;
            }
            errorBox.hidden = true;
            report.querySelectorAll("[data-key]").forEach(function (el) {
              el.textContent = body[el.getAttribute("data-key")] || 0;
            });
            var ignored = document.getElementById("import-ignored");
            ignored.hidden = !(body.ignored_columns || []).length;
            ignored.querySelector("span").textContent = (body.ignored_columns || []).join(", ");
            var badge = document.getElementById("import-committed");
            badge.textContent = body.committed ? msg.committed : msg.not_committed;
            badge.className = "badge " + (body.committed ? "req-done" : "req-open");
            (body.errors || []).forEach(function (e) {
              var tr = document.createElement("tr");
              [e.row, e.column || "", bilingual(e.message, msg.lang)].forEach(function (v, i) {
                var td = document.createElement("td");
                if (i === 0) { td.className = "num"; }
                td.textContent = v === undefined || v === null ? "" : v;
                tr.appendChild(td);
              });
              tbody.appendChild(tr);
            });
            if (!(body.errors || []).length) {
              var tr = document.createElement("tr");
              var td = document.createElement("td");
              td.colSpan = 3; td.className = "empty"; td.textContent = msg.no_errors;
              tr.appendChild(td); tbody.appendChild(tr);
            }
          });
        })
        .catch(function (err) {
          status.hidden = true; report.hidden = false;
          errorBox.textContent = (msg.failed || "Failed") + ": " + err.message; errorBox.hidden = false;
        });
    });
  }

  // Resident H5: a data-subject request goes to the API as JSON.
  function setupPrivacyRequest() {
    var form = document.getElementById("privacy-request-form");
    if (!form) { return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var msg = messages();
      var box = document.getElementById("privacy-request-msg");
      var detail = form.elements.detail.value.trim();
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify({kind: form.elements.kind.value, detail: detail || null,
                              ground: (form.elements.ground && form.elements.ground.value) || null})
      }).then(function (resp) {
        return readJson(resp).then(function (body) {
          box.hidden = false;
          if (resp.ok) {
            box.className = "alert alert-ok"; box.textContent = msg.sent;
            window.setTimeout(function () { window.location.reload(); }, 800);
          } else {
            box.className = "alert alert-error"; box.textContent = errorText(body, "HTTP " + resp.status);
          }
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupImport();
    setupPrivacyRequest();
  });
})();
