"""static/js/photo.js in the system Chromium: the phone shrinks the photo before the form sends it.

The page is the real photo_input() macro with the app's CSP, served through the Flask test
client; the form's POST is caught in the browser and its multipart body read here.
"""

import base64
import io
import re
from urllib.parse import urlsplit

import pytest
from flask import render_template_string
from PIL import Image
from werkzeug.formparser import parse_form_data
from werkzeug.test import EnvironBuilder

from pmfield.web.security import CSP
from tests.browser.conftest import CHROMIUM
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import CSP_LISTENER
from tests.browser.conftest import REQUIRE_BROWSER
from tests.photos import images

pytestmark = pytest.mark.browser
ORIGIN = "http://pmfield.test"
FORM_PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
{% from "photos/_macros.html" import photo_input, photo_head %}{{ photo_head() }}
<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>
<script src="/static/vendor/htmx.min.js" defer></script>
</head><body>
<form method="post" action="/submit" enctype="multipart/form-data"
  {% if htmx %}hx-post="/submit" hx-encoding="multipart/form-data" hx-target="this"{% endif %}>
  <input type="hidden" name="note" value="door open">
  {{ photo_input("photo", "Photo") }}
  <button type="submit" name="go" value="1">Send</button>
</form>
</body></html>"""


@pytest.fixture(scope="module")
def chromium():
    """A headless system Chromium; as in tests/browser, skip without it (fail in CI)."""
    if CHROMIUM is None:
        if REQUIRE_BROWSER:
            pytest.fail("the photo field test needs the system Chromium")
        pytest.skip("the photo field test needs the system Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["plain"])
def form_page(request, app, client, chromium):
    """A page with the photo field; yields (page, posts) where posts collects sent forms.

    Parametrize indirectly with "htmx" for a form that htmx sends.
    """
    with app.test_request_context():
        html = render_template_string(FORM_PAGE, htmx=request.param == "htmx")
    posts = []

    def handle(route):
        sent = route.request
        path = urlsplit(sent.url).path
        if path == "/form":
            route.fulfill(
                status=200,
                headers={
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy": CSP,
                },
                body=html,
            )
        elif path == "/submit":
            form, files = _parse(sent.headers["content-type"], sent.post_data_buffer)
            posts.append((form, files, sent.headers.get("hx-request")))
            route.fulfill(status=200, headers={"Content-Type": "text/html"}, body="<p>sent</p>")
        else:
            with client.get(path) as response:
                route.fulfill(
                    status=response.status_code,
                    headers={k: v for k, v in response.headers.items() if k != "Content-Length"},
                    body=response.get_data(),
                )

    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    context.route(re.compile(r"^http://pmfield\.test/"), handle)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{ORIGIN}/form")
    page.wait_for_function("() => window.pmfieldPhoto")
    yield page, posts
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []
    context.close()


def _parse(content_type: str, body: bytes):
    environ = EnvironBuilder(
        method="POST", data=body, content_type=content_type, content_length=len(body)
    ).get_environ()
    _stream, form, files = parse_form_data(environ)
    sent = {}
    for name, file in files.items():
        sent[name] = (file.filename, file.mimetype, file.read())
        file.close()
    return form, sent


def _upright_portrait(data: bytes):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _red_on_top(image) -> bool:
    top = image.getpixel((image.width // 2, image.height // 8))
    bottom = image.getpixel((image.width // 2, image.height * 7 // 8))
    return top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


def _choose(page, data: bytes, name="IMG_0001.jpg", mime="image/jpeg"):
    page.set_input_files(
        "input[data-photo-input]", {"name": name, "mimeType": mime, "buffer": data}
    )


def test_the_chosen_photo_is_shrunk_turned_and_previewed_before_sending(form_page):
    page, posts = form_page
    original = images.phone_jpeg(3000, 2000, orientation=6)

    _choose(page, original)
    page.wait_for_selector("[data-photo-status]:text('Photo ready.')")

    assert page.is_visible("img[data-photo-preview]")
    assert page.evaluate("document.querySelector('[data-photo-preview]').naturalWidth") > 0
    page.click("button[type=submit]")
    page.wait_for_selector("text=sent")

    form, files, _htmx = posts[0]
    assert form["note"] == "door open"
    assert form["go"] == "1"
    filename, mimetype, data = files["photo"]
    assert (filename, mimetype) == ("IMG_0001.jpg", "image/jpeg")
    assert len(data) < len(original)
    image = _upright_portrait(data)
    assert image.format == "JPEG"
    assert image.size == (1067, 1600)
    assert _red_on_top(image)


@pytest.mark.parametrize("form_page", ["plain", "htmx"], indirect=True)
def test_a_form_sent_while_the_photo_shrinks_waits_for_it(form_page):
    page, posts = form_page
    original = images.phone_jpeg(4000, 3000, orientation=6)
    # Choose and send in the same tick, as an impatient thumb would.
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const input = document.querySelector("[data-photo-input]");
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "IMG_0002.jpeg", {type: "image/jpeg"}));
            input.files = transfer.files;
            input.dispatchEvent(new Event("change", {bubbles: true}));
            document.querySelector("button[type=submit]").click();
        }""",
        base64.b64encode(original).decode(),
    )
    page.wait_for_selector("text=sent")

    form, files, htmx = posts[0]
    assert form["go"] == "1"
    assert form["note"] == "door open"
    assert htmx == ("true" if page.evaluate("!!document.querySelector('[hx-post]')") else None)
    filename, _mimetype, data = files["photo"]
    assert filename == "IMG_0002.jpg"
    assert _upright_portrait(data).size == (1200, 1600)
    assert len(posts) == 1


def test_a_picture_the_browser_cannot_read_is_sent_as_it_is(form_page):
    page, posts = form_page
    _choose(page, b"\x00\x01 not a picture", name="IMG_0003.HEIC", mime="image/heic")
    page.wait_for_selector("[data-photo-status]:text('The photo will be sent as it is.')")
    assert not page.is_visible("img[data-photo-preview]")
    page.click("button[type=submit]")
    page.wait_for_selector("text=sent")

    _form, files, _htmx = posts[0]
    assert files["photo"][0] == "IMG_0003.HEIC"
    assert files["photo"][2] == b"\x00\x01 not a picture"


def test_downscale_is_exposed_for_the_offline_outbox(form_page):
    page, _posts = form_page
    _choose(page, images.png_with_alpha(2400, 1200), name="screen.png", mime="image/png")
    result = page.evaluate(
        """async () => {
            const file = document.querySelector("[data-photo-input]").files[0];
            const blob = await window.pmfieldPhoto.downscale(file, {maxSide: 800});
            const bitmap = await createImageBitmap(blob);
            return {type: blob.type, width: bitmap.width, height: bitmap.height};
        }"""
    )
    assert result == {"type": "image/jpeg", "width": 800, "height": 400}
