/* pmfield check-in sender, shared by the in-app scanner (scan.js) and the label page that the
 * phone's camera app opens (templates/patrol/checkin_link.html).
 *
 * A check-in is one POST to /patrol/checkins with an id made here (crypto.randomUUID), so a
 * retry after a network error never records twice. When the POST cannot get through (or the phone
 * knows it is offline), record() keeps the scan in the outbox (static/js/outbox.js) as a
 * patrol.checkin event with that same id, so a POST the server did apply is replayed, not doubled. Location is sent only when the guard turned
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

  /** POST one check-in; resolve {status, html, ok, reason} or reject after retries on network errors.
   *  `capture` ({id, scannedAt}) names the scan, so a copy saved in the outbox is the same check-in. */
  async function send(url, token, source, capture) {
    var body = new FormData();
    body.append("token", token);
    body.append("client_id", (capture && capture.id) || newId());
    body.append("device_time", ((capture && capture.scannedAt) || new Date()).toISOString());
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

  /** Keep the scan in the phone's outbox (static/js/outbox.js) as a patrol.checkin event. Its id
   *  is the one the failed POST carried: if that POST did reach the server, the sync is a replay. */
  function saveOffline(token, capture) {
    if (!window.PmOutbox) return Promise.reject(new Error("no outbox on this page"));
    return window.PmOutbox.add({
      id: capture.id,
      type: "patrol.checkin",
      data: { token: token, scanned_at: window.PmOutbox.isoNow(capture.scannedAt) },
    }).then(function (id) {
      return { status: 0, html: "", ok: true, reason: null, offline: true, id: id };
    });
  }

  /** Record a scan: online with a POST; with no network (or when the POST cannot get through),
   *  in the outbox. Resolves like send(), with `offline: true` for a scan saved on the phone;
   *  rejects only when neither worked. */
  function record(url, token, source) {
    var capture = { id: newId(), scannedAt: new Date() };
    if (navigator.onLine === false && window.PmOutbox) return saveOffline(token, capture);
    return send(url, token, source, capture).catch(function (error) {
      return saveOffline(token, capture).catch(function () { throw error; });
    });
  }

  /** The confirmation for a scan saved on the phone: honest, it has not reached the server. */
  /** Under a check-in saved on the phone: "Report a problem here" opens the anomaly form of
   *  the scanner's <template id="offline-anomaly">, naming that check-in's event. */
  function offerAnomaly(target, next, eventId) {
    var template = document.getElementById("offline-anomaly");
    if (!template || !eventId) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-block btn-huge btn-warning";
    button.dataset.reportAnomaly = "";
    button.textContent = template.dataset.msgReport || "";
    button.addEventListener("click", function () {
      var part = template.content.cloneNode(true);
      part.querySelector("form").dataset.outboxData = JSON.stringify({ checkin_event: eventId });
      target.textContent = "";
      target.appendChild(part);
      var heading = target.querySelector("h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    });
    next.appendChild(button);
  }

  function showSaved(target, code, eventId) {
    var box = document.getElementById("outbox-status");
    var text = function (name) { return (box && box.dataset[name]) || ""; };
    target.textContent = "";
    var wrap = document.createElement("div");
    wrap.className = "checkin-result";
    wrap.id = "checkin-result";
    wrap.dataset.outcome = "saved";
    var banner = document.createElement("div");
    banner.className = "checkin-banner checkin-banner-saved";
    banner.setAttribute("role", "status");
    var mark = document.createElement("span");
    mark.className = "checkin-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = "\u2713";
    var title = document.createElement("p");
    title.className = "checkin-title";
    title.textContent = text("msgCheckinSaved");
    banner.append(mark, title);
    if (code) {
      var codeLine = document.createElement("p");
      codeLine.className = "code code-large";
      codeLine.textContent = code;
      banner.appendChild(codeLine);
    }
    var detail = document.createElement("p");
    detail.textContent = text("msgCheckinSavedDetail");
    banner.appendChild(detail);
    var next = document.createElement("div");
    next.className = "button-group checkin-next";
    var link = document.createElement("a");
    link.className = "btn btn-primary btn-block btn-huge";
    link.href = (box && box.dataset.scanUrl) || "/scan";
    link.dataset.scanNext = "";
    link.textContent = text("msgScanNext");
    next.appendChild(link);
    offerAnomaly(target, next, eventId);
    wrap.append(banner, next);
    target.appendChild(wrap);
    if (navigator.vibrate) navigator.vibrate(120);
    banner.setAttribute("tabindex", "-1");
    banner.focus();
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
      record(form.action, token, "link").then(function (result) {
        if (result.reason === "login") {
          window.location.reload();
          return;
        }
        if (result.offline) {
          showSaved(target, form.dataset.pointCode, result.id);
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

  window.pmfieldCheckin = { send: send, record: record, show: show, showSaved: showSaved };

  function start() {
    watchLocation();
    wireToggles();
    var form = document.querySelector("[data-auto-checkin]");
    if (form) autoCheckIn(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
