"""Sign in and out."""

from urllib.parse import urlsplit

from flask import current_app
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from pmfield.auth import bp
from pmfield.auth import services
from pmfield.demo import DEMO_PASSWORD
from pmfield.demo import DEMO_USERS
from pmfield.extensions import limiter
from pmfield.web.security import public
from pmfield.web.security import signed_in


def safe_next(target: str | None) -> str | None:
    """Keep only same-site relative paths, so a crafted link cannot send users elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target


def _login_key() -> str:
    # Per address and username: one guard's typos must not lock out the whole site Wi-Fi.
    username = (request.form.get("username") or "").strip().lower()
    return f"{request.remote_addr}:{username}"


def _render_login(error: str | None = None, status: int = 200):
    return (
        render_template(
            "auth/login.html",
            error=error,
            username=request.form.get("username", ""),
            next_url=safe_next(request.values.get("next")),
            demo_users=DEMO_USERS if services.demo_users_exist() else (),
            demo_password=DEMO_PASSWORD,
        ),
        status,
    )


def _throttled(_limit):
    return make_response(
        _render_login(
            _("Too many failed sign-ins for this name. Wait a minute, then try again."), 429
        )
    )


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_login_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
    on_breach=_throttled,
)
def login():
    """Show the sign-in form and sign in."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
    if request.method == "GET":
        return _render_login()
    user = services.authenticate(request.form.get("username", ""), request.form.get("password", ""))
    if user is None:
        return _render_login(_("Wrong username or password."), 401)
    login_user(user, remember=True)
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"), code=303)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """Sign out."""
    logout_user()
    return redirect(url_for("auth.login"), code=303)
