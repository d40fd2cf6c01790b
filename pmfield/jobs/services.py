"""Repair requests: take them in with a number, find and list them, who may see which.

`create_job` only flushes: the desk view commits right after it, and patrol creates a job inside
the transaction that records the incident.
"""

import re
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from pmfield.audit.services import record as record_audit
from pmfield.auth.roles import JOB_READERS
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.jobs.models import Channel
from pmfield.jobs.models import Discipline
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobCounter
from pmfield.jobs.models import JobEvent
from pmfield.jobs.models import JobSettings
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import Priority
from pmfield.places.models import Point
from pmfield.places.models import Site
from pmfield.timeutil import utcnow

DESCRIPTION_MAX = 2000
NAME_MAX = 80
LOCATION_MAX = 200
REASON_MAX = 500
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
PAGE_SIZE = 30


def _choice(enum, value, message: str, field: str):
    try:
        return enum(value)
    except ValueError:
        raise DomainError(message, field) from None


def _text(value, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise DomainError(_("Use at most %(n)d characters.", n=limit), field)
    return value


def _phone(value) -> str:
    value = (value or "").strip()
    if value and not PHONE_RE.match(value):
        raise DomainError(_("Enter a phone number: digits, spaces, + ( ) and -."),
                          "requester_phone")
    return value


def settings_for(site: Site) -> JobSettings:
    """Return the site's response targets and callback rules (the defaults when not set)."""
    settings = db.session.get(JobSettings, site.id)
    if settings is None:
        settings = JobSettings(site_id=site.id, emergency_minutes=5, urgent_minutes=30,
                               normal_minutes=4 * 60, planned_minutes=7 * 24 * 60,
                               sample_percent=20, repeat_count=3, repeat_days=90)
    return settings


SETTING_LIMITS = {
    "emergency_minutes": (1, 24 * 60),
    "urgent_minutes": (1, 7 * 24 * 60),
    "normal_minutes": (1, 30 * 24 * 60),
    "planned_minutes": (1, 365 * 24 * 60),
    "sample_percent": (0, 100),
    "repeat_count": (2, 20),
    "repeat_days": (1, 730),
}


def update_settings(site: Site, values: dict, *, actor) -> JobSettings:
    """Save a site's response targets and callback rules; commits.

    :raises DomainError: a value missing, not a whole number, or out of its range; the
        targets must grow from emergency to planned.
    """
    clean = {}
    for name, (low, high) in SETTING_LIMITS.items():
        raw = str(values.get(name, "")).strip()
        try:
            number = int(raw)
        except ValueError:
            raise DomainError(_("Enter a whole number."), name) from None
        if not low <= number <= high:
            raise DomainError(_("Enter a number from %(low)d to %(high)d.", low=low, high=high),
                              name)
        clean[name] = number
    order = ["emergency_minutes", "urgent_minutes", "normal_minutes", "planned_minutes"]
    for faster, slower in zip(order, order[1:], strict=False):
        if clean[faster] > clean[slower]:
            raise DomainError(_("A less urgent priority cannot have a shorter target."), slower)
    settings = db.session.get(JobSettings, site.id)
    if settings is None:
        settings = JobSettings(site_id=site.id)
        db.session.add(settings)
    for name, number in clean.items():
        setattr(settings, name, number)
    record_audit(actor, "jobs.settings", site, site=site, changes=clean)
    db.session.commit()
    return settings


def job_number(year: int, sequence: int) -> str:
    """Return the printed number of a job: JOB-2026-000042."""
    return f"JOB-{year}-{sequence:06d}"


def _next_sequence(year: int) -> int:
    """Take the next number of `year` from its counter row (flush only).

    The UPDATE comes first: it locks the year's row, so two requests never get the same
    number. The first job of a year inserts the row; when another process inserted it first,
    the insert fails inside a savepoint and the UPDATE is simply run again.
    """
    bump = (
        update(JobCounter)
        .where(JobCounter.year == year)
        .values(last=JobCounter.last + 1)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(bump).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(JobCounter).values(year=year, last=1))
        except IntegrityError:
            db.session.execute(bump)
    return db.session.scalar(select(JobCounter.last).where(JobCounter.year == year))


def _source(value) -> JobSource:
    try:
        return JobSource(value)
    except ValueError:
        raise DomainError(_("Choose where the request came from."), "source") from None


def _check_point(site: Site, point: Point | None) -> None:
    if point is None:
        return
    if point.site_id != site.id:
        raise DomainError(_("Choose a point on this site."), "point")
    if point.is_retired:
        raise DomainError(_("%(code)s is retired.", code=point.code), "point")


def _linked_job(incident) -> Job | None:
    return db.session.scalar(select(Job).where(Job.incident_id == incident.id))


def _check_incident(site: Site, incident) -> None:
    if incident is None:
        return
    if incident.site_id != site.id:
        raise DomainError(_("Choose an incident on this site."), "incident")
    linked = _linked_job(incident)
    if linked is not None:
        raise DomainError(
            _("This incident already has repair request %(number)s.", number=linked.number),
            "incident",
        )


def create_job(
    *,
    site: Site,
    description: str,
    source: JobSource,
    reported_by=None,
    point: Point | None = None,
    incident=None,
    now: datetime | None = None,
    channel: Channel | str = Channel.STAFF,
    requester_name: str = "",
    requester_phone: str = "",
    location_text: str = "",
    requested_by: datetime | None = None,
    out_of_scope: bool = False,
    out_of_scope_reason: str = "",
    priority: Priority | str = Priority.NORMAL,
    discipline: Discipline | str | None = None,
    plan=None,
    plan_due_on=None,
    respond_by: datetime | None = None,
) -> Job:
    """Take in a repair request and give it the next number of the year (flush only).

    The year is the one at the site when the request comes in (`now`, default: the current
    time), so a request on New Year's Eve at 01:00 in Shanghai belongs to the new year.

    :raises DomainError: for an empty or too long description, an unknown source, a point
        elsewhere or retired, or an incident elsewhere or already turned into a request.
    """
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe the problem."), "description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(_("Use at most %(n)d characters.", n=DESCRIPTION_MAX), "description")
    source = _source(source)
    _check_point(site, point)
    _check_incident(site, incident)
    now = now or utcnow()
    channel = _choice(Channel, channel, _("Choose how the request came in."), "channel")
    priority = _choice(Priority, priority, _("Choose a priority."), "priority")
    if discipline:
        discipline = _choice(Discipline, discipline, _("Choose a discipline."), "discipline")
    requester_name = _text(requester_name, NAME_MAX, "requester_name")
    requester_phone = _phone(requester_phone)
    location_text = _text(location_text, LOCATION_MAX, "location_text")
    if source == JobSource.DESK and point is None and not location_text:
        raise DomainError(_("Choose the point or say where it is."), "point")
    out_of_scope_reason = _text(out_of_scope_reason, REASON_MAX, "out_of_scope_reason")
    if out_of_scope and not out_of_scope_reason:
        raise DomainError(_("Say why the request is out of scope."), "out_of_scope_reason")
    if requested_by is not None and requested_by <= now:
        raise DomainError(_("The deadline asked for must be in the future."), "requested_by")
    year = now.astimezone(ZoneInfo(site.timezone)).year
    job = Job(
        number=job_number(year, _next_sequence(year)),
        site=site,
        point=point,
        description=description,
        status=JobStatus.NEW.value,
        source=source.value,
        incident_id=incident.id if incident is not None else None,
        reported_by=reported_by,
        created_at=now,
        channel=channel.value,
        requester_name=requester_name,
        requester_phone=requester_phone,
        location_text=location_text,
        requested_by=requested_by,
        out_of_scope=bool(out_of_scope),
        out_of_scope_reason=out_of_scope_reason if out_of_scope else "",
        priority=priority.value,
        discipline=discipline.value if discipline else None,
        respond_by=respond_by
        or now + timedelta(minutes=settings_for(site).response_minutes(priority)),
        plan=plan,
        plan_due_on=plan_due_on,
    )
    job.events.append(JobEvent(at=now, actor=reported_by, action="created",
                               to_status=JobStatus.NEW.value))
    if incident is None:
        db.session.add(job)
        db.session.flush()
        _notify_new(job)
        return job
    db.session.flush()  # the caller's pending rows stay out of the savepoint below
    try:
        # When another request linked the incident a moment ago, the caller's transaction
        # survives and gets a clear message instead of a database error.
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:
        raise DomainError(_("This incident already has a repair request."), "incident") from None
    _notify_new(job)
    return job


NEW_KIND = "job.new"


def _notify_new(job: Job) -> None:
    """Engineering hears of every new request at once; planned maintenance is no news."""
    if job.source == JobSource.MAINTENANCE.value:
        return
    from pmfield.auth.roles import Role
    from pmfield.notifications import services as notifications

    supervisors = notifications.users_with_roles(job.site, [Role.ENGINEERING_SUPERVISOR])
    notifications.notify(supervisors, kind=NEW_KIND, key=f"job-new:{job.id}", site=job.site,
                         params={"number": job.number, "priority": job.priority},
                         url=f"/jobs/{job.id}")


def render_new(params: dict) -> str:
    return _("New repair request %(number)s to dispatch.", number=params.get("number", "?"))


def _register_kinds() -> None:
    from pmfield.notifications import services as notifications

    notifications.register_kind(NEW_KIND, render_new)


_register_kinds()


def list_jobs(
    user, site: Site | None, *, status: JobStatus | str | None = None, page: int = 1
) -> tuple[list[Job], int]:
    """Return one page of a site's repair requests, newest first, and how many there are."""
    if site is None or not user.can_access_site(site):
        return [], 0
    page = max(page, 1)
    where = [Job.site_id == site.id]
    if status:
        where.append(Job.status == JobStatus(status).value)
    total = db.session.scalar(select(func.count()).select_from(Job).where(*where))
    jobs = db.session.scalars(
        select(Job)
        .where(*where)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(jobs), total


def can_view_job(user, job: Job) -> bool:
    """The desk, engineering and managers of the site see every job; a technician the jobs
    assigned to them; anyone the jobs they reported."""
    if not user.can_access_site(job.site):
        return False
    if user.role in JOB_READERS or job.is_assigned_to(user):
        return True
    return job.reported_by_id is not None and job.reported_by_id == user.id


def get_job_for_user(user, job_id: int) -> Job | None:
    """Return the job if the user may see it, else None (never leak others)."""
    job = db.session.get(Job, job_id) if is_valid_id(job_id) else None
    if job is None or not can_view_job(user, job):
        return None
    return job


def take_in(user, site: Site, *, photos=(), source: JobSource = JobSource.DESK, **kwargs) -> Job:
    """Register a request from the desk's form or a field report, with its photos. Commits.

    :raises DomainError: as create_job, or a photo that cannot be attached.
    """
    from pmfield.photos import services as photo_services

    if site is None or not user.can_access_site(site):
        raise DomainError(_("Choose one of your sites first."), "site")
    job = create_job(site=site, source=source, reported_by=user, **kwargs)
    for photo in photos:
        photo_services.attach_photo(photo, "job", job.id, user=user, site=site)
    db.session.commit()
    return job


def list_filtered(user, site: Site | None, view: str, *, page: int = 1):
    """A page of the jobs list for one of its tabs: "open" (default), "new" (to dispatch),
    "late" (past the response target, nobody on site), "closed", "all"."""
    from pmfield.jobs.models import NOT_ARRIVED
    from pmfield.jobs.models import OPEN_STATES

    if site is None or not user.can_access_site(site):
        return [], 0
    now = utcnow()
    where = [Job.site_id == site.id]
    order = [Job.created_at.desc(), Job.id.desc()]
    if view == "new":
        where.append(Job.status == JobStatus.NEW.value)
        order = [Job.respond_by, Job.id]
    elif view == "late":
        where += [Job.status.in_([s.value for s in NOT_ARRIVED]), Job.respond_by < now]
        order = [Job.respond_by, Job.id]
    elif view == "closed":
        where.append(Job.status.in_([JobStatus.CLOSED.value, JobStatus.CANCELLED.value]))
        order = [Job.closed_at.desc(), Job.id.desc()]
    elif view != "all":
        where.append(Job.status.in_([s.value for s in OPEN_STATES]))
        order = [Job.respond_by, Job.id]
    page = max(page, 1)
    total = db.session.scalar(select(func.count()).select_from(Job).where(*where))
    jobs = db.session.scalars(
        select(Job).where(*where).order_by(*order).offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(jobs), total


def point_choices(site: Site) -> list[Point]:
    """The site's active points for the intake form's search list, by code."""
    if site is None:
        return []
    return list(db.session.scalars(
        select(Point).where(Point.site_id == site.id, Point.retired_at.is_(None))
        .order_by(Point.code)
    ))


def desk_summary(site: Site, now: datetime | None = None) -> dict:
    """The counts on the desk's and engineering's home card: to dispatch, late, open."""
    from pmfield.jobs.models import NOT_ARRIVED
    from pmfield.jobs.models import OPEN_STATES

    now = now or utcnow()

    def count(*where) -> int:
        return db.session.scalar(
            select(func.count()).select_from(Job).where(Job.site_id == site.id, *where))

    return {
        "new": count(Job.status == JobStatus.NEW.value),
        "late": count(Job.status.in_([s.value for s in NOT_ARRIVED]), Job.respond_by < now),
        "open": count(Job.status.in_([s.value for s in OPEN_STATES])),
    }
