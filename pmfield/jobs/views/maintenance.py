"""Maintenance plans and the materials catalogue, for the engineering supervisor and the
manager; and the equipment card on every equipment point's page."""

from datetime import date

from flask import abort
from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.auth.roles import JOB_MANAGERS
from pmfield.errors import DomainError
from pmfield.i18n import localized
from pmfield.jobs import bp
from pmfield.jobs import catalogue
from pmfield.jobs import maintenance
from pmfield.jobs.models import Discipline
from pmfield.jobs.models import IntervalUnit
from pmfield.jobs.services import can_view_job
from pmfield.places import services as places
from pmfield.places.views import register_point_panel
from pmfield.web.context import current_site
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

managers_only = roles_required(*JOB_MANAGERS)
#: Services name the object ("point"); the form names the input ("point_id").
FORM_FIELDS = {"point": "point_id"}
MATERIAL_FIELDS = ("code", "name_zh", "name_en", "unit_zh", "unit_en")


def text(form, name: str) -> str:
    return (form.get(name) or "").strip()


@bp.app_template_filter("bilingual")
def bilingual(row, prefix: str = "name") -> str:
    """`{{ plan|bilingual }}`, `{{ material|bilingual("unit") }}`: the reader's language."""
    return localized(getattr(row, f"{prefix}_zh"), getattr(row, f"{prefix}_en"))


@bp.app_template_filter("plan_interval")
def plan_interval(plan) -> str:
    return maintenance.interval_label(plan)


@bp.app_template_filter("discipline_label")
def discipline_label(value) -> str:
    return Discipline(value).label if value in set(Discipline) else ""


def _site_or_404():
    site = current_site()
    if site is None:
        abort(404)
    return site


def _form_errors(error: DomainError) -> dict[str, str]:
    return {FORM_FIELDS.get(error.field, error.field) if error.field else "form": error.message}


# --------------------------------------------------------------------------- plans


def parse_plan_form(form) -> tuple[dict, dict]:
    """Read the plan form as typed; the rules (ranges, which point) are the service's."""
    from pmfield.web.forms import number  # web.forms loads patrol, which loads jobs models

    data, errors = {}, {}
    for name in ("point_id", "name_zh", "name_en", "discipline", "unit", "starts_on"):
        data[name] = text(form, name)
    number(form, "every", data, errors, required=True)
    number(form, "lead_days", data, errors, required=True)
    data["starts_on_date"] = None
    try:
        data["starts_on_date"] = date.fromisoformat(data["starts_on"])
    except ValueError:
        errors["starts_on"] = _("Enter a date as YYYY-MM-DD.")
    return data, errors


def _plan_values(data: dict) -> dict:
    point_id = data["point_id"]
    return {
        "point": places.get_point_for_user(current_user, int(point_id))
        if point_id.isascii() and point_id.isdigit() else None,
        "name_zh": data["name_zh"],
        "name_en": data["name_en"],
        "discipline": data["discipline"],
        "every": data["every_int"],
        "unit": data["unit"],
        "starts_on": data["starts_on_date"],
        "lead_days": data["lead_days_int"],
    }


def _plan_data(site, plan) -> dict:
    if plan is None:
        return {"unit": IntervalUnit.MONTHS.value, "every": "1", "lead_days": "3",
                "starts_on": places.site_today(site).isoformat()}
    return {
        "point_id": str(plan.point_id), "name_zh": plan.name_zh, "name_en": plan.name_en,
        "discipline": plan.discipline, "every": str(plan.every), "unit": plan.unit,
        "starts_on": plan.starts_on.isoformat(), "lead_days": str(plan.lead_days),
    }


def _plan_form(site, plan=None, *, data=None, errors=None, status=200):
    return render_page(
        "jobs/maintenance_plan_form.html", "jobs/_maintenance_plan_form.html", status=status,
        site=site, plan=plan, data=data or _plan_data(site, plan), errors=errors or {},
        points=maintenance.equipment_points(site), disciplines=Discipline.choices(),
        units=IntervalUnit.choices(), lead_days_max=maintenance.LEAD_DAYS_MAX,
    )


def _plan_or_404(plan_id: int):
    plan = maintenance.get_plan_for_user(current_user, plan_id)
    if plan is None:
        abort(404)
    return plan


@bp.route("/maintenance")
@managers_only
def list_maintenance_plans():
    """The current site's maintenance plans, each with its next due date."""
    site = _site_or_404()
    today = places.site_today(site)
    rows = [(plan, maintenance.next_due_on(plan, today)) for plan in maintenance.list_plans(site)]
    return render_page("jobs/maintenance_plans.html", "jobs/_maintenance_plans.html",
                       site=site, rows=rows)


@bp.route("/maintenance/new", methods=["GET", "POST"])
@managers_only
def create_maintenance_plan():
    site = _site_or_404()
    if request.method == "GET":
        return _plan_form(site)
    data, errors = parse_plan_form(request.form)
    if errors:
        return _plan_form(site, data=data, errors=errors, status=422)
    try:
        maintenance.create_plan(site, actor=current_user, **_plan_values(data))
    except DomainError as error:
        return _plan_form(site, data=data, errors=_form_errors(error), status=422)
    flash(_("Maintenance plan saved."), "success")
    return redirect_to("jobs.list_maintenance_plans")


@bp.route("/maintenance/<int:plan_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_maintenance_plan(plan_id):
    plan = _plan_or_404(plan_id)
    if request.method == "GET":
        return _plan_form(plan.site, plan)
    data, errors = parse_plan_form(request.form)
    if errors:
        return _plan_form(plan.site, plan, data=data, errors=errors, status=422)
    try:
        maintenance.update_plan(plan, actor=current_user, **_plan_values(data))
    except DomainError as error:
        return _plan_form(plan.site, plan, data=data, errors=_form_errors(error), status=422)
    flash(_("Maintenance plan saved."), "success")
    return redirect_to("jobs.list_maintenance_plans")


@bp.route("/maintenance/<int:plan_id>/retire", methods=["POST"])
@managers_only
def retire_maintenance_plan(plan_id):
    maintenance.set_plan_active(_plan_or_404(plan_id), False, actor=current_user)
    flash(_("Plan retired: no more jobs will be made for it."), "success")
    return redirect_to("jobs.list_maintenance_plans")


@bp.route("/maintenance/<int:plan_id>/restore", methods=["POST"])
@managers_only
def restore_maintenance_plan(plan_id):
    maintenance.set_plan_active(_plan_or_404(plan_id), True, actor=current_user)
    flash(_("Plan in use again."), "success")
    return redirect_to("jobs.list_maintenance_plans")


# --------------------------------------------------------------------------- materials


def _material_data(material) -> dict:
    if material is None:
        return {}
    return {name: getattr(material, name) for name in MATERIAL_FIELDS}


def _material_form(site, material=None, *, data=None, errors=None, status=200):
    return render_page(
        "jobs/material_form.html", "jobs/_material_form.html", status=status, site=site,
        material=material, data=data if data is not None else _material_data(material),
        errors=errors or {},
    )


def _material_or_404(material_id: int):
    material = catalogue.get_material_for_user(current_user, material_id)
    if material is None:
        abort(404)
    return material


@bp.route("/materials")
@managers_only
def list_materials():
    """The current site's materials catalogue; items out of use at the end."""
    site = _site_or_404()
    materials = catalogue.list_materials(site, include_inactive=True)
    return render_page("jobs/material_catalogue.html", "jobs/_material_catalogue.html",
                       site=site, materials=[m for m in materials if m.active],
                       retired=[m for m in materials if not m.active])


@bp.route("/materials/new", methods=["GET", "POST"])
@managers_only
def create_material():
    site = _site_or_404()
    if request.method == "GET":
        return _material_form(site)
    data = {name: text(request.form, name) for name in MATERIAL_FIELDS}
    try:
        catalogue.create_material(site, actor=current_user, **data)
    except DomainError as error:
        return _material_form(site, data=data, errors=_form_errors(error), status=422)
    flash(_("Item added to the catalogue."), "success")
    return redirect_to("jobs.list_materials")


@bp.route("/materials/<int:material_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_material(material_id):
    material = _material_or_404(material_id)
    if request.method == "GET":
        return _material_form(material.site, material)
    data = {name: text(request.form, name) for name in MATERIAL_FIELDS}
    try:
        catalogue.update_material(material, actor=current_user, **data)
    except DomainError as error:
        return _material_form(material.site, material, data=data, errors=_form_errors(error),
                              status=422)
    flash(_("Saved."), "success")
    return redirect_to("jobs.list_materials")


@bp.route("/materials/<int:material_id>/deactivate", methods=["POST"])
@managers_only
def deactivate_material(material_id):
    catalogue.set_material_active(_material_or_404(material_id), False, actor=current_user)
    flash(_("Item out of use: technicians no longer see it."), "success")
    return redirect_to("jobs.list_materials")


@bp.route("/materials/<int:material_id>/restore", methods=["POST"])
@managers_only
def restore_material(material_id):
    catalogue.set_material_active(_material_or_404(material_id), True, actor=current_user)
    flash(_("Item in use again."), "success")
    return redirect_to("jobs.list_materials")


# --------------------------------------------------------------------------- equipment card


def _equipment_panel(user, point) -> dict | None:
    """The equipment card of a point's page: repairs, history, plans, certificate alarms."""
    if not point.is_equipment:
        return None
    card = maintenance.equipment_card(point, places.site_today(point.site))
    return {
        "point": point,
        "card": card,
        "can_view": lambda job: can_view_job(user, job),
        "can_edit_plans": user.role in JOB_MANAGERS,
    }


register_point_panel("jobs/_equipment_panel.html", _equipment_panel)
