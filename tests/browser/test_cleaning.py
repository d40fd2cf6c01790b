"""A cleaner's checklist on a phone: the area's label read by the (fake) camera opens its
checklist, an item fails with a photo chosen through the file chooser, the checklist is
submitted, and the supervisor's board shows the failure with its photo."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pmfield.api.models import IdempotencyKey
from pmfield.auth.roles import Role
from pmfield.checklists.models import ChecklistSubmission
from pmfield.extensions import db
from pmfield.places.models import Site
from pmfield.places.services import label_token
from pmfield.timeutil import utcnow
from tests import factories
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import PRINTED_ORIGIN
from tests.browser.conftest import PageWatch
from tests.browser.conftest import choose_photo
from tests.browser.conftest import phone_context
from tests.browser.conftest import sign_in
from tests.browser.conftest import write_qr_y4m
from tests.checklists.factories import make_plan
from tests.checklists.factories import make_template
from tests.photos.images import phone_jpeg

pytestmark = pytest.mark.browser

CLEANER = "cleaner-browser"
SUPERVISOR = "clean-lead-browser"


@pytest.fixture(scope="module")
def area(live_server):
    """A toilet whose checklist is due in an hour (open for three), and its people."""
    with live_server.app.app_context():
        site = db.session.scalar(select(Site).where(Site.code == "HQ"))
        point = factories.make_point(site, code="WC-2F", kind="cleaning_area",
                                     name_en="2F toilet", name_zh="二楼卫生间")
        due = (utcnow() + timedelta(hours=1)).astimezone(ZoneInfo(site.timezone))
        make_plan(site, point=point, template=make_template(site, 3, name_en="Toilet check"),
                  times=due.strftime("%H:%M"), lead_minutes=180, now=utcnow())
        factories.make_user(Role.CLEANER, sites=[site], username=CLEANER,
                            display_name="Cleaner Sun")
        factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site], username=SUPERVISOR,
                            display_name="Lead Li")
        token = label_token(point.current_label)
        db.session.remove()
    return {"token": token}


def _as(server, username):
    from dataclasses import replace

    return replace(server, username=username)


def test_a_cleaner_fails_an_item_with_a_photo_and_the_board_shows_it(
    playwright_instance, chromium_path, browser, live_server, area, tmp_path
):
    video = tmp_path / "label.y4m"
    write_qr_y4m(video, f"{PRINTED_ORIGIN}/q/{area['token']}")
    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(phone_jpeg(1200, 900))
    camera = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"],
    )
    try:
        context = phone_context(camera)
        context.grant_permissions(["camera"], origin=live_server.url)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        watch = PageWatch(context, page)
        sign_in(page, _as(live_server, CLEANER))
        assert "WC-2F" in page.inner_text("#home-tasks")
        page.goto(live_server.url + "/scan")
        page.click("#scanner-start")
        page.wait_for_url(f"{live_server.url}/q/{area['token']}")
        page.locator(".checklist-form").wait_for()
        assert "Criterion 1" in page.inner_text("main")
        items = page.locator(".checklist-item")
        for index in range(items.count()):
            items.nth(index).locator(".answer-pass").click()
        first = items.nth(0)
        first.locator(".answer-fail").click()
        first.locator("textarea").fill("Bin overflowing")
        choose_photo(first, photo)
        page.click("button:has-text('Submit checklist')")
        page.locator("#submission").wait_for()
        assert "Checklist submitted" in page.inner_text("#submission")
        assert "1 item failed" in page.inner_text("#submission")
        assert watch.csp_violations(page) == []
        assert watch.page_errors == []
        context.close()
    finally:
        camera.close()

    with live_server.app.app_context():
        submission = db.session.scalar(select(ChecklistSubmission))
        failed = submission.failed[0]
        assert failed.note == "Bin overflowing"
        # Shrunk on the phone to about 1600 px at most, re-encoded on the server.
        assert failed.photo.width <= 1600 and failed.photo.content_type == "image/jpeg"
        # The page wrote through the sync API, as it does offline: the photo, then the event.
        answers = db.session.execute(select(
            IdempotencyKey.kind, IdempotencyKey.response_status, IdempotencyKey.response_body
        ).where(IdempotencyKey.user_id == submission.user_id).order_by(IdempotencyKey.id)).all()
        assert [(kind, status) for kind, status, _body in answers] == [
            ("photo", 201), ("event", 201)]
        assert answers[0].response_body["id"] == failed.photo.id
        assert answers[1].response_body["submission"]["id"] == submission.id
        db.session.remove()

    context = phone_context(browser)
    page = context.new_page()
    try:
        sign_in(page, _as(live_server, SUPERVISOR))
        page.goto(live_server.url + "/cleaning/board")
        failures = page.locator("#board-failures")
        assert "Bin overflowing" in failures.inner_text()
        assert "WC-2F" in failures.inner_text()
        image = failures.locator("img").first
        image.wait_for()
        assert page.evaluate("(img) => img.complete && img.naturalWidth > 0",
                             image.element_handle())
        assert "On time" in page.inner_text("#board-areas")
    finally:
        context.close()
