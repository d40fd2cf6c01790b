/* pmfield outbox: what the phone captured, kept in IndexedDB until the server acknowledged it.
 *
 * Every item gets its UUID here, at capture time (crypto.randomUUID), never from a rendered page:
 * a page served from the service worker's cache would repeat it. The UUID is the item's
 * Idempotency-Key, so a resend after a lost answer is a replay on the server, not a duplicate.
 *
 *   item = {id, user, kind: "event" | "photo", type, data, device_time, app_version,
 *           status: "waiting" | "attention", message, attempts, created, seq,
 *           binary_path?, binary_type?}   (an event carrying bytes: its blob, sent as base64)
 *   photo data = {type: mime, name, size}; its bytes in the "blobs" store as {id, buffer:
 *   ArrayBuffer} (not a Blob: Safari refuses those), apart so counting never copies them
 *
 * Sync (flush): on load, when the network comes back, when the app becomes visible, every 30 s
 * while items wait and from "Sync now". Oldest first; a photo before the events naming its UUID
 * (their data gets the server's photo id). Network errors, 5xx and 429 back off exponentially;
 * 409 retries later; 401 pauses and asks to sign in again; another 4xx marks the item
 * "attention" with the server's message (kept until the user discards it); 200/201 removes it.
 * Only the signed-in user's items are sent; a shared phone keeps the others for their owners.
 *
 * API: PmOutbox.add(event) -> id, PmOutbox.addPhoto(file) -> uuid, PmOutbox.flush(),
 * PmOutbox.submit(event, photos) -> {outcome: sent | refused | saved} (a page's form),
 * PmOutbox.count(), PmOutbox.state(), PmOutbox.discard(id), PmOutbox.exportUnsent().
 * Window event "pmfield:outbox" (detail = state) after every change, for the UI.
 *
 * User-facing text comes from data-msg-* on #outbox-status (templates/core/_outbox_status.html),
 * translated on the server. No inline script anywhere (CSP).
 */
(function () {
  "use strict";

  var DB_NAME = "pmfield-outbox";
  var DB_VERSION = 3;
  var ITEMS = "items";
  var PHOTO_IDS = "photo_ids";
  /** A queued photo's bytes, apart from its item, so counting the queue never copies them. */
  var BLOBS = "blobs";
  var META = "meta";
  var TIMER_MS = 30000;
  var BACKOFF_START_MS = 5000;
  var BACKOFF_MAX_MS = 5 * 60 * 1000;
  var REQUEST_TIMEOUT_MS = 20000;
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  var dbPromise = null;
  var flushing = null;
  var paused = false;
  var syncing = false;
  var failures = 0;
  var retryAt = 0;
  var seqCounter = 0;
  var persistAsked = false;
  /** What the server answered for items sent (or refused) since the page loaded, by id:
   *  {ok, status, body, message}. submit() reads it to tell the form what happened. */
  var results = {};

  function metaContent(name) {
    var meta = document.querySelector('meta[name="' + name + '"]');
    return meta ? meta.content : "";
  }

  function currentUser() { return metaContent("pmfield-user"); }

  function appVersion() { return metaContent("app-version"); }

  function statusRoot() { return document.getElementById("outbox-status"); }

  function msg(name) {
    var root = statusRoot();
    var key = "msg" + name.charAt(0).toUpperCase() + name.slice(1);
    return (root && root.dataset[key]) || "";
  }

  /** The one-item wording (data-msg-<name>-one) when n is 1 and the template has it. */
  function plural(source, name, n) {
    var key = "msg" + name.charAt(0).toUpperCase() + name.slice(1);
    var text = (n === 1 && source.dataset[key + "One"]) || source.dataset[key] || "";
    return fill(text, { n: n });
  }

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /** The phone's clock as ISO 8601 with its own UTC offset (2026-12-02T02:10:00.000+08:00). */
  function isoNow(date) {
    var d = date || new Date();
    function pad(n, w) { return String(Math.abs(n)).padStart(w || 2, "0"); }
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
      pad(d.getMilliseconds(), 3) + sign + pad(Math.floor(Math.abs(offset) / 60)) + ":" +
      pad(Math.abs(offset) % 60);
  }

  /* ---------- IndexedDB (plain, promise-wrapped) ---------- */

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) {
          reject(new Error("IndexedDB is not available"));
          return;
        }
        var request = indexedDB.open(DB_NAME, DB_VERSION);
        // Forward-only migrations: each version adds what it needs, never drops queued items.
        request.onupgradeneeded = function (event) {
          var db = request.result;
          if (event.oldVersion < 1) {
            var items = db.createObjectStore(ITEMS, { keyPath: "id" });
            items.createIndex("seq", "seq");
            db.createObjectStore(PHOTO_IDS, { keyPath: "uuid" });
            db.createObjectStore(META, { keyPath: "key" });
          }
          if (event.oldVersion < 2) {
            // v2: look items up by owner (a shared phone). Built over the items already queued;
            // none is rewritten.
            request.transaction.objectStore(ITEMS).createIndex("user", "user");
          }
          if (event.oldVersion < 3) {
            // v3: photo bytes move to their own store; each photo item keeps type, name, size.
            var blobs = db.createObjectStore(BLOBS, { keyPath: "id" });
            request.transaction.objectStore(ITEMS).openCursor().onsuccess = function (e) {
              var cursor = e.target.result;
              if (!cursor) return;
              var item = cursor.value;
              if (item.kind === "photo" && item.data && item.data.buffer) {
                blobs.put({ id: item.id, buffer: item.data.buffer });
                item.data = { type: item.data.type, name: item.data.name, size: item.data.buffer.byteLength };
                cursor.update(item);
              }
              cursor.continue();
            };
          }
        };
        function opened(open) {
          return function () {
            var db = open.result;
            db.onversionchange = function () { db.close(); dbPromise = null; };
            resolve(db);
          };
        }
        request.onsuccess = opened(request);
        request.onerror = function () {
          if (!request.error || request.error.name !== "VersionError") {
            reject(request.error);
            return;
          }
          // A newer app version (another tab) migrated the database further: its stores only
          // ever grow, so this version keeps working with it instead of losing its outbox.
          var current = indexedDB.open(DB_NAME);
          current.onsuccess = opened(current);
          current.onerror = function () { reject(current.error); };
        };
        request.onblocked = function () { reject(new Error("outbox database blocked")); };
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  function tx(stores, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error || new Error("transaction aborted")); };
        work(t, function (value) { result = value; });
      });
    });
  }

  function put(store, value) {
    return tx([store], "readwrite", function (t) { t.objectStore(store).put(value); });
  }

  function getOne(store, key) {
    return tx([store], "readonly", function (t, done) {
      var r = t.objectStore(store).get(key);
      r.onsuccess = function () { done(r.result); };
    });
  }

  function remove(store, key) {
    return tx([store], "readwrite", function (t) { t.objectStore(store).delete(key); });
  }

  /** Every item, oldest first. */
  function allItems() {
    return tx([ITEMS], "readonly", function (t, done) {
      var r = t.objectStore(ITEMS).index("seq").getAll();
      r.onsuccess = function () { done(r.result || []); };
    });
  }

  function nextSeq() {
    seqCounter = (seqCounter + 1) % 1000;
    return Date.now() * 1000 + seqCounter;
  }

  function askPersistence() {
    if (persistAsked) return;
    persistAsked = true;
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(function () {});
    }
  }

  /** Remove an item and its photo bytes together. */
  function removeItem(id) {
    return tx([ITEMS, BLOBS], "readwrite", function (t) {
      t.objectStore(ITEMS).delete(id);
      t.objectStore(BLOBS).delete(id);
    });
  }

  function photoBytes(item) {
    if (item.data && item.data.buffer) return Promise.resolve(item.data.buffer);  // never migrated
    return getOne(BLOBS, item.id).then(function (blob) { return blob ? blob.buffer : null; });
  }

  function newItem(kind, type, data, id, buffer, extra) {
    var user = currentUser();
    if (!user) return Promise.reject(new Error("nobody is signed in"));
    var item = {
      id: id && UUID.test(id) ? id : newId(),
      user: user,
      kind: kind,
      type: type,
      data: data,
      device_time: isoNow(),
      app_version: appVersion(),
      status: "waiting",
      message: "",
      attempts: 0,
      created: isoNow(),
      seq: nextSeq(),
    };
    Object.assign(item, extra || {});
    askPersistence();
    // Stored before anyone is told "saved": the promise resolves once IndexedDB committed it
    // (a photo's item and its bytes in one transaction).
    var stored = buffer
      ? tx([ITEMS, BLOBS], "readwrite", function (t) {
        t.objectStore(BLOBS).put({ id: item.id, buffer: buffer });
        t.objectStore(ITEMS).put(item);
      })
      : put(ITEMS, item);
    return stored.then(function () {
      changed();
      window.setTimeout(function () { flush(); }, 0);
      return item.id;
    });
  }

  /** Queue an event {type, data, id?, binary?}; resolves with its id once it is on the phone.
   *  binary = {path, buffer, type}: bytes the event carries (the customer's signature), kept as
   *  binary beside the item and put into data[path] as a base64 data URL only when sent. */
  function add(event) {
    if (!event || !event.type) return Promise.reject(new Error("an event needs a type"));
    var data = event.data || {};
    if (!event.binary) return newItem("event", event.type, data, event.id);
    return newItem("event", event.type, data, event.id, event.binary.buffer, {
      binary_path: event.binary.path, binary_type: event.binary.type,
    });
  }

  /** Queue a photo (a File or Blob); resolves with its UUID, to name it in events' data. */
  function addPhoto(file) {
    return file.arrayBuffer().then(function (buffer) {
      var type = file.type || "application/octet-stream";
      var data = { type: type, name: file.name || "photo.jpg", size: buffer.byteLength };
      return newItem("photo", "photo", data, null, buffer);
    });
  }

  /* ---------- State for the UI ---------- */

  function state() {
    var user = currentUser();
    return Promise.all([allItems(), getOne(META, "last_synced")]).then(function (results) {
      var items = results[0];
      var mine = items.filter(function (item) { return item.user === user; });
      var others = {};
      items.forEach(function (item) {
        if (item.user !== user) others[item.user] = (others[item.user] || 0) + 1;
      });
      return {
        user: user,
        waiting: mine.filter(function (item) { return item.status === "waiting"; }).length,
        attention: mine.filter(function (item) { return item.status === "attention"; }).map(function (item) {
          return { id: item.id, kind: item.kind, type: item.type, message: item.message, created: item.created };
        }),
        unsent: mine.length,
        others: others,
        lastSynced: results[1] ? results[1].value : null,
        paused: paused,
        syncing: syncing,
        retryAt: retryAt,
      };
    });
  }

  /** Whether an event of `type` whose data has every key of `match` waits on the phone. */
  function queued(type, match) {
    var user = currentUser();
    return allItems().then(function (items) {
      return items.some(function (item) {
        return item.user === user && item.status === "waiting" && item.type === type &&
          Object.keys(match).every(function (key) { return item.data[key] === match[key]; });
      });
    });
  }

  /** This user's unsent items (waiting or needing attention). */
  function count() {
    return state().then(function (s) { return s.unsent; });
  }

  /** Tell the page the outbox changed: once per burst of changes (a flush of 500 items reads
   *  the queue a few times, not 500). */
  var changePending = false;

  function changed() {
    if (changePending) return;
    changePending = true;
    window.setTimeout(function () {
      changePending = false;
      state().then(function (s) {
        window.dispatchEvent(new CustomEvent("pmfield:outbox", { detail: s }));
      }, function () {});
    }, 30);
  }

  /* ---------- Sending ---------- */

  function timeoutSignal() {
    return window.AbortSignal && AbortSignal.timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined;
  }

  function session(url) {
    return fetch(url, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      signal: timeoutSignal(),
    });
  }

  /** Strings in `data` that are UUIDs of photos: the ones still queued block the event. */
  function photoRefs(data, refs) {
    if (typeof data === "string") {
      if (UUID.test(data)) refs.push(data);
    } else if (Array.isArray(data)) {
      data.forEach(function (v) { photoRefs(v, refs); });
    } else if (data && typeof data === "object" && !(data instanceof ArrayBuffer)) {
      Object.keys(data).forEach(function (k) { photoRefs(data[k], refs); });
    }
    return refs;
  }

  function replaceRefs(data, map) {
    if (typeof data === "string") return Object.prototype.hasOwnProperty.call(map, data) ? map[data] : data;
    if (Array.isArray(data)) return data.map(function (v) { return replaceRefs(v, map); });
    if (data && typeof data === "object") {
      var out = {};
      Object.keys(data).forEach(function (k) { out[k] = replaceRefs(data[k], map); });
      return out;
    }
    return data;
  }

  async function request(item, csrf, urls, photoMap) {
    var headers = {
      "Idempotency-Key": item.id, "X-CSRFToken": csrf, "X-Device-Time": isoNow(),
      Accept: "application/json",
    };
    var body;
    var url;
    if (item.kind === "photo") {
      body = new FormData();
      var bytes = await photoBytes(item);
      body.append("file", new Blob([bytes || new ArrayBuffer(0)], { type: item.data.type }), item.data.name || "photo.jpg");
      url = urls.photos;
    } else {
      headers["Content-Type"] = "application/json";
      var data = replaceRefs(item.data, photoMap);
      if (item.binary_path) {
        var carried = await photoBytes(item);
        setPath(data, item.binary_path, "data:" + item.binary_type + ";base64," + base64(carried || new ArrayBuffer(0)));
      }
      body = JSON.stringify({
        id: item.id, type: item.type, captured_at: item.device_time, data: data,
      });
      url = urls.events;
    }
    return fetch(url, {
      method: "POST", body: body, headers: headers, credentials: "same-origin", cache: "no-store",
      signal: timeoutSignal(),
    });
  }

  /** The server's answer to a refusal: {message, code} (code "csrf": the token, not the item). */
  function readError(response) {
    return response.json().then(function (body) { return body || {}; }, function () { return {}; })
      .then(function (body) {
        return {
          message: body.error || fill(msg("refused"), { status: response.status }),
          code: body.code || "",
        };
      });
  }

  function backOff() {
    failures += 1;
    var wait = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * Math.pow(2, failures - 1));
    retryAt = Date.now() + wait;
  }

  function photoMapFor() {
    return tx([PHOTO_IDS], "readonly", function (t, done) {
      var r = t.objectStore(PHOTO_IDS).getAll();
      r.onsuccess = function () {
        var map = {};
        (r.result || []).forEach(function (row) { map[row.uuid] = row.server_id; });
        done(map);
      };
    });
  }

  /** One pass over this user's waiting items, oldest first. Resolves with a summary. */
  async function runFlush() {
    var root = statusRoot();
    var user = currentUser();
    if (!root || !user) return { sent: 0 };
    var mine = (await allItems()).filter(function (item) { return item.user === user && item.status === "waiting"; });
    if (!mine.length) return { sent: 0 };

    syncing = true;
    changed();
    var urls = { events: root.dataset.eventsUrl, photos: root.dataset.photosUrl };
    var sent = 0;
    try {
      var response;
      try {
        response = await session(root.dataset.sessionUrl);
      } catch (error) {
        backOff();
        return { sent: 0, error: "network" };
      }
      if (response.status === 401 || response.redirected) {
        paused = true;
        return { sent: 0, error: "login" };
      }
      if (!response.ok) {
        backOff();
        return { sent: 0, error: "server" };
      }
      var info = await response.json();
      paused = false;
      // The server says who is signed in: only their items go out.
      var owner = info.user;
      var photoMap = await photoMapFor();
      var items = (await allItems()).filter(function (item) { return item.user === owner && item.status === "waiting"; });
      var queuedPhotos = {};
      var csrfRetried = false;
      (await allItems()).forEach(function (item) {
        if (item.kind === "photo") queuedPhotos[item.id] = item.status === "attention" ? "refused" : true;
      });

      for (var i = 0; i < items.length; i++) {
        var item = items[i];
        if (item.kind === "event") {
          var refs = photoRefs(item.data, []);
          if (refs.some(function (ref) { return queuedPhotos[ref] === "refused"; })) {
            // Its photo was refused for good: this waits on the user too, say so.
            item.status = "attention";
            item.message = msg("photoRefused");
            await put(ITEMS, item);
            changed();
            continue;
          }
          var blocked = refs.some(function (ref) { return queuedPhotos[ref]; });
          if (blocked) continue;  // its photo is not on the server yet
        }
        item.attempts = (item.attempts || 0) + 1;
        await put(ITEMS, item);
        try {
          response = await request(item, info.csrf_token, urls, photoMap);
        } catch (error) {
          backOff();
          return { sent: sent, error: "network" };
        }
        if (response.status === 200 || response.status === 201) {
          var body = await response.json().catch(function () { return {}; });
          if (item.kind === "photo" && !(body && body.id)) {
            // No photo id in the answer (a proxy's page?): events must not lose their photo.
            backOff();
            return { sent: sent, error: "retry" };
          }
          results[item.id] = { ok: true, status: response.status, body: body };
          if (item.kind === "photo") {
            photoMap[item.id] = body.id;
            delete queuedPhotos[item.id];
            await put(PHOTO_IDS, { uuid: item.id, server_id: body.id, at: isoNow() });
          }
          await removeItem(item.id);
          sent += 1;
          failures = 0;
          retryAt = 0;
          changed();
          continue;
        }
        if (response.status === 401) {
          paused = true;
          return { sent: sent, error: "login" };
        }
        if (response.status === 409 || response.status === 429 || response.status >= 500) {
          backOff();
          return { sent: sent, error: "retry" };
        }
        var refusal = await readError(response);
        if (refusal.code === "csrf") {
          // Another request of this phone started a new session meanwhile: take its token and
          // send the item again, once; if that fails too, try later. The item is not at fault.
          if (csrfRetried) {
            backOff();
            return { sent: sent, error: "csrf" };
          }
          csrfRetried = true;
          response = await session(root.dataset.sessionUrl);
          if (!response.ok || response.redirected) {
            backOff();
            return { sent: sent, error: "csrf" };
          }
          info = await response.json();
          i -= 1;
          continue;
        }
        // Refused for good: keep it, show it with the server's reason, go on with the next.
        item.status = "attention";
        item.message = refusal.message;
        item.http_status = response.status;
        results[item.id] = { ok: false, status: response.status, message: item.message };
        await put(ITEMS, item);
        changed();
      }
      return { sent: sent };
    } finally {
      if (sent) await put(META, { key: "last_synced", value: new Date().toISOString() });
      syncing = false;
      changed();
    }
  }

  /** Send what waits. `force` (Sync now, back online) ignores the back-off wait. */
  function flush(force) {
    if (flushing) return flushing;
    if (!force && retryAt && Date.now() < retryAt) return Promise.resolve({ sent: 0, error: "backoff" });
    if (force) { retryAt = 0; paused = false; }
    var run = function () { return runFlush(); };
    var locked = navigator.locks && navigator.locks.request
      ? navigator.locks.request("pmfield-outbox", run)
      : run();
    flushing = Promise.resolve(locked).catch(function (error) {
      console.warn("pmfield outbox:", error);
      backOff();
      return { sent: 0, error: "failed" };
    }).finally(function () { flushing = null; });
    return flushing;
  }

  /* ---------- Submitting from a page (static/js/outbox-forms.js) ---------- */

  function setPath(data, path, value) {
    var keys = path.split(".");
    var here = data;
    for (var i = 0; i < keys.length - 1; i++) {
      if (!here[keys[i]] || typeof here[keys[i]] !== "object") here[keys[i]] = {};
      here = here[keys[i]];
    }
    here[keys[keys.length - 1]] = value;
  }

  /** Queue an event with its photos ({"data.path": File}), then try to send it at once.
   *  Resolves {outcome: "sent", body} once the server recorded it; {outcome: "refused",
   *  message} when the server refused it while the user waited (the item is then dropped: the
   *  form still holds what was typed); {outcome: "saved"} when it waits on the phone. */
  async function submit(event, photos) {
    var data = JSON.parse(JSON.stringify(event.data || {}));
    var paths = Object.keys(photos || {});
    for (var i = 0; i < paths.length; i++) {
      setPath(data, paths[i], await addPhoto(photos[paths[i]]));
    }
    var id = await add({ type: event.type, data: data, binary: event.binary });
    if (navigator.onLine !== false) {
      for (var attempt = 0; attempt < 3 && !results[id]; attempt++) {
        var summary = await flush(true);
        if (summary && summary.error) break;
      }
    }
    var answer = results[id];
    if (answer && answer.ok) return { outcome: "sent", id: id, body: answer.body };
    if (answer) {
      await removeItem(id);
      changed();
      return { outcome: "refused", id: id, status: answer.status, message: answer.message };
    }
    return { outcome: "saved", id: id };
  }

  function discard(id) {
    return getOne(ITEMS, id).then(function (item) {
      if (!item || item.user !== currentUser()) return false;
      return removeItem(id).then(function () { changed(); return true; });
    });
  }

  /* ---------- Export (the escape hatch when nothing gets through) ---------- */

  function base64(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(out);
  }

  function exportUnsent() {
    var user = currentUser();
    return allItems().then(function (items) {
      return Promise.all(items.filter(function (item) { return item.user === user; }).map(function (item) {
        var copy = Object.assign({}, item);
        if (item.binary_path) {
          return photoBytes(item).then(function (bytes) {
            copy.binary_base64 = base64(bytes || new ArrayBuffer(0));
            return copy;
          });
        }
        if (item.kind !== "photo") return copy;
        return photoBytes(item).then(function (bytes) {
          copy.data = { type: item.data.type, name: item.data.name, base64: base64(bytes || new ArrayBuffer(0)) };
          return copy;
        });
      }));
    }).then(function (mine) {
      var file = new Blob([JSON.stringify({
        format: "pmfield-outbox-export", version: 1, exported_at: isoNow(), user: user,
        app_version: appVersion(), items: mine,
      }, null, 2)], { type: "application/json" });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(file);
      link.download = "pmfield-unsent-" + user + "-" + isoNow().slice(0, 19).replace(/[:T]/g, "-") + ".json";
      document.body.appendChild(link);
      link.click();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
      return mine.length;
    });
  }

  /* ---------- Status UI (templates/core/_outbox_status.html) ---------- */

  function timeOf(iso) {
    var d = new Date(iso);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function render(s) {
    var root = statusRoot();
    if (!root) return;
    var others = Object.keys(s.others);
    var hasSomething = s.unsent || others.length || s.lastSynced;
    root.hidden = !hasSomething;
    root.dataset.waiting = String(s.waiting);
    root.dataset.attention = String(s.attention.length);
    root.dataset.state = s.paused ? "paused" : s.syncing ? "syncing" : s.unsent ? "waiting" : "idle";

    var summary = root.querySelector("[data-outbox-summary]");
    if (s.paused && s.unsent) summary.textContent = plural(root, "signin", s.unsent);
    else if (s.waiting) summary.textContent = msg("saved") + " · " + fill(msg("waiting"), { n: s.waiting });
    else if (!s.attention.length && s.lastSynced) summary.textContent = msg("allSent");
    else summary.textContent = "";
    var signin = root.querySelector("[data-outbox-signin]");
    if (signin) signin.hidden = !(s.paused && s.unsent);

    var synced = root.querySelector("[data-outbox-synced]");
    synced.textContent = s.lastSynced ? fill(msg("lastSynced"), { time: timeOf(s.lastSynced) }) : "";

    var othersBox = root.querySelector("[data-outbox-others]");
    othersBox.textContent = others.map(function (name) {
      return fill(msg("others"), { n: s.others[name], user: name });
    }).join(" · ");
    othersBox.hidden = !others.length;

    var syncButton = root.querySelector("[data-outbox-sync]");
    syncButton.hidden = !s.waiting;
    syncButton.disabled = s.syncing;
    var signinLink = root.querySelector("[data-outbox-signin]");
    root.querySelector(".outbox-actions").hidden = syncButton.hidden && (!signinLink || signinLink.hidden);

    var box = root.querySelector("[data-outbox-attention]");
    box.hidden = !s.attention.length;
    box.querySelector("[data-outbox-attention-title]").textContent =
      fill(msg("attention"), { n: s.attention.length });
    var list = box.querySelector("ul");
    list.textContent = "";
    s.attention.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "outbox-item";
      li.dataset.id = item.id;
      var what = document.createElement("p");
      what.className = "outbox-item-what";
      what.textContent = (item.kind === "photo" ? msg("kindPhoto") : item.type) + " · " + timeOf(item.created);
      var why = document.createElement("p");
      why.className = "outbox-item-message";
      why.textContent = item.message;
      var discardButton = document.createElement("button");
      discardButton.type = "button";
      discardButton.className = "btn btn-danger";
      discardButton.dataset.outboxDiscard = item.id;
      discardButton.textContent = msg("discard");
      li.append(what, why, discardButton);
      list.appendChild(li);
    });
    updateLogoutGuard(s);
  }

  /* ---------- Logout guard (templates/core/menu.html) ---------- */

  var exported = false;

  function updateLogoutGuard(s) {
    var guard = document.querySelector("[data-logout-guard]");
    if (!guard || guard.hidden) return;
    if (!s.unsent) {
      guard.hidden = true;
      return;
    }
    guard.querySelector("[data-logout-guard-text]").textContent = plural(guard, "unsent", s.unsent);
    guard.querySelector("[data-logout-anyway]").hidden = !exported;
  }

  function wireLogout() {
    document.querySelectorAll("form[data-outbox-logout]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.outboxChecked === "1") return;
        event.preventDefault();
        count().then(function (n) { return n; }, function () { return 0; }).then(function (n) {
          var guard = document.querySelector("[data-logout-guard]");
          if (!n || !guard) {
            form.dataset.outboxChecked = "1";
            form.submit();
            return;
          }
          guard.hidden = false;
          state().then(updateLogoutGuard);
          var focus = guard.querySelector("[data-logout-guard-text]");
          focus.setAttribute("tabindex", "-1");
          focus.focus();
        });
      });
    });
    document.addEventListener("click", function (event) {
      var exportButton = event.target.closest("[data-outbox-export]");
      if (exportButton) {
        event.preventDefault();
        exportUnsent().then(function () {
          exported = true;
          state().then(updateLogoutGuard);
        });
        return;
      }
      var anyway = event.target.closest("[data-logout-anyway]");
      if (anyway) {
        var form = document.querySelector("form[data-outbox-logout]");
        if (form) {
          form.dataset.outboxChecked = "1";
          form.submit();
        }
      }
    });
  }

  /* ---------- Triggers ---------- */

  function wire() {
    var root = statusRoot();
    window.addEventListener("pmfield:outbox", function (event) { render(event.detail); });
    document.addEventListener("click", function (event) {
      if (event.target.closest("[data-outbox-sync]")) {
        event.preventDefault();
        flush(true);
        return;
      }
      var discardButton = event.target.closest("[data-outbox-discard]");
      if (discardButton && window.confirm(msg("discardConfirm"))) {
        discard(discardButton.dataset.outboxDiscard);
      }
    });
    wireLogout();
    window.addEventListener("online", function () { flush(true); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") flush();
    });
    window.setInterval(function () {
      if (document.visibilityState === "visible" && !paused) flush();
    }, TIMER_MS);
    if (root) {
      changed();
      flush();
    }
  }

  window.PmOutbox = {
    add: add,
    addPhoto: addPhoto,
    submit: submit,
    queued: queued,
    flush: function () { return flush(true); },
    count: count,
    state: state,
    discard: discard,
    exportUnsent: exportUnsent,
    isoNow: isoNow,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
