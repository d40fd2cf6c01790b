"""The print page in the system Chromium: printed to A4 PDF, every code is 30 mm and decodes."""

import re
from urllib.parse import urlsplit

import pytest

from pmfield.labels import qr
from pmfield.labels import services
from pmfield.places.services import label_url
from tests.browser.conftest import CHROMIUM
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import REQUIRE_BROWSER
from tests.labels import scanning

pytestmark = pytest.mark.browser
ORIGIN = "http://pmfield.test"


@pytest.fixture
def chromium():
    """A headless system Chromium; as in tests/browser, skip without it (fail in CI)."""
    if CHROMIUM is None:
        if REQUIRE_BROWSER:
            pytest.fail("the label print test needs the system Chromium")
        pytest.skip("the label print test needs the system Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _serve_from(client):
    """Answer the browser's requests with the Flask test client (no server thread needed)."""

    def handle(route):
        parts = urlsplit(route.request.url)
        with client.get(parts.path, query_string=parts.query) as response:
            route.fulfill(
                status=response.status_code,
                headers={k: v for k, v in response.headers.items() if k != "Content-Length"},
                body=response.get_data(),
            )

    return handle


def test_the_printed_page_has_30_mm_codes_that_decode(
    chromium, client, login_as, printer, site, many_points
):
    login_as(printer)
    context = chromium.new_context()
    context.add_init_script(CSP_LISTENER)
    context.route(re.compile(r"^http://pmfield\.test/"), _serve_from(client))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{ORIGIN}/labels/sheet?site={site.id}")
    assert page.locator("[data-print]").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []
    context.close()

    pages = scanning.render_pages(pdf, 150)
    assert len(pages) == 2
    found = scanning.decode_sheet(pdf, 150)
    assert found == [[label_url(point.current_label)] for point in many_points]

    # The dark symbol of the first code: 4 quiet-zone modules in, (modules - 8) modules wide.
    dpi = 300
    px = dpi / scanning.MM_PER_INCH
    page_image = scanning.render_pages(pdf, dpi)[0]
    left = (services.MARGIN_LEFT + services.QR_LEFT) * px
    top = (services.MARGIN_TOP + services.QR_TOP) * px
    box = page_image.crop((round(left), round(top), round(left + 30 * px), round(top + 30 * px)))
    dark = box.point(lambda v: 255 if v < 128 else 0).getbbox()
    modules = len(qr.qr_matrix(found[0][0]))
    assert (dark[2] - dark[0]) / px == pytest.approx(30 * (modules - 8) / modules, abs=0.3)
    assert dark[0] / px == pytest.approx(30 * 4 / modules, abs=0.3)
