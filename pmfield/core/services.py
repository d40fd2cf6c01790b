"""What the shell pages show, and what the service worker precaches."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.places import services as places
from pmfield.places.models import PointKind

EQUIPMENT_KINDS = [k for k in PointKind if k.is_equipment]

CHECKPOINTS = (
    [PointKind.CHECKPOINT], _l("Checkpoints"), _l("No checkpoints on this site yet.")
)
CLEANING = (
    [PointKind.CLEANING_AREA], _l("Cleaning areas"), _l("No cleaning areas on this site yet.")
)
EQUIPMENT = (EQUIPMENT_KINDS, _l("Equipment"), _l("No equipment on this site yet."))

#: The points each field role meets on its rounds, shown on its home page until the role's
#: work lists (patrol runs, checklists, jobs) arrive.
HOME_POINTS = {
    Role.GUARD: CHECKPOINTS,
    Role.SECURITY_SUPERVISOR: CHECKPOINTS,
    Role.CLEANER: CLEANING,
    Role.CLEANING_SUPERVISOR: CLEANING,
    Role.TECHNICIAN: EQUIPMENT,
    Role.ENGINEERING_SUPERVISOR: EQUIPMENT,
}


@dataclass(frozen=True)
class HomePanel:
    """A card a feature adds to the home page of some roles (e.g. the guard's rounds)."""

    roles: frozenset
    template: str
    #: context(user, site) -> dict of the values the template needs.
    context: Callable[[object, object], dict]


HOME_PANELS: list[HomePanel] = []


def register_home_panel(roles, template: str, context: Callable[[object, object], dict]) -> None:
    """Let a feature show its card on the home page of `roles` (above the points list)."""
    HOME_PANELS.append(HomePanel(frozenset(roles), template, context))


@dataclass(frozen=True)
class OfflinePages:
    roles: frozenset
    pages: Callable[[object, object], list[str]]


OFFLINE_PAGES: list[OfflinePages] = []


def register_offline_pages(roles, pages: Callable[[object, object], list[str]]) -> None:
    """Let a feature name the pages `roles` need with no signal (today's work), as URLs for
    (user, site); the service worker keeps them while the phone is online."""
    OFFLINE_PAGES.append(OfflinePages(frozenset(roles), pages))


def offline_pages(user, site) -> list[str]:
    """The pages the phone keeps for `user`: the home page and the scanner, then each
    feature's pages of today's work, each once."""
    urls = [url_for("core.home"), url_for("core.scan"), url_for("core.menu")]
    if site is not None:
        for entry in OFFLINE_PAGES:
            if user.role in entry.roles:
                urls.extend(entry.pages(user, site))
    return list(dict.fromkeys(urls))


def home_template(user) -> str:
    """Return the home page template of a user's role."""
    if user.role in HOME_POINTS:
        return "home/field.html"
    return "home/desk.html" if user.role == Role.DESK else "home/office.html"


def home_context(user, site) -> dict:
    """Gather what a user's home page shows for their current site."""
    context = {"site": site, "overview": None, "points": [], "panels": []}
    if site is None:
        return context
    for panel in HOME_PANELS:
        if user.role in panel.roles:
            context.update(panel.context(user, site))
            context["panels"].append(panel.template)
    if user.role in HOME_POINTS:
        kinds, title, empty = HOME_POINTS[user.role_enum]
        context["points"] = places.list_points(user, site, kinds=kinds)
        context.update(
            points_title=title, points_empty=empty, show_certificates=kinds == EQUIPMENT_KINDS
        )
    context["overview"] = places.site_overview(user, site)
    return context


#: Static files the shell needs offline; the service worker precaches them at install.
#: The scanner's decoder (JS + WASM) is here too, so the scanner starts without a download.
SHELL_STATIC = (
    "css/app.css",
    "js/app.js",
    "js/scan.js",
    "js/checkin.js",
    "js/outbox.js",
    "js/update.js",
    # The field forms work offline: their scripts are in the shell too.
    "js/outbox-forms.js",
    "js/photo.js",
    "js/signature.js",
    "js/job-arrive.js",
    "css/patrol.css",
    # Pages kept for offline use (jobs, checklists, photos) need their styles with no signal.
    "css/jobs.css",
    "css/checklists.css",
    "css/photos.css",
    "css/notifications.css",
    "vendor/htmx.min.js",
    "vendor/barcode-detector-ponyfill.js",
    "vendor/zxing_reader.wasm",
    "icons/icon-192.png",
    *(
        f"icons/{name}.svg"
        for name in (
            "home", "scan", "points", "labels", "users", "audit", "menu",
            "camera", "torch", "offline", "keyboard", "stop", "jobs", "bell", "patrol",
            "cleaning",
        )
    ),
)


def precache_urls() -> list[str]:
    """Return the URLs the service worker stores at install."""
    return [url_for("core.offline")] + [url_for("static", filename=f) for f in SHELL_STATIC]


def shell_revision() -> str:
    """Return a short hash of the precached static files, so any change installs a new worker."""
    static = Path(current_app.static_folder)
    stamp = tuple(
        (name, path.stat().st_mtime_ns, path.stat().st_size)
        for name in SHELL_STATIC
        if (path := static / name).is_file()
    )
    return _hash_files(str(static), stamp)


@lru_cache(maxsize=8)
def _hash_files(static: str, stamp: tuple) -> str:
    digest = hashlib.sha256()
    for name, _mtime, _size in stamp:
        digest.update(name.encode())
        digest.update((Path(static) / name).read_bytes())
    return digest.hexdigest()[:12]


def database_status() -> str:
    """Return "ok" when the database answers a query, else "unavailable"."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database is down
        db.session.rollback()
        return "unavailable"
    return "ok"
