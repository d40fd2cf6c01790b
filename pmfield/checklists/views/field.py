"""Cleaning views on the cleaner's phone: today's areas, an area's checklist opened by
scanning its label, submitting it with photos, and "needs repair" on a failed item."""

from datetime import UTC
from datetime import datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from flask import abort
from flask import request
from flask import url_for
from flask_login import current_user

from pmfield.auth.roles import CLEANING_MANAGERS
from pmfield.auth.roles import CLEANING_WORKERS
from pmfield.auth.roles import Role
from pmfield.checklists import bp
from pmfield.checklists import inspections
from pmfield.checklists import services
from pmfield.checklists.planning import reading_limits_text
from pmfield.core.services import register_home_panel
from pmfield.core.services import register_offline_pages
from pmfield.errors import DomainError
from pmfield.photos import services as photos
from pmfield.places.services import label_token
from pmfield.places.views import register_scan_handler
from pmfield.timeutil import utcnow
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

SUBMISSION_READERS = CLEANING_WORKERS | CLEANING_MANAGERS
#: The home page lists today's areas and the corrections for cleaners and their supervisor.
HOME_ROLES = frozenset({Role.CLEANER, Role.CLEANING_SUPERVISOR})


def parse_local_datetime(raw: str, site) -> datetime | None:
    """A datetime-local field ("2026-11-20T14:30") in the site's time, as UTC; None if empty
    or not a date and time (the service then says what is missing)."""
    try:
        moment = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return None
    return moment.replace(tzinfo=ZoneInfo(site.timezone)).astimezone(UTC)


def _default_deadline(start) -> str:
    """Four hours from the spot check, on the site's clock, for the deadline field."""
    if start is None:
        return ""
    later = (start.started_at + inspections.DEFAULT_DEADLINE).astimezone(
        ZoneInfo(start.point.site.timezone)
    )
    return later.strftime("%Y-%m-%dT%H:%M")


def _checklist_page(start, *, sheet=None, errors=None, status=200, refusal=None, data=None):
    data = {"deadline": _default_deadline(start)} | (data or {})
    return render_page(
        "checklists/checklist.html",
        "checklists/_checklist_form.html",
        status=status,
        start=start,
        sheet=sheet or services.AnswerSheet(),
        errors=errors or {},
        data=data,
        refusal=refusal,
        limits=reading_limits_text,
        token=label_token(start.label) if start else "",
        # Made with the page; a form sent twice (a double tap, a retry) records once.
        client_id=request.form.get("client_id") or str(uuid4()),
    )


def _scan_handler(user, label):
    """A cleaner scanning an area's label: that scan opens the area's checklist."""
    if user.role not in CLEANING_WORKERS or not services.is_cleaning_area(label.point):
        return None
    try:
        start = services.open_checklist(user, label)
    except services.ChecklistRefused as refusal:
        return _checklist_page(None, refusal=refusal.message, status=422)
    return _checklist_page(start)


def _attach_photos(start, sheet) -> None:
    """Put in each failed item's photo: one sent now, else one kept from an earlier try.

    Photos are saved as soon as they arrive (unattached, seen only by their sender), so a
    form sent back for a missing note does not lose them.
    """
    site = start.point.site
    for item_id, answer in sheet.answers.items():
        if not answer.failed:
            continue
        try:
            answer.photo = photos.photo_from_request_file(
                request.files.get(f"photo-{item_id}"), user=current_user, site=site
            ) or services.kept_photo(current_user, site, request.form.get(f"photo_id-{item_id}"))
        except DomainError as error:
            sheet.errors[f"photo-{item_id}"] = error.message


@bp.route("/submit", methods=["POST"])
@roles_required(*CLEANING_WORKERS)
def submit_checklist():
    """Record the checklist the page opened with its start ticket."""
    try:
        start = services.read_ticket(current_user, request.form.get("ticket", ""))
    except services.ChecklistRefused as refusal:
        return _checklist_page(None, refusal=refusal.message, status=422)
    sheet = services.parse_answers(start.template, request.form)
    _attach_photos(start, sheet)
    data = {"note": request.form.get("note", ""), "blackout_ok": request.form.get("blackout_ok"),
            "deadline": request.form.get("deadline", "")}
    try:
        submission = services.submit_checklist(
            current_user, start, sheet, note=data["note"],
            client_id=request.form.get("client_id"), blackout_confirmed=bool(data["blackout_ok"]),
            deadline=parse_local_datetime(data["deadline"], start.point.site),
        )
    except DomainError as error:
        errors = dict(sheet.errors) or {error.field or "form": error.message}
        return _checklist_page(start, sheet=sheet, errors=errors, data=data, status=422)
    return render_page(
        "checklists/submitted.html", "checklists/_submitted.html", status=201,
        submission=submission, limits=reading_limits_text, error=None,
    )


def _submission_or_404(submission_id: int):
    submission = services.get_submission_for_user(current_user, submission_id)
    if submission is None:
        abort(404)
    return submission


@bp.route("/submissions/<int:submission_id>")
@roles_required(*SUBMISSION_READERS)
def submission_detail(submission_id):
    """A submitted checklist: every answer, notes, photos, repair requests."""
    submission = _submission_or_404(submission_id)
    return render_page(
        "checklists/submitted.html", "checklists/_submitted.html",
        submission=submission, limits=reading_limits_text, error=None,
    )


@bp.route("/submissions/<int:submission_id>/results/<int:result_id>/repair", methods=["POST"])
@roles_required(*CLEANING_WORKERS)
def request_repair(submission_id, result_id):
    """One tap on a failed item: a repair request for the area."""
    submission = _submission_or_404(submission_id)
    error = None
    try:
        services.request_repair(current_user, submission, result_id)
    except DomainError as refusal:
        error = refusal.message
    return render_page(
        "checklists/submitted.html", "checklists/_submitted.html",
        status=422 if error else 200, submission=submission, limits=reading_limits_text,
        error=error,
    )


def _home_tasks(user, site) -> dict:
    services.bring_up_to_date(site)
    return {
        "today": services.today_for(user, site),
        "corrections": inspections.corrections_for(user, site),
        "corrections_now": utcnow(),
    }


def _offline_pages(user, site) -> list[str]:
    """With no signal a cleaner still opens today's areas: each area's label page (what
    scanning it opens) is kept, and the corrections to put right."""
    urls = []
    for item in services.tasks_today(user, site):
        label = item.task.point.current_label
        if item.state in ("overdue", "open", "upcoming") and label is not None:
            urls.append(url_for("places.scan_label", token=label_token(label)))
    urls.extend(url_for("checklists.correction_detail", correction_id=correction.id)
                for correction in inspections.corrections_for(user, site))
    return urls


register_scan_handler(_scan_handler)
register_home_panel(HOME_ROLES, "checklists/_home_tasks.html", _home_tasks)
register_offline_pages(HOME_ROLES, _offline_pages)
