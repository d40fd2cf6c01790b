"""User administration pages."""

from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.extensions import db
from tests import factories


def test_admin_creates_a_user_with_sites(client, site, login_as):
    login_as(factories.make_user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={"username": "guard42", "display_name": "Guard 42", "role": "guard",
              "sites": [site.id], "password": "long enough pw"},
    )
    assert response.status_code == 303
    user = db.session.scalars(select(User).where(User.username == "guard42")).one()
    assert [s.code for s in user.sites] == [site.code]
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == user.id)).first()


def test_bad_user_form_keeps_what_was_typed(client, site, login_as):
    login_as(factories.make_user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={"username": "guard43", "display_name": "Guard Forty-Three", "role": "guard",
              "sites": [], "password": "long enough pw"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert b"Choose at least one site" in response.data
    assert b'value="Guard Forty-Three"' in response.data
    assert db.session.scalars(select(User).where(User.username == "guard43")).first() is None


def test_admin_deactivates_and_resets_password(client, site, login_as):
    login_as(factories.make_user(Role.ADMIN))
    user = factories.make_user(sites=[site])
    assert client.post(f"/admin/users/{user.id}/active", data={"active": "0"}).status_code == 303
    assert user.active is False
    response = client.post(f"/admin/users/{user.id}/password", data={"password": "short"})
    assert response.status_code == 422
    old_hash = user.password_hash
    client.post(f"/admin/users/{user.id}/password", data={"password": "a brand new one"})
    assert user.password_hash != old_hash


def test_unknown_user_is_404(client, login_as):
    login_as(factories.make_user(Role.ADMIN))
    assert client.get("/admin/users/999").status_code == 404
