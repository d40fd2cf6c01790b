"""The PWA files without a browser: precache list, icons, vendored files (fast, always run)."""

import hashlib
import io
import json
import re

from PIL import Image

from pmfield import resource_dir
from pmfield.core import services
from tests import factories

STATIC = resource_dir("static")


def test_every_precached_url_is_served(app, client):
    with app.test_request_context():
        urls = services.precache_urls()
    assert "/offline" in urls
    assert "/static/vendor/zxing_reader.wasm" in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_the_outbox_and_the_offline_check_in_are_precached(app):
    with app.test_request_context():
        urls = services.precache_urls()
    for name in ("js/outbox.js", "js/checkin.js", "css/patrol.css"):
        assert f"/static/{name}" in urls, name


def test_every_page_carries_the_update_banner_and_the_worker_can_skip_waiting(
    app, client, site, login_as
):
    with app.test_request_context():
        assert "/static/js/update.js" in services.precache_urls()
    assert "skip-waiting" in client.get("/sw.js").get_data(as_text=True)
    anonymous = client.get("/auth/login").get_data(as_text=True)
    login_as(factories.make_user(sites=[site], username="guard-update-banner"))
    for page in (anonymous, client.get("/").get_data(as_text=True)):
        assert '<script src="/static/js/update.js" defer></script>' in page
        assert 'id="update-banner"' in page
        assert "A new version of pmfield is ready." in page


def test_signed_in_pages_carry_the_outbox_and_who_captures(app, client, site, login_as):
    guard = login_as(factories.make_user(sites=[site], username="guard-shell"))
    page = client.get("/").get_data(as_text=True)
    assert '<script src="/static/js/outbox.js" defer></script>' in page
    assert f'<meta name="pmfield-user" content="{guard.username}">' in page
    assert 'id="outbox-status"' in page
    # Strangers have no outbox of their own: no user, no status.
    assert client.post("/auth/logout").status_code == 303
    login = client.get("/auth/login")
    assert login.status_code == 200
    assert 'name="pmfield-user"' not in login.get_data(as_text=True)
    assert 'id="outbox-status"' not in login.get_data(as_text=True)


def test_service_worker_carries_the_precache_list_and_a_content_revision(app, client):
    body = client.get("/sw.js").get_data(as_text=True)
    with app.test_request_context():
        urls = services.precache_urls()
        revision = services.shell_revision()
    assert json.dumps(urls) in body
    assert f'"{app.config["APP_VERSION"]}-{revision}"' in body
    assert re.fullmatch(r"[0-9a-f]{12}", revision)


def test_manifest_icons_have_the_declared_sizes(client):
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    purposes = set()
    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        with Image.open(io.BytesIO(response.data)) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
        purposes.add(icon.get("purpose", "any"))
        response.close()
    assert purposes == {"any", "maskable"}
    assert manifest["start_url"].startswith(manifest["scope"])


def test_apple_touch_icon_is_opaque_180px():
    with Image.open(STATIC / "icons" / "apple-touch-icon.png") as image:
        assert image.size == (180, 180)
        assert image.mode == "RGB"


def test_vendored_files_match_the_recorded_checksums():
    readme = (STATIC / "vendor" / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, flags=re.MULTILINE)
    assert {name for name, _ in rows} == {
        "htmx.min.js",
        "barcode-detector-ponyfill.js",
        "zxing_reader.wasm",
    }
    for name, digest in rows:
        assert hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest() == digest, name
    assert (STATIC / "vendor" / "LICENSES.md").is_file()


def test_shell_assets_name_no_other_host():
    for path in [STATIC / "css" / "app.css", STATIC / "js" / "app.js", STATIC / "js" / "scan.js"]:
        assert not re.search(r"https?://", path.read_text()), path
    assert "@import" not in (STATIC / "css" / "app.css").read_text()


def test_nav_icons_exist_for_every_navigation_item():
    from pmfield.web.nav import NAV

    css = (STATIC / "css" / "app.css").read_text()
    for item in NAV:
        assert (STATIC / "icons" / f"{item.icon}.svg").is_file(), item.icon
        assert f".nav-icon-{item.icon} " in css, item.icon
        assert f"icons/{item.icon}.svg" in "\n".join(services.SHELL_STATIC), item.icon
