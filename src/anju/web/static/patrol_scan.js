/* Patrol check-in by camera: read the checkpoint's QR with the phone's camera (jsQR, vendored from npm),
   fill in its code and submit the same form the typed code uses. Typing the code stays the fallback. */
(function () {
  "use strict";

  function codeOf(text) {
    // A printed checkpoint QR holds the scan page's URL with ?code=…; a bare code is accepted too.
    try {
      var url = new URL(text, window.location.href);
      var code = url.searchParams.get("code");
      if (code) { return code; }
    } catch (e) { /* not a URL */ }
    return String(text || "").trim();
  }

  function setup() {
    var start = document.getElementById("scan-camera");
    var video = document.getElementById("scan-video");
    var form = document.getElementById("scan-form");
    var status = document.getElementById("scan-status");
    if (!start || !video || !form) { return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      start.disabled = true;
      if (status) { status.textContent = start.getAttribute("data-unsupported"); }
      return;
    }
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", {willReadFrequently: true});
    var stream = null;

    function stop() {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.hidden = true;
    }

    function tick() {
      if (!stream) { return; }
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var hit = window.jsQR(img.data, img.width, img.height, {inversionAttempts: "attemptBoth"});
        if (hit && hit.data) {
          var code = codeOf(hit.data);
          if (code) {
            stop();
            form.elements.code.value = code;
            var scannedAt = form.elements.scanned_at;
            if (scannedAt) { scannedAt.value = new Date().toISOString(); }
            form.setAttribute("data-scanned", code);
            form.submit();
            return;
          }
        }
      }
      window.requestAnimationFrame(tick);
    }

    start.addEventListener("click", function () {
      if (status) { status.textContent = start.getAttribute("data-starting"); }
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        video.setAttribute("playsinline", "");
        return video.play();
      }).then(function () {
        if (status) { status.textContent = start.getAttribute("data-aim"); }
        window.requestAnimationFrame(tick);
      }).catch(function () {
        stop();
        if (status) { status.textContent = start.getAttribute("data-denied"); }
      });
    });
    window.addEventListener("pagehide", stop);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
