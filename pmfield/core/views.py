"""Shell routes: home per role, menu and settings, scanner, PWA files, health."""

import json

from flask import current_app
from flask import jsonify
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.auth import services as auth_services
from pmfield.core import bp
from pmfield.core import services
from pmfield.i18n import is_chinese
from pmfield.i18n import normalize_locale
from pmfield.places.services import get_site_for_user
from pmfield.web.context import THEMES
from pmfield.web.context import current_site
from pmfield.web.security import public
from pmfield.web.security import signed_in


@bp.route("/")
@signed_in
def home():
    """Land each role on its own page of today's work."""
    site = current_site()
    return render_template(
        services.home_template(current_user), **services.home_context(current_user, site)
    )


@bp.route("/menu")
@signed_in
def menu():
    """Settings: language, site, theme, sign out."""
    from pmfield.places.services import list_sites_for

    return render_template("core/menu.html", sites=list_sites_for(current_user), themes=THEMES)


def _back(default: str = "core.menu"):
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target, code=303)
    return redirect(url_for(default), code=303)


@bp.route("/settings/locale", methods=["POST"])
@public
def set_locale():
    """Switch the language; signed-in users keep it on their account."""
    locale = normalize_locale(request.form.get("locale"))
    if request.form.get("locale") == "auto":
        locale = None
    elif locale is None:
        return _back()
    session["locale"] = locale
    if current_user.is_authenticated:
        auth_services.set_locale(current_user, locale)
    return _back()


@bp.route("/settings/theme", methods=["POST"])
@signed_in
def set_theme():
    """Choose light, dark (night rounds) or follow the phone."""
    theme = request.form.get("theme")
    if theme in THEMES:
        session["theme"] = theme
    return _back()


@bp.route("/settings/site", methods=["POST"])
@signed_in
def set_site():
    """Choose which of the user's sites the pages show."""
    site_id = request.form.get("site_id", type=int)
    site = get_site_for_user(current_user, site_id) if site_id else None
    if site is None:
        return _back()
    session["site_id"] = site.id
    return _back("core.home")


@bp.route("/scan")
@signed_in
def scan():
    """The in-app QR scanner."""
    return render_template("core/scan.html")


@bp.route("/offline-pages")
@signed_in
def offline_pages():
    """The pages this user's phone keeps for working with no signal (static/js/app.js asks,
    the service worker fetches and keeps them)."""
    response = jsonify({"pages": services.offline_pages(current_user, current_site())})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
@public
def healthz():
    """Report whether the app and its database answer."""
    database = services.database_status()
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "error", "database": database}
    body["version"] = current_app.config["APP_VERSION"]
    return jsonify(body), status


@bp.route("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest, with the name in the user's language."""
    data = {
        "id": "/",
        "name": _("pmfield — property field app"),
        "short_name": "pmfield",
        "description": _("Patrol rounds, cleaning checklists and repair jobs for field staff."),
        "lang": "zh-Hans" if is_chinese() else "en",
        "start_url": url_for("core.home", source="pwa"),
        "scope": url_for("core.home"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#0f172a",
        "theme_color": "#0f172a",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png"},
            {"src": url_for("static", filename="icons/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
        "shortcuts": [{"name": _("Scan a label"), "url": url_for("core.scan")}],
    }
    response = make_response(json.dumps(data, ensure_ascii=False))
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker, served from the root so its scope is the whole app."""
    revision = services.shell_revision()
    body = render_template(
        "core/sw.js",
        precache=services.precache_urls(),
        revision=revision,
        cache_id=f"{current_app.config['APP_VERSION']}-{revision}",
        offline_url=url_for("core.offline"),
        static_prefix=url_for("static", filename=""),
        reset_paths=[
            url_for("auth.login"),
            url_for("auth.logout"),
            url_for("core.set_locale"),
            url_for("core.set_theme"),
            url_for("core.set_site"),
        ],
    )
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("core.home")
    return response


@bp.route("/offline")
@public
def offline():
    """The page the service worker shows when a page is not cached and there is no network."""
    return render_template("core/offline.html")
