"""Callbacks (回访): the desk calls the customer back after every job, again within 24 hours
after a rework, and a weekly sample of closed jobs for quality; repeated repairs of the same
point and discipline are flagged to the manager.

Seed 004: the desk calls back no later than the day after the order is returned; a complaint
about a leftover defect means immediate rework and a special callback within 24 hours; the
company phones a 20 % weekly sample of repair orders; the same repair three or more times is
flagged.
"""

import random
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pmfield.auth.roles import CALLBACK_RECORDERS
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.jobs.models import Callback
from pmfield.jobs.models import CallbackKind
from pmfield.jobs.models import CallbackMethod
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import SampleDraw
from pmfield.jobs.models import Satisfaction
from pmfield.jobs.services import settings_for
from pmfield.notifications import services as notifications
from pmfield.places.models import Site
from pmfield.timeutil import utcnow

COMMENTS_MAX = 2000
REPEAT_KIND = "job.repeat"
CALLBACK_DUE_KIND = "job.callback_overdue"


def _local(site, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(site.timezone))


def end_of_next_day(site, moment: datetime) -> datetime:
    """The end of the day after `moment`, in the site's time: "no later than the next day"."""
    day = _local(site, moment).date() + timedelta(days=2)
    return datetime.combine(day, time(0), ZoneInfo(site.timezone))


def _add_callback(job: Job, kind: CallbackKind, due_at: datetime, now: datetime) -> bool:
    """Add the callback unless this round already has one of the kind (flush). True if new."""
    exists = db.session.scalar(
        select(Callback.id).where(Callback.job_id == job.id, Callback.kind == kind.value,
                                  Callback.round == job.rework_count)
    )
    if exists is not None:
        return False
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add(Callback(job_id=job.id, site_id=job.site_id, kind=kind.value,
                                    round=job.rework_count, due_at=due_at, created_at=now))
    except IntegrityError:
        return False  # another request made it a moment ago
    return True


def on_job_closed(job: Job, now: datetime) -> None:
    """Closing makes the desk's callback (flush): by the end of the next day, or within 24 hours
    for a rework. Then checks for repeated repairs."""
    if job.rework_count:
        _add_callback(job, CallbackKind.SPECIAL, now + timedelta(hours=24), now)
    else:
        _add_callback(job, CallbackKind.REGULAR, end_of_next_day(job.site, now), now)
    flag_repeats(job, now)


# --------------------------------------------------------------------------- recording


def parse_outcome(form) -> dict:
    """Read the callback form.

    :raises DomainError: no method, no satisfaction, comments too long, or an unsatisfied
        answer without a comment saying what is wrong.
    """
    try:
        method = CallbackMethod(form.get("method", ""))
    except ValueError:
        raise DomainError(_("Choose how the customer was reached."), "method") from None
    try:
        satisfaction = Satisfaction(form.get("satisfaction", ""))
    except ValueError:
        raise DomainError(_("Choose what the customer said."), "satisfaction") from None
    comments = (form.get("comments") or "").strip()
    if len(comments) > COMMENTS_MAX:
        raise DomainError(_("Use at most %(n)d characters.", n=COMMENTS_MAX), "comments")
    if satisfaction == Satisfaction.UNSATISFIED and not comments:
        raise DomainError(_("Write what the customer is unhappy with."), "comments")
    return {"method": method, "satisfaction": satisfaction, "comments": comments}


def record(user, callback: Callback, *, method: CallbackMethod, satisfaction: Satisfaction,
           comments: str, now: datetime | None = None) -> Callback:
    """Record the customer's answer. Unsatisfied sends the job back as rework. Commits.

    :raises DomainError: the callback was already recorded.
    """
    if user.role not in CALLBACK_RECORDERS:
        raise DomainError(_("Only the service desk records callbacks."), "callback")
    if callback.done_at is not None:
        raise DomainError(_("This callback was already recorded."), "callback")
    now = now or utcnow()
    callback.done_at = now
    callback.done_by = user
    callback.method = CallbackMethod(method).value
    callback.satisfaction = Satisfaction(satisfaction).value
    callback.comments = comments
    job = callback.job
    from pmfield.jobs import work

    if satisfaction == Satisfaction.UNSATISFIED and job.status_enum == JobStatus.CLOSED:
        work.reopen_as_rework(job, user, comments, now)
        # Other callbacks of the round are moot: the customer is called after the rework.
        for other in job.callbacks:
            if other is not callback and other.done_at is None:
                other.done_at = now
                other.done_by = user
                other.comments = _("Superseded by the rework.")
    db.session.flush()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_("This callback was already recorded."), "callback") from None
    return callback


# --------------------------------------------------------------------------- reading


def get_callback_for_user(user, callback_id) -> Callback | None:
    callback = db.session.get(Callback, callback_id) if is_valid_id(callback_id) else None
    if callback is None or not user.can_access_site(callback.site):
        return None
    return callback


def open_callbacks(site: Site) -> list[Callback]:
    """The callbacks the desk still owes, the most overdue first."""
    return list(db.session.scalars(
        select(Callback).where(Callback.site_id == site.id, Callback.done_at.is_(None))
        .order_by(Callback.due_at, Callback.id)
    ))


def recent_callbacks(site: Site, limit: int = 30) -> list[Callback]:
    return list(db.session.scalars(
        select(Callback).where(Callback.site_id == site.id, Callback.done_at.is_not(None))
        .order_by(Callback.done_at.desc(), Callback.id.desc()).limit(limit)
    ))


# --------------------------------------------------------------------------- weekly sample


def week_start(site, moment: datetime) -> date:
    """The Monday of `moment`'s week, in site time."""
    day = _local(site, moment).date()
    return day - timedelta(days=day.weekday())


def _week_bounds(site, monday: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(site.timezone)
    return (datetime.combine(monday, time(0), zone),
            datetime.combine(monday + timedelta(days=7), time(0), zone))


def sample_size(closed: int, percent: int) -> int:
    """How many of `closed` jobs make `percent` %: rounded up, so one job of five is drawn."""
    if closed <= 0 or percent <= 0:
        return 0
    return min(closed, -(-closed * percent // 100))


def draw_weekly_sample(site: Site, now: datetime | None = None, *, rng=None) -> SampleDraw | None:
    """Draw last week's quality sample once: `sample_percent` of the jobs closed in that week
    (Monday to Sunday, site time) get a sample callback due in two days. Commits.

    Returns the draw, or None when it was drawn before (by this or another process).
    """
    now = now or utcnow()
    monday = week_start(site, now) - timedelta(days=7)
    if db.session.scalar(select(SampleDraw.id).where(SampleDraw.site_id == site.id,
                                                     SampleDraw.week_start == monday)):
        return None
    starts, ends = _week_bounds(site, monday)
    closed = list(db.session.scalars(
        select(Job).where(Job.site_id == site.id, Job.closed_at >= starts, Job.closed_at < ends)
        .order_by(Job.id)
    ))
    settings = settings_for(site)
    chosen = (rng or random.SystemRandom()).sample(
        closed, sample_size(len(closed), settings.sample_percent))
    draw = SampleDraw(site_id=site.id, week_start=monday, drawn_at=now,
                      closed_jobs=len(closed), sampled=len(chosen))
    try:
        with db.session.begin_nested():
            db.session.add(draw)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    for job in chosen:
        _add_callback(job, CallbackKind.SAMPLE, now + timedelta(days=2), now)
    db.session.commit()
    return draw


# --------------------------------------------------------------------------- repeats


def repeat_jobs(job: Job, now: datetime) -> list[Job]:
    """The closed jobs of the same point and discipline within the site's repeat window."""
    if job.point_id is None or job.discipline is None:
        return []
    settings = settings_for(job.site)
    since = now - timedelta(days=settings.repeat_days)
    return list(db.session.scalars(
        select(Job).where(Job.point_id == job.point_id, Job.discipline == job.discipline,
                          Job.closed_at >= since, Job.plan_id.is_(None))
        .order_by(Job.closed_at)
    ))


def is_repeat(job: Job, now: datetime | None = None) -> bool:
    """True when the job's point and discipline reached the repeat threshold."""
    now = now or utcnow()
    return len(repeat_jobs(job, now)) >= settings_for(job.site).repeat_count


def flag_repeats(job: Job, now: datetime) -> int:
    """Notify the site's managers when this close makes the repeat count (flush)."""
    if job.plan_id is not None:
        return 0  # planned maintenance is no repair
    jobs = repeat_jobs(job, now)
    settings = settings_for(job.site)
    if len(jobs) < settings.repeat_count:
        return 0
    managers = notifications.users_with_roles(job.site, [Role.MANAGER])
    return notifications.notify(
        managers, kind=REPEAT_KIND, key=f"job-repeat:{job.id}:{job.rework_count}",
        site=job.site, url=f"/jobs/{job.id}",
        params={"number": job.number, "point": job.point.code, "count": len(jobs),
                "days": settings.repeat_days, "discipline": job.discipline},
    )


def repeat_counts(site: Site, now: datetime | None = None) -> dict[tuple[int, str], int]:
    """(point id, discipline) → closed repairs in the window, for those at the threshold."""
    now = now or utcnow()
    settings = settings_for(site)
    since = now - timedelta(days=settings.repeat_days)
    rows = db.session.execute(
        select(Job.point_id, Job.discipline, func.count())
        .where(Job.site_id == site.id, Job.closed_at >= since, Job.point_id.is_not(None),
               Job.discipline.is_not(None), Job.plan_id.is_(None))
        .group_by(Job.point_id, Job.discipline)
        .having(func.count() >= settings.repeat_count)
    )
    return {(point_id, discipline): count for point_id, discipline, count in rows}


# --------------------------------------------------------------------------- tick


def tick(now: datetime | None = None) -> dict:
    """Draw each site's weekly sample (once) and flag callbacks past due. Commits."""
    now = now or utcnow()
    drawn = 0
    for site in db.session.scalars(select(Site).order_by(Site.id)):
        if draw_weekly_sample(site, now) is not None:
            drawn += 1
    late = db.session.scalars(
        select(Callback).where(Callback.done_at.is_(None), Callback.due_at < now)
    ).all()
    flagged = 0
    for callback in late:
        desk = notifications.users_with_roles(callback.site, [Role.DESK, Role.MANAGER])
        flagged += notifications.notify(
            desk, kind=CALLBACK_DUE_KIND, key=f"callback-due:{callback.id}", site=callback.site,
            url=f"/jobs/callbacks/{callback.id}", params={"number": callback.job.number})
    db.session.commit()
    return {"samples": drawn, "callbacks_overdue": flagged}


def render_repeat(params: dict) -> str:
    return _("%(point)s: %(count)s repairs of the same kind in %(days)s days (latest %(number)s).",
             point=params.get("point", "?"), count=params.get("count", "?"),
             days=params.get("days", "?"), number=params.get("number", "?"))


def render_callback_due(params: dict) -> str:
    return _("The callback for job %(number)s is overdue.", number=params.get("number", "?"))


notifications.register_kind(REPEAT_KIND, render_repeat)
notifications.register_kind(CALLBACK_DUE_KIND, render_callback_due)
