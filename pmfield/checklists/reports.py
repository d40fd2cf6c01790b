"""What the cleaning supervisor and the manager read: the day's board (on time, late, missing
by area and by cleaner, failures with their photos), an area's history, a month's pass rates
per area and per cleaner, and the day's CSV export."""

import csv
import io
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pmfield.auth.models import User
from pmfield.checklists.models import ChecklistSubmission
from pmfield.checklists.models import CleaningTask
from pmfield.checklists.models import CorrectionStatus
from pmfield.checklists.models import CorrectiveTask
from pmfield.checklists.models import ItemResult
from pmfield.checklists.models import ItemResultValue
from pmfield.checklists.models import SubmissionKind
from pmfield.checklists.services import is_cleaning_area
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.patrol.reports import neutralize_cell
from pmfield.places.models import Point
from pmfield.timeutil import utcnow

HISTORY_DAYS = 30
#: A task's state on the board once its day is judged.
DONE_STATES = ("on_time", "late")


def day_bounds(site, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(site.timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, start + timedelta(days=1)


def site_today(site, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(site.timezone)).date()


def board_state(task: CleaningTask, now: datetime) -> str:
    """on_time, late, missing (due and not done), open or upcoming."""
    state = task.state(now)
    return "missing" if state == "overdue" else state


@dataclass
class Tally:
    """Counts of one area or one cleaner."""

    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    failed_items: int = 0

    def add(self, state: str) -> None:
        if state in ("on_time", "late", "missing"):
            setattr(self, state, getattr(self, state) + 1)
        else:
            self.pending += 1


@dataclass
class AreaRow:
    point: Point
    tasks: list = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


@dataclass
class CleanerRow:
    name: str
    tally: Tally = field(default_factory=Tally)


@dataclass
class Board:
    day: date
    is_today: bool
    areas: list[AreaRow]
    cleaners: list[CleanerRow]
    total: Tally
    failures: list[ItemResult]
    open_corrections: int
    overdue_corrections: int


def _day_tasks(site, day: date) -> list[CleaningTask]:
    start, end = day_bounds(site, day)
    return list(
        db.session.scalars(
            select(CleaningTask)
            .where(CleaningTask.site_id == site.id, CleaningTask.due_at >= start,
                   CleaningTask.due_at < end)
            .options(
                selectinload(CleaningTask.point),
                selectinload(CleaningTask.template),
                selectinload(CleaningTask.assignee),
                selectinload(CleaningTask.team),
                selectinload(CleaningTask.submission).selectinload(ChecklistSubmission.user),
            )
            .order_by(CleaningTask.due_at, CleaningTask.id)
        )
    )


def _day_submissions(site, day: date) -> list[ChecklistSubmission]:
    start, end = day_bounds(site, day)
    return list(
        db.session.scalars(
            select(ChecklistSubmission)
            .where(ChecklistSubmission.site_id == site.id,
                   ChecklistSubmission.submitted_at >= start,
                   ChecklistSubmission.submitted_at < end)
            .options(
                selectinload(ChecklistSubmission.point),
                selectinload(ChecklistSubmission.user),
                selectinload(ChecklistSubmission.template),
                selectinload(ChecklistSubmission.task),
                selectinload(ChecklistSubmission.results).selectinload(ItemResult.item),
                selectinload(ChecklistSubmission.results).selectinload(ItemResult.photo),
                selectinload(ChecklistSubmission.results).selectinload(ItemResult.job),
            )
            .order_by(ChecklistSubmission.submitted_at, ChecklistSubmission.id)
        )
    )


def _who(task: CleaningTask) -> str:
    if task.submission is not None:
        return task.submission.user.display_name
    if task.assignee is not None:
        return task.assignee.display_name
    return task.team.name if task.team is not None else ""


def board_for(site, day: date, now: datetime | None = None) -> Board:
    """The day's cleaning, by area and by cleaner, with every failed item of the day."""
    now = now or utcnow()
    areas: dict[int, AreaRow] = {}
    cleaners: dict[str, CleanerRow] = {}
    total = Tally()
    for task in _day_tasks(site, day):
        state = board_state(task, now)
        row = areas.setdefault(task.point_id, AreaRow(task.point))
        row.tasks.append((task, state))
        row.tally.add(state)
        total.add(state)
        who = _who(task)
        cleaners.setdefault(who, CleanerRow(who)).tally.add(state)
    failures = []
    for submission in _day_submissions(site, day):
        failed = submission.failed
        failures.extend(failed)
        if failed and submission.point_id in areas:
            areas[submission.point_id].tally.failed_items += len(failed)
        if failed and submission.kind == SubmissionKind.SHIFT:
            name = submission.user.display_name
            cleaners.setdefault(name, CleanerRow(name)).tally.failed_items += len(failed)
        total.failed_items += len(failed)
    open_corrections = list(
        db.session.scalars(
            select(CorrectiveTask).where(CorrectiveTask.site_id == site.id,
                                         CorrectiveTask.status == CorrectionStatus.OPEN)
        )
    )
    return Board(
        day=day,
        is_today=day == site_today(site, now),
        areas=sorted(areas.values(), key=lambda a: a.point.code),
        cleaners=sorted(cleaners.values(), key=lambda c: (c.name == "", c.name)),
        total=total,
        failures=failures,
        open_corrections=len(open_corrections),
        overdue_corrections=sum(c.deadline <= now for c in open_corrections),
    )


# --------------------------------------------------------------------------- history


def get_area_for_user(user, point_id) -> Point | None:
    point = db.session.get(Point, point_id) if is_valid_id(point_id) else None
    if point is None or not is_cleaning_area(point) or not user.can_access_site(point.site):
        return None
    return point


def area_history(point: Point, today: date, days: int = HISTORY_DAYS):
    """The area's checklists and spot checks of the last `days` days, newest first."""
    start, _end = day_bounds(point.site, today - timedelta(days=days - 1))
    return list(
        db.session.scalars(
            select(ChecklistSubmission)
            .where(ChecklistSubmission.point_id == point.id,
                   ChecklistSubmission.submitted_at >= start)
            .options(
                selectinload(ChecklistSubmission.user),
                selectinload(ChecklistSubmission.template),
                selectinload(ChecklistSubmission.results).selectinload(ItemResult.item),
                selectinload(ChecklistSubmission.results).selectinload(ItemResult.photo),
            )
            .order_by(ChecklistSubmission.submitted_at.desc(), ChecklistSubmission.id.desc())
        )
    )


# --------------------------------------------------------------------------- month


@dataclass
class Rate:
    """Items passed of items answered (not applicable ones left out), and tasks done on time."""

    name: str
    passed: int = 0
    answered: int = 0
    checklists: int = 0
    tasks: int = 0
    on_time: int = 0

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passed / self.answered) if self.answered else None

    @property
    def on_time_rate(self) -> int | None:
        return round(100 * self.on_time / self.tasks) if self.tasks else None


def month_bounds(site, month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return day_bounds(site, first)[0], day_bounds(site, following)[0]


def month_rates(site, month: date, now: datetime | None = None):
    """Pass rates of the month's shift checklists per area and per cleaner, and how many of
    the month's tasks were done on time. Spot checks count for the area, not the cleaner."""
    now = now or utcnow()
    start, end = month_bounds(site, month)
    areas: dict[int, Rate] = {}
    cleaners: dict[int, Rate] = {}
    rows = db.session.execute(
        select(ChecklistSubmission.id, ChecklistSubmission.point_id, Point.code,
               ChecklistSubmission.user_id, ChecklistSubmission.kind, ItemResult.result)
        .join(ItemResult, ItemResult.submission_id == ChecklistSubmission.id)
        .join(Point, Point.id == ChecklistSubmission.point_id)
        .where(ChecklistSubmission.site_id == site.id,
               ChecklistSubmission.submitted_at >= start,
               ChecklistSubmission.submitted_at < end)
    ).all()
    names = dict(db.session.execute(select(User.id, User.display_name)).all())
    seen: set[tuple[str, int, int]] = set()
    for submission_id, point_id, code, user_id, kind, result in rows:
        targets = [("area", point_id, areas.setdefault(point_id, Rate(code)))]
        if kind == SubmissionKind.SHIFT:
            targets.append(("cleaner", user_id, cleaners.setdefault(
                user_id, Rate(names.get(user_id, "")))))
        for scope, key, rate in targets:
            if (scope, key, submission_id) not in seen:
                seen.add((scope, key, submission_id))
                rate.checklists += 1
            if result != ItemResultValue.NA:
                rate.answered += 1
                rate.passed += result == ItemResultValue.PASS
    for task in db.session.scalars(
        select(CleaningTask)
        .where(CleaningTask.site_id == site.id, CleaningTask.due_at >= start,
               CleaningTask.due_at < end, CleaningTask.due_at <= now)
        .options(selectinload(CleaningTask.point), selectinload(CleaningTask.submission))
    ):
        rate = areas.setdefault(task.point_id, Rate(task.point.code))
        rate.tasks += 1
        rate.on_time += task.state(now) == "on_time"
        if task.submission is not None and task.submission.user_id in cleaners:
            cleaner = cleaners[task.submission.user_id]
            cleaner.tasks += 1
            cleaner.on_time += task.state(now) == "on_time"
    return (sorted(areas.values(), key=lambda r: r.name),
            sorted(cleaners.values(), key=lambda r: r.name))


# --------------------------------------------------------------------------- CSV


CSV_COLUMNS = (
    "submitted_at", "started_at", "area_code", "area_name", "checklist", "kind", "by",
    "task_due_at", "task_state", "in_no_cleaning_time", "item_code", "item", "result",
    "reading", "note", "repair_request",
)


def export_day_csv(site, day: date, now: datetime | None = None) -> str:
    """One line per answered item of the day's checklists and spot checks (site time)."""
    now = now or utcnow()
    tz = ZoneInfo(site.timezone)

    def iso(moment):
        return moment.astimezone(tz).isoformat(timespec="seconds") if moment else ""

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for submission in _day_submissions(site, day):
        task = submission.task
        for result in submission.results:
            row = {
                "submitted_at": iso(submission.submitted_at),
                "started_at": iso(submission.started_at),
                "area_code": submission.point.code,
                "area_name": submission.point.name,
                "checklist": submission.template.name,
                "kind": submission.kind,
                "by": submission.user.display_name,
                "task_due_at": iso(task.due_at) if task else "",
                "task_state": board_state(task, now) if task else "",
                "in_no_cleaning_time": "yes" if submission.in_blackout else "",
                "item_code": result.item.code,
                "item": result.item.text,
                "result": result.result,
                "reading": "" if result.reading is None else f"{result.reading:g}",
                "note": result.note,
                "repair_request": result.job.number if result.job else "",
            }
            writer.writerow([neutralize_cell(row[name]) for name in CSV_COLUMNS])
    return out.getvalue()
