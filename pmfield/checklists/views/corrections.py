"""Cleaning views of the corrective loop: the cleaner's corrections to make, fixing one with a
photo, and the inspector closing it or sending it back with a new deadline."""

from flask import abort
from flask import request
from flask_login import current_user

from pmfield.auth.roles import CLEANING_INSPECTORS
from pmfield.auth.roles import CLEANING_WORKERS
from pmfield.auth.roles import Role
from pmfield.checklists import bp
from pmfield.checklists import inspections
from pmfield.checklists.views.field import parse_local_datetime
from pmfield.errors import DomainError
from pmfield.photos import services as photos
from pmfield.timeutil import utcnow
from pmfield.web.context import current_site
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

FIXERS = frozenset({Role.CLEANER, Role.CLEANING_SUPERVISOR})


def _correction_or_404(correction_id: int):
    correction = inspections.get_correction_for_user(current_user, correction_id)
    if correction is None:
        abort(404)
    return correction


def _page(correction, *, errors=None, data=None, status=200):
    return render_page(
        "checklists/correction.html", "checklists/_correction.html", status=status,
        correction=correction, errors=errors or {}, data=data or {}, now=utcnow(),
        can_fix=current_user.role in FIXERS,
        can_inspect=current_user.role in CLEANING_INSPECTORS,
    )


@bp.route("/corrections")
@roles_required(*CLEANING_WORKERS)
def list_corrections():
    """Corrections not closed yet: a cleaner's own to make, an inspector's every one."""
    site = current_site()
    if site is None:
        abort(404)
    return render_page(
        "checklists/corrections.html", "checklists/_corrections.html", site=site,
        corrections=inspections.corrections_for(current_user, site), now=utcnow(),
    )


@bp.route("/corrections/<int:correction_id>")
@roles_required(*CLEANING_WORKERS)
def correction_detail(correction_id):
    return _page(_correction_or_404(correction_id))


@bp.route("/corrections/<int:correction_id>/fix", methods=["POST"])
@roles_required(*FIXERS)
def fix_correction(correction_id):
    """Put right, with a photo that shows it."""
    correction = _correction_or_404(correction_id)
    data = {"note": request.form.get("note", "")}
    try:
        photo = photos.photo_from_request_file(
            request.files.get("photo"), user=current_user, site=correction.point.site
        )
        inspections.fix_correction(current_user, correction, note=data["note"], photo=photo)
    except DomainError as error:
        return _page(correction, errors={error.field or "form": error.message}, data=data,
                     status=422)
    return _page(correction)


@bp.route("/corrections/<int:correction_id>/close", methods=["POST"])
@roles_required(*CLEANING_INSPECTORS)
def close_correction(correction_id):
    """Re-inspected: the fix is accepted."""
    correction = _correction_or_404(correction_id)
    try:
        inspections.close_correction(current_user, correction)
    except DomainError as error:
        return _page(correction, errors={"form": error.message}, status=422)
    return _page(correction)


@bp.route("/corrections/<int:correction_id>/reopen", methods=["POST"])
@roles_required(*CLEANING_INSPECTORS)
def reopen_correction(correction_id):
    """Re-inspected: not good enough, back to the cleaner with a new deadline."""
    correction = _correction_or_404(correction_id)
    data = {"reopen_note": request.form.get("note", ""),
            "deadline": request.form.get("deadline", "")}
    try:
        inspections.reopen_correction(
            current_user, correction, note=data["reopen_note"],
            deadline=parse_local_datetime(data["deadline"], correction.point.site),
        )
    except DomainError as error:
        field = "reopen_note" if error.field == "note" else (error.field or "form")
        return _page(correction, errors={field: error.message}, data=data, status=422)
    return _page(correction)
