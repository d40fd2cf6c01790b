"""Turn cleaning plans (site-local times) into tasks with UTC moments, and keep them made.

Tasks are materialised for the site's yesterday, today and tomorrow by `ensure_tasks`, which
tick and the pages call; it is idempotent and safe when two processes run it at once (a task
is unique per plan and due time).
"""

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from pmfield.checklists.models import BlackoutWindow
from pmfield.checklists.models import CleaningPlan
from pmfield.checklists.models import CleaningTask
from pmfield.checklists.models import Frequency
from pmfield.checklists.models import Term
from pmfield.dbutil import insert_ignoring_conflicts
from pmfield.extensions import db
from pmfield.patrol.schedules import parse_times
from pmfield.timeutil import utcnow


@dataclass(frozen=True)
class Slot:
    """One task of a plan: it can be done from `opens_at` and is due at `due_at`."""

    opens_at: datetime
    due_at: datetime


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _due_time(plan: CleaningPlan) -> time:
    times = parse_times(plan.times)
    return times[0] if times else time(23, 59)


def term_slices(term: Term, count: int) -> list[tuple[date, date]]:
    """Split a term into `count` consecutive periods of (nearly) equal days, both ends included.

    A term shorter than `count` days gets one period a day.
    """
    days = (term.ends_on - term.starts_on).days + 1
    count = max(1, min(count, days))
    bounds = [term.starts_on + timedelta(days=(i * days) // count) for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1] - timedelta(days=1)) for i in range(count)]


def slots_for_day(plan: CleaningPlan, day: date, tz: ZoneInfo, terms: list[Term]) -> list[Slot]:
    """Return the tasks of `plan` that open on local `day` (or whose period contains it)."""
    frequency = plan.frequency
    if frequency == Frequency.TIMES:
        if str(day.isoweekday()) not in plan.weekdays:
            return []
        lead = timedelta(minutes=plan.lead_minutes)
        dues = sorted({_local(day, at, tz) for at in parse_times(plan.times)})
        return [Slot(due - lead, due) for due in dues]
    at = _due_time(plan)
    if frequency == Frequency.PER_TERM and plan.per_term:
        for term in terms:
            if not term.starts_on <= day <= term.ends_on:
                continue
            for first, last in term_slices(term, plan.per_term):
                if first <= day <= last:
                    return [Slot(_local(first, time(0), tz), _local(last, at, tz))]
        return []
    if frequency == Frequency.MONTHLY and plan.month_day:
        first = day.replace(day=1)
        return [Slot(_local(first, time(0), tz), _local(day.replace(day=plan.month_day), at, tz))]
    return []


def site_days(site, now: datetime) -> list[date]:
    today = now.astimezone(ZoneInfo(site.timezone)).date()
    return [today - timedelta(days=1), today, today + timedelta(days=1)]


def ensure_tasks(site, now: datetime | None = None) -> int:
    """Create the missing tasks of the site's active plans for yesterday, today and tomorrow.

    Flushes only. Returns how many tasks were created.
    """
    now = now or utcnow()
    tz = ZoneInfo(site.timezone)
    plans = list(
        db.session.scalars(
            select(CleaningPlan).where(
                CleaningPlan.site_id == site.id, CleaningPlan.active.is_(True)
            )
        )
    )
    if not plans:
        return 0
    terms = list(db.session.scalars(select(Term).where(Term.site_id == site.id)))
    days = site_days(site, now)
    wanted = {
        (plan, slot)
        for plan in plans
        for day in days
        for slot in slots_for_day(plan, day, tz, terms)
        if slot.due_at >= plan.effective_from
    }
    if not wanted:
        return 0
    earliest = min(slot.due_at for _plan, slot in wanted)
    existing = set(
        db.session.execute(
            select(CleaningTask.plan_id, CleaningTask.due_at).where(
                CleaningTask.plan_id.in_([plan.id for plan in plans]),
                CleaningTask.due_at >= earliest,
            )
        ).all()
    )
    created = 0
    for plan, slot in sorted(wanted, key=lambda pair: (pair[1].due_at, pair[0].id)):
        if (plan.id, slot.due_at) in existing:
            continue
        task_id = db.session.execute(
            insert_ignoring_conflicts(CleaningTask)
            .values(
                site_id=site.id,
                plan_id=plan.id,
                point_id=plan.point_id,
                template_id=plan.template_id,
                opens_at=slot.opens_at,
                due_at=slot.due_at,
                assignee_id=plan.assignee_id,
                team_id=plan.team_id,
            )
            .returning(CleaningTask.id)
        ).scalar()
        # None: another process made this task a moment ago (rowcount is not reliable here).
        created += task_id is not None
    return created


def drop_future_tasks(plan: CleaningPlan, now: datetime) -> None:
    """Forget the plan's tasks not yet open and not done, so they are made again as it says
    now (after an edit) or not at all (once it is switched off)."""
    for task in db.session.scalars(
        select(CleaningTask).where(CleaningTask.plan_id == plan.id, CleaningTask.opens_at > now)
    ):
        if task.submission is None:
            db.session.delete(task)


def blackout_at(site, moment: datetime) -> BlackoutWindow | None:
    """The blackout window (e.g. a class period) the local moment falls in, if any."""
    local = moment.astimezone(ZoneInfo(site.timezone))
    weekday, clock = str(local.isoweekday()), local.time().replace(tzinfo=None)
    for window in db.session.scalars(
        select(BlackoutWindow).where(BlackoutWindow.site_id == site.id)
    ):
        if weekday in window.weekdays and window.starts <= clock < window.ends:
            return window
    return None
