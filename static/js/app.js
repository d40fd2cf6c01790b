/* pmfield shell behaviour: service worker, offline indicator, toasts, htmx progress.
 *
 * No inline scripts anywhere (CSP script-src 'self'): pages pass data through data-* attributes
 * rendered (and translated) by Jinja, and this file picks them up.
 */
(function () {
  "use strict";

  var TOAST_MS = 5000;
  var ERROR_TOAST_MS = 9000;

  /* ---------- Service worker ---------- */

  function registerServiceWorker() {
    var body = document.body;
    if (!("serviceWorker" in navigator) || !body || !body.dataset.sw) return;
    navigator.serviceWorker
      .register(body.dataset.sw, { scope: body.dataset.swScope || "/" })
      .then(function (registration) {
        // Field phones keep the app open for days: look for a new version when it comes back.
        document.addEventListener("visibilitychange", function () {
          if (document.visibilityState === "visible" && navigator.onLine) {
            registration.update().catch(function () {});
          }
        });
      })
      .catch(function (error) {
        console.warn("pmfield: service worker registration failed", error);
      });
  }

  /* ---------- Today's pages, kept for work with no signal ---------- */

  /** Ask the server which pages today's work needs (GET /offline-pages) and have the service
   *  worker keep them (it fetches only those missing or older than a few minutes), on every
   *  page shown online: a job assigned an hour ago opens in the basement too. Sets
   *  data-kept-pages on <html> when done (the number of pages kept). */
  var KEEP_ASK_EVERY_MS = 60 * 1000;

  function keepTodaysPages(event) {
    var body = document.body;
    var url = body && body.dataset.offlinePages;
    if (!url) {
      // Signed out: the worker forgot the pages, the next sign-in keeps them again at once.
      try { window.sessionStorage.removeItem("pmfield-kept"); } catch (error) { /* private mode */ }
      return;
    }
    if (!("serviceWorker" in navigator) || navigator.onLine === false) return;
    // Browsing page after page asks once a minute (the list costs the server a few queries);
    // coming back online, or another user, site, language or theme (the worker forgot the
    // pages then), asks at once.
    var root = document.documentElement;
    var site = document.querySelector(".topbar-site");
    var key = [url, (document.querySelector('meta[name="pmfield-user"]') || {}).content,
      site ? site.textContent : "", root.lang, root.dataset.theme].join("|");
    var last = {};
    try { last = JSON.parse(window.sessionStorage.getItem("pmfield-kept") || "{}"); } catch (error) { last = {}; }
    if (!event && last.url === key && Date.now() - (last.at || 0) < KEEP_ASK_EVERY_MS) {
      document.documentElement.dataset.keptPages = String(last.kept || 0);
      return;
    }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("offline pages: " + response.status);
        return response.json();
      })
      .then(function (answer) {
        return navigator.serviceWorker.ready.then(function (registration) {
          return new Promise(function (resolve) {
            var channel = new MessageChannel();
            channel.port1.onmessage = function (event) { resolve(event.data || {}); };
            registration.active.postMessage({ type: "keep-pages", urls: answer.pages || [] }, [channel.port2]);
          });
        });
      })
      .then(function (result) {
        var kept = (result.kept || []).length;
        document.documentElement.dataset.keptPages = String(kept);
        try {
          window.sessionStorage.setItem("pmfield-kept", JSON.stringify({ url: key, at: Date.now(), kept: kept }));
        } catch (error) { /* private mode: ask again next time */ }
      })
      .catch(function (error) { console.warn("pmfield:", error); });
  }

  /* ---------- Offline indicator ---------- */

  function netStatus() {
    return document.getElementById("net-status");
  }

  function showOffline(offline) {
    var el = netStatus();
    if (el) el.hidden = !offline;
    document.documentElement.classList.toggle("is-offline", offline);
  }

  function watchNetwork() {
    showOffline(!navigator.onLine);
    window.addEventListener("online", function () { showOffline(false); });
    window.addEventListener("offline", function () { showOffline(true); });
    // navigator.onLine says "online" behind a dead Wi-Fi; a failed htmx request is the truth.
    document.addEventListener("htmx:sendError", function () { showOffline(true); });
    document.addEventListener("htmx:timeout", function () { showOffline(true); });
    document.addEventListener("htmx:afterRequest", function (event) {
      var xhr = event.detail && event.detail.xhr;
      if (xhr && xhr.status > 0 && navigator.onLine) showOffline(false);
    });
  }

  /* ---------- htmx progress bar ---------- */

  function watchHtmxRequests() {
    // One entry per request in flight; htmx may send afterRequest twice for a swapped-out element.
    var inFlight = new Set();
    var root = document.documentElement;
    function update() { root.classList.toggle("is-loading", inFlight.size > 0); }
    document.addEventListener("htmx:beforeSend", function (event) {
      if (event.detail && event.detail.xhr) inFlight.add(event.detail.xhr);
      update();
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail && event.detail.xhr) inFlight.delete(event.detail.xhr);
      update();
    });
  }

  /* ---------- Toasts ---------- */

  function dismiss(toast) {
    if (!toast || toast.classList.contains("is-leaving")) return;
    toast.classList.add("is-leaving");
    window.setTimeout(function () { toast.remove(); }, 300);
  }

  function arm(toast) {
    if (toast.dataset.armed) return;
    toast.dataset.armed = "1";
    var sticky = toast.classList.contains("toast-error") || toast.getAttribute("role") === "alert";
    window.setTimeout(function () { dismiss(toast); }, sticky ? ERROR_TOAST_MS : TOAST_MS);
  }

  function armToasts(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.classList && scope.classList.contains("toast")) arm(scope);
    scope.querySelectorAll(".toast").forEach(arm);
  }

  /** Show a toast; `text` must already be translated (it comes from the server). */
  function showToast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (kind || "info");
    toast.setAttribute("role", kind === "error" ? "alert" : "status");
    toast.textContent = text;
    box.appendChild(toast);
    arm(toast);
  }

  function watchToasts() {
    armToasts(document);
    var box = document.getElementById("toasts");
    if (box) {
      box.addEventListener("click", function (event) {
        var toast = event.target.closest(".toast");
        if (toast) dismiss(toast);
      });
      // Toasts swapped in by htmx (out-of-band) arm themselves too.
      new MutationObserver(function () { armToasts(box); }).observe(box, { childList: true });
    }
    // An htmx request refused by the server (403, 404, 413, 500…) swaps nothing: show the
    // server's error toast (errors/_toast.html) so the user learns why nothing happened.
    document.body.addEventListener("htmx:responseError", function (event) {
      var xhr = event.detail && event.detail.xhr;
      if (!xhr || !box) return;
      var holder = document.createElement("div");
      holder.innerHTML = xhr.responseText || "";
      var toast = holder.querySelector(".toast");
      if (toast) box.appendChild(toast);
    });
    // Server-side: flask_htmx make_response(trigger={"toast": "Saved"}) or {"toast": {...}}.
    document.body.addEventListener("toast", function (event) {
      var detail = event.detail || {};
      var value = detail.value !== undefined ? detail.value : detail;
      if (typeof value === "string") showToast(value, "success");
      else if (value && value.message) showToast(value.message, value.kind || "info");
    });
  }

  /* ---------- Small declarative helpers ---------- */

  function watchActions() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action]");
      if (!button) return;
      if (button.dataset.action === "reload") {
        event.preventDefault();
        window.location.reload();
      } else if (button.dataset.action === "back") {
        event.preventDefault();
        if (window.history.length > 1) window.history.back();
        else window.location.href = button.getAttribute("href") || "/";
      }
    });
  }

  function start() {
    watchNetwork();
    watchHtmxRequests();
    watchToasts();
    watchActions();
    registerServiceWorker();
    keepTodaysPages();
    window.addEventListener("online", keepTodaysPages);
  }

  window.pmfield = window.pmfield || {};
  window.pmfield.showToast = showToast;
  window.pmfield.showOffline = showOffline;
  window.pmfield.keepTodaysPages = keepTodaysPages;

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
