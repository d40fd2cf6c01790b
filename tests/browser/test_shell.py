"""The app shell in a phone-sized Chromium: sign in, CSP, own-origin assets, touch targets."""

import pytest

from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import PHONE
from tests.browser.conftest import PageWatch
from tests.browser.conftest import phone_context
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_guard_signs_in_through_the_form_and_lands_home(browser, live_server):
    context = phone_context(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        assert page.url == f"{live_server.url}/"
        assert "Gina Guard" in page.inner_text("h1")
        # The bottom navigation is there, with the scanner one tap away.
        nav = page.locator("nav.bottom-nav")
        assert nav.is_visible()
        assert nav.locator("a[href='/scan']").count() == 1
    finally:
        context.close()


def test_pages_load_without_csp_violations_and_only_from_our_origin(
    browser, live_server, signed_in_state
):
    context = phone_context(browser, storage_state=signed_in_state)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    watch = PageWatch(context, page)
    try:
        for path in ("/", "/scan", "/menu", "/offline", "/points"):
            page.goto(live_server.url + path)
            page.wait_for_function("() => window.htmx && window.pmfield")
            assert watch.csp_violations(page) == [], path
        assert page.evaluate("htmx.version").startswith("2.0.")
        # htmx's indicator <style> is off: the CSP would refuse it, our CSS has the rules.
        assert page.evaluate("htmx.config.includeIndicatorStyles") is False
        assert page.locator("style").count() == 0
        assert watch.page_errors == []
        assert watch.foreign_requests(live_server.url) == []
        assert any(url.endswith("/static/vendor/htmx.min.js") for url in watch.requests)
    finally:
        context.close()


def test_touch_targets_are_at_least_48px(browser, live_server, signed_in_state):
    context = phone_context(browser, storage_state=signed_in_state)
    page = context.new_page()
    try:
        for path in ("/scan", "/menu"):
            page.goto(live_server.url + path)
            small = page.evaluate(
                """() => [...document.querySelectorAll(
                        '.btn, .nav-item, .list-row, input:not([type=hidden]), select, textarea')]
                    .filter((el) => el.offsetParent !== null)
                    .map((el) => [el.className || el.tagName, el.getBoundingClientRect()])
                    .filter(([, box]) => box.height < 48 || box.width < 48)
                    .map(([name, box]) => `${name} ${box.width | 0}x${box.height | 0}`)"""
            )
            assert small == [], path
        # The bottom navigation stays in reach of the thumb: fixed at the bottom of the screen.
        box = page.locator("nav.bottom-nav").bounding_box()
        assert box["y"] + box["height"] == pytest.approx(PHONE["viewport"]["height"], abs=1)
    finally:
        context.close()


def test_dark_theme_for_night_rounds(browser, live_server, signed_in_state):
    context = phone_context(browser, storage_state=signed_in_state, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        # "auto" (the default) follows the phone's dark mode.
        assert page.get_attribute("html", "data-theme") == "auto"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(7, 11, 20)"
    finally:
        context.close()


def test_flash_messages_are_toasts_that_go_away(browser, live_server):
    context = phone_context(browser)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/scan")  # signed out: back to the login page, with a toast
        toast = page.locator("#toasts .toast")
        toast.wait_for()
        assert toast.get_attribute("data-armed") == "1"  # it dismisses itself after a while
        toast.click()  # or at a tap
        toast.wait_for(state="detached")
    finally:
        context.close()
