"""Benchmark: the phone's outbox flushing a full day offline (500 events, 50 photos) over loopback.

Run by hand from the repository root (needs the system Chromium, Playwright for Python and
gunicorn from the `bench` extra):

    .venv/bin/python benchmarks/outbox_flush.py [--checkins-per-photo 9] [--photos 50]
        [--workers N] [--keep]

What it does, in one run:
1. makes a temporary instance (SQLite file), creates the tables with create_all and seeds one
   site with --points checkpoints (each with a label) and a guard with a known password;
2. serves the real pmfield app (wsgi:app) with gunicorn, --workers sync workers (default: the
   CPU count), with an access log holding each request's server time and body size;
3. signs the guard in through the real login form in headless system Chromium (a phone-sized
   context), waits for the service worker, and loads --photos JPEGs (made with Pillow from
   noise, about 200-400 KB each, so they do not compress to nothing) into the page;
4. cuts the network (context.set_offline) and queues, per photo: the photo
   (PmOutbox.addPhoto), --checkins-per-photo patrol.checkin events, and one patrol.anomaly
   naming the last check-in's event id and the photo's UUID (the outbox sends the photo first
   and swaps in the server's photo id). The defaults make 450 check-ins + 50 anomalies = 500
   events, plus 50 photos;
5. turns the network back on and times PmOutbox.flush() (repeated until nothing waits);
6. checks the database: one check-in per checkin event, one incident with its photo per anomaly,
   one photo per upload, one settled key per item, the hash chain verifies, nothing left in the
   outbox and nothing needing attention; exits 1 if a check fails;
7. prints the total time, items/s and events/s, MB sent (request bodies, from the access log),
   and how much of the wall time the server spent answering (the rest is the browser: the
   outbox's IndexedDB work and its status updates).

No timing is asserted: compare runs made on a quiet machine.
"""

import argparse
import io
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import bench_util

GUARD_USERNAME = "bench-outbox-guard"
GUARD_PASSWORD = "bench outbox password"  # noqa: S105 (a throw-away benchmark user)
SITE_CODE = "OUTBOX"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "en-US"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", "--disable-extensions"]
#: One access-log line per request: method, path, status, microseconds, request body bytes.
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s %({content-length}i)s"
ACCESS_LINE = re.compile(r"^(\S+) (\S+) (\d+) (\d+) (\S+)$")

QUEUE_JS = """async ({groups, perPhoto}) => {
    const tokens = window.__benchTokens;
    const start = Date.now() - groups * (perPhoto + 1) * 10000;
    let n = 0;
    const at = () => PmOutbox.isoNow(new Date(start + (n++) * 10000));
    const ids = {photos: [], checkins: [], anomalies: []};
    for (let g = 0; g < groups; g++) {
      const photo = await PmOutbox.addPhoto(window.__benchPhotos[g]);
      ids.photos.push(photo);
      let last = null;
      for (let i = 0; i < perPhoto; i++) {
        last = await PmOutbox.add({type: "patrol.checkin",
          data: {token: tokens[(g * perPhoto + i) % tokens.length], scanned_at: at()}});
        ids.checkins.push(last);
      }
      ids.anomalies.push(await PmOutbox.add({type: "patrol.anomaly",
        data: {checkin_event: last, kind: "leak", note: "Water on the floor " + g, photo}}));
    }
    return ids;
}"""

#: Counts the outbox's IndexedDB getAll calls, the rows they return and the photo bytes in
#: those rows (every PmOutbox.state() reads the whole queue, photos included).
IDB_STATS_JS = """(() => {
  const stats = window.__idbStats = {calls: 0, rows: 0, photoBytes: 0};
  for (const proto of [IDBIndex.prototype, IDBObjectStore.prototype]) {
    const original = proto.getAll;
    proto.getAll = function (...args) {
      const request = original.apply(this, args);
      stats.calls += 1;
      request.addEventListener("success", () => {
        const rows = request.result || [];
        stats.rows += rows.length;
        for (const row of rows) {
          if (row && row.data && row.data.buffer instanceof ArrayBuffer) {
            stats.photoBytes += row.data.buffer.byteLength;
          }
        }
      });
      return request;
    };
  }
})();"""
IDB_STATS = "() => ({...window.__idbStats})"

LOAD_PHOTOS_JS = """async (n) => {
    window.__benchPhotos = [];
    for (let i = 0; i < n; i++) {
      const blob = await (await fetch("/bench-photo/" + i, {cache: "no-store"})).blob();
      window.__benchPhotos.push(new File([blob], "photo-" + i + ".jpg", {type: "image/jpeg"}));
    }
    return window.__benchPhotos.reduce((sum, f) => sum + f.size, 0);
}"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=50, help="photos, one anomaly each (50)")
    parser.add_argument("--checkins-per-photo", type=int, default=9,
                        help="check-ins queued before each anomaly (9: 450 + 50 = 500 events)")
    parser.add_argument("--points", type=int, default=25, help="checkpoints scanned in turn")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=600, help="give up the flush after")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    return parser.parse_args(argv)


def make_photos(n: int, seed: int = 1) -> list[bytes]:
    """n JPEGs of 1280x960 from noise (blurred and fine), about 200-400 KB each."""
    from PIL import Image

    rng = random.Random(seed)  # noqa: S311 (test pictures, not secrets)
    photos = []
    for _ in range(n):
        w, h = 1280, 960
        coarse = Image.frombytes("RGB", (w // 4, h // 4), rng.randbytes(w // 4 * h // 4 * 3))
        coarse = coarse.resize((w, h), Image.Resampling.BILINEAR)
        fine = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
        out = io.BytesIO()
        Image.blend(coarse, fine, rng.uniform(0.08, 0.2)).save(out, "JPEG", quality=70)
        photos.append(out.getvalue())
    return photos


def set_up(app, n_points: int) -> dict:
    from pmfield.auth.models import User
    from pmfield.auth.services import hash_password
    from pmfield.extensions import db
    from pmfield.places.models import Label
    from pmfield.places.models import Location
    from pmfield.places.models import Point
    from pmfield.places.models import Site
    from pmfield.places.services import label_token
    from pmfield.places.tokens import new_serial

    with app.app_context():
        db.create_all()
        site = Site(code=SITE_CODE, name_zh="离线基准", name_en="Outbox benchmark",
                    timezone="Asia/Shanghai")
        location = Location(site=site, level="building", name_zh="一号楼", name_en="Building 1")
        guard = User(username=GUARD_USERNAME, display_name="Outbox guard", role="guard",
                     password_hash=hash_password(GUARD_PASSWORD))
        guard.sites = [site]
        db.session.add_all([site, location, guard])
        db.session.flush()
        points = [Point(site_id=site.id, location_id=location.id, kind="checkpoint",
                        code=f"OB{i:03d}", name_zh=f"巡更点{i}", name_en=f"Checkpoint {i}")
                  for i in range(1, n_points + 1)]
        db.session.add_all(points)
        db.session.flush()
        labels = [Label(point_id=p.id, serial=new_serial(), version=1) for p in points]
        db.session.add_all(labels)
        db.session.commit()
        result = {"site_id": site.id, "tokens": [label_token(label) for label in labels]}
        db.session.remove()
    return result


def start_gunicorn(port: int, workers: int, env: dict, access_log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        sys.exit('gunicorn is missing: .venv/bin/pip install -e ".[test,bench]"')
    command = [str(gunicorn), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--chdir", str(bench_util.REPO),
               "--log-level", "warning", "--access-logfile", str(access_log),
               "--access-logformat", ACCESS_FORMAT, "wsgi:app"]
    process = subprocess.Popen(command, env=env)  # noqa: S603 (our own fixed command line)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit("gunicorn did not answer within 30 s")


def read_access_log(text: str) -> list[tuple[str, str, int, float, int]]:
    """(method, path, status, seconds, body bytes) of every request in access-log text."""
    rows = []
    for line in text.splitlines():
        match = ACCESS_LINE.match(line.strip())
        if match:
            method, url, status, micros, length = match.groups()
            rows.append((method, url, int(status), int(micros) / 1e6,
                         int(length) if length.isdigit() else 0))
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check(app, site_id: int, ids: dict) -> list[str]:
    """What must hold in the database; returns the failures."""
    from sqlalchemy import select

    from pmfield.api.models import IdempotencyKey
    from pmfield.extensions import db
    from pmfield.patrol.chain import verify_chain
    from pmfield.patrol.models import CheckIn
    from pmfield.patrol.models import Incident
    from pmfield.photos.models import Photo

    failures = []
    with app.app_context():
        checkins = db.session.scalars(select(CheckIn.client_id)).all()
        incidents = db.session.execute(select(Incident.client_id, Incident.photo_id)).all()
        photos = db.session.scalars(select(Photo.client_id)).all()
        keys = db.session.execute(select(IdempotencyKey.key, IdempotencyKey.kind,
                                         IdempotencyKey.status,
                                         IdempotencyKey.response_status)).all()
        chain = verify_chain(site_id)
        db.session.remove()
    if sorted(checkins) != sorted(ids["checkins"]):
        failures.append(f"{len(checkins)} check-ins for {len(ids['checkins'])} checkin events")
    if sorted(c for c, _ in incidents) != sorted(ids["anomalies"]):
        failures.append(f"{len(incidents)} incidents for {len(ids['anomalies'])} anomalies")
    if any(photo_id is None for _, photo_id in incidents):
        failures.append("an incident lost its photo")
    if sorted(photos) != sorted(ids["photos"]):
        failures.append(f"{len(photos)} photos stored for {len(ids['photos'])} uploads")
    every = ids["photos"] + ids["checkins"] + ids["anomalies"]
    if sorted(k.key for k in keys) != sorted(every):
        failures.append(f"{len(keys)} idempotency keys for {len(every)} items")
    unsettled = [k for k in keys if (k.status, k.response_status) != ("done", 201)]
    if unsettled:
        failures.append(f"{len(unsettled)} keys not settled with 201: {unsettled[:3]}")
    if not chain.ok or chain.rows_checked != len(checkins):
        failures.append(f"the chain does not verify: {chain.problems[:3]}")
    return failures


def idb_line(before: dict, after: dict) -> str:
    calls = after["calls"] - before["calls"]
    rows = after["rows"] - before["rows"]
    photo_mb = (after["photoBytes"] - before["photoBytes"]) / 1e6
    return f"{calls} calls, {rows} rows, {photo_mb:.0f} MB of photo bytes"


def main(argv=None) -> int:
    args = parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="pmfield-bench-outbox-"))
    try:
        return _run(args, instance)
    finally:
        if args.keep:
            print(f"\nInstance kept in {instance}")
        else:
            shutil.rmtree(instance, ignore_errors=True)


def _run(args, instance: Path) -> int:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("this benchmark needs the system Chromium: apt-get install chromium")
    n_events = args.photos * (args.checkins_per_photo + 1)
    print(f"Machine: {bench_util.machine()}, load average {bench_util.load()}")
    print(f"Queue {args.photos} photos, {args.photos * args.checkins_per_photo} check-ins and "
          f"{args.photos} anomalies ({n_events} events); gunicorn {args.workers} sync workers.")
    app = bench_util.make_app(instance)
    data = set_up(app, args.points)
    photos = make_photos(args.photos)
    photo_bytes = sum(len(p) for p in photos)
    print(f"  {args.photos} JPEGs, {min(map(len, photos)) // 1024}-"
          f"{max(map(len, photos)) // 1024} KB, {photo_bytes / 1e6:.1f} MB in all")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    access_log = instance / "access.log"
    env = {**os.environ, **bench_util.instance_env(instance)}
    server = start_gunicorn(port, args.workers, env, access_log)
    timings: dict[str, float] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                                 headless=True)
            context = browser.new_context(**PHONE)
            context.add_init_script(IDB_STATS_JS)
            context.set_default_timeout(60_000)
            context.route("**/bench-photo/*", lambda route: route.fulfill(
                status=200, content_type="image/jpeg",
                body=photos[int(route.request.url.rsplit("/", 1)[1])]))
            page = context.new_page()
            page.goto(f"{url}/auth/login")
            page.fill("input[name=username]", GUARD_USERNAME)
            page.fill("input[name=password]", GUARD_PASSWORD)
            with page.expect_navigation(url=f"{url}/"):
                page.click("form.form button[type=submit]")
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.evaluate("(tokens) => { window.__benchTokens = tokens; }", data["tokens"])
            loaded = page.evaluate(LOAD_PHOTOS_JS, args.photos)
            if loaded != photo_bytes:
                sys.exit(f"the page got {loaded} bytes of photos, not {photo_bytes}")

            context.set_offline(True)
            idb = {"start": page.evaluate(IDB_STATS)}
            with bench_util.timed("queue offline", timings):
                ids = page.evaluate(QUEUE_JS, {"groups": args.photos,
                                               "perPhoto": args.checkins_per_photo})
            idb["queued"] = page.evaluate(IDB_STATS)
            state = page.evaluate("() => PmOutbox.state()")
            print(f"  waiting on the phone: {state['waiting']} items")
            started = time.perf_counter()
            page.evaluate("() => PmOutbox.state()")
            timings["one PmOutbox.state() with the queue full"] = time.perf_counter() - started

            log_mark = access_log.stat().st_size if access_log.exists() else 0
            context.set_offline(False)
            flushes = []
            with bench_util.timed("flush until empty", timings):
                deadline = time.monotonic() + args.timeout
                while True:
                    flushes.append(page.evaluate("() => PmOutbox.flush()"))
                    state = page.evaluate("() => PmOutbox.state()")
                    if (state["waiting"] == 0 and not state["syncing"]) or (
                            time.monotonic() > deadline):
                        break
                    time.sleep(0.2)
            remaining, attention = state["unsent"], len(state["attention"])
            idb["flushed"] = page.evaluate(IDB_STATS)
            context.close()
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    log = read_access_log(access_log.read_text())
    with open(access_log, "rb") as handle:
        handle.seek(log_mark)
        during = read_access_log(handle.read().decode())
    failures = check(app, data["site_id"], ids)
    if remaining:
        failures.append(f"{remaining} items still on the phone ({attention} need attention)")
    api = [row for row in during if row[1].startswith("/api/v1/")]
    events = [row for row in api if row[1] == "/api/v1/events"]
    uploads = [row for row in api if row[1] == "/api/v1/photos"]
    sent_mb = sum(row[4] for row in api) / 1e6
    flush_s = timings["flush until empty"]
    server_s = sum(row[3] for row in api)
    items = len(ids["photos"]) + len(ids["checkins"]) + len(ids["anomalies"])
    statuses = sorted({row[2] for row in api})

    print()
    print(bench_util.table(["", "figure"], [
        ["items flushed (events + photos)", f"{items} ({n_events} + {args.photos})"],
        ["flush calls", len(flushes)],
        ["total flush time", f"{flush_s:.2f} s"],
        ["events/s", f"{n_events / flush_s:.1f}"],
        ["items/s", f"{items / flush_s:.1f}"],
        ["MB sent (request bodies)", f"{sent_mb:.1f}"],
        ["MB/s", f"{sent_mb / flush_s:.2f}"],
        ["API requests (statuses)", f"{len(api)} ({', '.join(map(str, statuses))})"],
        ["server time, all API requests", f"{server_s:.2f} s ({server_s / flush_s:.0%} of wall)"],
        ["  POST /events median / p95",
         f"{bench_util.median([r[3] for r in events]) * 1000:.1f} / "
         f"{bench_util.percentile([r[3] for r in events], 95) * 1000:.1f} ms"],
        ["  POST /photos median / p95",
         f"{bench_util.median([r[3] for r in uploads]) * 1000:.1f} / "
         f"{bench_util.percentile([r[3] for r in uploads], 95) * 1000:.1f} ms"],
        ["queue offline (page.evaluate)", f"{timings['queue offline']:.2f} s"],
        ["one PmOutbox.state(), queue full",
         f"{timings['one PmOutbox.state() with the queue full'] * 1000:.0f} ms"],
        ["requests logged in all", len(log)],
        ["IndexedDB getAll while queueing", idb_line(idb["start"], idb["queued"])],
        ["IndexedDB getAll while flushing", idb_line(idb["queued"], idb["flushed"])],
    ]))
    print(f"\nLoad average after: {bench_util.load()}")
    if failures:
        print("\nCHECKS FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("\nChecks passed: every item once in the database, photos attached, chain verifies, "
          "outbox empty.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
