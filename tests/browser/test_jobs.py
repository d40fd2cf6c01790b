"""A repair job from the phone call to the callback, every role on its own phone: the desk
takes the request in, the engineering supervisor assigns it, the technician accepts, goes,
scans the pump's label with the (fake) camera to arrive, takes a before and an after photo,
ticks "public", has the customer sign with a finger and closes; the desk calls back."""

import re

import pytest
from sqlalchemy import select

from pmfield.api.models import IdempotencyKey
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import work
from pmfield.jobs.models import Callback
from pmfield.jobs.models import Job
from pmfield.places.models import Site
from pmfield.places.services import label_token
from tests import factories
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import PRINTED_ORIGIN
from tests.browser.conftest import PageWatch
from tests.browser.conftest import choose_photo
from tests.browser.conftest import draw_signature
from tests.browser.conftest import phone_context
from tests.browser.conftest import sign_in
from tests.browser.conftest import write_qr_y4m
from tests.photos.images import phone_jpeg

pytestmark = pytest.mark.browser

DESK = "desk-jobs-browser"
SUPERVISOR = "eng-lead-browser"
TECHNICIAN = "tech-browser"
POINT = "PUMP-B1"
#: What the sync API answered the technician's page, step by step: (kind, HTTP status, the
#: job's status after it).
STEPS_THROUGH_THE_API = [
    ("event", 201, "accepted"), ("event", 201, "on_the_way"),
    ("event", 201, "on_site"),  # the arrival, from the label's page
    ("photo", 201, None), ("event", 201, "on_site"),  # the before photo, then its job.photo
    ("photo", 201, None), ("event", 201, "on_site"),  # the after photo
    ("event", 201, "on_site"), ("event", 201, "on_site"),  # category, signature
    ("event", 201, "closed"),
]


@pytest.fixture(scope="module")
def pump(live_server):
    """A pump in the basement, and the three people of the job."""
    with live_server.app.app_context():
        site = db.session.scalar(select(Site).where(Site.code == "HQ"))
        point = factories.make_point(site, code=POINT, kind="pump", name_en="Basement pump",
                                     name_zh="地下室水泵")
        factories.make_user(Role.DESK, sites=[site], username=DESK, display_name="Desk Du")
        factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site], username=SUPERVISOR,
                            display_name="Lead Liu")
        factories.make_user(Role.TECHNICIAN, sites=[site], username=TECHNICIAN,
                            display_name="Tech Tang")
        token = label_token(point.current_label)
        db.session.remove()
    return {"token": token}


def _as(server, username):
    from dataclasses import replace

    return replace(server, username=username)


def test_a_job_from_the_desk_to_the_callback(
    playwright_instance, chromium_path, live_server, pump, tmp_path
):
    video = tmp_path / "label.y4m"
    write_qr_y4m(video, f"{PRINTED_ORIGIN}/q/{pump['token']}")
    before = tmp_path / "IMG_0100.jpg"
    before.write_bytes(phone_jpeg(1200, 900))
    after = tmp_path / "IMG_0101.jpg"
    after.write_bytes(phone_jpeg(900, 1200))
    chromium = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"],
    )
    try:
        # The desk takes the call.
        desk = phone_context(chromium)
        desk_page = desk.new_page()
        sign_in(desk_page, _as(live_server, DESK))
        desk_page.goto(live_server.url + "/jobs/new")
        form = desk_page.locator("#intake-form")
        form.locator("[name=requester_name]").fill("Ms Li")
        form.locator("[name=requester_phone]").fill("138 0000 1234")
        form.locator("[name=channel]").select_option("phone")
        form.locator("[name=point_code]").fill(POINT)
        form.locator("[name=description]").fill("Pump humming, no water on floor 3")
        form.locator("[name=priority]").select_option("urgent")
        with desk_page.expect_navigation(url=re.compile(r"/jobs/\d+$")):
            form.locator("button[type=submit]").click()
        job_url = desk_page.url
        job_id = int(job_url.rsplit("/", 1)[1])
        assert "Pump humming" in desk_page.inner_text("main")

        # The engineering supervisor assigns the technician.
        lead = phone_context(chromium)
        lead_page = lead.new_page()
        sign_in(lead_page, _as(live_server, SUPERVISOR))
        lead_page.goto(job_url)
        dispatch = lead_page.locator("#dispatch-form")
        dispatch.locator("[name=discipline]").select_option("plumbing")
        dispatch.locator("[name=priority]").select_option("urgent")
        dispatch.locator("label.check-row", has_text="Tech Tang").locator("input").check()
        dispatch.locator("button[type=submit]").click()
        lead_page.locator('#job[data-status="assigned"]').wait_for()
        lead.close()

        # The technician, on a phone whose camera films the pump's label.
        tech = phone_context(chromium)
        tech.grant_permissions(["camera"], origin=live_server.url)
        tech.add_init_script(CSP_LISTENER)
        page = tech.new_page()
        watch = PageWatch(tech, page)
        sign_in(page, _as(live_server, TECHNICIAN))
        home_card = page.locator("#home-jobs")
        assert POINT in home_card.inner_text() and "Urgent" in home_card.inner_text()
        home_card.locator(f'[data-job="{job_id}"] a').click()
        page.wait_for_url(job_url)
        page.click("button:has-text('Accept the job')")
        page.locator('#work-panel[data-state="accepted"]').wait_for()
        page.click("button:has-text(\"I'm on my way\")")
        page.locator('#work-panel[data-state="on_the_way"]').wait_for()
        page.click("[data-scan-to-arrive]")
        page.wait_for_url(live_server.url + "/scan")
        page.click("#scanner-start")
        # The scanner opens the label; its page sends the arrival and shows the job.
        page.locator('#work-panel[data-state="on_site"]').wait_for(timeout=20_000)
        assert page.url == job_url

        photos = page.locator("#work-photos")
        assert photos.locator("input[value=before]").is_checked()
        choose_photo(photos, before)
        photos.locator("button[type=submit]").click()
        page.locator("#work-photos", has_text="1 before photo").wait_for()
        photos = page.locator("#work-photos")
        photos.locator("input[value=after]").check()
        choose_photo(photos, after)
        photos.locator("button[type=submit]").click()
        page.locator("#work-photos", has_text="1 after photo").wait_for()

        category = page.locator("#work-category")
        category.locator("label", has_text="Public").click()
        category.locator("button[type=submit]").click()
        page.locator("#work-close:not(:has([data-problem=category]))").wait_for()

        signature = page.locator("#work-signature form")
        signature.locator("button[type=submit]").click()  # an empty pad is not sent
        message = signature.locator("[data-signature-message]")
        message.wait_for(state="visible")
        assert message.inner_text() == "Ask the customer to sign first."
        draw_signature(page, signature.locator("canvas"))
        assert not message.is_visible()
        signature.locator("[name=signer_name]").fill("Ms Li")
        signature.locator("button[type=submit]").click()
        page.locator("#work-signature img.signature-image").wait_for()
        assert "Signed by Ms Li" in page.inner_text("#work-signature")

        close = page.locator("#work-close")
        assert close.locator("[data-problem]").count() == 0
        close.locator("[name=customer_opinion]").fill("Quick and tidy")
        close.locator("button[type=submit]").click()
        page.locator('#job[data-status="closed"]').wait_for()
        assert "Job closed." in page.inner_text("#work-panel")
        assert page.url == job_url  # every step was an htmx swap of #job, no navigation
        assert watch.csp_violations(page) == []
        assert watch.page_errors == []
        tech.close()

        with live_server.app.app_context():
            job = db.session.get(Job, job_id)
            assert job.status == "closed" and job.category == "public"
            assert job.arrival_label_id == job.point.current_label.id
            assert job.customer_opinion == "Quick and tidy"
            assert job.signature.signer_name == "Ms Li" and job.signature.width >= 100
            photos_of = work.photos_of_job(job)
            assert (len(photos_of["before"]), len(photos_of["after"])) == (1, 1)
            assert [e.action for e in job.events][-1] == "close"
            # Every step the technician's page took went through the sync API, as offline.
            tech_id = next(a.user_id for a in job.assignments)
            answers = db.session.execute(select(
                IdempotencyKey.kind, IdempotencyKey.response_status, IdempotencyKey.response_body
            ).where(IdempotencyKey.user_id == tech_id).order_by(IdempotencyKey.id)).all()
            steps = [(kind, status, (body.get("job") or {}).get("status")) for kind, status, body
                     in answers]
            assert steps == STEPS_THROUGH_THE_API, steps
            callback_id = db.session.scalar(
                select(Callback.id).where(Callback.job_id == job_id))
            number = job.number
            db.session.remove()

        # The desk calls the customer back.
        desk_page.goto(live_server.url + "/jobs/callbacks")
        desk_page.locator("#callbacks a", has_text=number).click()
        desk_page.wait_for_url(f"{live_server.url}/jobs/callbacks/{callback_id}")
        callback = desk_page.locator("#callback-form")
        callback.locator("input[name=method][value=phone]").check()
        callback.locator("input[name=satisfaction][value=satisfied]").check()
        callback.locator("[name=comments]").fill("Happy with the repair")
        callback.locator("button[type=submit]").click()
        desk_page.locator("#callback", has_text="Recorded by Desk Du").wait_for()
        desk.close()
        with live_server.app.app_context():
            done = db.session.get(Callback, callback_id)
            assert done.satisfaction == "satisfied" and done.comments == "Happy with the repair"
            recorded = db.session.scalar(select(IdempotencyKey).where(
                IdempotencyKey.user_id == done.done_by_id))
            assert recorded.response_status == 201
            assert recorded.response_body["callback"]["id"] == callback_id
            db.session.remove()
    finally:
        chromium.close()
