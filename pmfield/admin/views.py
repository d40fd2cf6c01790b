"""User administration: create, edit, reset passwords, deactivate. Admins only."""

from flask import abort
from flask import flash
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.admin import bp
from pmfield.auth import services as users
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.places.services import list_sites_for
from pmfield.web.htmx import redirect_to
from pmfield.web.security import roles_required

admin_only = roles_required(Role.ADMIN)


def _user_or_404(user_id: int):
    user = users.get_user(user_id)
    if user is None:
        abort(404)
    return user


def parse_user_form(form) -> tuple[dict, dict]:
    """Read the user form into plain values, with {field: message} for bad ones."""
    sites = {s.id: s for s in list_sites_for(current_user)}
    chosen = [sites[i] for i in form.getlist("sites", type=int) if i in sites]
    data = {
        "username": (form.get("username") or "").strip().lower(),
        "display_name": (form.get("display_name") or "").strip(),
        "role": form.get("role") or "",
        "phone": (form.get("phone") or "").strip(),
        "password": form.get("password") or "",
        "sites": chosen,
    }
    errors = {}
    if data["role"] not in set(Role):
        errors["role"] = _("Choose a role.")
    return data, errors


def _render_form(user=None, data=None, errors=None, status=200):
    return (
        render_template(
            "admin/user_form.html",
            user=user,
            data=data or {},
            errors=errors or {},
            roles=list(Role),
            sites=list_sites_for(current_user),
        ),
        status,
    )


@bp.route("/users")
@admin_only
def list_users():
    """List every user with role, sites and state."""
    return render_template("admin/users.html", users=users.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def create_user():
    """Create a user."""
    if request.method == "GET":
        return _render_form()
    data, errors = parse_user_form(request.form)
    if errors:
        return _render_form(data=data, errors=errors, status=422)
    try:
        user = users.create_user(
            data["username"], data["password"], data["role"],
            display_name=data["display_name"], sites=data["sites"], phone=data["phone"],
            actor=current_user,
        )
    except DomainError as error:
        return _render_form(data=data, errors={error.field or "form": error.message}, status=422)
    flash(_("User %(name)s created.", name=user.username), "success")
    return redirect_to("admin.list_users")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit_user(user_id):
    """Change a user's name, role, sites and phone."""
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _render_form(user=user)
    data, errors = parse_user_form(request.form)
    if errors:
        return _render_form(user=user, data=data, errors=errors, status=422)
    try:
        users.update_user(
            user, display_name=data["display_name"], role=data["role"], sites=data["sites"],
            phone=data["phone"], actor=current_user,
        )
    except DomainError as error:
        return _render_form(
            user=user, data=data, errors={error.field or "form": error.message}, status=422
        )
    flash(_("Changes to %(name)s saved.", name=user.username), "success")
    return redirect_to("admin.list_users")


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@admin_only
def set_password(user_id):
    """Set a new password for a user (ends their sessions)."""
    user = _user_or_404(user_id)
    try:
        users.set_password(user, request.form.get("password", ""), actor=current_user)
    except DomainError as error:
        return _render_form(user=user, errors={"new_password": error.message}, status=422)
    flash(_("New password set for %(name)s.", name=user.username), "success")
    return redirect_to("admin.edit_user", user_id=user.id)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_only
def set_active(user_id):
    """Deactivate or reactivate a user."""
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        users.set_active(user, active, actor=current_user)
    except DomainError as error:
        return _render_form(user=user, errors={"form": error.message}, status=422)
    message = _("%(name)s can sign in again.") if active else _("%(name)s is deactivated.")
    flash(message % {"name": user.username}, "success")
    return redirect_to("admin.list_users")
