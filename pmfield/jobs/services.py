"""Repair requests: take them in with a number, list them for the desk.

`create_job` only flushes: the desk view commits right after it, and patrol creates a job inside
the transaction that records the incident.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobCounter
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import JobStatus
from pmfield.places.models import Point
from pmfield.places.models import Site
from pmfield.timeutil import utcnow

DESCRIPTION_MAX = 2000
PAGE_SIZE = 30


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
    )
    if incident is None:
        db.session.add(job)
        db.session.flush()
        return job
    db.session.flush()  # the caller's pending rows stay out of the savepoint below
    try:
        # When another request linked the incident a moment ago, the caller's transaction
        # survives and gets a clear message instead of a database error.
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:
        raise DomainError(_("This incident already has a repair request."), "incident") from None
    return job


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


def get_job_for_user(user, job_id: int) -> Job | None:
    """Return the job if it is on one of the user's sites, else None (never leak others)."""
    job = db.session.get(Job, job_id) if is_valid_id(job_id) else None
    if job is None or not user.can_access_site(job.site):
        return None
    return job
