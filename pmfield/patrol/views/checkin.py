"""Patrol views: recording a check-in (the one write path of scanner and camera-app scans)."""

from flask import render_template
from flask import request
from flask_login import current_user

from pmfield.auth.roles import PATROL_WALKERS
from pmfield.core.services import register_home_panel
from pmfield.patrol import bp
from pmfield.patrol import checkins
from pmfield.patrol import guard
from pmfield.patrol import tick
from pmfield.patrol.forms import parse_check_in_form
from pmfield.patrol.models import IncidentKind
from pmfield.places.services import label_token
from pmfield.places.views import register_scan_handler
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

#: Refusals that concern who scans (403) rather than what was scanned (422).
FORBIDDEN_REASONS = ("site", "role")


@bp.route("/checkins", methods=["POST"])
@roles_required(*PATROL_WALKERS)
def check_in():
    """Record a scan at once; answer with the confirmation (or why nothing was recorded)."""
    data, errors = parse_check_in_form(request.form)
    if errors:
        return _refused(errors["token"], "invalid")
    try:
        result = checkins.record_check_in(current_user, **data)
    except checkins.CheckInRefused as refusal:
        return _refused(refusal.message, refusal.reason)
    progress = [guard.progress_of(match.run) for match in result.matches]
    return render_page(
        "patrol/checkin.html",
        "patrol/_checkin_result.html",
        status=200 if result.replay else 201,
        result=result,
        progress=progress,
        refusal=None,
    )


def _refused(message: str, reason: str):
    status = 403 if reason in FORBIDDEN_REASONS else 422
    return render_page(
        "patrol/checkin.html",
        "patrol/_checkin_result.html",
        status=status,
        result=None,
        progress=[],
        refusal={"message": message, "reason": reason},
    )


def _scan_handler(user, label):
    """A guard opening a checkpoint's label with the camera app: record it from the page."""
    if user.role not in PATROL_WALKERS or not checkins.is_patrol_point(label.point):
        return None
    return render_template("patrol/checkin_link.html", point=label.point, token=label_token(label))


def _home_rounds(user, site) -> dict:
    tick.bring_up_to_date(site)
    return {"rounds": guard.rounds_for(user, site)}


@bp.app_context_processor
def patrol_context() -> dict:
    """Templates outside patrol (the scanner) need to know whether the user checks in."""
    walker = getattr(current_user, "role", None) in PATROL_WALKERS
    return {"patrol_walker": walker, "incident_kinds": list(IncidentKind) if walker else []}


register_scan_handler(_scan_handler)
register_home_panel(PATROL_WALKERS, "patrol/_home_rounds.html", _home_rounds)
