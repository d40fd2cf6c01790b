"""What the shell pages show."""

from flask import url_for

from pmfield.places import services as places


def home_context(user, site) -> dict:
    """Gather today's work for a user's home page."""
    return {"site": site, "overview": places.site_overview(user, site) if site else None}


#: Static files every page needs; the service worker precaches them with the shell.
SHELL_STATIC = (
    "css/app.css",
    "js/app.js",
    "vendor/htmx.min.js",
    "icons/icon-192.png",
)


def precache_urls() -> list[str]:
    """Return the URLs the service worker stores at install."""
    return [url_for("core.offline")] + [url_for("static", filename=f) for f in SHELL_STATIC]
