/* pmfield signature pad (templates/jobs/_work.html).
 *
 * Markup: a form[data-signature-form] holding canvas[data-signature-pad], a hidden
 * input[data-signature-value], a [data-signature-clear] button and a [data-signature-message]
 * line; the form's data-msg-empty is the (translated) text shown for an empty pad.
 *
 * The customer signs with a finger (or a mouse, or a pen): pointer events with pointer
 * capture, so a stroke that leaves the box still ends; CSS sets touch-action: none on the
 * canvas so the page does not scroll under the finger. The backing store follows the
 * screen's devicePixelRatio (capped so the PNG stays within what the server takes). On
 * submit the drawing goes into the hidden input as canvas.toDataURL("image/png"); an empty
 * pad is not sent. Pads arriving with htmx swaps are set up too.
 */
(function () {
  "use strict";

  var MAX_SIDE = 2000;  // the server refuses larger pads (work.SIGNATURE_MAX_SIDE)
  var MIN_SIDE = 100;   // and smaller ones (work.SIGNATURE_MIN_SIDE)
  var LINE_CSS_PX = 2.5;
  var INK = "#111111";
  var pads = new WeakMap();

  function sizeCanvas(canvas) {
    var rect = canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) return false;
    var ratio = window.devicePixelRatio || 1;
    ratio = Math.min(ratio, MAX_SIDE / rect.width, MAX_SIDE / rect.height);
    ratio = Math.max(ratio, MIN_SIDE / rect.width, (MIN_SIDE / 2) / rect.height);
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    return true;
  }

  function setUp(canvas) {
    if (pads.has(canvas)) return;
    var form = canvas.closest("form");
    var pad = {
      canvas: canvas,
      form: form,
      context: canvas.getContext("2d"),
      inked: false,
      sized: sizeCanvas(canvas),
      pointerId: null,
      last: null,
    };
    pads.set(canvas, pad);
    if (form) form.signaturePad = pad;

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - rect.left) * (canvas.width / rect.width),
        y: (event.clientY - rect.top) * (canvas.height / rect.height),
      };
    }

    function pen() {
      var rect = canvas.getBoundingClientRect();
      var c = pad.context;
      c.strokeStyle = INK;
      c.fillStyle = INK;
      c.lineWidth = LINE_CSS_PX * (canvas.width / (rect.width || canvas.width));
      c.lineCap = "round";
      c.lineJoin = "round";
      return c;
    }

    function dot(p) {
      var c = pen();
      c.beginPath();
      c.arc(p.x, p.y, c.lineWidth / 2, 0, Math.PI * 2);
      c.fill();
    }

    function line(from, to) {
      var c = pen();
      c.beginPath();
      c.moveTo(from.x, from.y);
      c.lineTo(to.x, to.y);
      c.stroke();
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      if (pad.pointerId !== null) return;  // a second finger: ignore
      if (!pad.sized) pad.sized = sizeCanvas(canvas);
      event.preventDefault();
      pad.pointerId = event.pointerId;
      try { canvas.setPointerCapture(event.pointerId); } catch (error) { /* not capturable */ }
      pad.last = point(event);
      dot(pad.last);
      inked(pad, true);
    });

    canvas.addEventListener("pointermove", function (event) {
      if (event.pointerId !== pad.pointerId) return;
      event.preventDefault();
      var events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [];
      if (!events.length) events = [event];
      for (var i = 0; i < events.length; i++) {
        var p = point(events[i]);
        line(pad.last, p);
        pad.last = p;
      }
    });

    function end(event) {
      if (event.pointerId !== pad.pointerId) return;
      pad.pointerId = null;
      pad.last = null;
      try { canvas.releasePointerCapture(event.pointerId); } catch (error) { /* released */ }
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", function (event) {
      if (event.pointerId === pad.pointerId) {
        pad.pointerId = null;
        pad.last = null;
      }
    });
  }

  function inked(pad, on) {
    pad.inked = on;
    if (!pad.form) return;
    pad.form.classList.toggle("is-signed", on);
    if (on) message(pad.form, "");
  }

  function message(form, text) {
    var box = form.querySelector("[data-signature-message]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function clear(pad) {
    pad.context.clearRect(0, 0, pad.canvas.width, pad.canvas.height);
    // An empty pad may be resized freely (the phone turned meanwhile).
    pad.sized = sizeCanvas(pad.canvas);
    var value = pad.form && pad.form.querySelector("[data-signature-value]");
    if (value) value.value = "";
    inked(pad, false);
  }

  function setUpIn(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("canvas[data-signature-pad]").forEach(setUp);
  }

  /** Put the drawing into the form's hidden input; false (with the message shown) when the
   *  pad is empty. A form with no pad set up goes as it is (the server says what is missing). */
  function prepare(form) {
    var pad = form.signaturePad;
    if (!pad) return true;
    if (!pad.inked) {
      message(form, form.dataset.msgEmpty);
      pad.canvas.focus && pad.canvas.focus();
      return false;
    }
    var value = form.querySelector("[data-signature-value]");
    if (value) value.value = pad.canvas.toDataURL("image/png");
    return true;
  }

  // Capture phase: runs before htmx reads the form, so the drawing goes with it. (The
  // outbox's form script calls prepare() itself: the order of the two listeners is not fixed.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-signature-form]")) return;
    if (!prepare(form)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  window.pmfieldSignature = { prepare: prepare };

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-signature-clear]");
    if (!button) return;
    event.preventDefault();
    var form = button.closest("form");
    var canvas = form && form.querySelector("canvas[data-signature-pad]");
    var pad = canvas && pads.get(canvas);
    if (pad) clear(pad);
  });

  // A pad inside a closed <details> has no size yet: size it when it opens.
  document.addEventListener("toggle", function (event) {
    if (!event.target.open) return;
    event.target.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
      var pad = pads.get(canvas);
      if (!pad) setUp(canvas);
      else if (!pad.inked) pad.sized = sizeCanvas(canvas);
    });
  }, true);

  window.addEventListener("resize", function () {
    document.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
      var pad = pads.get(canvas);
      if (pad && !pad.inked) pad.sized = sizeCanvas(canvas);
    });
  });

  document.addEventListener("htmx:load", function (event) { setUpIn(event.target); });
  document.addEventListener("pmfield:swapped", function (event) {
    setUpIn(event.detail && event.detail.target);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpIn(document); });
  } else {
    setUpIn(document);
  }
})();
