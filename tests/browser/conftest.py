"""Browser tests: a live pmfield server and the system Chromium driven by Playwright.

Never a downloaded browser: Chromium comes from the OS (`apt-get install chromium`) and is passed
to Playwright as `executable_path`. Without it these tests skip, unless PMFIELD_REQUIRE_BROWSER=1
(as in CI), where they fail instead.
"""

import io
import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from pmfield import create_app
from pmfield.extensions import db
from tests import factories

REQUIRE_BROWSER = os.environ.get("PMFIELD_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: Flags that keep Chromium quiet on a closed network (no background downloads or sync).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
#: A phone: one hand, portrait.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-US",
}
GUARD_USERNAME = "guard-browser"
POINT_CODE = "GATE-7"
#: Labels can be printed with another host name; only the /q/<token> path matters.
PRINTED_ORIGIN = "https://labels.example.org"


def _unavailable(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (PMFIELD_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium, or skip (fail in CI) with the reason."""
    if CHROMIUM is None:
        _unavailable("browser tests need the system Chromium: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("browser tests need Playwright for Python: pip install -e '.[test]'")
    return CHROMIUM


class QuietHandler(WSGIRequestHandler):
    """Keep the test output free of one log line per request."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def buffered(app):
    """Read each response fully and close it before werkzeug writes it.

    When the browser drops a connection (a context closing while the service worker still
    precaches), werkzeug's dev server raises before closing the response, leaking the open
    static file; pytest's filterwarnings=error then fails an unrelated test.
    """

    def wsgi(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()

    return wsgi


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: object
    username: str
    password: str
    point_code: str
    token: str

    @property
    def printed_label_url(self) -> str:
        return f"{PRINTED_ORIGIN}/q/{self.token}"


def live_config(root: Path, secret: str) -> dict:
    """The configuration of a live browser test's app: its own SQLite file and media under
    `root`, CSRF on as in production."""
    return {
        "SECRET_KEY": secret,
        "DATABASE_URL": f"sqlite:///{root / 'pmfield.db'}",
        "INSTANCE_PATH": str(root / "instance"),
        "MEDIA_DIR": str(root / "media"),
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def live_app(root: Path, secret: str):
    """A pmfield app for a live browser test (live_config), its tables made."""
    app = create_app(live_config(root, secret))
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Run pmfield on 127.0.0.1 in a thread, CSRF on as in production, with a guard and a point."""
    from pmfield.places.services import label_token

    root = tmp_path_factory.mktemp("live")
    app = live_app(root, "browser-test-secret")
    with app.app_context():
        site = factories.make_site(code="HQ", name_en="Head office", name_zh="总部")
        # Equipment, not a patrol checkpoint: scanning it opens its page, even for a guard.
        point = factories.make_point(
            site, code=POINT_CODE, kind="hydrant", name_en="Main gate hydrant", name_zh="正门消火栓"
        )
        factories.make_user(sites=[site], username=GUARD_USERNAME, display_name="Gina Guard")
        token = label_token(point.current_label)
        db.session.remove()

    with serving(app, username=GUARD_USERNAME, password=factories.PASSWORD,
                 point_code=POINT_CODE, token=token) as server:
        yield server


@contextmanager
def serving(app, **details):
    """Serve `app` on a free local port in a thread; yield its LiveServer(**details)."""
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, **details)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


# Playwright's sync API allows one running instance per thread, and other test packages
# (tests/labels) start their own: keep ours to one module at a time.
@pytest.fixture(scope="module")
def playwright_instance(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance, chromium_path):
    """One headless Chromium for the tests that need no fake camera."""
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


#: Waits fail after this long instead of Playwright's 30 s: everything here is local.
TIMEOUT_MS = 15_000


def phone_context(browser, **options):
    """A new phone-sized browser context with the test timeout."""
    context = browser.new_context(**{**PHONE, **options})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def sign_in(page, server: LiveServer) -> None:
    """Sign in through the real login form and wait for the home page."""
    page.goto(f"{server.url}/auth/login")
    page.fill("input[name=username]", server.username)
    page.fill("input[name=password]", server.password)
    with page.expect_navigation(url=f"{server.url}/"):
        page.click("form.form button[type=submit]")


@pytest.fixture(scope="module")
def signed_in_state(browser, live_server):
    """Cookies of a guard who signed in through the form (once a module)."""
    context = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server)
    state = context.storage_state()
    context.close()
    return state


class PageWatch:
    """Collect what a page did: requests, console errors, CSP violations, uncaught errors."""

    def __init__(self, context, page):
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def csp_violations(self, page) -> list[str]:
        from_console = [m for m in self.console_errors if "Content Security Policy" in m]
        return from_console + page.evaluate("window.__cspViolations || []")

    def foreign_requests(self, origin: str) -> list[str]:
        return [
            url
            for url in self.requests
            if not (url.startswith(origin + "/") or url.startswith(("data:", "blob:")))
        ]


#: Runs before any page script (injected over CDP, so the CSP does not apply to it).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def write_qr_y4m(path: Path, text: str, *, width=640, height=480, qr_px=360, frames=10, fps=10):
    """Write a short Y4M video (C420, as Chromium wants) showing the label's QR code."""
    from pmfield.labels.qr import make_qr

    png = io.BytesIO()
    make_qr(text).make_image(fill_color="black", back_color="white").save(png)
    png.seek(0)
    qr = Image.open(png).convert("L").resize((qr_px, qr_px), Image.Resampling.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(qr, ((width - qr_px) // 2, (height - qr_px) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    cb, cr = (c.resize(half, Image.Resampling.BILINEAR) for c in (cb, cr))
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for a server that must restart on
    the same port, which port 0 cannot give)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: The phone's outbox, read straight from IndexedDB (every item, any user, any status).
OUTBOX_ITEMS_JS = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("pmfield-outbox");
    open.onsuccess = () => {
      const request = open.result.transaction("items").objectStore("items").getAll();
      request.onsuccess = () => { resolve(request.result); open.result.close(); };
      request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
})"""


def outbox_state(page) -> dict:
    """PmOutbox.state() of the page: waiting, attention, unsent, syncing..."""
    return page.evaluate("() => PmOutbox.state()")


def flush_until_empty(page, *, timeout_s: float = 60, pause_s: float = 0.2) -> list[dict]:
    """Call PmOutbox.flush() (which forces past the back-off) until nothing of the signed-in
    user waits; return each flush's summary. Fails after timeout_s."""
    import time

    summaries = []
    deadline = time.monotonic() + timeout_s
    while True:
        summaries.append(page.evaluate("() => PmOutbox.flush()"))
        state = outbox_state(page)
        if state["waiting"] == 0 and not state["syncing"]:
            return summaries
        if time.monotonic() > deadline:
            pytest.fail(f"the outbox still holds {state['waiting']} items after {timeout_s} s; "
                        f"flushes: {summaries[-5:]}")
        time.sleep(pause_s)


def wait_for_async(page, predicate: str, *, timeout_s: float = TIMEOUT_MS / 1000,
                   pause_s: float = 0.05):
    """Poll an async predicate (a JS function returning a Promise) until it resolves truthy.

    page.wait_for_function is no use for these: it takes the Promise itself as the value and
    returns as soon as it settles, truthy or not ("() => PmOutbox.state().then((s) => !s.syncing)"
    returns after one call even while syncing).
    """
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout_s} s: {predicate}")
        time.sleep(pause_s)


#: The first service worker install precaches the shell (a megabyte of decoder among it): on a
#: loaded 2-core machine that has taken over 15 s.
SW_INSTALL_TIMEOUT_MS = 60_000


def until_controlled(page, timeout_ms: int = SW_INSTALL_TIMEOUT_MS) -> None:
    """Wait until the service worker controls the page.

    The first worker claims the pages open when it activates; a page whose navigation began
    just before that (a sign-in's redirect) stays uncontrolled until it loads again, as on a
    phone. So once the worker is active, a page it does not control is reloaded once.
    """
    page.evaluate("() => { navigator.serviceWorker.ready.then(() => { window.__swReady = true; }); }")
    page.wait_for_function("() => window.__swReady === true", timeout=timeout_ms)
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=timeout_ms)


def draw_signature(page, canvas) -> None:
    """A finger (the mouse here: pointer events either way) writes a squiggle on the pad."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in [(0.2, 0.3), (0.3, 0.75), (0.45, 0.25), (0.6, 0.8), (0.75, 0.3), (0.9, 0.6)]:
        page.mouse.move(x + w * fx, y + h * fy, steps=8)
    page.mouse.up()


def choose_photo(form, path) -> None:
    """Pick `path` in the form's photo field through the file chooser; wait for its preview."""
    with form.page.expect_file_chooser() as chooser:
        form.locator("input[type=file]").click()
    chooser.value.set_files(str(path))
    form.locator("[data-photo-preview]").wait_for(state="visible")
