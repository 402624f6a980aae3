/* Anju access pages: the guard desk's live feed (server-sent events) and htmx error alerts. No build step. */
(function () {
  "use strict";

  var MAX_ROWS = 200;

  // Live feed: each event is one rendered <tr>; the newest goes on top.
  function setupFeed() {
    var table = document.querySelector("table[data-feed]");
    if (!table || !window.EventSource) { return; }
    var body = table.querySelector("tbody");
    var status = document.querySelector("[data-testid=feed-status]");
    var empty = document.querySelector(".feed-empty");
    var source = new EventSource(table.getAttribute("data-feed"));

    function setStatus(live) {
      if (!status) { return; }
      status.textContent = status.getAttribute(live ? "data-live" : "data-offline");
      status.classList.toggle("is-live", live);
      status.classList.toggle("is-offline", !live);
    }

    source.addEventListener("open", function () { setStatus(true); });
    source.addEventListener("error", function () { setStatus(false); });
    source.addEventListener("access", function (ev) {
      var holder = document.createElement("tbody");
      holder.innerHTML = ev.data;
      var row = holder.querySelector("tr");
      if (!row || document.getElementById(row.id)) { return; }  // a reconnect may resend a row
      row.classList.add("feed-new");
      body.insertBefore(row, body.firstChild);
      if (empty) { empty.hidden = true; }
      while (body.rows.length > MAX_ROWS) { body.deleteRow(body.rows.length - 1); }
      setStatus(true);
      window.setTimeout(function () { row.classList.remove("feed-new"); }, 4000);
      // A visitor's entry changes a pass's count or status: refresh today's passes too.
      if (row.getAttribute("data-method") === "visitor_qr" && window.htmx) {
        window.htmx.trigger(document.body, "access-passes-changed");
      }
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // A refused form action answers 4xx with an alert saying why (the server may retarget it next to the
  // form): show it instead of dropping it. This file is loaded only by the access pages.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var status = ev.detail.xhr.status;
    if (status >= 400 && status < 500) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });

  // A visitor pass was created: clear the form for the next one.
  document.addEventListener("htmx:afterRequest", function (ev) {
    var form = ev.detail.elt;
    var ok = ev.detail.xhr && ev.detail.xhr.status >= 200 && ev.detail.xhr.status < 300;  // 4xx swaps count as "successful"
    if (ok && form && form.matches && form.matches("form[data-reset-on-success]")) {
      form.reset();
      var box = document.getElementById("pass-form-result");
      if (box) { box.innerHTML = ""; }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupFeed);
  } else {
    setupFeed();
  }
})();
