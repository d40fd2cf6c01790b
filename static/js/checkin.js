/* pmfield check-in sender, shared by the in-app scanner (scan.js) and the label page that the
 * phone's camera app opens (templates/patrol/checkin_link.html).
 *
 * A check-in is one POST to /patrol/checkins with an id made here (crypto.randomUUID), so a
 * retry after a network error never records twice. Location is sent only when the guard turned
 * "share my location" on; a recent fix is reused so the scan never waits for GPS.
 */
(function () {
  "use strict";

  var SHARE_KEY = "pmfield.shareLocation";
  var POSITION_MAX_AGE_MS = 120000;
  var RETRIES = 2;
  var lastPosition = null;
  var watchId = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sharing() {
    try { return window.localStorage.getItem(SHARE_KEY) === "1"; } catch (error) { return false; }
  }

  function watchLocation() {
    if (!sharing() || watchId !== null || !navigator.geolocation) return;
    watchId = navigator.geolocation.watchPosition(
      function (position) { lastPosition = position; },
      function () {},
      { enableHighAccuracy: true, maximumAge: POSITION_MAX_AGE_MS }
    );
  }

  function setSharing(on) {
    try { window.localStorage.setItem(SHARE_KEY, on ? "1" : "0"); } catch (error) { /* private mode */ }
    if (on) {
      watchLocation();
    } else if (watchId !== null) {
      navigator.geolocation.clearWatch(watchId);
      watchId = null;
      lastPosition = null;
    }
  }

  function sleep(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  /** POST one check-in; resolve {status, html, ok, reason} or reject after retries on network errors. */
  async function send(url, token, source) {
    var body = new FormData();
    body.append("token", token);
    body.append("client_id", newId());
    body.append("device_time", new Date().toISOString());
    body.append("source", source);
    var fix = lastPosition;
    if (fix && Date.now() - fix.timestamp < POSITION_MAX_AGE_MS) {
      body.append("latitude", String(fix.coords.latitude));
      body.append("longitude", String(fix.coords.longitude));
      body.append("accuracy", String(fix.coords.accuracy));
    }
    var lastError = null;
    for (var attempt = 0; attempt <= RETRIES; attempt++) {
      try {
        var response = await fetch(url, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        });
        var html = await response.text();
        var ok = response.status === 200 || response.status === 201;
        var reason = (/data-reason="([a-z_]+)"/.exec(html) || [])[1] || null;
        if (response.redirected || response.status === 401) return { status: 401, html: "", ok: false, reason: "login" };
        return { status: response.status, html: html, ok: ok, reason: reason };
      } catch (error) {
        lastError = error;
        await sleep(400 * (attempt + 1));
      }
    }
    throw lastError;
  }

  /** Put a result fragment in place, let htmx wire it, and buzz. */
  function show(target, result) {
    target.innerHTML = result.html;
    if (window.htmx) window.htmx.process(target);
    if (navigator.vibrate) navigator.vibrate(result.ok ? 120 : [200, 100, 200]);
    var focus = target.querySelector(".checkin-banner");
    if (focus) {
      focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
  }

  function autoCheckIn(form) {
    var status = form.querySelector("[data-checkin-status]");
    var button = form.querySelector("[data-checkin-button]");
    var target = document.getElementById("checkin-target");
    var token = form.querySelector('input[name="token"]').value;
    var running = false;
    function run(event) {
      if (event) event.preventDefault();
      if (running) return;
      running = true;
      button.disabled = true;
      send(form.action, token, "link").then(function (result) {
        if (result.reason === "login") {
          window.location.reload();
          return;
        }
        show(target, result);
      }, function () {
        status.textContent = form.dataset.msgOffline;
        status.className = "checkin-status alert alert-error";
        button.disabled = false;
        running = false;
      });
    }
    form.addEventListener("submit", run);
    run();
  }

  function wireToggles() {
    document.querySelectorAll("[data-share-location]").forEach(function (box) {
      box.checked = sharing();
      box.addEventListener("change", function () {
        setSharing(box.checked);
        if (box.checked && navigator.geolocation) {
          navigator.geolocation.getCurrentPosition(function (p) { lastPosition = p; }, function () {
            box.checked = false;
            setSharing(false);
          });
        }
      });
    });
  }

  window.pmfieldCheckin = { send: send, show: show };

  function start() {
    watchLocation();
    wireToggles();
    var form = document.querySelector("[data-auto-checkin]");
    if (form) autoCheckIn(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
