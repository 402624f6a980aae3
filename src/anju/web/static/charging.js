/* E-bike charging countdown (issue 18). The server says how many seconds of paid time are left; the page counts
   them down from the phone's own clock (no clock comparison between phone and server) and reloads to learn what
   the pile reported: every 30 seconds, and when the time is up. A paused session (power cut) stands still. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function show(el, left) {
    var s = Math.max(0, Math.round(left));
    el.textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function start() {
    var boxes = document.querySelectorAll("[data-countdown-left]");
    var t0 = Date.now();
    var refresh = false;
    Array.prototype.forEach.call(boxes, function (box) {
      var left = parseInt(box.getAttribute("data-countdown-left"), 10) || 0;
      var clock = box.querySelector("[data-clock]");
      if (!clock) { return; }
      if (box.hasAttribute("data-refresh")) { refresh = true; }
      var paused = box.hasAttribute("data-paused");
      show(clock, left);
      if (paused) { return; }
      var timer = window.setInterval(function () {
        var now = left - (Date.now() - t0) / 1000;
        show(clock, now);
        if (now <= 0) { window.clearInterval(timer); window.setTimeout(function () { window.location.reload(); }, 3000); }
      }, 1000);
    });
    if (refresh) { window.setTimeout(function () { window.location.reload(); }, 30000); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
