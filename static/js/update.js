/* pmfield updates: a new version waits for the outbox, then asks the user to reload.
 *
 * A deploy changes /sw.js, so the browser installs the new service worker next to the running
 * one, where it waits (templates/core/sw.js skips waiting only on the first install). This file
 * notices such a waiting worker (registration.waiting at load, or updatefound -> installed while
 * a worker controls the page), then:
 *
 *   items of the signed-in user wait in the outbox  -> a quiet note; the outbox is flushed, and
 *                                                      every "pmfield:outbox" event re-checks
 *   nothing waits                                   -> the banner: "A new version ... ready."
 *   Reload                                          -> {type: "skip-waiting"} to the waiting
 *                                                      worker; on "controllerchange" the page
 *                                                      reloads once, under the new version
 *
 * So what the phone captured is sent by the version that captured it; the reload never drops
 * anything either way (the outbox lives in IndexedDB and migrates forward, static/js/outbox.js).
 * Items that need attention (refused by the server) do not hold the update back: they wait for
 * the user, not for the network.
 *
 * The banner is templates/core/_update_banner.html (its text is translated there). No inline
 * script anywhere (CSP).
 */
(function () {
  "use strict";

  var waitingWorker = null;
  var reloading = false;

  function banner() { return document.getElementById("update-banner"); }

  function show(mode) {
    var root = banner();
    if (!root) return;
    root.dataset.state = mode;
    root.hidden = mode === "none";
    root.querySelector("[data-update-note]").hidden = mode !== "waiting";
    root.querySelector("[data-update-ready]").hidden = mode !== "ready";
  }

  /** Show what fits the outbox state `s` (PmOutbox.state() or a "pmfield:outbox" detail). */
  function decide(s) {
    if (!waitingWorker) return;
    show(s && s.waiting > 0 ? "waiting" : "ready");
  }

  function outboxState() {
    if (!window.PmOutbox) return Promise.resolve(null);
    // No IndexedDB, nothing queued: nothing to wait for.
    return window.PmOutbox.state().catch(function () { return null; });
  }

  function check() {
    return outboxState().then(decide);
  }

  /** A new version is installed and waiting: send what is queued first, then offer the reload. */
  function found(worker) {
    if (waitingWorker === worker) return;
    // A still newer version may replace the one the user tapped Reload for: offer it afresh.
    waitingWorker = worker;
    reloading = false;
    banner().querySelector("[data-update-reload]").disabled = false;
    check();
    if (window.PmOutbox) window.PmOutbox.flush().catch(function () {}).then(check);
  }

  function watch(registration) {
    if (registration.waiting && navigator.serviceWorker.controller) found(registration.waiting);
    function track(worker) {
      if (!worker) return;
      worker.addEventListener("statechange", function () {
        if (worker.state === "installed" && navigator.serviceWorker.controller) found(worker);
      });
    }
    track(registration.installing);
    registration.addEventListener("updatefound", function () { track(registration.installing); });
  }

  function reload(event) {
    event.preventDefault();
    var button = event.currentTarget;
    button.disabled = true;
    if (!waitingWorker || waitingWorker.state === "activated" || waitingWorker.state === "redundant") {
      // Another tab already switched the version over: this page only needs to reload.
      window.location.reload();
      return;
    }
    reloading = true;
    waitingWorker.postMessage({ type: "skip-waiting" });
  }

  function start() {
    var root = banner();
    if (!root || !("serviceWorker" in navigator)) return;
    root.querySelector("[data-update-reload]").addEventListener("click", reload);
    window.addEventListener("pmfield:outbox", function (event) { decide(event.detail); });
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (!reloading) return;
      reloading = false;
      window.location.reload();
    });
    // Resolves once a worker is active; app.js registers it (first visit) or it already is.
    navigator.serviceWorker.ready.then(watch).catch(function () {});
  }

  window.PmUpdate = {
    /** The waiting version's state: "none", "waiting" (for the outbox) or "ready". */
    state: function () { var root = banner(); return (root && root.dataset.state) || "none"; },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
