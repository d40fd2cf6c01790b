"""Users: passwords, sign-in, creation and deactivation."""

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select

from pmfield.audit import services as audit
from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.timeutil import utcnow

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8
#: Verifying against this keeps a failed sign-in for an unknown user as slow as a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def load_user(session_id: str) -> User | None:
    """Load the user behind a session id "<id>:<version>" (see User.get_id)."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def get_user(user_id: int) -> User | None:
    """Return the user with this id, or None."""
    return db.session.get(User, user_id) if is_valid_id(user_id) else None


def get_user_by_username(username: str) -> User | None:
    """Find a user by username, case-insensitively."""
    return db.session.scalar(select(User).where(User.username == username.strip().lower()))


def authenticate(username: str, password: str) -> User | None:
    """Return the active user whose password matches, or None. Upgrades old hashes."""
    user = get_user_by_username(username or "")
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD), "password"
        )


def validate_user_fields(username: str, display_name: str, role: str) -> dict[str, str]:
    """Return {field: message} for bad user fields."""
    errors = {}
    if not USERNAME_RE.match(username or ""):
        errors["username"] = _(
            "Use 2 to 64 lowercase letters, digits, dots, dashes or underscores."
        )
    elif db.session.scalar(select(func.count()).where(User.username == username)):
        errors["username"] = _("This username is taken.")
    if not (display_name or "").strip():
        errors["display_name"] = _("Enter the person's name.")
    if role not in set(Role):
        errors["role"] = _("Choose a role.")
    return errors


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    sites=(),
    phone: str | None = None,
    actor=None,
    is_demo: bool = False,
) -> User:
    """Create a user; raise DomainError with the first problem found."""
    username = (username or "").strip().lower()
    display_name = (display_name or username).strip()
    errors = validate_user_fields(username, display_name, role)
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field)
    _check_password(password)
    if role != Role.ADMIN and not sites:
        raise DomainError(_("Choose at least one site for this user."), "sites")
    user = User(
        username=username,
        display_name=display_name,
        role=str(role),
        phone=(phone or "").strip() or None,
        password_hash=hash_password(password),
        is_demo=is_demo,
    )
    user.sites = list(sites)
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.create",
        user,
        label=username,
        changes={"role": role, "sites": [s.code for s in sites]},
    )
    db.session.commit()
    return user


def update_user(user: User, *, display_name: str, role: str, sites, phone: str | None, actor):
    """Change a user's name, role and sites."""
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError(_("Enter the person's name."), "display_name")
    if role not in set(Role):
        raise DomainError(_("Choose a role."), "role")
    if role != Role.ADMIN and not sites:
        raise DomainError(_("Choose at least one site for this user."), "sites")
    if user.id == getattr(actor, "id", None) and role != user.role:
        raise DomainError(_("You cannot change your own role."), "role")
    before = {
        "display_name": user.display_name,
        "role": user.role,
        "sites": ",".join(s.code for s in user.sites),
        "phone": user.phone,
    }
    user.display_name = display_name
    user.role = str(role)
    user.sites = list(sites)
    user.phone = (phone or "").strip() or None
    after = {
        "display_name": user.display_name,
        "role": user.role,
        "sites": ",".join(s.code for s in user.sites),
        "phone": user.phone,
    }
    audit.record(actor, "user.update", user, label=user.username, changes=audit.diff(before, after))
    db.session.commit()
    return user


def set_password(user: User, password: str, *, actor=None) -> None:
    """Set a new password and end the user's other sessions."""
    _check_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    audit.record(actor, "user.set_password", user, label=user.username)
    db.session.commit()


def set_active(user: User, active: bool, *, actor=None) -> None:
    """Deactivate (signing the user out everywhere) or reactivate a user."""
    if not active and user.id == getattr(actor, "id", None):
        raise DomainError(_("You cannot deactivate yourself."))
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    audit.record(
        actor,
        "user.reactivate" if active else "user.deactivate",
        user,
        label=user.username,
    )
    db.session.commit()


def set_locale(user: User, locale: str | None) -> None:
    """Remember the user's language (None follows the browser)."""
    user.locale = locale
    db.session.commit()


def list_users():
    """Return every user, by username."""
    return db.session.scalars(select(User).order_by(User.username)).all()


def demo_users_exist() -> bool:
    """True when the demo accounts are present (the login page then shows them)."""
    return bool(db.session.scalar(select(func.count()).where(User.is_demo.is_(True))))
