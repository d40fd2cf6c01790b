"""A shift with no signal: a guard scans three checkpoints with the (fake) camera (reporting a
leak at the last one) and writes the handover, a cleaner
submits a checklist with a photo, a technician closes a job with a photo and a signature, all
offline. Each phone reloads offline (the app opens and shows its queue); back online, the
server has exactly one record of each.

Each person has a phone of their own. The guard's phone is a persistent Chromium profile
started again for each checkpoint with that checkpoint's label in front of its camera, so the
service worker and the outbox carry over between scans as on a real phone."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.api.models import IdempotencyKey
from pmfield.auth.roles import Role
from pmfield.checklists.models import ChecklistSubmission
from pmfield.checklists.models import CorrectiveTask
from pmfield.extensions import db
from pmfield.jobs import work
from pmfield.jobs.models import Job
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import Handover
from pmfield.patrol.models import Incident
from pmfield.photos.models import Photo
from pmfield.places.services import label_token
from pmfield.timeutil import utcnow
from tests import factories
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import OUTBOX_ITEMS_JS
from tests.browser.conftest import PHONE
from tests.browser.conftest import PRINTED_ORIGIN
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.conftest import choose_photo
from tests.browser.conftest import draw_signature
from tests.browser.conftest import live_app
from tests.browser.conftest import phone_context
from tests.browser.conftest import serving
from tests.browser.conftest import sign_in
from tests.browser.conftest import until_controlled
from tests.browser.conftest import write_qr_y4m
from tests.checklists.factories import make_plan
from tests.checklists.factories import make_template
from tests.checklists.factories import submit
from tests.jobs.factories import dispatched
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.photos.images import phone_jpeg

pytestmark = pytest.mark.browser

GUARD = "guard-offline-shift"
CLEANER = "cleaner-offline-shift"
TECHNICIAN = "tech-offline-shift"
CHECKPOINTS = ("OFF-CP-1", "OFF-CP-2", "OFF-CP-3")
CONTROLLED = "() => navigator.serviceWorker.controller !== null"
KEPT = "() => Number(document.documentElement.dataset.keptPages || 0) > 0"


#: The first bytes of an outbox item's blob (its photo, or the PNG an event carries).
PNG_BLOB_JS = """(id) => new Promise((resolve, reject) => {
    const open = indexedDB.open("pmfield-outbox");
    open.onsuccess = () => {
      const request = open.result.transaction("blobs").objectStore("blobs").get(id);
      request.onsuccess = () => {
        resolve(Array.from(new Uint8Array(request.result.buffer).slice(0, 4)));
        open.result.close();
      };
      request.onerror = () => reject(request.error);
    };
})"""


def _waiting(n: int) -> str:
    return f"() => document.getElementById('outbox-status').dataset.waiting === '{n}'"


@pytest.fixture(scope="module")
def shift(tmp_path_factory, chromium_path):
    """A server of its own with a guard, a cleaner and a technician on one site."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    root = tmp_path_factory.mktemp("offline-shift")
    app = live_app(root, "offline-shift-secret")
    with app.app_context():
        site = factories.make_site(code="OFS", name_en="Offline shift site", name_zh="离线班组")
        tokens = [label_token(factories.make_point(site, code=code).current_label)
                  for code in CHECKPOINTS]
        factories.make_user(sites=[site], username=GUARD, display_name="Gao Guard")

        area = factories.make_point(site, code="OFF-WC", kind="cleaning_area",
                                    name_en="Basement toilet", name_zh="地下室卫生间")
        due = (utcnow() + timedelta(hours=1)).astimezone(ZoneInfo(site.timezone))
        make_plan(site, point=area, template=make_template(site, 3, name_en="Toilet check"),
                  times=due.strftime("%H:%M"), lead_minutes=180, now=utcnow())
        cleaner = factories.make_user(Role.CLEANER, sites=[site], username=CLEANER,
                                      display_name="Chen Cleaner")
        # A lobby the supervisor spot-checked this morning: one correction for the cleaner.
        lobby = factories.make_point(site, code="OFF-LOBBY", kind="cleaning_area",
                                     name_en="Lobby")
        make_plan(site, point=lobby, template=make_template(site, 2, name_en="Lobby check"),
                  times=due.strftime("%H:%M"), lead_minutes=180, now=utcnow())
        boss = factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site])
        with app.test_request_context():
            submit(cleaner, lobby)
            submit(boss, lobby, fail=1, deadline=utcnow() + timedelta(hours=4))
        correction = db.session.scalars(select(CorrectiveTask)).one()

        pump = factories.make_point(site, code="OFF-PUMP", kind="pump", name_en="Sump pump")
        tech = factories.make_user(Role.TECHNICIAN, sites=[site], username=TECHNICIAN,
                                   display_name="Tang Tech")
        job = on_site(new_job(site, point=pump, description="Sump pump tripping"), tech)
        fan = factories.make_point(site, code="OFF-FAN", kind="equipment", name_en="Exhaust fan")
        next_job = dispatched(new_job(site, point=fan, description="Fan rattling"), tech)
        details = {"tokens": tokens, "area_token": label_token(area.current_label),
                   "correction_id": correction.id,
                   "job_id": job.id, "job_number": job.number, "next_job_id": next_job.id,
                   "fan_token": label_token(fan.current_label)}
        db.session.remove()
    with serving(app, username=GUARD, password=factories.PASSWORD, point_code=CHECKPOINTS[0],
                 token=tokens[0]) as server:
        yield server, details


def _count(server, model, *where) -> int:
    with server.app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return n


def _as(server, username):
    from dataclasses import replace

    return replace(server, username=username)


def _ready(page, server) -> None:
    """Signed in and online: the service worker controls the page and has kept today's pages."""
    sign_in(page, server)
    until_controlled(page)
    page.wait_for_function(KEPT, timeout=60_000)


def _reload_offline_shows_queue(page, server, n: int) -> None:
    """With no network the app still opens, and says what waits on the phone."""
    page.goto(server.url + "/")
    page.wait_for_function(_waiting(n))
    status = page.inner_text("#outbox-status")
    assert f"{n} waiting" in status and "Saved on this phone" in status
    assert page.locator("[data-outbox-sync]").is_visible()


def _back_online(context, page) -> None:
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function(_waiting(0), timeout=60_000)
    state = page.evaluate("() => PmOutbox.state()")
    assert state["unsent"] == 0, state


def _guard_phone(playwright, chromium_path, profile, video):
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"],
        permissions=["camera"], **PHONE,
    )


def test_a_guard_scans_three_checkpoints_offline_and_each_arrives_once(
        playwright_instance, chromium_path, shift, tmp_path):
    server, details = shift
    profile = tmp_path / "guard-phone"
    for index, token in enumerate(details["tokens"]):
        video = tmp_path / f"checkpoint-{index}.y4m"
        write_qr_y4m(video, f"{PRINTED_ORIGIN}/q/{token}")
        context = _guard_phone(playwright_instance, chromium_path, profile, video)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            errors = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            if index == 0:
                _ready(page, server)
            context.set_offline(True)
            page.goto(server.url + "/scan")
            page.click("#scanner-start")
            page.locator("#scan-result [data-outcome=saved]").wait_for(timeout=30_000)
            assert "Saved on this phone" in page.inner_text("#scan-result")
            page.wait_for_function(_waiting(index + 1))
            if index == len(details["tokens"]) - 1:
                # A leak at the last checkpoint, reported before there is any signal.
                page.click("#scan-result [data-report-anomaly]")
                report = page.locator("#report-incident form")
                report.locator("input[value=leak]").check()
                report.locator("[name=note]").fill("Water under the door")
                report.locator("button[type=submit]").click()
                page.locator("#report-incident [data-outbox=saved]").wait_for()
                # The shift ends in the guard room, still offline: the handover.
                page.goto(server.url + "/patrol/handovers/new")
                page.fill("[name=keys]", "Plant room key to Li")
                page.click("form[data-outbox-event] button[type=submit]")
                page.locator("[data-outbox=saved]").wait_for()

                _reload_offline_shows_queue(page, server, 5)
                assert _count(server, CheckIn) == 0
                _back_online(context, page)
            assert errors == []
        finally:
            context.close()

    with server.app.app_context():
        rows = db.session.scalars(select(CheckIn).order_by(CheckIn.scanned_at)).all()
        assert [c.point.code for c in rows] == list(CHECKPOINTS)
        assert {c.source for c in rows} == {"sync"}
        [incident] = db.session.scalars(select(Incident)).all()
        assert (incident.kind, incident.note) == ("leak", "Water under the door")
        assert incident.check_in_id == rows[-1].id  # named by its event id while offline
        [handover] = db.session.scalars(select(Handover)).all()
        assert handover.keys == "Plant room key to Li"
        db.session.remove()


def test_a_cleaner_submits_a_checklist_with_a_photo_offline_and_it_arrives_once(
        browser, shift, tmp_path):
    server, details = shift
    server = _as(server, CLEANER)
    photo = tmp_path / "bin.jpg"
    photo.write_bytes(phone_jpeg(1200, 900))
    context = phone_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _ready(page, server)
        context.set_offline(True)
        # Scanning the area's label opens its page: kept on the phone while online.
        page.goto(f"{server.url}/q/{details['area_token']}")
        page.locator(".checklist-form").wait_for()
        items = page.locator(".checklist-item")
        for index in range(items.count()):
            items.nth(index).locator(".answer-pass").click()
        first = items.nth(0)
        first.locator(".answer-fail").click()
        first.locator("textarea").fill("Floor drain blocked")
        choose_photo(first, photo)
        page.click("button:has-text('Submit checklist')")
        saved = page.locator("#checklist [data-outbox=saved]")
        saved.wait_for()
        assert "Saved on this phone" in saved.inner_text()
        assert "Not submitted yet" in saved.inner_text()
        page.wait_for_function(_waiting(2))  # the photo, then the checklist naming it

        # The lobby's correction, put right with its photo, still offline.
        page.goto(f"{server.url}/cleaning/corrections/{details['correction_id']}")
        fix = page.locator("form[data-outbox-event='correction.fix']")
        choose_photo(fix, photo)
        fix.locator("[name=note]").fill("Mopped again")
        fix.locator("button[type=submit]").click()
        fix.locator("[data-outbox=saved]").wait_for()
        page.wait_for_function(_waiting(4))

        _reload_offline_shows_queue(page, server, 4)
        assert _count(server, ChecklistSubmission) == 2  # the morning's two, made online
        _back_online(context, page)
        assert errors == []
    finally:
        context.set_offline(False)
        context.close()

    with server.app.app_context():
        submission = db.session.scalars(select(ChecklistSubmission).where(
            ChecklistSubmission.point.has(code="OFF-WC"))).one()
        [failed] = submission.failed
        assert failed.note == "Floor drain blocked"
        assert failed.photo is not None and failed.photo.width <= 1600
        assert submission.user.username == CLEANER
        correction = db.session.get(CorrectiveTask, details["correction_id"])
        assert correction.status == "fixed" and correction.fix_photo is not None
        db.session.remove()
    assert _count(server, IdempotencyKey, IdempotencyKey.status == "done") >= 2


def test_a_technician_closes_a_job_with_a_photo_and_a_signature_offline(
        browser, shift, tmp_path):
    server, details = shift
    server = _as(server, TECHNICIAN)
    photo = tmp_path / "after.jpg"
    photo.write_bytes(phone_jpeg(1200, 900))
    job_url = f"{server.url}/jobs/{details['job_id']}"
    context = phone_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _ready(page, server)
        context.set_offline(True)
        page.goto(job_url)  # kept on the phone: one of the technician's jobs
        page.locator("#work-panel[data-state=on_site]").wait_for()
        # Its styles are on the phone too: the page fits the screen (the pad is not 1,200 px).
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]

        photos = page.locator("#work-photos")
        photos.locator("input[value=after]").check()
        choose_photo(photos, photo)
        photos.locator("button[type=submit]").click()
        photos.locator("[data-outbox=saved]").wait_for()

        category = page.locator("#work-category")
        category.locator("input[value=public]").check()
        category.locator("button[type=submit]").click()
        category.locator("[data-outbox=saved]").wait_for()

        signature = page.locator("#work-signature form")
        draw_signature(page, signature.locator("canvas"))
        signature.locator("[name=signer_name]").fill("Mr Wang")
        signature.locator("button[type=submit]").click()
        signature.locator("[data-outbox=saved]").wait_for()
        # The signature waits as bytes of its own (a PNG), not as text in the event.
        [signed] = [i for i in page.evaluate(OUTBOX_ITEMS_JS) if i["type"] == "job.signature"]
        assert "png" not in signed["data"] and signed["binary_path"] == "png"
        assert page.evaluate(PNG_BLOB_JS, signed["id"]) == [0x89, 0x50, 0x4E, 0x47]

        close = page.locator("#work-close")
        close.locator("[name=customer_opinion]").fill("Fixed in the dark")
        close.locator("button[type=submit]").click()
        saved = close.locator("[data-outbox=saved]")
        saved.wait_for()
        assert "Saved on this phone" in saved.inner_text()
        assert "Job closed" not in page.inner_text("#work-panel")  # the server has not said so
        # The photo, the job.photo naming it, the category, the signature and the close.
        page.wait_for_function(_waiting(5))

        # The next job, still offline: accept it, and the next step shows at once.
        page.goto(f"{server.url}/jobs/{details['next_job_id']}")
        page.click("button:has-text('Accept the job')")
        page.locator("#work-panel [data-outbox=saved]").wait_for()
        assert page.locator("button:has-text('Accept the job')").is_hidden()
        page.click("button:has-text(\"I'm on my way\")")
        page.wait_for_function(_waiting(7))
        assert page.locator("#work-panel [data-outbox=saved]").count() == 2
        # At the fan: its label's page (kept while the job was only assigned) records the
        # arrival, since the acceptance waits on the phone.
        page.goto(f"{server.url}/q/{details['fan_token']}")
        page.locator("[data-arrive-status][data-outbox=saved]").wait_for()
        page.wait_for_function(_waiting(8))

        _reload_offline_shows_queue(page, server, 8)
        with server.app.app_context():
            assert db.session.get(Job, details["job_id"]).status == "on_site"
            db.session.remove()
        went_online = utcnow()
        _back_online(context, page)
        assert errors == []
    finally:
        context.set_offline(False)
        context.close()

    with server.app.app_context():
        job = db.session.get(Job, details["job_id"])
        assert job.status == "closed" and job.category == "public"
        assert job.customer_opinion == "Fixed in the dark"
        assert job.signature.signer_name == "Mr Wang"
        shots = work.photos_of_job(job)
        assert (len(shots["before"]), len(shots["after"])) == (0, 1)
        assert [e.action for e in job.events].count("close") == 1
        next_job = db.session.get(Job, details["next_job_id"])
        assert next_job.status == "on_site" and next_job.arrival_label_id is not None
        assert [e.action for e in next_job.events][-3:] == ["accept", "depart", "arrive"]
        # Each step counts when it was done on the phone, not when the phone found signal.
        assert next_job.accepted_at <= next_job.departed_at <= next_job.arrived_at < went_online
        assert job.closed_at < went_online
        tech_photos = db.session.scalar(select(func.count()).select_from(Photo).join(
            Photo.uploaded_by).where(Photo.uploaded_by.has(username=TECHNICIAN)))
        assert tech_photos == 1
        db.session.remove()
