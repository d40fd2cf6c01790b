/* pmfield photo field: shrink the chosen picture on the phone before the form sends it.
 *
 * Markup: photo_input() in templates/photos/_macros.html (an <input type=file data-photo-input>
 * inside [data-photo-field], with a preview <img> and a status line). When a picture is chosen
 * it is decoded (EXIF orientation applied), scaled to at most 1600 px on its long side and
 * re-encoded as a JPEG (quality 0.82); the JPEG replaces the file in the input, so a normal
 * multipart POST (or htmx) sends it. If anything fails the original file stays: the server
 * verifies, orients and shrinks every upload anyway.
 *
 * window.pmfieldPhoto.downscale(file, {maxSide, quality}) -> Promise<Blob> is the same step
 * for code that uploads on its own (the offline outbox).
 */
(function () {
  "use strict";

  var MAX_SIDE = 1600;
  var QUALITY = 0.82;
  // iOS refuses canvases above about 16.7 megapixels: intermediate steps stay below this.
  var MAX_CANVAS_PIXELS = 16000000;
  // Submit anyway after this long; the server shrinks the original.
  var MAX_WAIT_MS = 20000;

  /* ---------- Downscaling ---------- */

  function loadImage(blob) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(blob);
      var img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        resolve(img);
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("the browser cannot decode this picture"));
      };
      img.src = url;
    });
  }

  function decode(blob) {
    if (typeof window.createImageBitmap === "function") {
      return window.createImageBitmap(blob, { imageOrientation: "from-image" })
        .catch(function () { return loadImage(blob); });
    }
    return loadImage(blob);
  }

  function draw(source, width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d");
    if (!context) throw new Error("no 2d canvas");
    // JPEG has no transparency: flatten onto white, as the server does.
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, width, height);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = "high";
    context.drawImage(source, 0, 0, width, height);
    return canvas;
  }

  function toJpeg(canvas, quality) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) {
        if (blob && blob.size > 0) resolve(blob);
        else reject(new Error("JPEG encoding failed"));
      }, "image/jpeg", quality);
    });
  }

  function release(source) {
    if (source && typeof source.close === "function") source.close();
  }

  /** Resolve with a JPEG Blob of `file`, upright, long side at most options.maxSide px. */
  function downscale(file, options) {
    var maxSide = (options && options.maxSide) || MAX_SIDE;
    var quality = (options && options.quality) || QUALITY;
    return decode(file).then(function (source) {
      try {
        var fullWidth = source.naturalWidth || source.width;
        var fullHeight = source.naturalHeight || source.height;
        if (!fullWidth || !fullHeight) throw new Error("empty picture");
        var scale = Math.min(1, maxSide / Math.max(fullWidth, fullHeight));
        var width = Math.max(1, Math.round(fullWidth * scale));
        var height = Math.max(1, Math.round(fullHeight * scale));
        // Halve in steps: one big jump aliases (stripes, jagged edges) in some browsers.
        var current = source;
        var currentWidth = fullWidth;
        var currentHeight = fullHeight;
        while (currentWidth / 2 > width) {
          var halfWidth = Math.round(currentWidth / 2);
          var halfHeight = Math.round(currentHeight / 2);
          if (halfWidth * halfHeight > MAX_CANVAS_PIXELS) break;
          current = draw(current, halfWidth, halfHeight);
          currentWidth = halfWidth;
          currentHeight = halfHeight;
        }
        return toJpeg(draw(current, width, height), quality);
      } finally {
        release(source);
      }
    });
  }

  /* ---------- The form field ---------- */

  // Files this script put into an input (never shrink them twice).
  var ours = new WeakSet();
  // input -> the promise of its current work (always resolves).
  var work = new WeakMap();
  // Forms re-submitted by this script once their photos are ready.
  var released = new WeakSet();

  function fieldOf(input) {
    return input.closest("[data-photo-field]") || input.parentNode;
  }

  function setStatus(field, text) {
    var status = field.querySelector("[data-photo-status]");
    if (!status) return;
    status.textContent = text || "";
    status.hidden = !text;
  }

  function showPreview(field, blob) {
    var img = field.querySelector("[data-photo-preview]");
    if (!img) return;
    if (img.dataset.url) URL.revokeObjectURL(img.dataset.url);
    delete img.dataset.url;
    if (!blob) {
      img.removeAttribute("src");
      img.hidden = true;
      return;
    }
    img.dataset.url = URL.createObjectURL(blob);
    img.src = img.dataset.url;
    img.hidden = false;
  }

  function jpegName(name) {
    var base = String(name || "").replace(/\.[^./\\]*$/, "");
    return (base || "photo") + ".jpg";
  }

  function replaceFile(input, blob, name) {
    if (typeof window.DataTransfer !== "function" || typeof window.File !== "function") return false;
    try {
      var file = new File([blob], jpegName(name), { type: "image/jpeg", lastModified: Date.now() });
      var transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      if (!input.files || input.files[0] !== transfer.files[0]) return false;
      ours.add(input.files[0]);
      return true;
    } catch (error) {
      return false;
    }
  }

  function process(input) {
    var field = fieldOf(input);
    var file = input.files && input.files[0];
    if (file && ours.has(file)) return;
    showPreview(field, null);
    work.delete(input);
    input.removeAttribute("data-photo-busy");
    if (!file) {
      setStatus(field, "");
      return;
    }
    input.setAttribute("data-photo-busy", "");
    setStatus(field, input.dataset.msgWorking);
    var job = downscale(file).then(function (blob) {
      if (work.get(input) !== job) return;  // another picture was chosen meanwhile
      // A JPEG that is already small stays as it is (no second compression).
      var keep = file.type === "image/jpeg" && blob.size >= file.size;
      if (!keep && !replaceFile(input, blob, file.name)) keep = true;
      showPreview(field, keep ? file : blob);
      setStatus(field, input.dataset.msgReady);
    }, function () {
      if (work.get(input) === job) setStatus(field, input.dataset.msgKept);
    }).then(function () {
      if (work.get(input) === job) input.removeAttribute("data-photo-busy");
    });
    work.set(input, job);
  }

  function onChange(event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[type=file][data-photo-input]")) {
      process(input);
    }
  }

  function timeout(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  // A form sent while a photo is still shrinking waits for it, then is sent again.
  function onSubmit(event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM") return;
    if (released.has(form)) return;
    var busy = Array.prototype.slice.call(form.querySelectorAll("[data-photo-input][data-photo-busy]"));
    if (!busy.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();  // before htmx sees it
    var submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
    var jobs = busy.map(function (input) { return work.get(input); });
    Promise.race([Promise.all(jobs), timeout(MAX_WAIT_MS)]).then(function () {
      if (typeof form.requestSubmit !== "function") {
        form.submit();  // old browsers: a plain POST, without the submit event
        return;
      }
      // requestSubmit dispatches "submit" synchronously: let that one through.
      released.add(form);
      try {
        if (submitter) form.requestSubmit(submitter);
        else form.requestSubmit();
      } finally {
        released.delete(form);
      }
    });
  }

  document.addEventListener("change", onChange);
  document.addEventListener("submit", onSubmit, true);

  window.pmfieldPhoto = { downscale: downscale, MAX_SIDE: MAX_SIDE, QUALITY: QUALITY };
})();
