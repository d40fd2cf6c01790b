"""User services: creation rules, passwords, audit."""

import pytest
from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth import services
from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from tests import factories


def test_create_user_hashes_with_argon2_and_audits(site):
    admin = factories.make_user(Role.ADMIN)
    user = services.create_user("Guard9", "long enough pw", Role.GUARD, sites=[site], actor=admin)
    assert user.username == "guard9"
    assert user.password_hash.startswith("$argon2id$")
    assert "long enough pw" not in user.password_hash
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.user_id == admin.id
    assert entry.target_id == user.id


@pytest.mark.parametrize(
    ("username", "password", "role", "field"),
    [
        ("x", "long enough pw", Role.GUARD, "username"),
        ("bad name", "long enough pw", Role.GUARD, "username"),
        ("okname", "short", Role.GUARD, "password"),
        ("okname", "long enough pw", "pilot", "role"),
    ],
)
def test_create_user_refuses_bad_input_and_changes_nothing(site, username, password, role, field):
    before = db.session.scalar(select(db.func.count()).select_from(User))
    with pytest.raises(DomainError) as caught:
        services.create_user(username, password, role, sites=[site])
    assert caught.value.field == field
    assert db.session.scalar(select(db.func.count()).select_from(User)) == before


def test_duplicate_username_is_refused(site):
    factories.make_user(sites=[site], username="guard1")
    with pytest.raises(DomainError, match="taken"):
        services.create_user("GUARD1", "long enough pw", Role.GUARD, sites=[site])


def test_non_admins_need_a_site(app):
    with pytest.raises(DomainError) as caught:
        services.create_user("guard5", "long enough pw", Role.GUARD, sites=[])
    assert caught.value.field == "sites"
    admin = services.create_user("boss", "long enough pw", Role.ADMIN, sites=[])
    assert admin.is_admin


def test_admin_cannot_deactivate_or_demote_themselves(site):
    admin = factories.make_user(Role.ADMIN)
    with pytest.raises(DomainError):
        services.set_active(admin, False, actor=admin)
    with pytest.raises(DomainError):
        services.update_user(admin, display_name="A", role=Role.GUARD, sites=[site], phone=None,
                             actor=admin)
    assert admin.active and admin.role == Role.ADMIN


def test_update_user_records_what_changed(site, other_site):
    admin = factories.make_user(Role.ADMIN)
    user = factories.make_user(Role.GUARD, sites=[site])
    services.update_user(user, display_name=user.display_name, role=Role.SECURITY_SUPERVISOR,
                         sites=[site, other_site], phone="13800000000", actor=admin)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.changes["role"] == ["guard", "security_supervisor"]
    assert "display_name" not in entry.changes
    assert user.role == Role.SECURITY_SUPERVISOR
    assert {s.code for s in user.sites} == {site.code, other_site.code}


def test_authenticate_rejects_unknown_inactive_and_wrong(site):
    user = factories.make_user(sites=[site])
    assert services.authenticate(user.username, factories.PASSWORD) == user
    assert services.authenticate(user.username, "wrong") is None
    assert services.authenticate("nobody", factories.PASSWORD) is None
    services.set_active(user, False)
    assert services.authenticate(user.username, factories.PASSWORD) is None
