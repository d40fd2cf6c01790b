"""Route access declarations, login handling and security headers."""

from functools import wraps

from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_htmx.responses import HTMXResponseClientRedirect
from flask_login import current_user

from pmfield.auth.roles import ALL_ROLES
from pmfield.extensions import htmx
from pmfield.extensions import login_manager

PUBLIC = "public"


def _mark(view, allowed):
    view.access = allowed
    return view


def public(view):
    """Declare a route open to everybody, signed in or not."""
    return _mark(view, PUBLIC)


def roles_required(*roles):
    """Declare which roles may use a route; anybody else gets 403, strangers the login page."""
    allowed = frozenset(roles)
    if not allowed or not allowed <= ALL_ROLES:
        raise ValueError(f"unknown roles: {roles}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapped, allowed)

    return decorator


#: Any signed-in user, whatever the role.
signed_in = roles_required(*ALL_ROLES)


def check_every_route_declares_access(app) -> None:
    """Refuse to start when a route forgot to say who may use it."""
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access")
    ]
    if missing:
        raise RuntimeError(f"routes without an access declaration: {sorted(missing)}")


def unauthorized():
    """Send strangers to the login page, keeping where they wanted to go."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if htmx:
        return HTMXResponseClientRedirect(target)
    if request.path != "/":
        flash(_("Please sign in to continue."), "info")
    return redirect(target)


CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' blob: data:; media-src 'self' blob:; worker-src 'self' blob:; "
    "connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def add_security_headers(response):
    """Set the CSP and friends on every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault(
        "Permissions-Policy", "camera=(self), geolocation=(self), microphone=(), payment=()"
    )
    if request.is_secure and current_app.config.get("HSTS", True):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
