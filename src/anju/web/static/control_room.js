/* Control room: follow the alarm stream, refresh the inbox / plan / open panel, keep error panels visible. */
(function () {
  "use strict";

  // htmx leaves 4xx responses unswapped; our panels carry the reason, so show them.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var target = ev.detail.target;
    var status = ev.detail.xhr.status;
    if (status >= 400 && status < 500 && target && (target.id === "cr-detail" || target.id === "device-detail")) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });

  // Highlight the alarm whose panel is open.
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (!ev.detail.target || ev.detail.target.id !== "cr-detail") { return; }
    markSelected();
  });

  function markSelected() {
    var panel = document.querySelector("#cr-detail [data-alarm-id]");
    var id = panel ? panel.getAttribute("data-alarm-id") : null;
    document.querySelectorAll(".cr-alarm").forEach(function (li) {
      li.classList.toggle("is-selected", li.getAttribute("data-alarm-id") === id);
    });
  }

  function config() {
    var el = document.getElementById("cr-config");
    try { return el ? JSON.parse(el.textContent) : null; } catch (e) { return null; }
  }

  function fetchInto(url, el, after) {
    return fetch(url, {credentials: "same-origin", headers: {"HX-Request": "true"}}).then(function (resp) {
      if (!resp.ok) { return; }
      return resp.text().then(function (html) {
        el.innerHTML = html;
        if (window.htmx) { window.htmx.process(el); }
        if (after) { after(); }
      });
    }).catch(function () { /* the next event or reconnect retries */ });
  }

  // Critical alarms: a sound (Web Audio, no file to fetch) and a pop-up with the first procedure steps.
  // Mute is per operator: remembered in this browser under the operator's own user id.
  var audio = null;
  function muteKey(cfg) { return "anju.cr.mute." + (cfg.user_id || "0"); }
  function muted(cfg) { try { return window.localStorage.getItem(muteKey(cfg)) === "1"; } catch (e) { return false; } }
  function beep(cfg) {
    var popup = document.getElementById("cr-popup");
    if (muted(cfg)) { if (popup) { popup.setAttribute("data-sound", "muted"); } return; }
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      audio = audio || new Ctx();
      if (audio.state === "suspended" && audio.resume) { audio.resume(); }
      [0, 0.35, 0.7].forEach(function (at) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "square";
        osc.frequency.value = 880;
        gain.gain.value = 0.15;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + 0.2);
      });
      if (popup) { popup.setAttribute("data-sound", "played"); }
    } catch (e) { /* no audio device: the pop-up still shows */ }
  }
  function setupMute(cfg) {
    var btn = document.getElementById("cr-mute");
    if (!btn) { return; }
    function show() {
      var on = muted(cfg);
      btn.setAttribute("aria-pressed", on ? "true" : "false");
      btn.textContent = on ? btn.getAttribute("data-off") : btn.getAttribute("data-on");
    }
    btn.addEventListener("click", function () {
      try { window.localStorage.setItem(muteKey(cfg), muted(cfg) ? "0" : "1"); } catch (e) { /* private mode */ }
      show();
    });
    show();
  }
  function popUp(cfg, id, detail) {
    var popup = document.getElementById("cr-popup");
    var body = document.getElementById("cr-popup-body");
    if (!popup || !body) { return; }
    fetchInto(cfg.popup + id + "/popup", body, function () {
      popup.setAttribute("data-alarm-id", id);
      if (!popup.open) {
        if (popup.showModal) { popup.showModal(); } else { popup.setAttribute("open", ""); }
      }
      beep(cfg);
    });
    popup.querySelectorAll("[data-popup]").forEach(function (b) {
      b.onclick = function () {
        popup.close ? popup.close() : popup.removeAttribute("open");
        if (b.getAttribute("data-popup") === "open" && detail) {
          fetchInto(cfg.detail + popup.getAttribute("data-alarm-id"), detail, markSelected);
        }
      };
    });
  }

  function setup() {
    var cfg = config();
    var inbox = document.getElementById("cr-inbox");
    if (!cfg || !inbox) { return; }
    var live = document.getElementById("cr-live");
    var plan = document.getElementById("cr-plan");
    var detail = document.getElementById("cr-detail");
    var filters = document.getElementById("cr-filters");
    var fresh = {};
    var timer = null;
    var changed = {};
    setupMute(cfg);

    function refresh() {
      timer = null;
      var ids = changed;
      changed = {};
      var query = filters ? new URLSearchParams(new FormData(filters)).toString() : "";
      fetchInto(cfg.inbox + (query ? "?" + query : ""), inbox, function () {
        Object.keys(fresh).forEach(function (id) {
          var li = inbox.querySelector('.cr-alarm[data-alarm-id="' + id + '"]');
          if (li) { li.classList.add("is-fresh"); }
        });
        fresh = {};
        markSelected();
      });
      if (plan) { fetchInto(cfg.plan, plan); }
      var open = detail ? detail.querySelector("[data-alarm-id]") : null;
      if (open && ids[open.getAttribute("data-alarm-id")] && !detail.contains(document.activeElement)) {
        // Someone else moved the alarm we are looking at: show its new state (not while typing in it).
        fetchInto(cfg.detail + open.getAttribute("data-alarm-id"), detail, markSelected);
      }
    }

    function schedule(id) {
      if (id) { changed[id] = true; }
      if (!timer) { timer = window.setTimeout(refresh, 250); }
    }

    // Our own actions (HX-Trigger: alarms-changed) refresh the inbox and plan at once.
    document.body.addEventListener("alarms-changed", function () { schedule(null); });

    if (!window.EventSource) { return; }
    // No ?after= in the URL: on a reconnect the browser resumes from Last-Event-ID by itself.
    // Whatever changed between rendering the page (or losing the stream) and this open, one refresh catches.
    var source = new EventSource(cfg.stream);
    source.addEventListener("open", function () {
      live.setAttribute("data-state", "open");
      schedule(null);
    });
    source.addEventListener("error", function () {
      live.setAttribute("data-state", source.readyState === EventSource.CLOSED ? "closed" : "connecting");
      if (source.readyState === EventSource.CONNECTING) { live.setAttribute("data-state", "closed"); }
    });
    source.addEventListener("alarm", function (ev) {
      var alarm;
      try { alarm = JSON.parse(ev.data); } catch (e) { return; }
      if (!alarm || alarm.compound_id !== cfg.compound_id) { return; }
      if (alarm.change && alarm.change.action === "created") {
        fresh[alarm.id] = true;
        if (alarm.severity === "critical") { popUp(cfg, String(alarm.id), detail); }
      }
      live.setAttribute("data-state", "open");
      schedule(String(alarm.id));
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
