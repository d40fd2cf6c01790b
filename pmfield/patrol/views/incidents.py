"""Patrol views: reporting an anomaly after a check-in; incidents for desk and supervisor."""

from flask import abort
from flask import request
from flask_login import current_user

from pmfield.auth.roles import INCIDENT_READERS
from pmfield.auth.roles import PATROL_WALKERS
from pmfield.core.services import register_home_panel
from pmfield.errors import DomainError
from pmfield.patrol import bp
from pmfield.patrol import incidents
from pmfield.patrol.models import IncidentKind
from pmfield.photos import services as photos
from pmfield.web.context import current_site
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required


def _incident_or_404(incident_id: int):
    incident = incidents.get_incident_for_user(current_user, incident_id)
    if incident is None:
        abort(404)
    return incident


def _report_form(check_in, *, data=None, errors=None, status=200, incident=None):
    return render_page(
        "patrol/report_incident.html",
        "patrol/_report_incident.html",
        status=status,
        check_in=check_in,
        kinds=list(IncidentKind),
        data=data or {},
        errors=errors or {},
        incident=incident,
    )


@bp.route("/checkins/<int:check_in_id>/incident", methods=["GET", "POST"])
@roles_required(*PATROL_WALKERS)
def report_incident(check_in_id):
    """After a check-in: what is wrong here (kind, note, photo)."""
    check_in = incidents.get_own_check_in(current_user, check_in_id)
    if check_in is None:
        abort(404)
    if request.method == "GET":
        return _report_form(check_in)
    data = {
        "kind": request.form.get("kind", ""),
        "note": request.form.get("note", ""),
        "client_id": request.form.get("client_id") or None,
    }
    errors = incidents.check_incident_fields(data["kind"], data["note"].strip())
    if errors:
        return _report_form(check_in, data=data, errors=errors, status=422)
    try:
        photo = photos.photo_from_request_file(
            request.files.get("photo"), user=current_user, site=check_in.point.site
        )
        incident = incidents.report_incident(current_user, check_in, photo=photo, **data)
    except DomainError as error:
        return _report_form(
            check_in, data=data, errors={error.field or "form": error.message}, status=422
        )
    return _report_form(check_in, incident=incident, status=201)


@bp.route("/incidents")
@roles_required(*INCIDENT_READERS)
def list_incidents():
    """Open (or all) incidents of the current site, newest first."""
    site = current_site()
    if site is None:
        abort(404)
    show = "all" if request.args.get("show") == "all" else "open"
    items, total = incidents.list_incidents(site, show=show)
    return render_page(
        "patrol/incidents.html",
        "patrol/_incident_rows.html",
        site=site,
        incidents=items,
        total=total,
        show=show,
    )


def _detail(incident, *, errors=None, status=200):
    return render_page(
        "patrol/incident.html",
        "patrol/_incident.html",
        status=status,
        incident=incident,
        photos=photos.photos_of(incidents.PHOTO_OWNER, incident.id),
        errors=errors or {},
    )


@bp.route("/incidents/<int:incident_id>")
@roles_required(*INCIDENT_READERS)
def incident_detail(incident_id):
    return _detail(_incident_or_404(incident_id))


@bp.route("/incidents/<int:incident_id>/resolve", methods=["POST"])
@roles_required(*INCIDENT_READERS)
def resolve_incident(incident_id):
    incident = _incident_or_404(incident_id)
    try:
        incidents.resolve_incident(
            current_user, incident, resolution=request.form.get("resolution", "")
        )
    except DomainError as error:
        return _detail(incident, errors={"resolution": error.message}, status=422)
    return redirect_to("patrol.incident_detail", incident_id=incident.id)


@bp.route("/incidents/<int:incident_id>/job", methods=["POST"])
@roles_required(*INCIDENT_READERS)
def make_repair_request(incident_id):
    """Turn the incident into a repair request for engineering (link kept both ways)."""
    incident = _incident_or_404(incident_id)
    try:
        incidents.make_repair_request(current_user, incident)
    except DomainError as error:
        return _detail(incident, errors={"job": error.message}, status=422)
    return redirect_to("patrol.incident_detail", incident_id=incident.id)


def _home_incidents(user, site) -> dict:
    items, total = incidents.list_incidents(site, show="open")
    return {"open_incidents": items[:5], "open_incident_count": total}


register_home_panel(INCIDENT_READERS, "patrol/_home_incidents.html", _home_incidents)
