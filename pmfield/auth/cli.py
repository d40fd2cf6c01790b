"""`pmfield users ...`: manage accounts from the command line."""

import click
from sqlalchemy import select

from pmfield.auth import services
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.places.models import Site


def _user_or_fail(username: str):
    user = services.get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


def _password(password: str | None) -> str:
    return password or click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users():
    """Create users, set passwords, deactivate."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", "display_name", help="Full name; defaults to the username.")
@click.option("--site", "site_codes", multiple=True, help="Site code; repeat for several sites.")
@click.option("--phone")
@click.option("--password", envvar="PMFIELD_NEW_PASSWORD", help="Prompted for when omitted.")
def create(username, role, display_name, site_codes, phone, password):
    """Create a user."""
    codes = [c.upper() for c in site_codes]
    sites = db.session.scalars(select(Site).where(Site.code.in_(codes))).all()
    unknown = set(codes) - {s.code for s in sites}
    if unknown:
        raise click.ClickException(f"Unknown site code(s): {', '.join(sorted(unknown))}")
    try:
        user = services.create_user(
            username, _password(password), role, display_name=display_name, sites=sites,
            phone=phone,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.username} ({user.role}).")


@users.command("set-password")
@click.argument("username")
@click.option("--password", envvar="PMFIELD_NEW_PASSWORD", help="Prompted for when omitted.")
def set_password(username, password):
    """Set a user's password (ends their other sessions)."""
    user = _user_or_fail(username)
    try:
        services.set_password(user, _password(password))
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Password set for {user.username}.")


@users.command("deactivate")
@click.argument("username")
def deactivate(username):
    """Deactivate a user: they can no longer sign in, and their sessions end."""
    user = _user_or_fail(username)
    services.set_active(user, False)
    click.echo(f"Deactivated {user.username}.")


@users.command("list")
def list_users():
    """List users with their role and sites."""
    for user in services.list_users():
        sites = ",".join(s.code for s in user.sites) or "*"
        state = "" if user.active else " (deactivated)"
        click.echo(f"{user.username:16} {user.role:24} {sites}{state}")
