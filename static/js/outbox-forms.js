/* pmfield field forms through the outbox: one way to write, online or not.
 *
 * A form marked data-outbox-event is not posted to its own route: its fields become the data
 * of that event, which goes into the phone's outbox (static/js/outbox.js) and from there to
 * POST /api/v1/events, exactly as an event saved with no signal. Online the outbox sends it at
 * once and the page shows the result; offline it waits on the phone and the form says so,
 * honestly ("saved on this phone", never "submitted"). Without JavaScript the form posts to its
 * own route as before.
 *
 * Markup on the <form>:
 *   data-outbox-event="job.note"           the event type
 *   data-outbox-data='{"job": 12}'         fixed data (JSON)
 *   data-outbox-fields="text=work_notes price phase photo:photo"
 *                                          key[=input name][:type]; types: text (default),
 *                                          int, bool (a checked box), time (datetime-local, sent
 *                                          with the phone's offset), photo (a file: queued as a
 *                                          photo, its UUID in the data), png (a data URL kept as
 *                                          bytes, sent as base64: the signature)
 *   data-outbox-builder="checklist"        a form whose fields need a builder (below); the
 *                                          checklist's rows carry data-outbox-item="<item id>"
 *   data-outbox-next="/x/{submission.id}"  where to go once the server recorded it ({a.b} from
 *                                          its answer); else an hx-target is refreshed from this
 *                                          page's URL, else the page reloads
 *   data-outbox-saved="replace"            offline: the saved note replaces the form's
 *                                          data-outbox-saved-target (default: the form), with
 *                                          "Scan next"; "hide": the note goes before the form,
 *                                          which hides (a step done); without it the note goes
 *                                          on top of the form
 *   data-outbox-sent-title, -sent-detail   online: once recorded, a banner with these replaces
 *                                          the saved-target (instead of data-outbox-next)
 *   data-outbox-reset                      reset the form once the event is on the phone
 *   data-outbox-after="job.accept"         (on any element) hidden until an event of that type
 *                                          is saved on the phone: the next step, offline
 *
 * The listener (capture phase) stops the submit event before htmx sees it. A photo still
 * shrinking is waited for (photo.js sends the form again); the signature pad's drawing is
 * written into the form here (pmfieldSignature.prepare), whichever listener runs first.
 */
(function () {
  "use strict";

  /** When this page was shown on the phone: a checklist counts from when it was opened (the
   *  page may come from the service worker's cache, so the server's time in it is no use). */
  var shownAt = window.PmOutbox ? window.PmOutbox.isoNow() : null;
  window.addEventListener("pageshow", function () {
    if (window.PmOutbox) shownAt = window.PmOutbox.isoNow();
  });

  function status() { return document.getElementById("outbox-status"); }

  function msg(name) {
    var root = status();
    return (root && root.dataset[name]) || "";
  }

  function fieldValue(form, name) {
    var elements = form.elements.namedItem(name);
    if (!elements) return undefined;
    if (elements instanceof RadioNodeList) {
      var first = elements[0];
      if (first && (first.type === "radio" || first.type === "checkbox")) return elements.value;
      return first ? first.value : undefined;
    }
    if (elements.type === "checkbox") return elements.checked ? elements.value : "";
    return elements.value;
  }

  function fileOf(form, name) {
    var input = form.querySelector('input[type="file"][name="' + name + '"]');
    return input && input.files && input.files.length ? input.files[0] : null;
  }

  /** datetime-local text ("2026-12-02T14:30") on the phone's clock, with its offset. */
  function localTime(text) {
    if (!text) return undefined;
    var date = new Date(text);
    return isNaN(date.getTime()) ? text : window.PmOutbox.isoNow(date);
  }

  function convert(value, type) {
    if (value === undefined) return undefined;
    if (type === "int") {
      if (String(value).trim() === "") return undefined;
      var number = Number(value);
      return Number.isInteger(number) ? number : value;  // the server says what is wrong
    }
    if (type === "bool") return value !== "" && value !== undefined;
    if (type === "time") return localTime(value);
    return value;
  }

  /** {data, photos, binary} from data-outbox-data and data-outbox-fields. */
  function fromFields(form) {
    var data = JSON.parse(form.dataset.outboxData || "{}");
    var photos = {};
    var binary = null;
    (form.dataset.outboxFields || "").split(/\s+/).filter(Boolean).forEach(function (spec) {
      var parts = spec.split(":");
      var type = parts[1] || "text";
      var names = parts[0].split("=");
      var key = names[0];
      var input = names[1] || key;
      if (type === "photo") {
        var file = fileOf(form, input);
        if (file) photos[key] = file;
        return;
      }
      if (type === "png") {
        // A drawing as a data URL (the signature pad): kept as bytes on the phone.
        var url = fieldValue(form, input) || "";
        var comma = url.indexOf(",");
        if (url.indexOf("data:image/png;base64,") === 0) {
          var text = atob(url.slice(comma + 1));
          var bytes = new Uint8Array(text.length);
          for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
          binary = { path: key, buffer: bytes.buffer, type: "image/png" };
        } else {
          data[key] = url;  // not a drawing: the server says what is wrong
        }
        return;
      }
      var value = convert(fieldValue(form, input), type);
      if (value !== undefined) data[key] = value;
    });
    return { data: data, photos: photos, binary: binary };
  }

  var BUILDERS = {
    /** The checklist page (templates/checklists/_checklist_form.html): answers, notes and
     *  photos by item id, the area's label and when the page was opened on this phone. */
    checklist: function (form) {
      var built = fromFields(form);
      var data = built.data;
      data.token = form.dataset.outboxToken;
      data.started_at = shownAt;
      data.submitted_at = window.PmOutbox.isoNow();
      data.answers = {};
      data.notes = {};
      form.querySelectorAll("[data-outbox-item]").forEach(function (row) {
        var key = row.dataset.outboxItem;
        var answer = fieldValue(form, "result-" + key);
        var reading = fieldValue(form, "reading-" + key);
        if (answer === "na") data.answers[key] = "na";
        else if (reading !== undefined) data.answers[key] = reading;
        else data.answers[key] = answer || "";
        var note = fieldValue(form, "note-" + key);
        if (note) data.notes[key] = note;
        var photo = fileOf(form, "photo-" + key);
        if (photo) built.photos["photos." + key] = photo;
      });
      return built;
    },
  };

  function lookup(body, path) {
    return path.split(".").reduce(function (here, key) {
      return here && typeof here === "object" ? here[key] : undefined;
    }, body);
  }

  function fillNext(template, body) {
    return template.replace(/\{([\w.]+)\}/g, function (all, path) {
      var value = lookup(body, path);
      return value === undefined ? all : encodeURIComponent(String(value));
    });
  }

  function clearNotes(form) {
    form.querySelectorAll("[data-outbox-note]").forEach(function (note) { note.remove(); });
  }

  function note(form, className, text, detail) {
    clearNotes(form);
    var box = document.createElement("div");
    box.className = className;
    box.dataset.outboxNote = "";
    box.setAttribute("role", className.indexOf("error") >= 0 ? "alert" : "status");
    var line = document.createElement("p");
    line.textContent = text;
    box.appendChild(line);
    if (detail) {
      var more = document.createElement("p");
      more.className = "small";
      more.textContent = detail;
      box.appendChild(more);
    }
    var heading = form.querySelector("h2, h3");
    if (heading) heading.after(box);
    else form.prepend(box);
    box.setAttribute("tabindex", "-1");
    box.focus();
    return box;
  }

  /** Offline: what the form made is on the phone, not on the server; say so, and show the
   *  steps that follow it (data-outbox-after="<its event type>"). */
  function showSaved(form) {
    if (navigator.vibrate) navigator.vibrate(120);
    document.querySelectorAll('[data-outbox-after="' + form.dataset.outboxEvent + '"]').forEach(
      function (next) { next.hidden = false; });
    if (form.dataset.outboxSaved === "replace") {
      replaceWithBanner(form, "saved", msg("msgCheckinSaved"), msg("msgCheckinSavedDetail"));
      return;
    }
    if (form.dataset.outboxSaved === "hide") {
      // A step done (accept, on the way): it must not be tapped again; say it is saved.
      var done = document.createElement("div");
      done.className = "card alert alert-warning outbox-form-saved";
      done.dataset.outbox = "saved";
      done.setAttribute("role", "status");
      done.textContent = msg("msgCheckinSaved") + " · " + msg("msgCheckinSavedDetail");
      form.before(done);
      form.hidden = true;
      return;
    }
    note(form, "alert alert-warning outbox-form-saved", msg("msgCheckinSaved"),
      msg("msgCheckinSavedDetail")).dataset.outbox = "saved";
    if (form.hasAttribute("data-outbox-reset")) resetForm(form);
  }

  function resetForm(form) {
    form.reset();
    form.querySelectorAll("[data-photo-field] img").forEach(function (img) { img.hidden = true; });
  }

  /** A banner (saved on the phone, or recorded) in place of the form's target, with "Scan next". */
  function replaceWithBanner(form, kind, title, detail) {
    var selector = form.dataset.outboxSavedTarget;
    var target = (selector && document.querySelector(selector)) || form;
    var wrap = document.createElement("div");
    wrap.className = "checkin-banner checkin-banner-" + kind;
    wrap.dataset.outbox = kind === "ok" ? "sent" : "saved";
    wrap.setAttribute("role", "status");
    var titleLine = document.createElement("p");
    titleLine.className = "checkin-title";
    titleLine.textContent = title;
    wrap.appendChild(titleLine);
    if (detail) {
      var detailLine = document.createElement("p");
      detailLine.textContent = detail;
      wrap.appendChild(detailLine);
    }
    var link = document.createElement("a");
    link.className = "btn btn-primary btn-block btn-huge";
    link.href = msg("scanUrl") || "/scan";
    link.textContent = msg("msgScanNext");
    target.textContent = "";
    target.append(wrap, link);
    wrap.setAttribute("tabindex", "-1");
    wrap.focus();
  }

  /** Online and recorded: show the server's page for it (or the form's own "done" banner). */
  function showSent(form, body) {
    if (navigator.vibrate) navigator.vibrate(120);
    if (form.dataset.outboxSentTitle) {
      replaceWithBanner(form, "ok", form.dataset.outboxSentTitle, form.dataset.outboxSentDetail);
      return;
    }
    if (form.dataset.outboxNext) {
      window.location.assign(fillNext(form.dataset.outboxNext, body || {}));
      return;
    }
    var target = form.getAttribute("hx-target");
    if (target && window.htmx && document.querySelector(target)) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search, {
        target: target, swap: form.getAttribute("hx-swap") || "outerHTML",
      });
      return;
    }
    window.location.reload();
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = busy;
    });
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM" || !form.dataset.outboxEvent) return;
    if (!window.PmOutbox || !status()) return;  // no outbox here: the form posts as before
    if (form.querySelector("[data-photo-busy]")) return;  // photo.js sends it again when ready
    event.preventDefault();
    event.stopImmediatePropagation();
    // The signature pad's drawing, whichever of the two submit listeners ran first.
    if (form.matches("[data-signature-form]") && window.pmfieldSignature &&
        !window.pmfieldSignature.prepare(form)) return;
    if (form.getAttribute("aria-busy") === "true") return;  // a double tap
    var built;
    try {
      var builder = BUILDERS[form.dataset.outboxBuilder];
      built = builder ? builder(form) : fromFields(form);
    } catch (error) {
      console.warn("pmfield outbox form:", error);
      return;
    }
    setBusy(form, true);
    window.PmOutbox.submit({ type: form.dataset.outboxEvent, data: built.data, binary: built.binary },
      built.photos).then(
      function (result) {
        setBusy(form, false);
        if (result.outcome === "sent") showSent(form, result.body);
        else if (result.outcome === "refused") {
          if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
          note(form, "alert alert-error", result.message);
        } else showSaved(form);
      },
      function (error) {
        // Not even the phone could keep it (storage full or refused): the form keeps it all.
        console.warn("pmfield outbox form:", error);
        setBusy(form, false);
        note(form, "alert alert-error", msg("msgNotKept"));
      }
    );
  }

  // At once, so a tap before the page finished loading goes through the outbox too. The other
  // form scripts need no order: a shrinking photo is waited for (photo.js sends the form again),
  // the signature is prepared above.
  document.addEventListener("submit", onSubmit, true);
})();
