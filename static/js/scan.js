/* pmfield QR scanner (templates/core/scan.html).
 *
 * The camera starts only on an explicit tap. Decoding uses the browser's BarcodeDetector where it
 * exists and knows QR codes (Chrome on Android), else the vendored barcode-detector ponyfill with
 * the ZXing WASM served from our own static folder (never a CDN).
 *
 * A result that is a URL whose path ends in /q/<TOKEN> (20 base32 characters) opens that label's
 * page on *this* server: labels may have been printed with another host name, only the path
 * matters. Anything else shows a message and scanning goes on. For guards (data-checkin-url) a
 * label is recorded as a check-in at once (static/js/checkin.js) and the result shown here; with no
 * network it is saved in the phone's outbox (static/js/outbox.js) and said so, never "Checked in". In
 * pick mode (data-pick-form="<form id>") the token is put into that form's "token" input and
 * the form submitted (templates/patrol/route_scan.html adds a route's checkpoints this way).
 *
 * Messages come from the section's data-msg-* attributes, translated on the server.
 */
(function () {
  "use strict";

  var SCAN_INTERVAL_MS = 150;
  var NOT_LABEL_MESSAGE_MS = 4000;
  var LABEL_PATH = /\/q\/([a-z2-7]{20})\/?$/i;

  var root = document.getElementById("scanner");
  if (!root) return;

  var video = document.getElementById("scanner-video");
  var view = document.getElementById("scanner-view");
  var statusBox = document.getElementById("scanner-status");
  var startButton = document.getElementById("scanner-start");
  var controls = document.getElementById("scanner-controls");
  var torchButton = document.getElementById("scanner-torch");
  var stopButton = document.getElementById("scanner-stop");
  var resultBox = document.getElementById("scan-result");

  var detectorPromise = null;
  var stream = null;
  var running = false;
  var found = false;
  var timer = null;
  var notLabelUntil = 0;

  function msg(name) {
    return root.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
  }

  function say(name, kind) {
    statusBox.textContent = msg(name);
    statusBox.className = "scanner-status alert" + (kind ? " alert-" + kind : "");
  }

  /** Return the label token in a scanned text, or null when it is not a pmfield label URL. */
  function labelToken(text) {
    var url;
    try {
      url = new URL(String(text).trim());
    } catch (error) {
      return null;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    var match = LABEL_PATH.exec(url.pathname);
    return match ? match[1].toUpperCase() : null;
  }

  /* ---------- Decoder ---------- */

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  async function nativeDetector() {
    if (!("BarcodeDetector" in window)) return null;
    try {
      var formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.indexOf("qr_code") === -1) return null;
      return new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) {
      return null;
    }
  }

  async function vendoredDetector() {
    if (!window.BarcodeDetectionAPI) await loadScript(root.dataset.decoderUrl);
    var api = window.BarcodeDetectionAPI;
    var wasmUrl = new URL(root.dataset.wasmUrl, window.location.href).href;
    // Self-host the .wasm: by default the ponyfill would fetch it from a CDN.
    await api.prepareZXingModule({
      overrides: {
        locateFile: function (path, prefix) {
          return path.endsWith(".wasm") ? wasmUrl : prefix + path;
        },
      },
      fireImmediately: true,
    });
    return new api.BarcodeDetector({ formats: ["qr_code"] });
  }

  function detector() {
    if (!detectorPromise) {
      detectorPromise = nativeDetector().then(function (native) {
        root.dataset.decoder = native ? "native" : "zxing-wasm";
        return native || vendoredDetector();
      });
      detectorPromise.catch(function () { detectorPromise = null; });
    }
    return detectorPromise;
  }

  /* ---------- Results ---------- */

  function handleText(text) {
    if (found) return true;
    var token = labelToken(text);
    if (token) {
      found = true;
      root.classList.add("is-found");
      say("found", "success");
      stopCamera();
      if (root.dataset.pickForm) {
        pick(token);
      } else if (root.dataset.checkinUrl && window.pmfieldCheckin) {
        checkIn(token);
      } else {
        if (navigator.vibrate) navigator.vibrate(80);
        openLabel(token);
      }
      return true;
    }
    notLabelUntil = Date.now() + NOT_LABEL_MESSAGE_MS;
    root.dataset.lastRejected = String(text).slice(0, 200);
    say("notLabel", "warning");
    return false;
  }

  function openLabel(token) {
    window.location.assign(window.location.origin + root.dataset.labelBase + token);
  }

  /** Pick mode (data-pick-form, e.g. adding a route's checkpoints): post the token with that
   *  form instead of opening the label; the server answers with the next page. */
  function pick(token) {
    var form = document.getElementById(root.dataset.pickForm);
    if (!form || !form.elements.token) {
      openLabel(token);
      return;
    }
    if (navigator.vibrate) navigator.vibrate(80);
    form.elements.token.value = token;
    form.submit();
  }

  /** Guards: record the check-in straight from the scanner, then offer the next scan. */
  function checkIn(token) {
    say("recording", "success");
    window.pmfieldCheckin.record(root.dataset.checkinUrl, token, "scanner").then(function (result) {
      if (result.reason === "not_patrol") {
        openLabel(token);  // not a checkpoint: show the point's page as for everyone else
        return;
      }
      if (result.reason === "login") {
        window.location.reload();
        return;
      }
      view.hidden = true;
      controls.hidden = true;
      resultBox.hidden = false;
      if (result.offline) window.pmfieldCheckin.showSaved(resultBox, null, result.id);  // in the outbox
      else window.pmfieldCheckin.show(resultBox, result);
      statusBox.textContent = "";
      statusBox.className = "scanner-status alert";
      root.dataset.state = "result";
    }, function () {
      found = false;
      root.classList.remove("is-found");
      showRunning(false);
      say("checkinOffline", "error");
    });
  }

  /** "Scan next" inside a result: restart the camera here instead of reloading the page. */
  function scanNext(event) {
    var link = event.target.closest("[data-scan-next]");
    if (!link) return;
    event.preventDefault();
    resultBox.hidden = true;
    resultBox.innerHTML = "";
    found = false;
    root.classList.remove("is-found");
    startCamera();
  }

  function handleCodes(codes) {
    for (var i = 0; i < codes.length; i++) {
      if (handleText(codes[i].rawValue)) return;
    }
    if (running && notLabelUntil && Date.now() > notLabelUntil) {
      notLabelUntil = 0;
      say("scanning");
    }
  }

  function scanLoop(decoder) {
    if (!running || found) return;
    var next = function () {
      if (running && !found) timer = window.setTimeout(function () { scanLoop(decoder); }, SCAN_INTERVAL_MS);
    };
    if (video.readyState < 2 || !video.videoWidth) {
      next();
      return;
    }
    decoder.detect(video).then(handleCodes, function () {}).then(next);
  }

  /* ---------- Camera ---------- */

  function errorName(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "denied";
      case "NotFoundError":
      case "OverconstrainedError":
        return "noCamera";
      case "NotReadableError":
      case "AbortError":
        return "busy";
      default:
        return "failed";
    }
  }

  function showRunning(on) {
    view.hidden = !on;
    controls.hidden = !on;
    startButton.hidden = on;
    startButton.disabled = false;
  }

  function setupTorch(track) {
    var capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
    torchButton.hidden = !capabilities.torch;
    torchButton.setAttribute("aria-pressed", "false");
  }

  async function startCamera() {
    if (running) return;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("unsupported", "error");
      return;
    }
    startButton.disabled = true;
    found = false;
    root.classList.remove("is-found");
    say("starting");
    var decoder;
    try {
      // Start the decoder download/compile and the camera together.
      var decoding = detector();
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      video.srcObject = stream;
      showRunning(true);
      await video.play();
      setupTorch(stream.getVideoTracks()[0]);
      decoder = await decoding;
    } catch (error) {
      console.warn("pmfield scanner:", error);
      stopCamera();
      say(error && error.name ? errorName(error) : "failed", "error");
      return;
    }
    running = true;
    root.dataset.state = "scanning";
    say("scanning");
    scanLoop(decoder);
  }

  function stopCamera() {
    running = false;
    window.clearTimeout(timer);
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.srcObject = null;
    root.dataset.state = "stopped";
    if (!found) {
      showRunning(false);
      statusBox.textContent = "";
      statusBox.className = "scanner-status alert";
    }
  }

  async function toggleTorch() {
    var track = stream && stream.getVideoTracks()[0];
    if (!track) return;
    var on = torchButton.getAttribute("aria-pressed") !== "true";
    try {
      await track.applyConstraints({ advanced: [{ torch: on }] });
      torchButton.setAttribute("aria-pressed", on ? "true" : "false");
      torchButton.querySelector(".btn-text").textContent = msg(on ? "torchOn" : "torchOff");
    } catch (error) {
      torchButton.hidden = true;
    }
  }

  startButton.addEventListener("click", startCamera);
  if (resultBox) resultBox.addEventListener("click", scanNext);
  stopButton.addEventListener("click", stopCamera);
  torchButton.addEventListener("click", toggleTorch);
  // Never keep the camera on behind the user's back.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && running) stopCamera();
  });
  window.addEventListener("pagehide", stopCamera);
  // Back from the point page (back/forward cache): offer a fresh scan.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    found = false;
    root.classList.remove("is-found");
    stopCamera();
  });
  // Other sources of codes (a photo of the label, tests) can hand in a scanned text.
  root.addEventListener("pmfield:scanned", function (event) { handleText(event.detail); });
  root.dataset.state = "ready";
})();
