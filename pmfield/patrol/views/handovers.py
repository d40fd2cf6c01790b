"""Patrol views: shift handovers (交接班), written, read, acknowledged and searched."""

from datetime import datetime

from flask import abort
from flask import flash
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.auth.roles import PATROL_MANAGERS
from pmfield.auth.roles import PATROL_WALKERS
from pmfield.core.services import register_home_panel
from pmfield.core.services import register_offline_pages
from pmfield.errors import DomainError
from pmfield.patrol import bp
from pmfield.patrol import handovers as services
from pmfield.web.context import current_site
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

walkers_only = roles_required(*PATROL_WALKERS)

#: Services name the object ("incoming"); the form names the input ("incoming_id").
FORM_FIELDS = {"incoming": "incoming_id"}


def _form_errors(error: DomainError) -> dict[str, str]:
    field = FORM_FIELDS.get(error.field, error.field) if error.field else "form"
    return {field: error.message}


def _site_or_404():
    site = current_site()
    if site is None:
        abort(404)
    return site


def _handover_or_404(handover_id: int):
    handover = services.get_handover_for_user(current_user, handover_id)
    if handover is None:
        abort(404)
    return handover


def parse_handover_form(form) -> tuple[dict, dict]:
    """Read the handover form: the four texts as typed, and who takes over (optional)."""
    data = {name: form.get(name) or "" for name in services.TEXT_FIELDS}
    errors = {}
    raw = (form.get("incoming_id") or "").strip()
    data["incoming_id"] = raw
    if raw and not (raw.isascii() and raw.isdigit()):
        errors["incoming_id"] = _("Choose who takes over from the list.")
    return data, errors


def parse_search_args(args) -> tuple[dict, dict]:
    """Read the log's search: text, and local dates from and to (YYYY-MM-DD)."""
    data = {"q": (args.get("q") or "").strip(), "page": args.get("page", 1, type=int)}
    errors = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        data[name] = raw
        data[name + "_date"] = None
        if raw:
            try:
                data[name + "_date"] = datetime.strptime(raw, "%Y-%m-%d").date()
            except ValueError:
                errors[name] = _("Enter a date as YYYY-MM-DD.")
    return data, errors


def _handover_form(site, data, errors=None, status=200):
    return (
        render_template(
            "patrol/handover_form.html",
            site=site,
            data=data,
            errors=errors or {},
            incoming_choices=[
                (user.id, user.display_name)
                for user in services.incoming_choices(site, current_user)
            ],
            text_max=services.TEXT_MAX,
        ),
        status,
    )


@bp.route("/handovers/new", methods=["GET", "POST"])
@walkers_only
def write_handover():
    """The outgoing guard writes the handover for the next shift."""
    site = _site_or_404()
    if request.method == "GET":
        return _handover_form(site, services.handover_defaults(site) | {"incoming_id": ""})
    data, errors = parse_handover_form(request.form)
    incoming = None
    if not errors and data["incoming_id"]:
        incoming = services.get_site_user(site, int(data["incoming_id"]))
        if incoming is None:
            errors["incoming_id"] = _("Choose who takes over from the list.")
    if errors:
        return _handover_form(site, data, errors, 422)
    texts = {name: data[name] for name in services.TEXT_FIELDS}
    try:
        handover = services.write_handover(current_user, site, incoming=incoming, **texts)
    except DomainError as error:
        return _handover_form(site, data, _form_errors(error), 422)
    flash(_("Handover saved. The guard taking over acknowledges it."), "success")
    return redirect_to("patrol.handover_detail", handover_id=handover.id)


@bp.route("/handovers")
@roles_required(*(PATROL_WALKERS | PATROL_MANAGERS))
def list_handovers():
    """The site's handover log, searchable; htmx asks for the rows only while typing."""
    site = _site_or_404()
    search, errors = parse_search_args(request.args)
    handovers, total = [], 0
    if not errors:
        try:
            handovers, total = services.search_handovers(
                current_user,
                site,
                q=search["q"],
                date_from=search["from_date"],
                date_to=search["to_date"],
                page=search["page"],
            )
        except DomainError as error:
            errors = _form_errors(error)
    return render_page(
        "patrol/handovers.html",
        "patrol/_handover_rows.html",
        status=422 if errors else 200,
        site=site,
        handovers=handovers,
        total=total,
        search=search,
        errors=errors,
        page=max(search["page"] or 1, 1),
        page_size=services.PAGE_SIZE,
        can_write=current_user.role in PATROL_WALKERS,
    )


def _render_handover(handover, *, error=None, status=200):
    return (
        render_template(
            "patrol/handover.html",
            handover=handover,
            site=handover.site,
            can_acknowledge=services.can_acknowledge(current_user, handover),
            error=error,
        ),
        status,
    )


@bp.route("/handovers/<int:handover_id>")
@roles_required(*(PATROL_WALKERS | PATROL_MANAGERS))
def handover_detail(handover_id):
    """Read one handover, with the button to acknowledge it when the user may."""
    return _render_handover(_handover_or_404(handover_id))


@bp.route("/handovers/<int:handover_id>/acknowledge", methods=["POST"])
@walkers_only
def acknowledge_handover(handover_id):
    """The incoming guard signs the handover as read."""
    handover = _handover_or_404(handover_id)
    try:
        services.acknowledge_handover(current_user, handover)
    except DomainError as error:
        return _render_handover(handover, error=error.message, status=422)
    flash(_("Handover acknowledged."), "success")
    return redirect_to("patrol.handover_detail", handover_id=handover.id)


def _home_handovers(user, site) -> dict:
    return {"pending_handovers": services.pending_handovers_for(user, site)}


register_home_panel(PATROL_WALKERS, "patrol/_handover_pending.html", _home_handovers)
# The end of a shift in a guard room with no signal: the handover form opens all the same.
register_offline_pages(PATROL_WALKERS, lambda user, site: [url_for("patrol.write_handover")])
