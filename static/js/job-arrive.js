/* pmfield job arrival (templates/jobs/arrive.html).
 *
 * A technician opened the label of their job's point, with the in-app scanner or the phone's
 * camera app. Opening the label writes nothing (link previews must not); this script sends the
 * arrival form itself, once, and puts the job's page in place (the #job fragment the server
 * answers). Without JS the button posts the same form and the full job page comes back.
 *
 * The arrival is safe to send again: the server takes the same label twice as one arrival, so
 * a retry after a network error never records two.
 *
 * Where the phone's outbox is (signed-in pages), the arrival goes through it as a job.arrive
 * event, like every field write: online it is sent at once and the job's page opens; offline
 * (a page kept by the service worker) it waits on the phone, timed when the label was scanned.
 */
(function () {
  "use strict";

  var RETRIES = 2;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function sleep(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  async function send(form) {
    var lastError = null;
    for (var attempt = 0; attempt <= RETRIES; attempt++) {
      try {
        var response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        });
        return { status: response.status, redirected: response.redirected, html: await response.text() };
      } catch (error) {
        lastError = error;
        await sleep(400 * (attempt + 1));
      }
    }
    throw lastError;
  }

  /** Put the job fragment where the arrival page was; htmx then wires its forms. */
  function showJob(container, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var job = holder.querySelector("#job");
    var target = container;
    if (job && holder.firstElementChild === job) {
      container.replaceWith(job);
      target = job;
    } else {
      container.innerHTML = html;
    }
    if (window.htmx) window.htmx.process(target);
    document.dispatchEvent(new CustomEvent("pmfield:swapped", { detail: { target: target } }));
    window.scrollTo(0, 0);
  }

  function showRefusal(html) {
    var box = document.getElementById("toasts");
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var toast = holder.querySelector(".toast");
    if (box && toast) box.appendChild(toast);
  }

  function wire(form) {
    var status = form.querySelector("[data-arrive-status]");
    var button = form.querySelector("[data-arrive-button]");
    var running = false;

    function viaOutbox() {
      var token = form.querySelector('input[name="token"]').value;
      window.PmOutbox.submit({
        type: "job.arrive",
        data: { job: Number(form.dataset.jobId), token: token, scanned_at: window.PmOutbox.isoNow() },
      }).then(function (result) {
        if (result.outcome === "sent") {
          if (navigator.vibrate) navigator.vibrate(120);
          window.location.replace(form.dataset.jobUrl);
          return;
        }
        if (result.outcome === "saved") {
          if (navigator.vibrate) navigator.vibrate(120);
          status.textContent = form.dataset.msgSaved;
          status.className = "arrive-status alert alert-warning";
          status.dataset.outbox = "saved";
          return;
        }
        tryAgain(result.message);
      }, function () { tryAgain(form.dataset.msgOffline); });
    }

    /** Not recorded: say why and let the technician tap again. */
    function tryAgain(text) {
      status.textContent = text;
      status.className = text ? "arrive-status alert alert-error" : "arrive-status";
      button.disabled = false;
      running = false;
    }

    function run(event) {
      if (event) event.preventDefault();
      if (running) return;
      running = true;
      button.disabled = true;
      status.textContent = form.dataset.msgSending;
      status.className = "arrive-status";
      if (window.PmOutbox && document.getElementById("outbox-status") && form.dataset.jobId) {
        if (form.dataset.jobStatus !== "assigned") {
          viaOutbox();
          return;
        }
        // Not accepted when this page was made: go on only if the acceptance waits on the phone.
        window.PmOutbox.queued("job.accept", { job: Number(form.dataset.jobId) }).then(function (yes) {
          if (yes) viaOutbox();
          else tryAgain(form.dataset.msgAcceptFirst);
        }, function () { tryAgain(form.dataset.msgAcceptFirst); });
        return;
      }
      send(form).then(function (result) {
        if (result.redirected || result.status === 401) {
          window.location.reload();  // signed out meanwhile: the login page, then back here
          return;
        }
        if (result.status === 200 || result.status === 422) {
          if (result.status === 200 && navigator.vibrate) navigator.vibrate(120);
          // A reload now shows the job, not the label (which would offer the arrival again).
          if (result.status === 200 && form.dataset.jobUrl) {
            window.history.replaceState(null, "", form.dataset.jobUrl);
          }
          showJob(document.getElementById("job"), result.html);
          return;
        }
        showRefusal(result.html);
        tryAgain("");
      }, function () { tryAgain(form.dataset.msgOffline); });
    }

    form.addEventListener("submit", run);
    if (form.hasAttribute("data-auto-arrive")) run();
  }

  function start() {
    document.querySelectorAll("form[data-arrive-form]").forEach(wire);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
