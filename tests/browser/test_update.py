"""Updates: a new app version waits until the phone's outbox is sent, then offers a reload; the
outbox's IndexedDB database migrates forward without losing what was queued."""

import base64
import uuid
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.extensions import db
from pmfield.patrol.models import CheckIn
from pmfield.photos.models import Photo
from pmfield.places.services import label_token
from tests import factories
from tests.browser.conftest import live_app
from tests.browser.conftest import phone_context
from tests.browser.conftest import serving
from tests.browser.conftest import sign_in
from tests.browser.conftest import until_controlled
from tests.browser.conftest import wait_for_async
from tests.photos.images import phone_jpeg

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
#: Installing a worker precaches the shell (the QR decoder's WASM among it): slow on a busy box.
INSTALL_TIMEOUT_MS = 60_000
USERNAME = "guard-update"
CODE = "UP-1"
NEW_VERSION = "99.0.0-update-test"
API = "**/api/v1/**"

REGISTRATION = """async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return {
        waiting: registration.waiting !== null,
        installing: registration.installing !== null,
        controller: navigator.serviceWorker.controller && navigator.serviceWorker.controller.state,
        caches: await caches.keys(),
        version: document.querySelector("meta[name=app-version]").content,
    };
}"""

#: The outbox database as outbox.js version 1 created it (DB_VERSION = 1), holding `item` and
#: `photo` (version 1 kept a photo's bytes in its item: data.buffer, sent here as base64).
CREATE_V1 = """([item, photo]) => new Promise((resolve, reject) => {
    const open = indexedDB.open("pmfield-outbox", 1);
    open.onupgradeneeded = () => {
        const db = open.result;
        const items = db.createObjectStore("items", {keyPath: "id"});
        items.createIndex("seq", "seq");
        db.createObjectStore("photo_ids", {keyPath: "uuid"});
        db.createObjectStore("meta", {keyPath: "key"});
        items.put(item);
        const bytes = Uint8Array.from(atob(photo.data.base64), (c) => c.charCodeAt(0));
        items.put({...photo, data: {buffer: bytes.buffer, type: photo.data.type,
                                    name: photo.data.name}});
    };
    open.onsuccess = () => {
        const version = open.result.version;
        open.result.close();
        resolve(version);
    };
    open.onerror = () => reject(open.error);
    open.onblocked = () => reject(new Error("blocked"));
})"""

#: The database as it is now: its version, the items' indexes, the items found by owner.
INSPECT = """(user) => new Promise((resolve, reject) => {
    const open = indexedDB.open("pmfield-outbox");
    open.onsuccess = () => {
        const db = open.result;
        const store = db.transaction("items").objectStore("items");
        const indexes = Array.from(store.indexNames);
        if (!indexes.includes("user")) {
            db.close();
            resolve({version: db.version, indexes: indexes, byUser: null});
            return;
        }
        const request = store.index("user").getAll(user);
        request.onsuccess = () => {
            const ids = request.result.map((i) => i.id);
            const photos = request.result.filter((i) => i.kind === "photo").map((i) => i.data);
            const result = {version: db.version, indexes: indexes, byUser: ids.sort(), photos};
            if (!Array.from(db.objectStoreNames).includes("blobs")) {
                resolve(result);
                db.close();
                return;
            }
            const blobs = db.transaction("blobs").objectStore("blobs").getAll();
            blobs.onsuccess = () => {
                result.blobs = blobs.result.map((b) => [b.id, b.buffer.byteLength]);
                resolve(result);
                db.close();
            };
        };
        request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
})"""


@pytest.fixture(scope="module")
def update_server(tmp_path_factory, chromium_path):
    """A server of its own: these tests deploy a new version and add check-ins."""
    root = tmp_path_factory.mktemp("update")
    app = live_app(root, "update-test-secret")
    with app.app_context():
        site = factories.make_site(code="UP", name_en="Update site", name_zh="更新站点")
        point = factories.make_point(site, code=CODE, name_en="Roof door")
        factories.make_user(sites=[site], username=USERNAME, display_name="Uma Update")
        token = label_token(point.current_label)
        db.session.remove()
    with serving(app, username=USERNAME, password=factories.PASSWORD, point_code=CODE,
                 token=token) as server:
        yield server


@pytest.fixture
def deployed_version(update_server):
    """Restore the version the server started with after a test "deploys" another."""
    config = update_server.app.config
    before = config["APP_VERSION"]
    yield
    config["APP_VERSION"] = before


def _check_ins(server) -> list[tuple[str, str, str]]:
    with server.app.app_context():
        rows = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        result = [(c.point.code, c.client_id, c.source) for c in rows]
        db.session.remove()
    return result


def _waiting(page) -> int:
    return page.evaluate("PmOutbox.state().then((s) => s.waiting)")


def test_a_new_version_waits_for_the_outbox_then_reloads_once(
    browser, update_server, deployed_version
):
    server = update_server
    before = _check_ins(server)
    old_version = server.app.config["APP_VERSION"]
    context = phone_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    banner = page.locator("#update-banner")
    try:
        sign_in(page, server)
        until_controlled(page)
        assert banner.is_hidden()

        # A check-in queued with no network; when the network is back the server still cannot
        # be reached (a captive Wi-Fi): it waits on the phone.
        context.set_offline(True)
        item_id = page.evaluate(
            """(token) => PmOutbox.add({type: "patrol.checkin",
                  data: {token: token, scanned_at: PmOutbox.isoNow()}})""",
            server.token,
        )
        context.route(API, lambda route: route.abort())
        context.set_offline(False)
        wait_for_async(page, "() => PmOutbox.state().then((s) => !s.syncing)")
        assert _waiting(page) == 1

        # A deploy: the server renders another /sw.js, the phone installs it, and it waits.
        server.app.config["APP_VERSION"] = NEW_VERSION
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        page.wait_for_function("() => PmUpdate.state() !== 'none'", timeout=INSTALL_TIMEOUT_MS)
        assert page.evaluate(REGISTRATION)["waiting"] is True

        # The check-in is not sent yet: no reload offered, only the quiet note.
        assert page.evaluate("PmUpdate.state()") == "waiting"
        assert banner.is_visible()
        assert page.locator("[data-update-note]").inner_text() == (
            "Update waiting until your saved items are sent."
        )
        assert page.locator("[data-update-reload]").is_hidden()
        page.evaluate("PmOutbox.flush()")  # another failed attempt changes nothing
        wait_for_async(page, "() => PmOutbox.state().then((s) => !s.syncing)")
        assert page.evaluate("PmUpdate.state()") == "waiting"
        assert page.locator("[data-update-reload]").is_hidden()
        assert _check_ins(server) == before

        # The server answers again: the outbox is sent, then the reload is offered.
        context.unroute(API)
        page.evaluate("PmOutbox.flush()")
        page.wait_for_function("() => PmUpdate.state() === 'ready'")
        assert _waiting(page) == 0
        assert _check_ins(server) == [*before, (CODE, item_id, "sync")]
        assert page.locator("[data-update-note]").is_hidden()
        ready = page.locator("[data-update-ready]")
        assert "A new version of pmfield is ready." in ready.inner_text()
        reload_button = page.locator("[data-update-reload]")
        assert reload_button.is_visible()
        box = reload_button.bounding_box()
        assert box["height"] >= 48  # a glove-sized target
        assert box["width"] >= 48

        # Reload: the waiting version takes over and the page reloads, once, under it.
        page.evaluate("window.__beforeUpdate = true")
        navigations = []
        page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(1))
        with page.expect_navigation():
            reload_button.click()
        page.wait_for_function(CONTROLLED)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__beforeUpdate === undefined")
        after = page.evaluate(REGISTRATION)
        assert after["waiting"] is False
        assert after["controller"] == "activated"
        assert after["version"] == NEW_VERSION
        # The new worker's activate step ran: only its caches are left.
        assert any(name.startswith(f"pmfield-shell-{NEW_VERSION}-") for name in after["caches"])
        assert not [name for name in after["caches"] if old_version in name]
        assert page.evaluate("PmUpdate.state()") == "none"
        assert banner.is_hidden()
        page.wait_for_timeout(500)  # a second reload would have started by now
        assert len(navigations) == 1

        # The check-in reached the server exactly once, and nothing is left on the phone.
        page.evaluate("PmOutbox.flush()")
        assert _waiting(page) == 0
        assert _check_ins(server) == [*before, (CODE, item_id, "sync")]
        assert errors == []
    finally:
        context.set_offline(False)
        context.close()


def _count_photos(server) -> int:
    with server.app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Photo))
        db.session.remove()
    return n


def test_items_queued_by_the_version_1_database_survive_the_migration_and_are_sent(
    browser, update_server
):
    server = update_server
    before = _check_ins(server)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    item = {
        "id": str(uuid.uuid4()),
        "user": USERNAME,
        "kind": "event",
        "type": "patrol.checkin",
        "data": {"token": server.token, "scanned_at": now},
        "device_time": now,
        "app_version": "0.1.0",
        "status": "waiting",
        "message": "",
        "attempts": 0,
        "created": now,
        "seq": int(datetime.now(UTC).timestamp() * 1000) * 1000,
    }
    jpeg = phone_jpeg(800, 600)
    photo = {**item, "id": str(uuid.uuid4()), "kind": "photo", "type": "photo",
             "seq": item["seq"] + 1,
             "data": {"base64": base64.b64encode(jpeg).decode(), "type": "image/jpeg",
                      "name": "door.jpg"}}
    photos_before = _count_photos(server)
    context = phone_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # A page of the app's origin that runs no script: the phone as version 1 left it.
        page.goto(server.url + "/static/icons/icon-192.png")
        assert page.evaluate(CREATE_V1, [item, photo]) == 1
        assert page.evaluate(INSPECT, USERNAME) == {
            "version": 1, "indexes": ["seq"], "byUser": None,
        }

        # The new outbox.js opens it (version 2) while the server cannot be reached.
        context.route(API, lambda route: route.abort())
        sign_in(page, server)
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.waiting === '2'")
        migrated = page.evaluate(INSPECT, USERNAME)
        # v2 added the owner index; v3 moved the photo's bytes out of its item.
        assert migrated == {
            "version": 3, "indexes": ["seq", "user"],
            "byUser": sorted([item["id"], photo["id"]]),
            "photos": [{"type": "image/jpeg", "name": "door.jpg", "size": len(jpeg)}],
            "blobs": [[photo["id"], len(jpeg)]],
        }
        assert page.evaluate("PmOutbox.state().then((s) => s.unsent)") == 2
        assert _check_ins(server) == before

        # Online again: the item queued under version 1 reaches the server once.
        context.unroute(API)
        page.evaluate("PmOutbox.flush()")
        page.wait_for_function(
            "() => document.getElementById('outbox-status').dataset.waiting === '0'"
        )
        assert _waiting(page) == 0
        assert _check_ins(server) == [*before, (CODE, item["id"], "sync")]
        assert _count_photos(server) == photos_before + 1  # its bytes survived both steps
        page.reload()
        page.evaluate("PmOutbox.flush()")
        assert _check_ins(server) == [*before, (CODE, item["id"], "sync")]
        assert errors == []
    finally:
        context.close()
