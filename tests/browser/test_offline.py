"""The service worker: the shell opens with the network off, and says it is offline."""

import pytest

from tests.browser.conftest import phone_context
from tests.browser.conftest import sign_in
from tests.browser.conftest import until_controlled

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
#: The first install precaches the shell (the QR decoder's WASM among it): on a loaded
#: machine that takes longer than the usual wait.
INSTALL_TIMEOUT_MS = 60_000


def test_shell_opens_offline_and_says_so(browser, live_server, signed_in_state):
    context = phone_context(browser, storage_state=signed_in_state)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        # First install: the worker takes over this page (skipWaiting + clients.claim).
        until_controlled(page)
        # A navigation through the worker stores the page for offline use.
        page.reload()
        page.wait_for_function(CONTROLLED, timeout=INSTALL_TIMEOUT_MS)
        assert page.locator("#net-status").is_hidden()

        context.set_offline(True)
        # The worker's own fetches fail too (Playwright applies offline mode to them; older
        # versions did not, which would make this test meaningless): icon-512 is not precached.
        fetched = page.evaluate(
            "fetch('/static/icons/icon-512.png?' + Date.now()).then(() => 'up', () => 'offline')"
        )
        assert fetched == "offline"

        page.reload()
        assert "Gina Guard" in page.inner_text("h1")
        page.locator("#net-status").wait_for(state="visible")
        assert page.inner_text("#net-status") == "Offline"

        # A page never opened on this phone (and not one of today's kept pages): the offline
        # page, in the user's language.
        page.goto(live_server.url + "/notifications/")
        page.locator("#offline-page").wait_for()
        assert page.inner_text("#offline-page h1") == "This phone is offline"
        page.locator("#net-status").wait_for(state="visible")

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.locator("#net-status").wait_for(state="hidden")
    finally:
        context.close()


def test_htmx_requests_never_come_from_the_page_cache(browser, live_server, signed_in_state):
    context = phone_context(browser, storage_state=signed_in_state)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/points")
        until_controlled(page)
        page.reload()
        page.wait_for_function(CONTROLLED, timeout=INSTALL_TIMEOUT_MS)
        context.set_offline(True)
        # The full page is cached, but an htmx request for the same URL must not get it.
        status = page.evaluate(
            """fetch('/points', {headers: {'HX-Request': 'true'}})
                 .then((r) => r.status, () => 'network error')"""
        )
        assert status == "network error"
        # A failed htmx request shows the offline indicator too.
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.locator("#net-status").wait_for(state="hidden")
        context.set_offline(True)
        page.evaluate("htmx.ajax('GET', '/points', {target: 'main', swap: 'none'}).catch(() => 0)")
        page.locator("#net-status").wait_for(state="visible")
    finally:
        context.set_offline(False)
        context.close()


def test_signing_out_forgets_the_cached_pages(browser, live_server):
    """On a phone shared between shifts, the next person must not see the last one's pages."""
    context = phone_context(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        until_controlled(page)
        page.reload()  # now through the worker: the home page is stored
        page.goto(live_server.url + "/menu")
        with page.expect_navigation(url=f"{live_server.url}/auth/login**"):
            page.click("form[action='/auth/logout'] button[type=submit]")
        context.set_offline(True)
        page.goto(live_server.url + "/")
        page.locator("#offline-page").wait_for()
        assert "Gina Guard" not in page.inner_text("body")
    finally:
        context.set_offline(False)
        context.close()
