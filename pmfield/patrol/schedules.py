"""Turn schedules (site-local times) into runs with UTC windows, and keep them up to date.

Runs are materialised for yesterday, today and tomorrow (site time) by `ensure_runs`, which tick
and the pages call; it is idempotent and safe when two processes run it at once.
"""

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import select

from pmfield.dbutil import insert_ignoring_conflicts
from pmfield.extensions import db
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import PatrolSchedule
from pmfield.patrol.models import RunPoint
from pmfield.patrol.models import RunPointStatus
from pmfield.patrol.models import ScheduleKind
from pmfield.timeutil import utcnow


@dataclass(frozen=True)
class Slot:
    """One run of a schedule: open [starts_at, ends_at), late scans until grace_until."""

    starts_at: datetime
    ends_at: datetime
    grace_until: datetime


def parse_times(text: str | None) -> list[time]:
    """Parse "22:00, 00:00, 02:00" into times; raise ValueError on anything else."""
    result = []
    for part in (text or "").replace("，", ",").replace(" ", ",").split(","):
        if not part:
            continue
        hours, _, minutes = part.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
            raise ValueError(part)
        result.append(time(int(hours), int(minutes)))  # raises ValueError when out of range
    return result


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def slots_for_day(schedule: PatrolSchedule, day: date, tz: ZoneInfo) -> list[Slot]:
    """Return the runs of `schedule` whose night (or daily window) starts on local `day`."""
    if str(day.isoweekday()) not in schedule.weekdays:
        return []
    run = timedelta(minutes=schedule.run_minutes)
    grace = timedelta(minutes=schedule.grace_minutes)
    starts: list[datetime] = []
    if schedule.kind == ScheduleKind.FIXED:
        times = parse_times(schedule.times)
        if times:
            first = times[0]
            for at in times:
                # A time earlier than the first falls after midnight, in the same night.
                starts.append(_local(day + timedelta(days=1 if at < first else 0), at, tz))
    elif schedule.interval_minutes and schedule.window_start and schedule.window_end:
        begin = _local(day, schedule.window_start, tz)
        end_day = day + timedelta(days=1 if schedule.window_end <= schedule.window_start else 0)
        end = _local(end_day, schedule.window_end, tz)
        step = timedelta(minutes=schedule.interval_minutes)
        moment = begin
        while moment < end:
            starts.append(moment)
            moment += step
    return [Slot(s, s + run, s + run + grace) for s in sorted(set(starts))]


def _site_days(site, now: datetime) -> list[date]:
    today = now.astimezone(ZoneInfo(site.timezone)).date()
    return [today - timedelta(days=1), today, today + timedelta(days=1)]


def _active_schedules(site) -> list[PatrolSchedule]:
    return list(
        db.session.scalars(
            select(PatrolSchedule)
            .join(PatrolRoute)
            .where(
                PatrolRoute.site_id == site.id,
                PatrolRoute.active.is_(True),
                PatrolSchedule.active.is_(True),
            )
        )
    )


def ensure_runs(site, now: datetime | None = None) -> int:
    """Create the missing runs of the site's schedules for yesterday, today and tomorrow.

    Flushes only. Returns how many runs were created.
    """
    now = now or utcnow()
    tz = ZoneInfo(site.timezone)
    days = _site_days(site, now)
    schedules = _active_schedules(site)
    if not schedules:
        return 0
    window_start = _local(days[0], time(0), tz) - timedelta(days=1)
    existing = set(
        db.session.execute(
            select(PatrolRun.schedule_id, PatrolRun.starts_at).where(
                PatrolRun.schedule_id.in_([s.id for s in schedules]),
                PatrolRun.starts_at >= window_start,
            )
        ).all()
    )
    created = 0
    for schedule in schedules:
        checkpoints = schedule.route.checkpoints
        if not checkpoints:
            continue
        for day in days:
            for slot in slots_for_day(schedule, day, tz):
                if slot.starts_at < schedule.effective_from:
                    continue
                if (schedule.id, slot.starts_at) in existing:
                    continue
                run_id = db.session.execute(
                    insert_ignoring_conflicts(PatrolRun)
                    .values(
                        site_id=site.id,
                        route_id=schedule.route_id,
                        schedule_id=schedule.id,
                        starts_at=slot.starts_at,
                        ends_at=slot.ends_at,
                        grace_until=slot.grace_until,
                        status="pending",
                    )
                    .returning(PatrolRun.id)
                ).scalar()
                if run_id is None:  # another process made it a moment ago
                    continue
                _add_run_points(run_id, checkpoints)
                created += 1
    return created


def _add_run_points(run_id: int, checkpoints) -> None:
    db.session.execute(
        RunPoint.__table__.insert(),
        [
            {
                "run_id": run_id,
                "point_id": checkpoint.point_id,
                "position": position,
                "status": RunPointStatus.PENDING,
            }
            for position, checkpoint in enumerate(checkpoints, start=1)
        ],
    )


def _unstarted_runs(now: datetime):
    """Runs that have not started and have no scan yet: safe to drop or rebuild."""
    scanned = exists().where(RunPoint.run_id == PatrolRun.id, RunPoint.check_in_id.is_not(None))
    return (PatrolRun.starts_at > now) & ~scanned


def replan_schedule(schedule: PatrolSchedule, now: datetime | None = None) -> None:
    """After a schedule changed: drop its runs not started yet, and regenerate from now on.

    Flushes only; runs already started are kept as they were planned.
    """
    now = now or utcnow()
    run_ids = select(PatrolRun.id).where(
        PatrolRun.schedule_id == schedule.id, _unstarted_runs(now)
    )
    _drop_runs(run_ids)
    schedule.effective_from = now
    db.session.flush()
    ensure_runs(schedule.route.site, now)


def replan_route(route: PatrolRoute, now: datetime | None = None) -> None:
    """After a route's checkpoints changed: rebuild the runs not started yet. Flushes only."""
    now = now or utcnow()
    run_ids = select(PatrolRun.id).where(PatrolRun.route_id == route.id, _unstarted_runs(now))
    _drop_runs(run_ids)
    db.session.flush()
    db.session.expire(route, ["checkpoints"])
    ensure_runs(route.site, now)


def _drop_runs(run_ids) -> None:
    ids = list(db.session.scalars(run_ids))
    if ids:
        db.session.execute(delete(RunPoint).where(RunPoint.run_id.in_(ids)))
        db.session.execute(delete(PatrolRun).where(PatrolRun.id.in_(ids)))
        db.session.expire_all()
