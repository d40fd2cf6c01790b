"""User administration (being built)."""

from flask import render_template

from pmfield.admin import bp
from pmfield.auth.roles import Role
from pmfield.web.security import roles_required


@bp.route("/users")
@roles_required(Role.ADMIN)
def list_users():
    """List users."""
    return render_template("admin/users.html")
