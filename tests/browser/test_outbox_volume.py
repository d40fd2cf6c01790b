"""The outbox under volume and failure: hundreds of events queued offline reach the server once
each; an answer lost after the server committed (an event's, or a photo's whose server id the
anomaly naming it needs) is a replay, not a second record; the server
killed in the middle of a flush and restarted loses nothing and doubles nothing. And the offline
mode these tests rely on really cuts the service worker off too.

Outcomes are counted in the database (check-ins, idempotency keys, the hash chain), never taken
from the page's word.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield import create_app
from pmfield.api.models import IdempotencyKey
from pmfield.extensions import db
from pmfield.patrol.chain import verify_chain
from pmfield.patrol.models import CheckIn
from pmfield.places.services import label_token
from tests import factories
from tests.browser.conftest import OUTBOX_ITEMS_JS
from tests.browser.conftest import LiveServer
from tests.browser.conftest import flush_until_empty
from tests.browser.conftest import free_port
from tests.browser.conftest import live_config
from tests.browser.conftest import outbox_state
from tests.browser.conftest import phone_context
from tests.browser.conftest import serving
from tests.browser.conftest import sign_in
from tests.browser.conftest import until_controlled
from tests.browser.conftest import wait_for_async

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
#: The first install precaches the shell: slow on a loaded machine (as in test_offline).
INSTALL_TIMEOUT_MS = 60_000
USERNAME = "guard-volume"
#: Check-ins are spread over this many checkpoints (a repeat scan is accepted, only flagged,
#: but a real round scans many points).
POINTS = 25
VOLUME = 500
KILL_VOLUME = 200

#: Queue `n` check-ins, cycling over `tokens`, scanned 10 s apart by the phone's clock and
#: ending now; resolves with their ids (the Idempotency-Keys), oldest first.
QUEUE_CHECKINS_JS = """async ({tokens, n}) => {
    const ids = [];
    const start = Date.now() - n * 10000;
    for (let i = 0; i < n; i++) {
      const scannedAt = PmOutbox.isoNow(new Date(start + i * 10000));
      const token = tokens[i % tokens.length];
      ids.push(await PmOutbox.add({type: "patrol.checkin", data: {token, scanned_at: scannedAt}}));
    }
    return ids;
}"""


def _seed(app) -> tuple[list[str], int]:
    """One site, POINTS checkpoints with labels, one guard: the points' tokens and the site."""
    with app.app_context():
        db.create_all()
        site = factories.make_site(code="VOL", name_en="Volume site", name_zh="压力站点")
        location = factories.make_location(site)
        tokens = [
            label_token(factories.make_point(site, location, code=f"V-{n:02}").current_label)
            for n in range(POINTS)
        ]
        factories.make_user(sites=[site], username=USERNAME, display_name="Vera Volume")
        site_id = site.id
        db.session.remove()
    return tokens, site_id


@pytest.fixture(scope="module")
def volume_server(tmp_path_factory, chromium_path):
    """A server of its own: these tests add hundreds of check-ins."""
    root = tmp_path_factory.mktemp("outbox-volume")
    app = create_app(live_config(root, "outbox-volume-secret"))
    tokens, site_id = _seed(app)
    with serving(app, username=USERNAME, password=factories.PASSWORD, point_code="V-00",
                 token=tokens[0]) as server:
        yield server, tokens, site_id


def _counts(app, site_id) -> dict:
    """What the database holds: check-ins by client id, keys by (key, status, answer)."""
    with app.app_context():
        checkins = db.session.scalars(select(CheckIn.client_id).order_by(CheckIn.seq)).all()
        keys = db.session.execute(
            select(IdempotencyKey.key, IdempotencyKey.status, IdempotencyKey.response_status)
        ).all()
        chain = verify_chain(site_id)
        db.session.remove()
    return {"checkins": checkins, "keys": [tuple(k) for k in keys], "chain_ok": chain.ok,
            "chain_rows": chain.rows_checked}


def _checkin_count(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count(CheckIn.id)))
        db.session.remove()
    return n


def _pending_keys(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count(IdempotencyKey.id)).where(
            IdempotencyKey.status == "pending"))
        db.session.remove()
    return n


def _assert_each_once(counts: dict, ids: list[str], before: dict | None = None) -> None:
    """Every queued id became exactly one check-in and one settled key, and nothing else."""
    old_checkins = set(before["checkins"]) if before else set()
    old_keys = {k[0] for k in before["keys"]} if before else set()
    new_checkins = [c for c in counts["checkins"] if c not in old_checkins]
    new_keys = [k for k in counts["keys"] if k[0] not in old_keys]
    assert len(new_checkins) == len(ids), f"{len(new_checkins)} check-ins for {len(ids)} events"
    assert sorted(new_checkins) == sorted(ids)
    assert len(new_keys) == len(ids)
    assert sorted(k[0] for k in new_keys) == sorted(ids)
    assert {(k[1], k[2]) for k in new_keys} == {("done", 201)}
    assert counts["chain_ok"], "the check-in hash chain does not verify"
    assert counts["chain_rows"] == len(counts["checkins"])


def _ready(context, page, server) -> None:
    """Sign in through the form and let the service worker finish its install (its precache
    would otherwise compete with the flush, or fail half-way once offline)."""
    messages = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    sign_in(page, server)
    if page.evaluate("() => typeof window.PmOutbox") != "object":
        pytest.fail(f"no outbox on the home page: {page.inner_text('body')[:300]!r}")
    try:
        until_controlled(page, INSTALL_TIMEOUT_MS)
    except Exception:
        registration = page.evaluate("""() => navigator.serviceWorker.getRegistration().then(
            (r) => r ? {installing: r.installing && r.installing.state,
                        waiting: r.waiting && r.waiting.state,
                        active: r.active && r.active.state} : null)""")
        pytest.fail(f"the service worker never took control: registration {registration}, "
                    f"console {messages[-10:]}, workers {context.service_workers}")


def test_500_events_queued_offline_become_exactly_500_records(browser, volume_server):
    server, tokens, site_id = volume_server
    before = _counts(server.app, site_id)
    context = phone_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _ready(context, page, server)
        context.set_offline(True)
        ids = page.evaluate(QUEUE_CHECKINS_JS, {"tokens": tokens, "n": VOLUME})
        assert len(set(ids)) == VOLUME

        state = outbox_state(page)
        assert state["waiting"] == VOLUME
        assert state["attention"] == []
        assert _counts(server.app, site_id)["checkins"] == before["checkins"]

        # Offline, a flush sends nothing and drops nothing.
        assert page.evaluate("() => PmOutbox.flush()")["sent"] == 0
        assert outbox_state(page)["waiting"] == VOLUME

        context.set_offline(False)
        started = time.monotonic()
        summaries = flush_until_empty(page, timeout_s=90)
        elapsed = time.monotonic() - started
        print(f"\n{VOLUME} events flushed in {elapsed:.1f} s "
              f"({VOLUME / elapsed:.0f}/s, {len(summaries)} flush calls)")

        state = outbox_state(page)
        assert state["waiting"] == 0
        assert state["attention"] == []
        assert state["unsent"] == 0
        assert page.evaluate(OUTBOX_ITEMS_JS) == []
        counts = _counts(server.app, site_id)
        _assert_each_once(counts, ids, before)
        assert sum(s.get("sent", 0) for s in summaries) == VOLUME
        assert errors == []
    finally:
        context.set_offline(False)
        context.close()


def test_an_event_whose_answer_is_lost_after_the_commit_is_replayed_not_doubled(
    browser, volume_server
):
    server, tokens, site_id = volume_server
    before = _counts(server.app, site_id)
    context = phone_context(browser)
    page = context.new_page()
    seen = []

    def lose_the_first_answer(route):
        seen.append(route.request.headers.get("idempotency-key"))
        if len(seen) == 1:
            route.fetch()  # the server commits the check-in...
            route.abort()  # ...and the phone never hears back
        else:
            route.continue_()

    try:
        _ready(context, page, server)
        # A context route: it also sees requests a service worker lets through.
        context.route("**/api/v1/events", lose_the_first_answer)
        # Queued online: add() starts a flush at once, whose answer is lost.
        [event_id] = page.evaluate(QUEUE_CHECKINS_JS, {"tokens": tokens[3:4], "n": 1})
        # The lost answer counts as a network failure: the outbox backs off before retrying.
        wait_for_async(page, "() => PmOutbox.state().then((s) => s.retryAt > 0 && !s.syncing)")
        assert seen == [event_id]
        # The server has it, the phone does not know: the item stays, with one attempt.
        after_loss = _counts(server.app, site_id)
        assert [c for c in after_loss["checkins"] if c not in before["checkins"]] == [event_id]
        [kept] = page.evaluate(OUTBOX_ITEMS_JS)
        assert kept["id"] == event_id
        assert kept["status"] == "waiting"
        assert kept["attempts"] == 1

        flush_until_empty(page, timeout_s=30)
        assert seen == [event_id, event_id]  # the replay went out under the same key
        assert page.evaluate(OUTBOX_ITEMS_JS) == []
        assert outbox_state(page)["attention"] == []
        _assert_each_once(_counts(server.app, site_id), [event_id], before)
    finally:
        context.unroute("**/api/v1/events")
        context.set_offline(False)
        context.close()


def _jpeg_base64() -> str:
    import base64
    import io

    from PIL import Image

    picture = Image.frombytes("RGB", (320, 240), random.randbytes(320 * 240 * 3))  # noqa: S311
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return base64.b64encode(out.getvalue()).decode()


#: A check-in, a photo and an anomaly naming both (by the check-in's event id and the photo's
#: UUID), as the patrol page queues them offline.
QUEUE_ANOMALY_JS = """async ({token, jpeg}) => {
    const bytes = Uint8Array.from(atob(jpeg), (c) => c.charCodeAt(0));
    const checkin = await PmOutbox.add({type: "patrol.checkin",
                                        data: {token, scanned_at: PmOutbox.isoNow()}});
    const photo = await PmOutbox.addPhoto(new File([bytes], "leak.jpg", {type: "image/jpeg"}));
    const anomaly = await PmOutbox.add({type: "patrol.anomaly",
        data: {checkin_event: checkin, kind: "leak", note: "Water under the door", photo}});
    return {checkin, photo, anomaly};
}"""


def test_a_photo_whose_answer_is_lost_is_stored_once_and_the_anomaly_gets_it(
    browser, volume_server
):
    from pmfield.patrol.models import Incident
    from pmfield.photos.models import Photo

    server, tokens, site_id = volume_server

    def totals():
        with server.app.app_context():
            counted = [db.session.scalar(select(func.count(model.id)))
                       for model in (Photo, Incident, CheckIn)]
            db.session.remove()
        return counted

    before = totals()
    context = phone_context(browser)
    page = context.new_page()
    uploads = []

    def lose_the_first_answer(route):
        uploads.append(route.request.headers.get("idempotency-key"))
        if len(uploads) == 1:
            route.fetch()  # the server stores the photo...
            route.abort()  # ...and the phone never learns its id
        else:
            route.continue_()

    try:
        _ready(context, page, server)
        context.route("**/api/v1/photos", lose_the_first_answer)
        context.set_offline(True)
        ids = page.evaluate(QUEUE_ANOMALY_JS, {"token": tokens[5], "jpeg": _jpeg_base64()})
        context.set_offline(False)
        flush_until_empty(page, timeout_s=30)

        assert uploads == [ids["photo"], ids["photo"]]  # lost once, replayed under its key
        assert page.evaluate(OUTBOX_ITEMS_JS) == []
        assert outbox_state(page)["attention"] == []
        assert [n - m for n, m in zip(totals(), before, strict=True)] == [1, 1, 1]
        with server.app.app_context():
            photos = db.session.scalars(select(Photo).where(Photo.client_id == ids["photo"])).all()
            incidents = db.session.scalars(
                select(Incident).where(Incident.client_id == ids["anomaly"])).all()
            checkins = db.session.scalars(
                select(CheckIn).where(CheckIn.client_id == ids["checkin"])).all()
            keys = db.session.execute(
                select(IdempotencyKey.key, IdempotencyKey.kind, IdempotencyKey.response_status)
                .where(IdempotencyKey.key.in_(list(ids.values())))).all()
            assert len(photos) == 1
            assert len(checkins) == 1
            [incident] = incidents
            assert incident.photo_id == photos[0].id
            assert incident.check_in_id == checkins[0].id
            assert sorted(tuple(k) for k in keys) == sorted([
                (ids["checkin"], "event", 201), (ids["photo"], "photo", 201),
                (ids["anomaly"], "event", 201)])
            db.session.remove()
    finally:
        context.unroute("**/api/v1/photos")
        context.set_offline(False)
        context.close()


def test_offline_mode_cuts_off_the_service_worker_and_the_page(browser, volume_server):
    """The offline tests are only honest if the service worker cannot reach the server either
    (Playwright once applied offline mode to pages only)."""
    server, _tokens, _site_id = volume_server
    context = phone_context(browser)
    page = context.new_page()
    sw_fetch = """() => fetch('/healthz?sw=' + Date.now(), {cache: 'no-store'})
                        .then((r) => 'ok ' + r.status, () => 'failed')"""
    page_fetch = """() => Promise.all([
        fetch('/healthz?page=' + Date.now(), {cache: 'no-store'})
          .then((r) => 'ok ' + r.status, () => 'failed'),
        fetch('/api/v1/session', {cache: 'no-store'})
          .then((r) => 'ok ' + r.status, () => 'failed')])"""
    try:
        _ready(context, page, server)
        deadline = time.monotonic() + INSTALL_TIMEOUT_MS / 1000
        while not context.service_workers and time.monotonic() < deadline:
            time.sleep(0.1)
        [worker] = context.service_workers
        assert worker.url == server.url + "/sw.js"

        # Online, both reach the server: the checks below can tell the difference.
        assert worker.evaluate(sw_fetch) == "ok 200"
        assert page.evaluate(page_fetch) == ["ok 200", "ok 200"]

        context.set_offline(True)
        assert worker.evaluate(sw_fetch) == "failed"
        assert page.evaluate(page_fetch) == ["failed", "failed"]
        assert page.evaluate("() => navigator.onLine") is False

        context.set_offline(False)
        assert worker.evaluate(sw_fetch) == "ok 200"
        assert page.evaluate(page_fetch) == ["ok 200", "ok 200"]
    finally:
        context.set_offline(False)
        context.close()


# --------------------------------------------------------------------------- a killed server

#: The app in a process of its own, on a fixed port, so it can be killed and started again.
#: STALE_CLAIM is the age after which a "pending" idempotency claim of a request that died is
#: retaken (45 s in pmfield): shortened here so the retry after the kill does not wait
#: 45 s for the claim the killed request may have left behind.
SERVER_SCRIPT = """
import itertools, json, sys, time
from datetime import timedelta
from werkzeug.serving import WSGIRequestHandler, make_server
import pmfield.api.services as services
from pmfield import create_app

class Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass

config, port, stale = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
stall_at = int(sys.argv[4])
services.STALE_CLAIM = timedelta(seconds=stale)
if stall_at:
    # The stall_at-th check-in hangs after its key is claimed, before its work commits.
    checkin = services.EVENT_TYPES["patrol.checkin"]
    work, calls = checkin.handler, itertools.count(1)
    def stalling(*args, **kwargs):
        if next(calls) == stall_at:
            time.sleep(60)
        return work(*args, **kwargs)
    checkin.handler = stalling
server = make_server("127.0.0.1", port, create_app(config), threaded=True, request_handler=Quiet)
server.serve_forever()
"""
#: Set PMFIELD_TEST_STALE_CLAIM_S=45 (pmfield's own value) to see the queue blocked by 409s.
STALE_CLAIM_S = float(os.environ.get("PMFIELD_TEST_STALE_CLAIM_S", "5"))
#: In the "between claim and commit" runs, this check-in stalls (and the server is killed).
STALL_AT = 60


class ServerProcess:
    def __init__(self, config: dict, port: int, log: Path):
        self.config, self.port, self.log = config, port, log
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, stall_at: int = 0, timeout_s: float = 30) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER_SCRIPT, json.dumps(self.config), str(self.port),
                 str(STALE_CLAIM_S), str(stall_at)],
                stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2],
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited ({self.process.returncode}): "
                            f"{self.log.read_text()[-2000:]}")
            try:
                health = self.url + "/healthz"  # http on 127.0.0.1, built here
                with urllib.request.urlopen(health, timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.mark.parametrize("moment", ["anywhere", "between claim and commit"])
def test_the_server_killed_mid_flush_and_restarted_loses_and_doubles_nothing(
    browser, tmp_path, moment
):
    """Killed at a random moment, or (made to happen every run) while a request holds its
    idempotency key claimed but has not committed its work: that claim is left "pending" in the
    database and the retry must neither be refused forever nor apply the event twice."""
    config = live_config(tmp_path, "outbox-kill-secret")
    app = create_app(config)  # the test's view of the same database
    tokens, site_id = _seed(app)
    process = ServerProcess(config, free_port(), tmp_path / "server.log")
    server = LiveServer(url=process.url, app=app, username=USERNAME, password=factories.PASSWORD,
                        point_code="V-00", token=tokens[0])
    context = phone_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        process.start(stall_at=STALL_AT if moment != "anywhere" else 0)
        _ready(context, page, server)
        context.set_offline(True)
        ids = page.evaluate(QUEUE_CHECKINS_JS, {"tokens": tokens, "n": KILL_VOLUME})
        assert outbox_state(page)["waiting"] == KILL_VOLUME
        context.set_offline(False)

        # Start the flush without waiting for it, and kill the server part-way through.
        page.evaluate("() => { window.__flush = PmOutbox.flush(); }")
        if moment == "anywhere":
            # Where in a request the kill lands varies from run to run (before the claim,
            # between the claim and the commit, after the commit but before the answer).
            threshold = random.randint(KILL_VOLUME // 10, KILL_VOLUME // 2)  # noqa: S311
            deadline = time.monotonic() + 60
            while (recorded := _checkin_count(app)) < threshold:
                assert time.monotonic() < deadline, f"only {recorded} check-ins after 60 s"
                time.sleep(0.005)
            time.sleep(random.uniform(0, 0.05))  # noqa: S311
        else:
            deadline = time.monotonic() + 60
            # Every request holds its claim for a moment; the stalled one holds it for good.
            while _checkin_count(app) < STALL_AT - 1 or not _pending_keys(app):
                assert time.monotonic() < deadline, "no request stalled with its key claimed"
                time.sleep(0.01)
        process.kill()
        interrupted = page.evaluate("() => window.__flush")
        at_kill = _counts(app, site_id)
        recorded = len(at_kill["checkins"])
        pending = [k for k in at_kill["keys"] if k[1] == "pending"]
        print(f"\nkilled ({moment}): {recorded} of {KILL_VOLUME} check-ins recorded, "
              f"{len(pending)} claim(s) left pending; the flush said {interrupted}")
        assert 0 < recorded < KILL_VOLUME
        if moment != "anywhere":
            assert recorded == STALL_AT - 1
            assert len(pending) == 1
        assert interrupted["error"] == "network"
        waiting = outbox_state(page)["waiting"]
        # Removed from the phone only once the server's answer came back: at most the one
        # request in flight was recorded without the phone knowing.
        assert KILL_VOLUME - recorded <= waiting <= KILL_VOLUME - recorded + 1
        assert at_kill["chain_ok"]

        # The server is still down: a flush changes nothing.
        assert page.evaluate("() => PmOutbox.flush()")["error"] == "network"
        assert outbox_state(page)["waiting"] == waiting

        # Back on the same port (same secret: the session cookie still holds); the same page.
        process.start()
        restarted = time.monotonic()
        summaries = flush_until_empty(page, timeout_s=max(60, 2 * STALE_CLAIM_S))
        refused = Counter(s["error"] for s in summaries if s.get("error"))
        print(f"after the restart: {len(summaries)} flushes in "
              f"{time.monotonic() - restarted:.1f} s, errors {dict(refused)}")
        state = outbox_state(page)
        assert state["attention"] == []
        assert state["unsent"] == 0
        assert page.evaluate(OUTBOX_ITEMS_JS) == []
        _assert_each_once(_counts(app, site_id), ids)
        assert errors == []
    finally:
        context.set_offline(False)
        context.close()
        process.stop()
        with app.app_context():
            db.engine.dispose()
