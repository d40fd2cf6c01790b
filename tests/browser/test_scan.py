"""The scanner: a fake camera shows a label's QR code and the phone lands on the point's page."""

import pytest

from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import PageWatch
from tests.browser.conftest import phone_context
from tests.browser.conftest import write_qr_y4m

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def camera_browser(playwright_instance, chromium_path, live_server, tmp_path_factory):
    """A Chromium whose camera films the label's QR code (printed with another host name)."""
    video = tmp_path_factory.mktemp("camera") / "label.y4m"
    write_qr_y4m(video, live_server.printed_label_url)
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    yield browser
    browser.close()


def test_scanning_a_label_opens_its_point(camera_browser, live_server, signed_in_state):
    context = phone_context(camera_browser, storage_state=signed_in_state)
    context.grant_permissions(["camera"], origin=live_server.url)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    watch = PageWatch(context, page)
    try:
        page.goto(live_server.url + "/scan")
        # The camera starts only on an explicit tap.
        assert page.locator("#scanner-view").is_hidden()
        with page.expect_navigation(url=f"{live_server.url}/q/{live_server.token}", timeout=20_000):
            page.click("#scanner-start")
        # The point's page (owned by the places feature) shows the point's code.
        assert live_server.point_code in page.inner_text("main")
        # Linux Chromium has no BarcodeDetector: the vendored ZXing WASM did the work,
        # fetched from our own server, and the CSP ('wasm-unsafe-eval') let it compile.
        assert f"{live_server.url}/static/vendor/zxing_reader.wasm" in watch.requests
        assert watch.foreign_requests(live_server.url) == []
        assert watch.csp_violations(page) == []
        assert watch.page_errors == []
    finally:
        context.close()


def scanned(page, text: str) -> None:
    """Hand a decoded text to the scanner, as the camera loop does."""
    page.evaluate(
        """(text) => document.getElementById("scanner")
            .dispatchEvent(new CustomEvent("pmfield:scanned", {detail: text}))""",
        text,
    )


def test_other_codes_get_a_clear_message_and_scanning_goes_on(
    camera_browser, live_server, signed_in_state
):
    context = phone_context(camera_browser, storage_state=signed_in_state)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/scan")
        page.wait_for_function("() => document.getElementById('scanner').dataset.state === 'ready'")
        expected = page.get_attribute("#scanner", "data-msg-not-label")
        for text in (
            "https://example.com/hello",
            "WIFI:S:office;T:WPA;P:secret;;",
            f"https://example.com/x/{live_server.token[:-1]}",
        ):
            scanned(page, text)
            assert page.inner_text("#scanner-status") == expected
            assert page.url == f"{live_server.url}/scan"
        assert "not a pmfield label" in expected
        # Uppercase URLs (QR alphanumeric mode) and other hosts still open the point here.
        shouted = f"HTTPS://PRINTED.EXAMPLE.COM/Q/{live_server.token.lower()}"
        with page.expect_navigation(url=f"{live_server.url}/q/{live_server.token}"):
            scanned(page, shouted)
    finally:
        context.close()
