/* pmfield service worker, version {{ app_version }} (shell {{ revision }}).
 *
 * Rendered by Flask (core.service_worker): the precache list and the version come from the server,
 * so a deploy that changes a shell file changes this file, and the browser installs the new worker.
 *
 * Strategy:
 *   /static/ files    precached ones cache-first; other static files stale-while-revalidate
 *   page navigations  network first; offline: the cached copy of that page, else the offline page
 *   htmx requests     never touched (a fragment must never be shown as a page, nor a page swapped
 *                     in as a fragment)
 *   non-GET requests  never cached (offline writes are the page outbox's job, not the cache's)
 *   kept pages        the page names today's work (GET /offline-pages); "keep-pages" fetches and
 *                     keeps those pages, so they open with no signal
 */
"use strict";

const VERSION = {{ cache_id|tojson }};
const SHELL_CACHE = "pmfield-shell-" + VERSION;
const STATIC_CACHE = "pmfield-static-" + VERSION;
const PAGE_CACHE = "pmfield-pages-" + VERSION;
const KEEP = new Set([SHELL_CACHE, STATIC_CACHE, PAGE_CACHE]);

const PRECACHE = {{ precache|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const STATIC_PREFIX = {{ static_prefix|tojson }};
/** POSTs after which cached pages are stale for the person holding the phone
 * (sign in/out, language, theme, site): drop them and refresh the offline page. */
const RESET_PATHS = new Set({{ reset_paths|tojson }});
/** Pages kept for offline use; the oldest go first (search results would pile up otherwise). */
const MAX_PAGES = 120;
/** A slow network answer loses to a cached copy after this long (the network still refreshes it). */
const NAVIGATION_TIMEOUT_MS = 6000;
/** A kept page younger than this is not fetched again when the next page asks. */
const KEEP_FRESH_MS = 5 * 60 * 1000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // cache: "reload" skips the HTTP cache so the shell matches this version.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
      // Take over at once only on the first install. An update waits: the page's update banner
      // (static/js/update.js) posts "skip-waiting" once the outbox is empty and the user taps
      // Reload; otherwise it takes over when every tab is closed.
      if (!self.registration.active) {
        await self.skipWaiting();
      }
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith("pmfield-") && !KEEP.has(name))
          .map((name) => caches.delete(name))
      );
      if (self.registration.navigationPreload) {
        await self.registration.navigationPreload.enable();
      }
      await self.clients.claim();
    })()
  );
});

/** The update banner's Reload (static/js/update.js): a waiting version takes over now. */
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") {
    event.waitUntil(self.skipWaiting());
  }
});

/** The page asks to keep the pages of today's work ({type: "keep-pages", urls}); the answer
 * ({kept, failed}) goes back on the message's port once they are in the page cache. */
self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "keep-pages") return;
  const port = event.ports && event.ports[0];
  const work = keepPages(event.data.urls || []).then(
    (result) => port && port.postMessage(result),
    (error) => port && port.postMessage({ kept: [], failed: [], error: String(error) })
  );
  event.waitUntil(work);
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.method !== "GET") {
    if (RESET_PATHS.has(url.pathname)) {
      event.respondWith(resetAfter(event));
    }
    return;
  }
  // htmx requests carry HX-Request: leave them to the network, never to a page cache.
  if (request.headers.has("HX-Request")) return;

  if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(staticFile(event));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  }
});

/** Serve a static file: precached ones from the shell cache, others stale-while-revalidate. */
async function staticFile(event) {
  const request = event.request;
  const shell = await caches.open(SHELL_CACHE);
  const precached = await shell.match(request, { ignoreSearch: true });
  if (precached) return precached;

  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(request);
  const refresh = fetch(request).then(async (response) => {
    if (response.ok && response.status === 200 && response.type === "basic") {
      await cache.put(request, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

/** Network first for pages; offline, the cached page, else the offline page. */
async function page(event) {
  const request = event.request;
  const key = pageKey(request.url);
  const cache = await caches.open(PAGE_CACHE);
  const network = (async () => {
    const preloaded = await event.preloadResponse;
    const response = preloaded || (await fetch(request));
    if (isCacheablePage(response)) {
      const copy = response.clone();
      await withPageCache(async () => {
        const current = await caches.open(PAGE_CACHE);
        await current.put(key, copy);
        await trim(current, MAX_PAGES);
      });
    }
    return response;
  })();
  event.waitUntil(network.catch(() => undefined));

  const cached = await cache.match(key);
  try {
    if (!cached) return await network;
    return await Promise.race([network, delay(NAVIGATION_TIMEOUT_MS).then(() => cached)]);
  } catch (error) {
    if (cached) return cached;
    const offline = await caches.match(OFFLINE_URL);
    return offline || Response.error();
  }
}

/** The cache key of a page: its URL without the manifest's ?source=pwa marker. */
function pageKey(href) {
  const url = new URL(href);
  url.searchParams.delete("source");
  url.hash = "";
  return url.href;
}

/** Only complete, personal-but-stable HTML pages are kept: no redirects, errors or no-store. */
function isCacheablePage(response) {
  if (!response || response.status !== 200 || response.type !== "basic" || response.redirected) {
    return false;
  }
  const type = response.headers.get("Content-Type") || "";
  const control = response.headers.get("Cache-Control") || "";
  return type.startsWith("text/html") && !/no-store|private/.test(control);
}

/** Page-cache work runs one at a time: deleting the cache while another task holds it open
 * would silently drop what that task puts in it. */
let pageCacheQueue = Promise.resolve();

function withPageCache(task) {
  const run = pageCacheQueue.then(task, task);
  pageCacheQueue = run.catch(() => undefined);
  return run;
}

/** Fetch and keep each same-origin page (today's work, for offline use). */
function keepPages(urls) {
  return withPageCache(async () => {
    const cache = await caches.open(PAGE_CACHE);
    const kept = [];
    const failed = [];
    for (const href of urls) {
      const url = new URL(href, self.location.origin);
      if (url.origin !== self.location.origin) continue;
      const cached = await cache.match(pageKey(url.href));
      const age = cached ? Date.now() - Date.parse(cached.headers.get("Date") || "") : NaN;
      if (age >= 0 && age < KEEP_FRESH_MS) {
        kept.push(url.pathname);  // fresh enough: every page shown online asks again
        continue;
      }
      try {
        const response = await fetch(url.href, { credentials: "same-origin", cache: "no-store" });
        if (isCacheablePage(response)) {
          await cache.put(pageKey(url.href), response);
          kept.push(url.pathname);
        } else {
          failed.push(url.pathname);
        }
      } catch (error) {
        failed.push(url.pathname);
      }
    }
    // Today's pages are the newest: the trim takes older browsing first.
    await trim(cache, MAX_PAGES);
    return { kept, failed };
  });
}

/** Let a sign-in/out or settings POST through, then forget pages rendered for the old state
 * before the answer goes back, so the next page (and what it keeps) starts from nothing. */
async function resetAfter(event) {
  let response;
  try {
    response = await fetch(event.request);
  } catch (error) {
    if (event.request.mode !== "navigate") throw error;
    return (await caches.match(OFFLINE_URL)) || Response.error();
  }
  await withPageCache(() => caches.delete(PAGE_CACHE));
  event.waitUntil(
    (async () => {
      try {
        const fresh = await fetch(new Request(OFFLINE_URL, { cache: "reload" }));
        if (fresh.ok) await (await caches.open(SHELL_CACHE)).put(OFFLINE_URL, fresh);
      } catch (error) {
        // Offline right after the POST: keep the old offline page.
      }
    })()
  );
  return response;
}

async function trim(cache, max) {
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - max)).map((key) => cache.delete(key)));
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
