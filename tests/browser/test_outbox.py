"""The phone's outbox: a guard scans with no network, the scan waits on the phone (and keeps
the guard from signing out), and reaches the server exactly once when the network is back.
A forged label queued offline comes back refused and stays, shown as needing attention."""

import json

import pytest
from sqlalchemy import select

from pmfield.extensions import db
from pmfield.patrol.models import CheckIn
from pmfield.places.services import label_token
from tests import factories
from tests.browser.conftest import OUTBOX_ITEMS_JS
from tests.browser.conftest import PRINTED_ORIGIN
from tests.browser.conftest import live_app
from tests.browser.conftest import phone_context
from tests.browser.conftest import serving
from tests.browser.conftest import sign_in
from tests.browser.conftest import until_controlled
from tests.browser.conftest import wait_for_async

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
USERNAME = "guard-outbox"
#: The next shift on the same phone.
NEXT_SHIFT = "guard-outbox-next"
CODE = "OB-1"
#: Looks like a label token (20 base32 characters) but no label has it.
FORGED = "ABCDEFGHIJKLMNOPQRST"


@pytest.fixture(scope="module")
def outbox_server(tmp_path_factory, chromium_path):
    """A server of its own: these tests add check-ins, which other modules count."""
    root = tmp_path_factory.mktemp("outbox")
    app = live_app(root, "outbox-test-secret")
    with app.app_context():
        site = factories.make_site(code="OB", name_en="Outbox site", name_zh="离线站点")
        point = factories.make_point(site, code=CODE, name_en="Basement stairwell")
        factories.make_user(sites=[site], username=USERNAME, display_name="Olga Offline")
        factories.make_user(sites=[site], username=NEXT_SHIFT, display_name="Ned Next")
        token = label_token(point.current_label)
        db.session.remove()
    with serving(app, username=USERNAME, password=factories.PASSWORD, point_code=CODE,
                 token=token) as server:
        yield server


def _check_ins(server) -> list[tuple[str, str, str]]:
    with server.app.app_context():
        rows = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        result = [(c.point.code, c.client_id, c.source) for c in rows]
        db.session.remove()
    return result


def _ready_offline(context, page, server) -> None:
    """Sign in, let the service worker store /scan and /menu, then cut the network."""
    sign_in(page, server)
    until_controlled(page)
    for path in ("/menu", "/scan"):
        page.goto(server.url + path)
    context.set_offline(True)


def _scan_offline(page, token) -> None:
    page.evaluate(
        """(text) => document.getElementById("scanner")
            .dispatchEvent(new CustomEvent("pmfield:scanned", {detail: text}))""",
        f"{PRINTED_ORIGIN}/q/{token}",
    )
    page.locator("#scan-result [data-outcome=saved]").wait_for()


def _outbox_items(page) -> list[dict]:
    return page.evaluate(OUTBOX_ITEMS_JS)


def test_a_scan_made_offline_waits_on_the_phone_and_arrives_once(browser, outbox_server):
    server = outbox_server
    context = phone_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _ready_offline(context, page, server)
        _scan_offline(page, server.token)

        banner = page.inner_text("#scan-result .checkin-banner")
        assert "Saved on this phone" in banner
        assert "Will be sent when online" in banner
        assert "Checked in" not in banner  # the online confirmation is for the server's answer
        status = page.locator("#outbox-status")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.waiting === '1'"
        )
        assert "1 waiting" in status.inner_text()
        assert "Saved on this phone" in status.inner_text()
        assert _check_ins(server) == []

        [item] = _outbox_items(page)
        assert item["user"] == USERNAME
        assert item["kind"] == "event"
        assert item["type"] == "patrol.checkin"
        assert item["data"]["token"] == server.token
        assert item["data"]["scanned_at"][-6] in "+-"  # the phone's time, with its offset
        assert item["status"] == "waiting"
        assert item["app_version"]

        # Signing out would strand the scan: the page refuses while it waits.
        page.goto(server.url + "/menu")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.waiting === '1'"
        )
        page.click("form[data-outbox-logout] button[type=submit]")
        guard = page.locator("[data-logout-guard]")
        guard.wait_for()
        assert "1 item is not sent yet" in guard.inner_text()
        assert page.url == server.url + "/menu"
        assert guard.locator("[data-outbox-export]").is_visible()

        # The export is a file with everything unsent, made on the phone.
        with page.expect_download() as download_info:
            guard.locator("[data-outbox-export]").click()
        exported = download_info.value
        assert exported.suggested_filename.endswith(".json")
        with open(exported.path(), encoding="utf-8") as handle:
            dump = json.load(handle)
        assert dump["user"] == USERNAME
        assert [i["id"] for i in dump["items"]] == [item["id"]]

        # "Sync now" with no network: nothing is lost, nothing claims to be sent.
        guard.locator("[data-outbox-sync]").click()
        wait_for_async(page, "() => PmOutbox.state().then((s) => !s.syncing)")
        assert page.get_attribute("#outbox-status", "data-waiting") == "1"
        assert "Last synced" not in status.inner_text()

        # The network is back but the server cannot be reached yet: the item stays.
        context.route("**/api/v1/**", lambda route: route.abort())
        context.set_offline(False)
        page.evaluate("PmOutbox.flush()")
        assert page.get_attribute("#outbox-status", "data-waiting") == "1"
        assert _check_ins(server) == []

        # The server answers again: "Sync now" sends it.
        context.unroute("**/api/v1/**")
        guard.locator("[data-outbox-sync]").click()
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.waiting === '0'"
        )
        page.locator("[data-outbox-synced]:has-text('Last synced')").wait_for()
        assert "All sent" in status.inner_text()
        assert guard.is_hidden()
        assert _outbox_items(page) == []

        assert _check_ins(server) == [(CODE, item["id"], "sync")]
        # Another flush, or a resend after a lost answer, changes nothing.
        page.evaluate("PmOutbox.flush()")
        replay = page.evaluate(
            """async (item) => {
                const s = await (await fetch("/api/v1/session")).json();
                const r = await fetch("/api/v1/events", {method: "POST",
                  headers: {"Content-Type": "application/json", "Idempotency-Key": item.id,
                            "X-CSRFToken": s.csrf_token},
                  body: JSON.stringify({id: item.id, type: item.type,
                                        captured_at: item.device_time, data: item.data})});
                return r.status;
            }""",
            item,
        )
        assert replay == 200
        assert len(_check_ins(server)) == 1

        # Nothing left: signing out goes through.
        with page.expect_navigation(url=f"{server.url}/auth/login**"):
            page.click("form[data-outbox-logout] button[type=submit]")
        assert errors == []
    finally:
        context.set_offline(False)
        context.close()


def test_a_forged_label_queued_offline_needs_attention_and_is_kept(browser, outbox_server):
    server = outbox_server
    before = _check_ins(server)
    context = phone_context(browser)
    page = context.new_page()
    try:
        _ready_offline(context, page, server)
        _scan_offline(page, FORGED)
        [item] = _outbox_items(page)

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.attention === '1'"
        )
        assert page.get_attribute("#outbox-status", "data-waiting") == "0"
        attention = page.locator("[data-outbox-attention]")
        assert "Needs attention (1)" in attention.inner_text()

        # The message is the server's own, and the server keeps it for a replay.
        answer = page.evaluate(
            """async (item) => {
                const s = await (await fetch("/api/v1/session")).json();
                const r = await fetch("/api/v1/events", {method: "POST",
                  headers: {"Content-Type": "application/json", "Idempotency-Key": item.id,
                            "X-CSRFToken": s.csrf_token},
                  body: JSON.stringify({id: item.id, type: item.type,
                                        captured_at: item.device_time, data: item.data})});
                return {status: r.status, body: await r.json()};
            }""",
            item,
        )
        assert answer["status"] == 422
        message = answer["body"]["error"]
        assert message
        assert message in attention.inner_text()
        [kept] = _outbox_items(page)
        assert kept["id"] == item["id"]
        assert kept["status"] == "attention"
        assert kept["message"] == message
        assert _check_ins(server) == before

        # Still there after a reload and another flush: never dropped behind the user's back.
        page.reload()
        page.evaluate("PmOutbox.flush()")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.attention === '1'"
        )
        assert len(_outbox_items(page)) == 1

        # Only the user's explicit discard removes it.
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(f"[data-outbox-discard='{item['id']}']")
        wait_for_async(page, "() => PmOutbox.count().then((n) => n === 0)")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.attention === '0'"
        )
        assert _outbox_items(page) == []
    finally:
        context.set_offline(False)
        context.close()


def test_an_ended_session_pauses_and_a_shared_phone_keeps_items_for_their_owner(
    browser, outbox_server
):
    from dataclasses import replace

    server = outbox_server
    before = _check_ins(server)
    context = phone_context(browser)
    page = context.new_page()
    try:
        _ready_offline(context, page, server)
        _scan_offline(page, server.token)
        [item] = _outbox_items(page)

        # The session ended while the phone was offline: sync pauses and asks to sign in.
        context.clear_cookies()
        context.set_offline(False)
        page.evaluate("PmOutbox.flush()")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.state === 'paused'"
        )
        assert "Sign in again to send 1 item" in page.inner_text("#outbox-status")
        assert page.locator("[data-outbox-signin]").is_visible()
        assert len(_outbox_items(page)) == 1

        # The next shift signs in on this phone: the scan is not sent under their name.
        sign_in(page, replace(server, username=NEXT_SHIFT))
        page.locator("[data-outbox-others]").wait_for()
        assert f"1 waiting for {USERNAME}" in page.inner_text("[data-outbox-others]")
        page.evaluate("PmOutbox.flush()")
        assert _check_ins(server) == before
        assert len(_outbox_items(page)) == 1
        page.goto(server.url + "/menu")  # nothing of theirs waits: they may sign out
        with page.expect_navigation(url=f"{server.url}/auth/login**"):
            page.click("form[data-outbox-logout] button[type=submit]")

        # Its owner signs in again: the page load sends it, once.
        sign_in(page, server)
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.waiting === '0'"
        )
        page.locator("[data-outbox-synced]:has-text('Last synced')").wait_for()
        assert _check_ins(server) == [*before, (CODE, item["id"], "sync")]
        assert _outbox_items(page) == []
    finally:
        context.set_offline(False)
        context.close()


def test_a_label_page_check_in_whose_answer_is_lost_is_saved_and_counted_once(
    browser, outbox_server
):
    """The camera app opened the label; the server recorded the POST but the answer never came
    back (a stairwell). The page keeps the scan in the outbox under the same id: one check-in."""
    server = outbox_server
    before = _check_ins(server)
    context = phone_context(browser)
    page = context.new_page()

    def lose_the_answer(route):
        route.fetch()  # the server applies it...
        route.abort()  # ...and the phone never hears back

    try:
        sign_in(page, server)
        until_controlled(page)
        context.route("**/patrol/checkins", lose_the_answer)
        page.goto(f"{server.url}/q/{server.token}")
        page.locator("#checkin-target [data-outcome=saved]").wait_for()
        banner = page.inner_text("#checkin-target .checkin-banner")
        assert "Saved on this phone" in banner
        assert CODE in banner
        [recorded] = [row for row in _check_ins(server) if row not in before]
        assert recorded[2] == "link"

        page.evaluate("PmOutbox.flush()")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.waiting === '0'"
        )
        assert _outbox_items(page) == []
        assert _check_ins(server) == [*before, recorded]  # the sync was a replay
    finally:
        context.unroute("**/patrol/checkins")
        context.close()
