"""Template context shared by every page: the user's current site, navigation, theme."""

from flask import current_app
from flask import g
from flask import session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.local import LocalProxy

from pmfield.notifications import services as notifications
from pmfield.places.services import list_sites_for
from pmfield.web.nav import nav_for

THEMES = ("auto", "light", "dark")


def current_site():
    """Return the site the user is working on (chosen in the menu, else their first)."""
    if not current_user.is_authenticated:
        return None
    if "current_site" not in g:
        sites = list_sites_for(current_user)
        chosen = session.get("site_id")
        g.current_site = next((s for s in sites if s.id == chosen), sites[0] if sites else None)
    return g.current_site


def register_template_context(app) -> None:
    """Expose the shell's shared values to every template."""

    @app.context_processor
    def shell_context():
        return {
            "current_site": current_site(),
            "nav_items": nav_for(current_user),
            "theme": session.get("theme", "auto"),
            "locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
            "app_version": current_app.config["APP_VERSION"],
            # Counted only when a template shows it: fragments (a check-in's result) skip it.
            "unread_notifications": LocalProxy(_unread_notifications),
        }


def _unread_notifications() -> int:
    if "unread_notifications" not in g:
        g.unread_notifications = (
            notifications.unread_count(current_user) if current_user.is_authenticated else 0
        )
    return g.unread_notifications
