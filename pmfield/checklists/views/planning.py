"""Cleaning views for the cleaning supervisor and the manager: plans, checklists, teams, the
class timetable (when no cleaning may be done) and terms."""

from datetime import date

from flask import abort
from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.auth.roles import CLEANING_MANAGERS
from pmfield.checklists import bp
from pmfield.checklists import planning as services
from pmfield.checklists.models import FREQUENCY_LABELS
from pmfield.checklists.models import AreaKind
from pmfield.checklists.models import Frequency
from pmfield.errors import DomainError
from pmfield.patrol.planning import WEEKDAYS
from pmfield.places import services as places
from pmfield.web.context import current_site
from pmfield.web.forms import clock
from pmfield.web.forms import number
from pmfield.web.forms import text
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

managers_only = roles_required(*CLEANING_MANAGERS)
#: Services name the object ("point"); the forms name the input ("point_id").
FORM_FIELDS = {"point": "point_id", "template": "template_id", "assignee": "assignee_id",
               "team": "team_id"}


def _site_or_404():
    site = current_site()
    if site is None:
        abort(404)
    return site


def _form_errors(error: DomainError) -> dict[str, str]:
    return {FORM_FIELDS.get(error.field, error.field) if error.field else "form": error.message}


# --------------------------------------------------------------------------- plans


def parse_plan_form(form, site) -> tuple[dict, dict]:
    """Read the plan form; the rules (ranges, who, which area) are the service's."""
    data, errors = {}, {}
    for name in ("point_id", "template_id", "frequency", "times", "assignee_id", "team_id"):
        data[name] = text(form, name)
    data["weekdays"] = form.getlist("weekdays")
    number(form, "lead_minutes", data, errors, required=True)
    number(form, "per_term", data, errors, required=data["frequency"] == Frequency.PER_TERM)
    number(form, "month_day", data, errors, required=data["frequency"] == Frequency.MONTHLY)
    return data, errors


def _plan_values(data: dict, site) -> dict:
    point = (
        places.get_point_for_user(current_user, int(data["point_id"]))
        if data["point_id"].isdigit() else None
    )
    return {
        "point": point if point is not None and point.site_id == site.id else None,
        "template": services.get_template(site, int(data["template_id"]))
        if data["template_id"].isdigit() else None,
        "frequency": data["frequency"],
        "times": data["times"],
        "weekdays": data["weekdays"],
        "lead_minutes": data["lead_minutes_int"],
        "per_term": data["per_term_int"],
        "month_day": data["month_day_int"],
        "assignee": next(
            (u for u in services.site_cleaners(site) if str(u.id) == data["assignee_id"]), None
        ),
        "team": services.get_team(site, int(data["team_id"])) if data["team_id"].isdigit()
        else None,
    }


def _plan_form(site, plan=None, *, data=None, errors=None, status=200):
    return render_page(
        "checklists/plan_form.html", "checklists/_plan_form.html", status=status,
        site=site, plan=plan, data=data or _plan_data(plan), errors=errors or {},
        areas=services.cleaning_areas(site), templates=services.list_templates(site),
        cleaners=services.site_cleaners(site), teams=services.list_teams(site),
        frequencies=[(f.value, FREQUENCY_LABELS[f]) for f in Frequency], weekdays=WEEKDAYS,
    )


def _plan_data(plan) -> dict:
    if plan is None:
        return {"frequency": Frequency.TIMES.value, "times": "07:30", "lead_minutes": "120",
                "weekdays": list("1234567")}
    return {
        "point_id": str(plan.point_id), "template_id": str(plan.template_id),
        "frequency": plan.frequency, "times": plan.times.replace(",", ", "),
        "weekdays": list(plan.weekdays), "lead_minutes": str(plan.lead_minutes),
        "per_term": str(plan.per_term or ""), "month_day": str(plan.month_day or ""),
        "assignee_id": str(plan.assignee_id or ""), "team_id": str(plan.team_id or ""),
    }


@bp.route("/plans")
@managers_only
def list_plans():
    """Every cleaning plan of the current site: area, checklist, when, who."""
    site = _site_or_404()
    return render_page("checklists/plans.html", "checklists/_plans.html", site=site,
                       plans=services.list_plans(site))


@bp.route("/plans/new", methods=["GET", "POST"])
@managers_only
def create_plan():
    site = _site_or_404()
    if request.method == "GET":
        return _plan_form(site)
    data, errors = parse_plan_form(request.form, site)
    if errors:
        return _plan_form(site, data=data, errors=errors, status=422)
    try:
        services.create_plan(site, actor=current_user, **_plan_values(data, site))
    except DomainError as error:
        return _plan_form(site, data=data, errors=_form_errors(error), status=422)
    flash(_("Plan saved."), "success")
    return redirect_to("checklists.list_plans")


def _plan_or_404(plan_id: int):
    plan = services.get_plan_for_user(current_user, plan_id)
    if plan is None:
        abort(404)
    return plan


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_plan(plan_id):
    plan = _plan_or_404(plan_id)
    site = plan.site
    if request.method == "GET":
        return _plan_form(site, plan)
    data, errors = parse_plan_form(request.form, site)
    if errors:
        return _plan_form(site, plan, data=data, errors=errors, status=422)
    try:
        services.update_plan(plan, actor=current_user, **_plan_values(data, site))
    except DomainError as error:
        return _plan_form(site, plan, data=data, errors=_form_errors(error), status=422)
    flash(_("Plan saved."), "success")
    return redirect_to("checklists.list_plans")


@bp.route("/plans/<int:plan_id>/active", methods=["POST"])
@managers_only
def set_plan_active(plan_id):
    plan = _plan_or_404(plan_id)
    services.set_plan_active(plan, request.form.get("active") == "1", actor=current_user)
    flash(_("Plan in use.") if plan.active else _("Plan out of use."), "success")
    return redirect_to("checklists.list_plans")


# --------------------------------------------------------------------------- checklists


def _templates_page(site, *, data=None, errors=None, status=200):
    return render_page("checklists/templates.html", "checklists/_templates.html", status=status,
                       site=site, templates=services.list_templates(site),
                       limits=services.reading_limits_text, data=data or {},
                       errors=errors or {}, area_kinds=[(k.value, k.label) for k in AreaKind])


@bp.route("/templates")
@managers_only
def list_templates():
    """The site's checklists, each item as the standard words it."""
    return _templates_page(_site_or_404())


@bp.route("/templates", methods=["POST"])
@managers_only
def create_template():
    site = _site_or_404()
    data = {name: text(request.form, name) for name in ("area_kind", "name_zh", "name_en")}
    try:
        template = services.create_template(site, actor=current_user, **data)
    except DomainError as error:
        return _templates_page(site, data=data, errors=_form_errors(error), status=422)
    return redirect_to("checklists.template_detail", template_id=template.id)


def _template_or_404(template_id: int):
    template = services.get_template_for_user(current_user, template_id)
    if template is None:
        abort(404)
    return template


def _template_page(template, *, data=None, errors=None, status=200, item_id=None):
    return render_page(
        "checklists/template.html", "checklists/_template.html", status=status,
        template=template, limits=services.reading_limits_text, data=data or {},
        errors=errors or {}, failed_item=item_id,
    )


def _decimal(form, name: str, data: dict, errors: dict) -> None:
    raw = text(form, name).replace(",", ".")
    data[name] = raw
    data[name + "_float"] = None
    if not raw:
        return
    try:
        value = float(raw)
        if value != value or abs(value) > 1e9:
            raise ValueError(raw)
        data[name + "_float"] = value
    except ValueError:
        errors[name] = _("Enter a number, e.g. 0.3.")


def parse_item_form(form) -> tuple[dict, dict]:
    data, errors = {}, {}
    for name in ("kind", "text_zh", "text_en", "unit"):
        data[name] = text(form, name)
    _decimal(form, "min_value", data, errors)
    _decimal(form, "max_value", data, errors)
    return data, errors


def _item_values(data: dict) -> dict:
    return {"kind": data["kind"], "text_zh": data["text_zh"], "text_en": data["text_en"],
            "unit": data["unit"], "min_value": data["min_value_float"],
            "max_value": data["max_value_float"]}


@bp.route("/templates/<int:template_id>")
@managers_only
def template_detail(template_id):
    """One checklist: its items, each editable, and a form to add one."""
    return _template_page(_template_or_404(template_id))


@bp.route("/templates/<int:template_id>/items", methods=["POST"])
@managers_only
def add_template_item(template_id):
    template = _template_or_404(template_id)
    data, errors = parse_item_form(request.form)
    try:
        if errors:
            raise DomainError(next(iter(errors.values())), next(iter(errors)))
        services.add_item(template, actor=current_user, **_item_values(data))
    except DomainError as error:
        return _template_page(template, data=data, errors=_form_errors(error), status=422)
    flash(_("Item added."), "success")
    return redirect_to("checklists.template_detail", template_id=template.id)


def _item_or_404(template, item_id: int):
    item = next((i for i in template.items if i.id == item_id and i.active), None)
    if item is None:
        abort(404)
    return item


@bp.route("/templates/<int:template_id>/items/<int:item_id>", methods=["POST"])
@managers_only
def edit_template_item(template_id, item_id):
    template = _template_or_404(template_id)
    item = _item_or_404(template, item_id)
    data, errors = parse_item_form(request.form)
    try:
        if errors:
            raise DomainError(next(iter(errors.values())), next(iter(errors)))
        services.update_item(item, actor=current_user, **_item_values(data))
    except DomainError as error:
        return _template_page(template, data=data, errors=_form_errors(error), status=422,
                              item_id=item.id)
    flash(_("Saved."), "success")
    return redirect_to("checklists.template_detail", template_id=template.id)


@bp.route("/templates/<int:template_id>/items/<int:item_id>/retire", methods=["POST"])
@managers_only
def retire_template_item(template_id, item_id):
    template = _template_or_404(template_id)
    item = _item_or_404(template, item_id)
    try:
        services.retire_item(item, actor=current_user)
    except DomainError as error:
        return _template_page(template, errors={"form": error.message}, status=422)
    flash(_("Item taken off the checklist."), "success")
    return redirect_to("checklists.template_detail", template_id=template.id)


# --------------------------------------------------------------------------- timetable, terms


def _timetable(site, *, data=None, errors=None, status=200):
    return render_page(
        "checklists/timetable.html", "checklists/_timetable.html", status=status, site=site,
        blackouts=services.list_blackouts(site), terms=services.list_terms(site),
        teams=services.list_teams(site), cleaners=services.site_cleaners(site),
        weekdays=WEEKDAYS, data=data or {"weekdays": list("12345")}, errors=errors or {},
    )


@bp.route("/timetable")
@managers_only
def timetable():
    """Class periods (no cleaning), terms (plans per term) and teams of the current site."""
    return _timetable(_site_or_404())


@bp.route("/timetable/blackouts", methods=["POST"])
@managers_only
def add_blackout():
    site = _site_or_404()
    data, errors = {"weekdays": request.form.getlist("weekdays")}, {}
    data["name_zh"], data["name_en"] = text(request.form, "name_zh"), text(request.form, "name_en")
    for name in ("starts", "ends"):
        clock(request.form, name, data, errors)
    if errors:
        return _timetable(site, data=data, errors=errors, status=422)
    try:
        services.add_blackout(
            site, name_zh=data["name_zh"], name_en=data["name_en"],
            weekdays=data["weekdays"], starts=data["starts_time"], ends=data["ends_time"],
            actor=current_user,
        )
    except DomainError as error:
        return _timetable(site, data=data, errors=_form_errors(error), status=422)
    flash(_("Saved."), "success")
    return redirect_to("checklists.timetable")


@bp.route("/timetable/blackouts/<int:blackout_id>/remove", methods=["POST"])
@managers_only
def remove_blackout(blackout_id):
    window = services.get_blackout_for_user(current_user, blackout_id)
    if window is None:
        abort(404)
    services.remove_blackout(window, actor=current_user)
    flash(_("Removed."), "success")
    return redirect_to("checklists.timetable")


def _date(form, name: str, data: dict, errors: dict) -> None:
    data[name] = text(form, name)
    data[name + "_date"] = None
    try:
        data[name + "_date"] = date.fromisoformat(data[name])
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")


@bp.route("/timetable/terms", methods=["POST"])
@managers_only
def add_term():
    site = _site_or_404()
    data, errors = {"term_name_zh": text(request.form, "term_name_zh"),
                    "term_name_en": text(request.form, "term_name_en")}, {}
    for name in ("starts_on", "ends_on"):
        _date(request.form, name, data, errors)
    if errors:
        return _timetable(site, data=data, errors=errors, status=422)
    try:
        services.add_term(site, name_zh=data["term_name_zh"], name_en=data["term_name_en"],
                          starts_on=data["starts_on_date"], ends_on=data["ends_on_date"],
                          actor=current_user)
    except DomainError as error:
        field = {"name_zh": "term_name_zh", "name_en": "term_name_en"}.get(error.field, error.field)
        return _timetable(site, data=data, errors={field: error.message}, status=422)
    flash(_("Saved."), "success")
    return redirect_to("checklists.timetable")


@bp.route("/timetable/teams", methods=["POST"])
@managers_only
def add_team():
    site = _site_or_404()
    chosen = set(request.form.getlist("member_ids"))
    members = [u for u in services.site_cleaners(site) if str(u.id) in chosen]
    data = {"team_name_zh": text(request.form, "team_name_zh"),
            "team_name_en": text(request.form, "team_name_en"), "member_ids": list(chosen)}
    try:
        services.create_team(site, name_zh=data["team_name_zh"], name_en=data["team_name_en"],
                             members=members, actor=current_user)
    except DomainError as error:
        field = {"name_zh": "team_name_zh", "name_en": "team_name_en", "members": "member_ids"}
        errors = {field.get(error.field, error.field): error.message}
        return _timetable(site, data=data, errors=errors, status=422)
    flash(_("Saved."), "success")
    return redirect_to("checklists.timetable")
