"""Shift handovers (交接班): the outgoing guard writes, the incoming guard acknowledges.

Both moments are stored in UTC and shown in the site's time. The log is searchable by text and
by the site's local dates. Queries that take a user return only what that user may see.
"""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlalchemy.orm import selectinload

from pmfield.auth.models import User
from pmfield.auth.roles import PATROL_MANAGERS
from pmfield.auth.roles import PATROL_WALKERS
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.patrol.models import Handover
from pmfield.patrol.models import Incident
from pmfield.places.models import Site
from pmfield.places.services import site_time
from pmfield.timeutil import utcnow

#: The four parts of a handover, in the order the form shows them.
TEXT_FIELDS = ("keys", "doors_windows", "open_incidents", "notes")
#: Longest text accepted in each part (a full night's notes fit; a pasted file does not).
TEXT_MAX = 4000
#: Handovers per page of the log.
PAGE_SIZE = 50
#: Longest search text; more is cut off (nobody types more, and LIKE patterns stay cheap).
QUERY_MAX = 100
#: Most unresolved incidents listed in the pre-filled text; the rest are counted.
DEFAULT_INCIDENTS_MAX = 30
#: Most pending handovers listed on the guard's home page.
PENDING_MAX = 20
#: Pages past this are empty anyway; the cap keeps OFFSET inside the database's integers.
PAGE_MAX = 100_000
#: Search dates outside these are refused (they would overflow when turned into UTC).
DATE_MIN = date(1970, 1, 1)
DATE_MAX = date(2999, 12, 31)
#: Who may read the handover log.
HANDOVER_READERS = PATROL_WALKERS | PATROL_MANAGERS


# --------------------------------------------------------------------------- helpers


def _clean_text(value) -> str:
    """Trim, use one kind of line break, and drop NUL (PostgreSQL text cannot hold it)."""
    text = "" if value is None else str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _field_label(name: str) -> str:
    return {
        "keys": _("Keys handed over"),
        "doors_windows": _("Doors and windows"),
        "open_incidents": _("Unresolved incidents"),
        "notes": _("Notes"),
    }[name]


def _format_moment(site: Site, moment: datetime | None) -> str:
    local = site_time(site, moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def _is_walker_of(user, site: Site) -> bool:
    """True when the user walks patrols (guard or security supervisor) at this very site."""
    return (
        user is not None
        and getattr(user, "is_authenticated", True)
        and user.active
        and user.role in PATROL_WALKERS
        and any(s.id == site.id for s in user.sites)
    )


def _local_day_start(site: Site, day: date) -> datetime:
    """Return the UTC moment a local date starts at the site."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(site.timezone)).astimezone(UTC)


# --------------------------------------------------------------------------- writing


def incoming_choices(site: Site, writer) -> list[User]:
    """Return the guards and security supervisors of the site who may take over from `writer`."""
    users = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_([str(r) for r in PATROL_WALKERS]))
        .where(User.sites.any(Site.id == site.id))
        .order_by(User.display_name, User.id)
    ).all()
    return [user for user in users if writer is None or user.id != writer.id]


def get_site_user(site: Site, user_id) -> User | None:
    """Return the user with this id if they belong to the site (any role), else None."""
    user = db.session.get(User, user_id) if is_valid_id(user_id) else None
    if user is None or not any(s.id == site.id for s in user.sites):
        return None
    return user


def handover_defaults(site: Site) -> dict[str, str]:
    """Return the starting text of a new handover: the site's unresolved incidents, listed.

    Only "open_incidents" is filled in; the guard edits it before saving.
    """
    defaults = dict.fromkeys(TEXT_FIELDS, "")
    if site is None:
        return defaults
    where = (Incident.site_id == site.id, Incident.resolved_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(Incident).where(*where))
    incidents = db.session.scalars(
        select(Incident)
        .where(*where)
        .options(selectinload(Incident.point))
        .order_by(Incident.reported_at, Incident.id)
        .limit(DEFAULT_INCIDENTS_MAX)
    ).all()
    lines = []
    for incident in incidents:
        moment = _format_moment(site, incident.reported_at)
        point = incident.point
        line = f"- {moment} · {point.code} {point.name} · {incident.kind_enum.label}"
        note = " ".join(incident.note.split())
        if note:
            line += ": " + (note if len(note) <= 80 else note[:79] + "…")
        lines.append(line)
    if total > len(incidents):
        lines.append(_("… and %(n)d more", n=total - len(incidents)))
    defaults["open_incidents"] = "\n".join(lines)
    return defaults


def write_handover(
    user, site: Site, *, keys, doors_windows, open_incidents, notes, incoming=None
) -> Handover:
    """Record the outgoing guard's handover, timestamped now.

    :raises DomainError: when the writer is not a guard of the site, every part is empty, a
        part is too long, or `incoming` is not another guard of the site.
    """
    if not _is_walker_of(user, site):
        raise DomainError(_("Only the site's guards can write a handover."))
    texts = {
        "keys": _clean_text(keys),
        "doors_windows": _clean_text(doors_windows),
        "open_incidents": _clean_text(open_incidents),
        "notes": _clean_text(notes),
    }
    for name in TEXT_FIELDS:
        if len(texts[name]) > TEXT_MAX:
            raise DomainError(
                _(
                    "%(field)s: use at most %(n)d characters (now %(count)d).",
                    field=_field_label(name),
                    n=TEXT_MAX,
                    count=len(texts[name]),
                ),
                name,
            )
    if not any(texts.values()):
        raise DomainError(
            _(
                "The handover is empty. Write at least one of: keys, doors and windows, "
                "unresolved incidents, notes."
            ),
            "keys",
        )
    if incoming is not None:
        if incoming.id == user.id:
            raise DomainError(_("Name the guard taking over, not yourself."), "incoming")
        if not _is_walker_of(incoming, site):
            raise DomainError(
                _(
                    "%(name)s is not a guard of this site; choose who takes over.",
                    name=incoming.display_name,
                ),
                "incoming",
            )
    handover = Handover(
        site_id=site.id,
        outgoing_id=user.id,
        incoming_id=incoming.id if incoming is not None else None,
        written_at=utcnow(),
        **texts,
    )
    db.session.add(handover)
    db.session.commit()
    return handover


# --------------------------------------------------------------------------- acknowledging


def _acknowledge_refusal(user, handover: Handover) -> str | None:
    """Return why the user may not acknowledge the handover, or None when they may."""
    if handover.acknowledged_at is not None:
        return _(
            "This handover was already acknowledged by %(name)s at %(moment)s.",
            name=handover.acknowledged_by.display_name if handover.acknowledged_by else "?",
            moment=_format_moment(handover.site, handover.acknowledged_at),
        )
    if user.id == handover.outgoing_id:
        return _("You wrote this handover; the guard taking over acknowledges it.")
    if not _is_walker_of(user, handover.site):
        return _("Only the site's guards can acknowledge a handover.")
    if handover.incoming_id is not None and handover.incoming_id != user.id:
        return _(
            "This handover is addressed to %(name)s; only they can acknowledge it.",
            name=handover.incoming.display_name,
        )
    return None


def can_acknowledge(user, handover: Handover) -> bool:
    """True when the user may acknowledge the handover now."""
    return _acknowledge_refusal(user, handover) is None


def acknowledge_handover(user, handover: Handover) -> Handover:
    """Sign the handover as read by the incoming guard, timestamped now.

    :raises DomainError: when it is already acknowledged, the user wrote it, or it is
        addressed to somebody else.
    """
    refusal = _acknowledge_refusal(user, handover)
    if refusal:
        raise DomainError(refusal)
    # Only the first of two simultaneous acknowledgements may win: update where still unsigned.
    result = db.session.execute(
        update(Handover)
        .where(Handover.id == handover.id, Handover.acknowledged_at.is_(None))
        .values(acknowledged_by_id=user.id, acknowledged_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(handover)
        raise DomainError(_acknowledge_refusal(user, handover) or _("Try again."))
    db.session.commit()
    db.session.refresh(handover)
    return handover


def pending_handovers_for(user, site: Site) -> list[Handover]:
    """Return the site's unacknowledged handovers this user may acknowledge, newest first."""
    if site is None or not _is_walker_of(user, site):
        return []
    return db.session.scalars(
        select(Handover)
        .where(
            Handover.site_id == site.id,
            Handover.acknowledged_at.is_(None),
            Handover.outgoing_id != user.id,
            or_(Handover.incoming_id.is_(None), Handover.incoming_id == user.id),
        )
        .options(selectinload(Handover.outgoing), selectinload(Handover.incoming))
        .order_by(Handover.written_at.desc(), Handover.id.desc())
        .limit(PENDING_MAX)
    ).all()


# --------------------------------------------------------------------------- reading


def can_read_handovers(user, site: Site) -> bool:
    """True when the user may read the site's handover log."""
    return site is not None and user.role in HANDOVER_READERS and user.can_access_site(site)


def get_handover_for_user(user, handover_id) -> Handover | None:
    """Return the handover if the user may read it, else None."""
    handover = db.session.get(Handover, handover_id) if is_valid_id(handover_id) else None
    if handover is None or not can_read_handovers(user, handover.site):
        return None
    return handover


def search_handovers(
    user,
    site: Site,
    *,
    q: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
) -> tuple[list[Handover], int]:
    """Return one page of the site's handovers matching the search, newest first, and the total.

    `q` matches the four texts and the names of the writer, the named incoming guard and the
    acknowledger, ignoring case. Dates are the site's local dates, both ends included.

    :raises DomainError: when `date_to` is before `date_from`.
    """
    if not can_read_handovers(user, site):
        return [], 0
    for name, day in (("from", date_from), ("to", date_to)):
        if day is not None and not DATE_MIN <= day <= DATE_MAX:
            raise DomainError(
                _(
                    "Enter a date between %(first)s and %(last)s.",
                    first=str(DATE_MIN),
                    last=str(DATE_MAX),
                ),
                name,
            )
    if date_from and date_to and date_to < date_from:
        raise DomainError(_("The end date is before the start date."), "to")
    writer = aliased(User)
    incoming = aliased(User)
    acknowledger = aliased(User)
    query = (
        select(Handover)
        .join(writer, Handover.outgoing_id == writer.id)
        .outerjoin(incoming, Handover.incoming_id == incoming.id)
        .outerjoin(acknowledger, Handover.acknowledged_by_id == acknowledger.id)
        .where(Handover.site_id == site.id)
    )
    needle = _clean_text(q)[:QUERY_MAX].lower()
    if needle:
        columns = (
            Handover.keys,
            Handover.doors_windows,
            Handover.open_incidents,
            Handover.notes,
            writer.display_name,
            incoming.display_name,
            acknowledger.display_name,
        )
        query = query.where(
            or_(*(func.lower(column).contains(needle, autoescape=True) for column in columns))
        )
    if date_from:
        query = query.where(Handover.written_at >= _local_day_start(site, date_from))
    if date_to:
        query = query.where(
            Handover.written_at < _local_day_start(site, date_to + timedelta(days=1))
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = min(max(int(page or 1), 1), PAGE_MAX)
    items = db.session.scalars(
        query.options(
            selectinload(Handover.outgoing),
            selectinload(Handover.incoming),
            selectinload(Handover.acknowledged_by),
        )
        .order_by(Handover.written_at.desc(), Handover.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(items), total
