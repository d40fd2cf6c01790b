"""A guard walks a round with only a phone: three labels scanned with the (fake) camera, the
supervisor's board shows them, and the fourth checkpoint is missed once the run has ended."""

from datetime import time

import pytest
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import tick
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import PatrolRun
from pmfield.places.models import Site
from pmfield.places.services import label_token
from pmfield.timeutil import utcnow
from tests import factories
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import PRINTED_ORIGIN
from tests.browser.conftest import PageWatch
from tests.browser.conftest import phone_context
from tests.browser.conftest import sign_in
from tests.browser.conftest import write_qr_y4m
from tests.patrol.factories import make_interval_schedule
from tests.patrol.factories import make_route

pytestmark = pytest.mark.browser

SUPERVISOR = "supervisor-browser"
CODES = ["NR-1", "NR-2", "NR-3", "NR-4"]


@pytest.fixture(scope="module")
def patrol_round(live_server):
    """Four checkpoints on a route walked every hour (runs of two hours), open right now."""
    with live_server.app.app_context():
        site = db.session.scalar(select(Site).where(Site.code == "HQ"))
        points = [
            factories.make_point(site, code=code, name_en=f"Night checkpoint {code}")
            for code in CODES
        ]
        route = make_route(site, points=points, name_en="Night round", name_zh="夜巡")
        # Every 60 minutes around the clock, each run open for 120: one is always open.
        make_interval_schedule(
            route, every=60, start=time(0), end=time(0), run_minutes=120, grace_minutes=0
        )
        factories.make_user(
            Role.SECURITY_SUPERVISOR, sites=[site], username=SUPERVISOR, display_name="Sam Sup"
        )
        tick.bring_up_to_date(site)
        tokens = [label_token(p.current_label) for p in points]
        site_id = site.id
        db.session.remove()
    return {"tokens": tokens, "site_id": site_id}


def _scan_with_camera(playwright, chromium_path, live_server, state, token, video_dir):
    """One scan: a Chromium whose camera films this label; the check-in is recorded at once."""
    video = video_dir / f"{token}.y4m"
    write_qr_y4m(video, f"{PRINTED_ORIGIN}/q/{token}")
    browser = playwright.chromium.launch(
        executable_path=chromium_path,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = phone_context(browser, storage_state=state)
        context.grant_permissions(["camera"], origin=live_server.url)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        watch = PageWatch(context, page)
        page.goto(live_server.url + "/scan")
        page.click("#scanner-start")
        banner = page.locator("#scan-result .checkin-banner-ok")
        banner.wait_for(timeout=20_000)
        text = banner.inner_text()
        # No navigation: the scanner recorded the check-in itself and stays for the next one.
        assert page.url == live_server.url + "/scan"
        assert page.locator("#scan-result [data-scan-next]").is_visible()
        assert watch.csp_violations(page) == []
        assert watch.page_errors == []
        progress = page.locator("#scan-result .round-count").first.inner_text()
        context.close()
        return text, progress
    finally:
        browser.close()


def test_guard_walks_three_checkpoints_and_the_board_shows_the_fourth_missed(
    playwright_instance, chromium_path, browser, live_server, signed_in_state, patrol_round,
    tmp_path_factory,
):
    video_dir = tmp_path_factory.mktemp("round")
    progresses = []
    for code, token in zip(CODES[:3], patrol_round["tokens"][:3], strict=True):
        text, progress = _scan_with_camera(
            playwright_instance, chromium_path, live_server, signed_in_state, token, video_dir
        )
        assert "Checked in" in text and code in text
        progresses.append(progress)
    assert [p.split()[0:3] for p in progresses] == [
        ["1", "of", "4"], ["2", "of", "4"], ["3", "of", "4"],
    ]

    with live_server.app.app_context():
        rows = db.session.scalars(select(CheckIn).order_by(CheckIn.seq)).all()
        assert [c.point.code for c in rows] == CODES[:3]
        assert all(c.source == "scanner" and c.device_time is not None for c in rows)
        run = db.session.get(PatrolRun, _run_of(rows[0]))
        # Time passes: the run's window ends and tick closes it.
        site = db.session.get(Site, patrol_round["site_id"])
        tick.bring_up_to_date(site, now=max(run.grace_until, utcnow()))
        db.session.refresh(run)
        assert run.status == "partial"
        db.session.remove()

    context = phone_context(browser)
    page = context.new_page()
    try:
        sign_in(page, _as(live_server, SUPERVISOR))
        page.goto(live_server.url + "/patrol/")
        board = page.inner_text("main")
        assert "Night round" in board
        assert "Partial" in board
        assert "NR-4" in board
        assert "Gina Guard" in board
        page.goto(f"{live_server.url}/patrol/runs/{run.id}")
        detail = page.inner_text("main")
        for code in CODES:
            assert code in detail
        assert "Missed" in detail
    finally:
        context.close()


def _run_of(check_in) -> int:
    from pmfield.patrol.models import RunPoint

    return db.session.scalar(select(RunPoint.run_id).where(RunPoint.check_in_id == check_in.id))


def _as(server, username):
    from dataclasses import replace

    return replace(server, username=username)
