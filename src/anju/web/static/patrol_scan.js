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

  // Offline: a check-in is kept on the phone with its scan time and an id of its own, and sent when the
  // signal is back (the server records a replayed id once and marks a late arrival).
  var QUEUE = "anju.patrol.queue";
  function queued() { try { return JSON.parse(window.localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } }
  function save(items) { try { window.localStorage.setItem(QUEUE, JSON.stringify(items)); } catch (e) { /* full */ } }
  function newId() {
    var a = new Uint8Array(12);
    (window.crypto || {getRandomValues: function (x) { for (var i = 0; i < x.length; i++) { x[i] = Math.random() * 256; } return x; }}).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function showQueue() {
    var el = document.getElementById("scan-queue");
    if (!el) { return; }
    var n = queued().length;
    el.hidden = n === 0;
    el.textContent = (el.getAttribute("data-text") || "{n}").replace("{n}", String(n));
  }
  function enqueue(code, nfcTag) {
    var items = queued();
    var item = {scanned_at: new Date().toISOString(), client_id: newId()};
    if (nfcTag) { item.nfc_tag = nfcTag; } else { item.code = code; }
    items.push(item);
    save(items);
    showQueue();
  }
  function flush() {
    var items = queued();
    if (!items.length || !navigator.onLine) { return; }
    var item = items[0];
    fetch("/api/v1/patrol/checkins", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(item)
    }).then(function (resp) {
      if (resp.status >= 500) { return; }
      // 201 (recorded, or recorded before under the same id) or a 4xx that a retry cannot fix: done with it.
      save(queued().filter(function (x) { return x.client_id !== item.client_id; }));
      showQueue();
      flush();
    }).catch(function () { /* still offline: the next 'online' event retries */ });
  }
  window.addEventListener("online", flush);

  function send(form, code, nfcTag) {
    if (!navigator.onLine) { enqueue(code, nfcTag); return; }
    form.elements.code.value = nfcTag ? "" : code;
    form.elements.nfc_tag.value = nfcTag || "";
    form.submit();
  }

  // NFC (Web NFC, Chrome on Android): a tag written with the checkpoint's scan URL checks in by its code, a tag
  // with a text record by that text, any other tag by its serial number (registered per checkpoint in the console).
  function nfcIdOf(ev) {
    var records = (ev.message && ev.message.records) || [];
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (r.recordType !== "url" && r.recordType !== "text") { continue; }
      var text = "";
      try { text = new TextDecoder(r.encoding || "utf-8").decode(r.data); } catch (e) { continue; }
      if (r.recordType === "url") { return {code: codeOf(text)}; }
      if (text.trim()) { return {nfc: text.trim()}; }
    }
    return {nfc: ev.serialNumber || ""};
  }
  function setupNfc(form, status) {
    var button = document.getElementById("scan-nfc");
    if (!button || !form || !("NDEFReader" in window)) { return; }  // no Web NFC: the QR and the code remain
    button.hidden = false;
    button.addEventListener("click", function () {
      var reader = new window.NDEFReader();
      reader.scan().then(function () {
        if (status) { status.textContent = button.getAttribute("data-ready"); }
        reader.onreading = function (ev) {
          var hit = nfcIdOf(ev);
          if (hit.code) { send(form, hit.code, null); } else if (hit.nfc) { send(form, "", hit.nfc); }
        };
      }).catch(function () {
        if (status) { status.textContent = button.getAttribute("data-denied"); }
      });
    });
  }

  function setup() {
    showQueue();
    flush();
    var manual = document.getElementById("scan-form");
    if (manual) {
      manual.addEventListener("submit", function (ev) {
        var code = (manual.elements.code.value || "").trim();
        var tag = (manual.elements.nfc_tag.value || "").trim();
        if ((code || tag) && !navigator.onLine) { ev.preventDefault(); enqueue(code, code ? null : tag); manual.reset(); }
      });
    }
    setupNfc(manual, document.getElementById("scan-status"));
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
            form.setAttribute("data-scanned", code);
            send(form, code);
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
