"""Spot checks and their corrections (限时纠正): the cleaning supervisor or the manager checks
an area with its checklist; every failed item becomes a correction with a deadline for the
cleaner responsible, who fixes it and sends a photo; the inspector then closes it or sends it
back. Corrections not fixed by their deadline are flagged to the cleaning supervisors.
"""

from datetime import datetime
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pmfield.auth.roles import CLEANING_INSPECTORS
from pmfield.auth.roles import Role
from pmfield.checklists.models import ChecklistSubmission
from pmfield.checklists.models import CleaningPlan
from pmfield.checklists.models import CorrectionStatus
from pmfield.checklists.models import CorrectiveTask
from pmfield.checklists.models import ItemResult
from pmfield.checklists.models import ItemResultValue
from pmfield.checklists.models import SubmissionKind
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import localized
from pmfield.notifications import services as notifications
from pmfield.photos import services as photos
from pmfield.timeutil import utcnow
from pmfield.web.urls import path_for

#: The deadline a spot check's form suggests.
DEFAULT_DEADLINE = timedelta(hours=4)
#: A deadline may be set this far ahead at most.
DEADLINE_MAX = timedelta(days=14)
#: The cleaner of the area's last shift checklist within this time is the one responsible.
RESPONSIBLE_WINDOW = timedelta(hours=24)
NOTE_MAX = 1000
PHOTO_OWNER = "cleaning_correction"
OVERDUE_KIND = "cleaning.correction_overdue"


def kind_for(user) -> SubmissionKind:
    """Inspectors' checklists are spot checks; everybody else's are shift checklists."""
    return SubmissionKind.INSPECTION if user.role in CLEANING_INSPECTORS else SubmissionKind.SHIFT


def check_deadline(deadline: datetime | None, now: datetime) -> datetime:
    if deadline is None:
        raise DomainError(_("Set the deadline for the corrections."), "deadline")
    if deadline <= now:
        raise DomainError(_("The deadline must be in the future."), "deadline")
    if deadline > now + DEADLINE_MAX:
        raise DomainError(
            _("Set a deadline within %(n)d days.", n=DEADLINE_MAX.days), "deadline"
        )
    return deadline


def responsible_cleaner(point, now: datetime):
    """Whoever did the area's last shift checklist lately, else the plan's cleaner, else None."""
    last = db.session.scalar(
        select(ChecklistSubmission)
        .where(
            ChecklistSubmission.point_id == point.id,
            ChecklistSubmission.kind == SubmissionKind.SHIFT,
            ChecklistSubmission.submitted_at > now - RESPONSIBLE_WINDOW,
            ChecklistSubmission.submitted_at <= now,
        )
        .order_by(ChecklistSubmission.submitted_at.desc(), ChecklistSubmission.id.desc())
        .limit(1)
    )
    if last is not None:
        return last.user
    plan = db.session.scalar(
        select(CleaningPlan)
        .where(CleaningPlan.point_id == point.id, CleaningPlan.active.is_(True),
               CleaningPlan.assignee_id.is_not(None))
        .order_by(CleaningPlan.id)
        .limit(1)
    )
    return plan.assignee if plan is not None else None


def open_corrections(submission: ChecklistSubmission, deadline: datetime, now: datetime) -> int:
    """One correction for each failed item of a spot check; flush. Returns how many."""
    assignee = responsible_cleaner(submission.point, now)
    failed = [r for r in submission.results if r.result == ItemResultValue.FAIL]
    for result in failed:
        db.session.add(
            CorrectiveTask(
                site_id=submission.site_id,
                point_id=submission.point_id,
                result_id=result.id,
                assignee_id=assignee.id if assignee is not None else None,
                deadline=deadline,
                status=CorrectionStatus.OPEN,
                created_at=now,
            )
        )
    db.session.flush()
    return len(failed)


# --------------------------------------------------------------------------- lists


def _load():
    return (
        selectinload(CorrectiveTask.point),
        selectinload(CorrectiveTask.result).selectinload(ItemResult.item),
        selectinload(CorrectiveTask.assignee),
    )


def corrections_for(user, site) -> list[CorrectiveTask]:
    """A cleaner's corrections to make (theirs, or nobody's); for inspectors every one not
    closed. Earliest deadline first."""
    query = (
        select(CorrectiveTask)
        .where(CorrectiveTask.site_id == site.id,
               CorrectiveTask.status != CorrectionStatus.CLOSED)
        .options(*_load())
        .order_by(CorrectiveTask.deadline, CorrectiveTask.id)
    )
    if user.role == Role.CLEANER:
        query = query.where(
            CorrectiveTask.status == CorrectionStatus.OPEN,
            or_(CorrectiveTask.assignee_id == user.id, CorrectiveTask.assignee_id.is_(None)),
        )
    return list(db.session.scalars(query))


def get_correction_for_user(user, correction_id) -> CorrectiveTask | None:
    row = db.session.get(CorrectiveTask, correction_id) if is_valid_id(correction_id) else None
    if row is None or not user.can_access_site(row.point.site):
        return None
    if user.role == Role.CLEANER and row.assignee_id not in (None, user.id):
        return None
    if user.role not in CLEANING_INSPECTORS | {Role.CLEANER, Role.ADMIN}:
        return None
    return row


# --------------------------------------------------------------------------- the loop


def _note(note: str, *, required: bool, message: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("Use at most %(n)d characters.", n=NOTE_MAX), "note")
    if required and not note:
        raise DomainError(message, "note")
    return note


def fix_correction(user, correction: CorrectiveTask, *, note: str, photo,
                   now: datetime | None = None) -> CorrectiveTask:
    """The cleaner has put it right: a photo shows it. Commits.

    :raises DomainError: not open any more, not theirs, or no photo.
    """
    now = now or utcnow()
    if correction.status != CorrectionStatus.OPEN:
        raise DomainError(_("This correction is not open any more."), "status")
    if user.role == Role.CLEANER and correction.assignee_id not in (None, user.id):
        raise DomainError(_("This correction is another cleaner's."), "status")
    note = _note(note, required=False, message="")
    if photo is None:
        raise DomainError(_("Take a photo that shows it is fixed."), "photo")
    site = correction.point.site
    photos.attach_photo(photo, PHOTO_OWNER, correction.id, user=user, site=site)
    correction.status = CorrectionStatus.FIXED
    correction.fix_note = note
    correction.fix_photo_id = photo.id
    correction.fixed_at = now
    correction.fixed_by_id = user.id
    db.session.commit()
    return correction


def close_correction(user, correction: CorrectiveTask, *, now: datetime | None = None):
    """The inspector re-inspected and accepts the fix. Commits."""
    if correction.status != CorrectionStatus.FIXED:
        raise DomainError(_("Only a fixed correction can be closed."), "status")
    correction.status = CorrectionStatus.CLOSED
    correction.closed_at = now or utcnow()
    correction.closed_by_id = user.id
    db.session.commit()
    return correction


def reopen_correction(user, correction: CorrectiveTask, *, note: str, deadline,
                      now: datetime | None = None):
    """The fix is not good enough: back to the cleaner, with why and a new deadline."""
    now = now or utcnow()
    if correction.status != CorrectionStatus.FIXED:
        raise DomainError(_("Only a fixed correction can be sent back."), "status")
    correction.reopen_note = _note(note, required=True, message=_("Say what is still wrong."))
    correction.deadline = check_deadline(deadline, now)
    correction.status = CorrectionStatus.OPEN
    correction.fixed_at = None
    correction.fixed_by_id = None
    db.session.commit()
    return correction


# --------------------------------------------------------------------------- overdue


def notify_overdue(site, now: datetime | None = None) -> int:
    """Tell the site's cleaning supervisors, once each, of corrections past their deadline."""
    now = now or utcnow()
    overdue = list(
        db.session.scalars(
            select(CorrectiveTask)
            .where(CorrectiveTask.site_id == site.id,
                   CorrectiveTask.status == CorrectionStatus.OPEN,
                   CorrectiveTask.deadline <= now)
            .options(*_load())
        )
    )
    if not overdue:
        return 0
    supervisors = notifications.users_with_roles(site, [Role.CLEANING_SUPERVISOR])
    sent = 0
    for correction in overdue:
        item = correction.result.item
        sent += notifications.notify(
            supervisors,
            kind=OVERDUE_KIND,
            key=f"correction:{correction.id}:{correction.deadline.isoformat()}",
            site=site,
            params={
                "code": correction.point.code,
                "item_zh": item.text_zh,
                "item_en": item.text_en,
                "deadline": correction.deadline.isoformat(),
                "timezone": site.timezone,
            },
            url=path_for("checklists.correction_detail", correction_id=correction.id),
        )
    db.session.commit()
    return sent


def render_overdue(params: dict) -> str:
    from zoneinfo import ZoneInfo

    deadline = datetime.fromisoformat(params["deadline"]).astimezone(ZoneInfo(params["timezone"]))
    return _(
        "%(code)s: “%(item)s” was not corrected by %(time)s.",
        code=params["code"],
        item=localized(params["item_zh"], params["item_en"]),
        time=deadline.strftime("%m-%d %H:%M"),
    )


def _can_view_fix_photo(user, correction_id: int) -> bool:
    return user.role in CLEANING_INSPECTORS | {Role.CLEANER}


notifications.register_kind(OVERDUE_KIND, render_overdue)
photos.register_owner(PHOTO_OWNER, _can_view_fix_photo)
