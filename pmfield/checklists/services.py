"""Business rules of a cleaner's shift: today's tasks, opening an area's checklist by scanning
its label, answering and submitting it, and turning a failed item into a repair request.

Scanning the area's label is the proof of presence. Opening the checklist writes nothing (a
plain GET): it hands the page a signed start ticket (who, which label, which task, when), and
the submission carries that ticket back.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pmfield.auth.roles import CLEANING_MANAGERS
from pmfield.auth.roles import CLEANING_WORKERS
from pmfield.auth.roles import Role
from pmfield.checklists import inspections
from pmfield.checklists import schedules
from pmfield.checklists.models import BlackoutWindow
from pmfield.checklists.models import ChecklistSubmission
from pmfield.checklists.models import ChecklistTemplate
from pmfield.checklists.models import CleaningPlan
from pmfield.checklists.models import CleaningTask
from pmfield.checklists.models import ItemResult
from pmfield.checklists.models import ItemResultValue
from pmfield.checklists.models import SubmissionKind
from pmfield.checklists.models import TemplateItem
from pmfield.checklists.models import team_members
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.jobs import services as jobs
from pmfield.jobs.models import JobSource
from pmfield.photos import services as photos
from pmfield.photos.models import Photo
from pmfield.places.models import Label
from pmfield.places.models import PointKind
from pmfield.timeutil import utcnow

#: A checklist opened by a scan must be submitted within this time.
TICKET_MAX_AGE = timedelta(hours=12)
TICKET_SALT = "pmfield.checklist-start"
NOTE_MAX = 1000
CLIENT_ID_MAX = 64
#: Photo owner kind of a checklist answer.
PHOTO_OWNER = "checklist_result"
AREA_KINDS = (PointKind.CLEANING_AREA, PointKind.WATER_TANK)
#: Who sees checklist photos at their site (the desk: repair requests made from them).
PHOTO_VIEWERS = CLEANING_WORKERS | CLEANING_MANAGERS | {Role.DESK, Role.ENGINEERING_SUPERVISOR}


class ChecklistRefused(DomainError):
    """The area's checklist cannot be opened or submitted; nothing was recorded."""


# --------------------------------------------------------------------------- today's tasks


def _mine(user):
    """Tasks assigned to the user, to a team of theirs, or to nobody in particular."""
    teams = select(team_members.c.team_id).where(team_members.c.user_id == user.id)
    return or_(
        CleaningTask.assignee_id == user.id,
        CleaningTask.team_id.in_(teams),
        (CleaningTask.assignee_id.is_(None)) & (CleaningTask.team_id.is_(None)),
    )


def local_day_bounds(site, now: datetime) -> tuple[datetime, datetime]:
    tz = ZoneInfo(site.timezone)
    today = now.astimezone(tz).date()
    start = datetime.combine(today, datetime.min.time(), tzinfo=tz)
    return start, start + timedelta(days=1)


#: How many not-yet-open tasks the home page lists after the open and overdue ones.
UPCOMING_SHOWN = 5


@dataclass
class TaskItem:
    task: CleaningTask
    state: str
    #: Minutes until due (open tasks) or since due (overdue ones).
    minutes: int


@dataclass
class Today:
    """A cleaner's day: what to do now (overdue first), what comes next, what is done."""

    now: list[TaskItem]
    upcoming: list[TaskItem]
    later: int
    done: list[TaskItem]


def tasks_today(user, site, now: datetime | None = None) -> list[TaskItem]:
    """A cleaner's tasks of today, most urgent first: due today (done ones included) or open
    today and due later (a twice-a-term tank check). Cleaning supervisors see every task.

    An overdue task can be done late until the end of its day; after that it is missed.
    """
    now = now or utcnow()
    start, end = local_day_bounds(site, now)
    query = (
        select(CleaningTask)
        .where(
            CleaningTask.site_id == site.id,
            CleaningTask.opens_at < end,
            CleaningTask.due_at >= start,
        )
        .options(
            selectinload(CleaningTask.point),
            selectinload(CleaningTask.template),
            selectinload(CleaningTask.submission),
        )
        .order_by(CleaningTask.due_at, CleaningTask.id)
    )
    if user.role == Role.CLEANER:
        query = query.where(_mine(user))
    items = []
    for task in db.session.scalars(query):
        state = task.state(now)
        minutes = int(abs((task.due_at - now).total_seconds()) // 60)
        items.append(TaskItem(task, state, minutes))
    order = {"overdue": 0, "open": 1, "upcoming": 2, "late": 3, "on_time": 3}
    return sorted(items, key=lambda i: (order[i.state], i.task.due_at, i.task.id))


def today_for(user, site, now: datetime | None = None) -> Today:
    """tasks_today() as the home page shows it: a few upcoming tasks, done ones apart."""
    items = tasks_today(user, site, now)
    upcoming = [i for i in items if i.state == "upcoming"]
    return Today(
        now=[i for i in items if i.state in ("overdue", "open")],
        upcoming=upcoming[:UPCOMING_SHOWN],
        later=max(0, len(upcoming) - UPCOMING_SHOWN),
        done=[i for i in items if i.state in ("on_time", "late")],
    )


def bring_up_to_date(site, now: datetime | None = None) -> int:
    """Make the site's tasks of yesterday to tomorrow (what tick and the pages call); commit."""
    created = schedules.ensure_tasks(site, now or utcnow())
    db.session.commit()
    return created


def tick(now: datetime | None = None) -> int:
    """Make every site's coming cleaning tasks and flag corrections past their deadline to the
    cleaning supervisors (part of `pmfield tick`). Returns how many tasks were made."""
    from pmfield.places.models import Site

    now = now or utcnow()
    created = 0
    for site in db.session.scalars(select(Site).order_by(Site.id)).all():
        created += bring_up_to_date(site, now)
        inspections.notify_overdue(site, now)
    return created


# --------------------------------------------------------------------------- opening


@dataclass
class ChecklistStart:
    """What the checklist page needs after a scan: the area, its checklist and the ticket."""

    label: Label
    template: ChecklistTemplate
    task: CleaningTask | None
    kind: str
    started_at: datetime
    blackout: BlackoutWindow | None
    ticket: str

    @property
    def point(self):
        return self.label.point


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TICKET_SALT)


def _open_task(user, point, now: datetime) -> CleaningTask | None:
    """The task of the area a checklist done now counts for: the earliest one open now, else
    the latest one overdue today. Done tasks are never taken twice."""
    start, _end = local_day_bounds(point.site, now)
    query = (
        select(CleaningTask)
        .where(
            CleaningTask.point_id == point.id,
            CleaningTask.opens_at <= now,
            CleaningTask.due_at >= start,
            ~CleaningTask.submission.has(),
        )
        .order_by(CleaningTask.due_at, CleaningTask.id)
    )
    if user.role == Role.CLEANER:
        query = query.where(_mine(user))
    candidates = list(db.session.scalars(query))
    open_now = [task for task in candidates if task.due_at > now]
    if open_now:
        return open_now[0]
    return candidates[-1] if candidates else None


def _planned_template(point) -> ChecklistTemplate | None:
    return db.session.scalars(
        select(ChecklistTemplate)
        .join(CleaningPlan, CleaningPlan.template_id == ChecklistTemplate.id)
        .where(CleaningPlan.point_id == point.id, ChecklistTemplate.active.is_(True))
        .order_by(CleaningPlan.active.desc(), CleaningPlan.id)
        .limit(1)
    ).first()


def is_cleaning_area(point) -> bool:
    return point.kind in AREA_KINDS


def open_checklist(user, label: Label, now: datetime | None = None) -> ChecklistStart:
    """Open the checklist of the area whose label was scanned. Writes nothing.

    :raises ChecklistRefused: the user does not clean, the area is elsewhere or has no
        checklist planned.
    """
    now = now or utcnow()
    point = label.point
    if user.role not in CLEANING_WORKERS:
        raise ChecklistRefused(
            _("Only cleaners and cleaning inspectors fill in cleaning checklists."), "role"
        )
    if not user.can_access_site(point.site):
        raise ChecklistRefused(_("This area belongs to another site."), "site")
    if not is_cleaning_area(point):
        raise ChecklistRefused(_("This label is not a cleaning area."), "point")
    kind = inspections.kind_for(user)
    # A spot check stands beside the cleaners' tasks; it never does one of them.
    task = _open_task(user, point, now) if kind == SubmissionKind.SHIFT else None
    template = task.template if task is not None else _planned_template(point)
    if template is None:
        raise ChecklistRefused(
            _("No checklist is planned for this area. Ask your supervisor."), "point"
        )
    ticket = _serializer().dumps(
        {
            "u": user.id,
            "l": label.id,
            "t": task.id if task is not None else None,
            "c": template.id,
            "k": str(kind),
            "s": now.isoformat(),
        }
    )
    return ChecklistStart(
        label=label, template=template, task=task, kind=kind, started_at=now,
        blackout=schedules.blackout_at(point.site, now), ticket=ticket,
    )


def read_ticket(user, ticket: str, now: datetime | None = None) -> ChecklistStart:
    """Turn a start ticket back into what it names; the same checks as when it was made.

    :raises ChecklistRefused: forged, expired, someone else's, or its area no longer valid.
    """
    now = now or utcnow()
    stale = ChecklistRefused(
        _("This checklist was opened too long ago or elsewhere. Scan the area's label again."),
        "ticket",
    )
    try:
        data = _serializer().loads(ticket or "", max_age=int(TICKET_MAX_AGE.total_seconds()))
    except BadSignature:
        raise stale from None
    if not isinstance(data, dict) or data.get("u") != user.id:
        raise stale
    label = db.session.get(Label, data.get("l")) if is_valid_id(data.get("l")) else None
    template = (
        db.session.get(ChecklistTemplate, data.get("c")) if is_valid_id(data.get("c")) else None
    )
    if label is None or template is None:
        raise stale
    started_at = datetime.fromisoformat(data["s"])
    if label.point.is_retired or (label.revoked_at is not None and label.revoked_at <= started_at):
        raise ChecklistRefused(
            _("This area's label was withdrawn. Nothing was recorded."), "ticket"
        )
    task = db.session.get(CleaningTask, data["t"]) if is_valid_id(data.get("t")) else None
    return ChecklistStart(
        label=label, template=template, task=task, kind=data.get("k", SubmissionKind.SHIFT),
        started_at=started_at, blackout=schedules.blackout_at(label.point.site, started_at),
        ticket=ticket,
    )


# --------------------------------------------------------------------------- answers


@dataclass
class Answer:
    item: TemplateItem
    result: str = ""
    reading: float | None = None
    note: str = ""
    photo: Photo | None = None

    @property
    def failed(self) -> bool:
        return self.result == ItemResultValue.FAIL


@dataclass
class AnswerSheet:
    """The answers as the form sent them, ready to show again when something is missing."""

    answers: dict[int, Answer] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


def parse_answers(template: ChecklistTemplate, form) -> AnswerSheet:
    """Read `result-<id>`, `reading-<id>` and `note-<id>` for every active item.

    A reading is scored by its limits (outside them it fails); every failed item needs a
    note here and a photo (checked by check_fail_photos once photos are in).
    """
    sheet = AnswerSheet()
    for item in template.active_items:
        key = str(item.id)
        answer = Answer(item, note=(form.get(f"note-{key}") or "").strip())
        sheet.raw[f"note-{key}"] = answer.note
        if item.is_reading:
            raw = (form.get(f"reading-{key}") or "").strip().replace(",", ".")
            sheet.raw[f"reading-{key}"] = raw
            not_applicable = form.get(f"result-{key}") == ItemResultValue.NA
            if not_applicable:
                answer.result = ItemResultValue.NA
            elif not raw:
                sheet.errors[f"reading-{key}"] = _("Enter the reading.")
            else:
                try:
                    answer.reading = float(raw)
                    if answer.reading != answer.reading or abs(answer.reading) > 1e9:
                        raise ValueError(raw)
                except ValueError:
                    sheet.errors[f"reading-{key}"] = _("Enter a number, e.g. 0.3.")
                else:
                    answer.result = (
                        ItemResultValue.PASS if item.reading_passes(answer.reading)
                        else ItemResultValue.FAIL
                    )
        else:
            value = form.get(f"result-{key}") or ""
            if value not in set(ItemResultValue):
                sheet.errors[f"result-{key}"] = _("Choose pass, fail or not applicable.")
            else:
                answer.result = value
        sheet.raw[f"result-{key}"] = answer.result
        if len(answer.note) > NOTE_MAX:
            sheet.errors[f"note-{key}"] = _("Use at most %(n)d characters.", n=NOTE_MAX)
        elif answer.failed and not answer.note:
            sheet.errors[f"note-{key}"] = _("Say what is wrong.")
        sheet.answers[item.id] = answer
    return sheet


def check_fail_photos(sheet: AnswerSheet) -> None:
    """Every failed item needs its photo (after kept and new photos were put in)."""
    for item_id, answer in sheet.answers.items():
        if answer.failed and answer.photo is None and f"photo-{item_id}" not in sheet.errors:
            sheet.errors[f"photo-{item_id}"] = _("Take a photo of what failed.")


def kept_photo(user, site, photo_id) -> Photo | None:
    """A photo the user sent with an earlier try of the form and that is not attached yet."""
    number = int(photo_id) if str(photo_id or "").isdigit() else None
    photo = db.session.get(Photo, number) if is_valid_id(number) else None
    if photo is None:
        return None
    if photo.uploaded_by_id != user.id or photo.site_id != site.id or photo.owner_kind:
        return None
    return photo


# --------------------------------------------------------------------------- submitting


def _replay(user, client_id) -> ChecklistSubmission | None:
    if not client_id:
        return None
    return db.session.scalar(
        select(ChecklistSubmission).where(
            ChecklistSubmission.user_id == user.id, ChecklistSubmission.client_id == client_id
        )
    )


def submit_checklist(
    user,
    start: ChecklistStart,
    sheet: AnswerSheet,
    *,
    note: str = "",
    client_id: str | None = None,
    blackout_confirmed: bool = False,
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> ChecklistSubmission:
    """Record a submitted checklist with its answers and photos. Commits.

    A retry with the same client id returns the first submission. A task someone else did
    meanwhile keeps their submission; this one is recorded for the area without the task.
    A spot check with failed items opens a correction for each, due by `deadline`.

    :raises DomainError: answers missing or invalid (sheet.errors), a blackout window not
        confirmed, a note too long, a spot check's deadline missing or out of range.
    """
    now = now or utcnow()
    client_id = (client_id or "").strip()[:CLIENT_ID_MAX] or None
    replay = _replay(user, client_id)
    if replay is not None:
        return replay
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("Use at most %(n)d characters.", n=NOTE_MAX), "note")
    if start.blackout is not None and not blackout_confirmed:
        raise DomainError(
            _("This is a time when cleaning must not be done here. Confirm to go on."),
            "blackout",
        )
    check_fail_photos(sheet)
    if sheet.errors:
        raise DomainError(next(iter(sheet.errors.values())), next(iter(sheet.errors)))
    inspection = start.kind == SubmissionKind.INSPECTION
    if inspection and any(a.failed for a in sheet.answers.values()):
        inspections.check_deadline(deadline, now)
    point = start.point
    task = start.task
    if task is not None and task.submission is not None:
        task = None
    submission = ChecklistSubmission(
        site_id=point.site_id,
        point_id=point.id,
        template_id=start.template.id,
        task_id=task.id if task is not None else None,
        kind=str(start.kind),
        user_id=user.id,
        label_id=start.label.id,
        started_at=start.started_at,
        submitted_at=now,
        in_blackout=start.blackout is not None,
        note=note,
        client_id=client_id,
    )
    db.session.add(submission)
    db.session.flush()
    for answer in sheet.answers.values():
        result = ItemResult(
            submission_id=submission.id,
            item_id=answer.item.id,
            result=answer.result,
            reading=answer.reading,
            note=answer.note,
            photo_id=answer.photo.id if answer.photo is not None else None,
        )
        db.session.add(result)
        db.session.flush()
        if answer.photo is not None:
            photos.attach_photo(answer.photo, PHOTO_OWNER, result.id, user=user, site=point.site)
    if inspection:
        db.session.refresh(submission, ["results"])
        inspections.open_corrections(submission, deadline, now)
    db.session.commit()
    return submission


def get_submission_for_user(user, submission_id) -> ChecklistSubmission | None:
    """A submission of one of the user's sites; a cleaner sees only their own."""
    row = db.session.get(ChecklistSubmission, submission_id) if is_valid_id(submission_id) else None
    if row is None or not user.can_access_site(row.point.site):
        return None
    if user.role == Role.CLEANER and row.user_id != user.id:
        return None
    return row


def request_repair(user, submission: ChecklistSubmission, result_id) -> ItemResult:
    """"Needs repair" on a failed item: a repair request for the area, linked both ways.

    :raises DomainError: the item did not fail, or already has its request.
    """
    result = next((r for r in submission.results if r.id == result_id), None)
    if result is None or result.result != ItemResultValue.FAIL:
        raise DomainError(_("Only a failed item can be sent for repair."), "result")
    if result.job_id is not None:
        raise DomainError(_("This item already has a repair request."), "result")
    description = f"{result.item.text}: {result.note}" if result.note else result.item.text
    job = jobs.create_job(
        site=submission.point.site,
        description=description[: jobs.DESCRIPTION_MAX],
        source=JobSource.CHECKLIST,
        reported_by=user,
        point=submission.point,
    )
    result.job_id = job.id
    db.session.commit()
    return result


def _can_view_result_photo(user, result_id: int) -> bool:
    return user.role in PHOTO_VIEWERS


photos.register_owner(PHOTO_OWNER, _can_view_result_photo)
