"""The shell: security headers, CSRF, locale, theme, site switch, health, manifest."""

import json

from pmfield.auth.roles import Role
from tests import factories


def test_security_headers_on_every_page(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_vary_on_htmx_requests(client):
    assert "HX-Request" in client.get("/auth/login").headers.get("Vary", "")


def test_no_inline_script_in_pages(client, site, login_as):
    login_as(factories.make_user(Role.MANAGER, sites=[site]))
    for url in ("/", "/menu", "/scan", "/auth/login"):
        html = client.get(url).get_data(as_text=True)
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag, f"inline script on {url}"
        assert " style=" not in html, f"inline style on {url}"
        assert "onclick=" not in html.lower()


def test_session_cookie_flags(app, client, site):
    user = factories.make_user(sites=[site])
    response = client.post(
        "/auth/login", data={"username": user.username, "password": factories.PASSWORD}
    )
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" in session_cookie  # BASE_URL is https in the tests


def test_post_without_csrf_token_changes_nothing(app_config, request):
    app_config["WTF_CSRF_ENABLED"] = True
    app = request.getfixturevalue("app")
    site = factories.make_site()
    user = factories.make_user(sites=[site])
    client = app.test_client()
    response = client.post(
        "/auth/login", data={"username": user.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert b"Reload it and try again" in response.data
    assert client.get("/").status_code == 302
    # With the token from the page (sent in the header, as htmx does) it works.
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/auth/login",
        data={"username": user.username, "password": factories.PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 303


def test_every_state_change_needs_the_csrf_token(app_config, request):
    """Walk every POST route with CSRF on and no token: all refused before any view runs."""
    app_config["WTF_CSRF_ENABLED"] = True
    app = request.getfixturevalue("app")
    site = factories.make_site()
    client = app.test_client()
    user = factories.make_user(Role.ADMIN, sites=[site])
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert len(posts) > 10
    for rule in posts:
        url = rule.build(dict.fromkeys(rule.arguments, 1))[1]
        response = client.post(url, data={"username": "x"})
        assert response.status_code == 400, rule.rule


def test_locale_follows_the_browser_then_the_switch(client, site, login_as):
    zh = client.get("/auth/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "登录".encode() in zh.data
    en = client.get("/auth/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert b"Sign in" in en.data
    client.post("/settings/locale", data={"locale": "en"})
    assert b"Sign in" in client.get("/auth/login", headers={"Accept-Language": "zh-CN"}).data


def test_signed_in_users_keep_their_language_on_their_account(client, site, login_as):
    user = login_as(factories.make_user(sites=[site]))
    client.post("/settings/locale", data={"locale": "zh_Hans"})
    assert user.locale == "zh_Hans"
    page = client.get("/menu", headers={"Accept-Language": "en"})
    assert "菜单".encode() in page.data
    client.post("/settings/locale", data={"locale": "auto"})
    assert user.locale is None


def test_unknown_locale_changes_nothing(client, site, login_as):
    user = login_as(factories.make_user(sites=[site]))
    response = client.post("/settings/locale", data={"locale": "fr"})
    assert response.status_code == 303
    assert user.locale is None


def test_theme_switch(client, site, login_as):
    login_as(factories.make_user(sites=[site]))
    client.post("/settings/theme", data={"theme": "dark"})
    assert b'data-theme="dark"' in client.get("/menu").data
    client.post("/settings/theme", data={"theme": "purple"})
    assert b'data-theme="dark"' in client.get("/menu").data


def test_site_switch_only_to_own_sites(client, site, other_site, login_as):
    third = factories.make_site(code="THIRD")
    login_as(factories.make_user(Role.MANAGER, sites=[site, other_site]))
    client.post("/settings/site", data={"site_id": other_site.id})
    assert other_site.name_en.encode() in client.get("/", headers={"Accept-Language": "en"}).data
    client.post("/settings/site", data={"site_id": third.id})
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert third.name_en not in page
    assert other_site.name_en in page


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_manifest_is_installable_json(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    data = json.loads(response.data)
    assert data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        with client.get(icon["src"]) as response:
            assert response.status_code == 200


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"/offline" in response.data
