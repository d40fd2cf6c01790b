"""Record notifications once per event, count and list them, mark them read.

Features call `notify()` inside their own transaction (it only flushes) and register how their
kind reads with `register_kind()`: the text is rendered when the reader opens the list, so it
appears in the reader's language, not the sender's.
"""

import logging
from collections.abc import Callable
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.errors import NotFoundError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.notifications.models import Notification
from pmfield.places.models import Site
from pmfield.timeutil import utcnow

log = logging.getLogger(__name__)

PAGE_SIZE = 30
KIND_MAX = 64
KEY_MAX = 120
URL_MAX = 255

#: kind → function turning a notification's params into its text, in the current language.
RENDERERS: dict[str, Callable[[dict], str]] = {}
#: The INSERT with ON CONFLICT DO NOTHING of each database we run on.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


# --------------------------------------------------------------------------- texts


def register_kind(kind: str, render: Callable[[dict], str]) -> None:
    """Say how notifications of `kind` read: `render(params)` returns the translated text."""
    RENDERERS[kind] = render


def render_text(notification: Notification) -> str:
    """Return a notification's text in the current language."""
    render = RENDERERS.get(notification.kind)
    if render is not None:
        try:
            return render(notification.params or {})
        except (KeyError, TypeError, ValueError):
            # Old rows outlive code changes; one stale row must not break the whole list.
            log.warning("cannot render notification %s (%s)", notification.id, notification.kind)
    return _("Something needs your attention.")


# --------------------------------------------------------------------------- recording


def _is_local_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def notify(
    users: Iterable[User],
    *,
    kind: str,
    key: str,
    site: Site | None = None,
    params: dict | None = None,
    url: str | None = None,
) -> int:
    """Notify each user of an event once; return how many notifications are new.

    (user, kind, key) is unique, and the INSERT skips existing rows in the database itself,
    so two processes reporting the same event at once still notify each user once. Flush
    only: the caller commits together with the change it reports.

    :raises ValueError: for a kind, key or url that cannot be stored (a programming error).
    """
    if not kind or len(kind) > KIND_MAX or not key or len(key) > KEY_MAX:
        raise ValueError(f"bad notification kind or key: {kind!r} {key!r}")
    if url is not None and (len(url) > URL_MAX or not _is_local_path(url)):
        raise ValueError(f"notification url must be a path on this server: {url!r}")
    db.session.flush()  # the users and the site must have ids
    user_ids = sorted({user.id for user in users})
    if not user_ids:
        return 0
    now = utcnow()
    rows = [
        {
            "user_id": user_id,
            "site_id": site.id if site is not None else None,
            "kind": kind,
            "key": key,
            "params": dict(params or {}),
            "url": url,
            "created_at": now,
        }
        for user_id in user_ids
    ]
    insert = _INSERTS[db.engine.dialect.name]
    statement = (
        insert(Notification.__table__)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "key"])
        # SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg would report -1).
        .execution_options(preserve_rowcount=True)
    )
    return db.session.execute(statement).rowcount


def users_with_roles(
    site: Site, roles: Iterable[Role], *, include_admins: bool = False
) -> list[User]:
    """Return the active members of `site` having one of `roles`; admins only if asked.

    Admins belong to no site (they see every site), so `include_admins` adds every active admin.
    """
    wanted = [str(role) for role in roles if role != Role.ADMIN]
    members = User.role.in_(wanted) & User.sites.any(Site.id == site.id)
    who = or_(members, User.role == Role.ADMIN) if include_admins else members
    query = select(User).where(User.active.is_(True), who).order_by(User.display_name, User.id)
    return list(db.session.scalars(query))


# --------------------------------------------------------------------------- reading


def unread_count(user: User) -> int:
    """Return how many of the user's notifications are unread (one COUNT query)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def list_notifications(user: User, *, page: int = 1) -> tuple[list[Notification], int]:
    """Return one page of the user's own notifications, newest first, and how many they have."""
    page = max(page, 1)
    mine = Notification.user_id == user.id
    total = db.session.scalar(select(func.count()).select_from(Notification).where(mine))
    items = db.session.scalars(
        select(Notification)
        .where(mine)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(items), total


def get_notification_for_user(user: User, notification_id: int) -> Notification | None:
    """Return the notification if it is the user's own, else None (never anybody else's)."""
    if not is_valid_id(notification_id):
        return None
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(user: User, notification: Notification) -> Notification:
    """Mark one of the user's notifications read (reading it twice keeps the first time).

    :raises NotFoundError: when the notification belongs to somebody else.
    """
    if notification.user_id != user.id:
        raise NotFoundError(_("There is nothing at this address."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; return how many there were."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount
