"""Anomalies a guard reports at a checkpoint: incidents for the desk and the security supervisor."""

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import INCIDENT_READERS
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import localized
from pmfield.jobs import services as jobs
from pmfield.jobs.models import JobSource
from pmfield.notifications import services as notifications
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import Incident
from pmfield.patrol.models import IncidentKind
from pmfield.photos import services as photos
from pmfield.timeutil import utcnow
from pmfield.web.urls import path_for

NOTE_MAX = 2000
RESOLUTION_MAX = 2000
PHOTO_OWNER = "incident"
INCIDENT_KIND = "patrol.incident"
PAGE_SIZE = 50


def _can_see_photo(user, incident_id: int) -> bool:
    incident = db.session.get(Incident, incident_id)
    return incident is not None and (
        user.role in INCIDENT_READERS or incident.reported_by_id == user.id
    )


photos.register_owner(PHOTO_OWNER, _can_see_photo)


def parse_kind(value) -> IncidentKind | None:
    try:
        return IncidentKind(value)
    except ValueError:
        return None


def get_own_check_in(user, check_in_id: int) -> CheckIn | None:
    """The user's own check-in (an anomaly is reported by whoever scanned)."""
    if not is_valid_id(check_in_id):
        return None
    check_in = db.session.get(CheckIn, check_in_id)
    return check_in if check_in is not None and check_in.user_id == user.id else None


def check_incident_fields(kind, note: str) -> dict[str, str]:
    errors = {}
    if parse_kind(kind) is None:
        errors["kind"] = _("Choose what is wrong.")
    if kind == IncidentKind.OTHER and not note:
        errors["note"] = _("Say what is wrong.")
    if len(note) > NOTE_MAX:
        errors["note"] = _("Use at most %(n)d characters.", n=NOTE_MAX)
    return errors


def report_incident(user, check_in: CheckIn, *, kind, note: str = "", photo=None,
                    client_id: str | None = None) -> Incident:
    """Record an anomaly at the checkpoint of the user's check-in; notify desk and supervisor.

    `photo` is a Photo already saved by the photos component (or None). A repeat of the same
    client_id returns the incident recorded the first time. Commits.
    """
    if client_id:
        existing = db.session.scalar(
            select(Incident).where(
                Incident.reported_by_id == user.id, Incident.client_id == client_id
            )
        )
        if existing is not None:
            return existing
    note = (note or "").strip()
    errors = check_incident_fields(kind, note)
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field)
    site = check_in.point.site
    incident = Incident(
        site_id=site.id,
        point_id=check_in.point_id,
        check_in_id=check_in.id,
        kind=str(parse_kind(kind)),
        note=note,
        reported_by_id=user.id,
        client_id=client_id,
        reported_at=utcnow(),
    )
    db.session.add(incident)
    db.session.flush()
    if photo is not None:
        photos.attach_photo(photo, PHOTO_OWNER, incident.id, user=user, site=site)
        incident.photo_id = photo.id
    readers = notifications.users_with_roles(site, [Role.SECURITY_SUPERVISOR, Role.DESK])
    notifications.notify(
        readers,
        kind=INCIDENT_KIND,
        key=f"incident:{incident.id}",
        site=site,
        params={
            "kind": incident.kind,
            "point": check_in.point.code,
            "point_zh": check_in.point.name_zh,
            "point_en": check_in.point.name_en,
        },
        url=path_for("patrol.incident_detail", incident_id=incident.id),
    )
    db.session.commit()
    return incident


def render_incident(params: dict) -> str:
    kind = parse_kind(params.get("kind")) or IncidentKind.OTHER
    return _(
        "Patrol anomaly at %(code)s %(name)s: %(kind)s.",
        code=params.get("point", ""),
        name=localized(params.get("point_zh"), params.get("point_en")),
        kind=kind.label,
    )


notifications.register_kind(INCIDENT_KIND, render_incident)


def list_incidents(site, *, show: str = "open", page: int = 1) -> tuple[list[Incident], int]:
    """The site's incidents, newest first: "open" ones or "all"."""
    query = select(Incident).where(Incident.site_id == site.id)
    if show != "all":
        query = query.where(Incident.resolved_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(
        query.order_by(Incident.reported_at.desc(), Incident.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    return list(items), total


def get_incident_for_user(user, incident_id: int) -> Incident | None:
    if not is_valid_id(incident_id):
        return None
    incident = db.session.get(Incident, incident_id)
    if incident is None or not user.can_access_site(incident.site):
        return None
    return incident


def resolve_incident(user, incident: Incident, *, resolution: str) -> Incident:
    """Close an incident with what was done. Commits."""
    resolution = (resolution or "").strip()
    if not incident.is_open:
        raise DomainError(_("This incident is already closed."), "resolution")
    if not resolution:
        raise DomainError(_("Say how it was resolved."), "resolution")
    if len(resolution) > RESOLUTION_MAX:
        raise DomainError(_("Use at most %(n)d characters.", n=RESOLUTION_MAX), "resolution")
    incident.resolution = resolution
    incident.resolved_at = utcnow()
    incident.resolved_by_id = user.id
    db.session.commit()
    return incident


def make_repair_request(user, incident: Incident):
    """Turn an incident into a repair request (a new job) linked both ways. Commits."""
    if incident.job is not None:
        raise DomainError(_("This incident already has a repair request."), "incident")
    description = f"{incident.kind_enum.label}: {incident.note}".strip().rstrip(":")
    job = jobs.create_job(
        site=incident.site,
        description=description,
        source=JobSource.PATROL,
        reported_by=user,
        point=incident.point,
        incident=incident,
    )
    db.session.commit()
    db.session.refresh(incident)
    return job
