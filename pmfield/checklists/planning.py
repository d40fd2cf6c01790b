"""Business rules for what cleaning is planned: templates, plans, teams, the class timetable
(blackout windows) and terms. Edited by the cleaning supervisor and the manager.

Every change is audited. Changing or switching off a plan forgets its tasks that have not
opened yet; tick and the pages make tasks again as the plans now say.
"""

from datetime import date
from datetime import datetime
from datetime import time

from flask_babel import gettext as _
from sqlalchemy import select

from pmfield.audit import services as audit
from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.checklists import schedules
from pmfield.checklists.models import AreaKind
from pmfield.checklists.models import BlackoutWindow
from pmfield.checklists.models import ChecklistTemplate
from pmfield.checklists.models import CleaningPlan
from pmfield.checklists.models import CleaningTeam
from pmfield.checklists.models import Frequency
from pmfield.checklists.models import ItemKind
from pmfield.checklists.models import TemplateItem
from pmfield.checklists.models import Term
from pmfield.checklists.standard_templates import STANDARD_TEMPLATES
from pmfield.errors import DomainError
from pmfield.errors import raise_first as _raise_first
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import check_names as _check_names
from pmfield.patrol.planning import normalize_weekdays
from pmfield.patrol.schedules import parse_times
from pmfield.places.models import Point
from pmfield.places.models import PointKind
from pmfield.timeutil import utcnow

NAME_MAX = 120
TIMES_MAX = 12
LEAD_MINUTES_MAX = 24 * 60
PER_TERM_MAX = 60
MONTH_DAY_MAX = 28
TERM_DAYS_MAX = 250



def _on_site(model, site, object_id):
    row = db.session.get(model, object_id) if is_valid_id(object_id) else None
    return row if row is not None and row.site_id == site.id else None


# --------------------------------------------------------------------------- templates


def seed_standard_templates(site, actor=None) -> list[ChecklistTemplate]:
    """Give a site the standard checklists of the practice (one per kind of area); flush.

    Templates the site already has (by Chinese name) are left as they are.
    """
    have = set(
        db.session.scalars(
            select(ChecklistTemplate.name_zh).where(ChecklistTemplate.site_id == site.id)
        )
    )
    made = []
    for spec in STANDARD_TEMPLATES:
        if spec["name_zh"] in have:
            continue
        template = ChecklistTemplate(
            site=site, area_kind=spec["area_kind"], name_zh=spec["name_zh"],
            name_en=spec["name_en"],
        )
        template.items = [
            TemplateItem(
                position=position,
                code=item["code"],
                kind=item["kind"],
                text_zh=item["zh"],
                text_en=item["en"],
                unit=item.get("unit"),
                min_value=item.get("min"),
                max_value=item.get("max"),
            )
            for position, item in enumerate(spec["items"], start=1)
        ]
        db.session.add(template)
        made.append(template)
    db.session.flush()
    for template in made:
        audit.record(actor, "checklist_template.create", template, site=site, label=template.name)
    return made


def list_templates(site) -> list[ChecklistTemplate]:
    rows = db.session.scalars(
        select(ChecklistTemplate).where(
            ChecklistTemplate.site_id == site.id, ChecklistTemplate.active.is_(True)
        )
    ).all()
    return sorted(rows, key=lambda t: (t.name.casefold(), t.id))


def get_template(site, template_id) -> ChecklistTemplate | None:
    return _on_site(ChecklistTemplate, site, template_id)


def reading_limits_text(item: TemplateItem) -> str:
    """"0.05–2 mg/L", "≤ 1 NTU", "≥ 6.5": the limits as the checklist shows them."""
    unit = f" {item.unit}" if item.unit else ""
    low, high = item.min_value, item.max_value
    if low is not None and high is not None:
        return f"{low:g}–{high:g}{unit}"
    if high is not None:
        return f"≤ {high:g}{unit}"
    if low is not None:
        return f"≥ {low:g}{unit}"
    return unit.strip()


# --------------------------------------------------------------------------- plans


def cleaning_areas(site) -> list[Point]:
    """The site's points that can have a plan: cleaning areas and water tanks, by code."""
    return list(
        db.session.scalars(
            select(Point)
            .where(
                Point.site_id == site.id,
                Point.retired_at.is_(None),
                Point.kind.in_([PointKind.CLEANING_AREA, PointKind.WATER_TANK]),
            )
            .order_by(Point.code)
        )
    )


def site_cleaners(site) -> list[User]:
    """Active cleaners of the site, by name (plans and teams are assigned to them)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role == Role.CLEANER)
            .where(User.sites.any(id=site.id))
            .order_by(User.display_name, User.id)
        )
    )


def list_plans(site) -> list[CleaningPlan]:
    rows = db.session.scalars(
        select(CleaningPlan).where(CleaningPlan.site_id == site.id)
    ).all()
    return sorted(rows, key=lambda p: (not p.active, p.point.code, p.id))


def _for_user(model, user, object_id):
    row = db.session.get(model, object_id) if is_valid_id(object_id) else None
    return row if row is not None and user.can_access_site(row.site) else None


def get_plan_for_user(user, plan_id) -> CleaningPlan | None:
    """The plan, if it is on one of the user's sites."""
    return _for_user(CleaningPlan, user, plan_id)


def _check_plan(site, values: dict) -> dict:
    """Check a plan's fields; return the row's values or raise the first error."""
    errors: dict[str, str] = {}
    point, template = values.get("point"), values.get("template")
    if point is None or point.site_id != site.id or point.is_retired:
        errors["point_id"] = _("Choose an area of this site.")
    if template is None or template.site_id != site.id or not template.active:
        errors["template_id"] = _("Choose a checklist.")
    frequency = values.get("frequency")
    if frequency not in set(Frequency):
        errors["frequency"] = _("Choose how often.")
    try:
        times = parse_times(values.get("times"))
    except ValueError:
        times = None
    if not times:
        errors["times"] = _("Enter times as HH:MM, e.g. 07:30 or 09:00, 13:00.")
    elif len(times) > TIMES_MAX:
        errors["times"] = _("Enter at most %(n)d times.", n=TIMES_MAX)
    weekdays = "1234567"
    if frequency == Frequency.TIMES:
        try:
            weekdays = normalize_weekdays(values.get("weekdays"))
        except DomainError as error:
            errors["weekdays"] = error.message
    lead = values.get("lead_minutes")
    if not isinstance(lead, int) or not 0 <= lead <= LEAD_MINUTES_MAX:
        errors["lead_minutes"] = _(
            "Enter %(low)d to %(high)d minutes.", low=0, high=LEAD_MINUTES_MAX
        )
    per_term = values.get("per_term")
    if frequency == Frequency.PER_TERM and (
        not isinstance(per_term, int) or not 1 <= per_term <= PER_TERM_MAX
    ):
        errors["per_term"] = _("Enter %(low)d to %(high)d times.", low=1, high=PER_TERM_MAX)
    month_day = values.get("month_day")
    if frequency == Frequency.MONTHLY and (
        not isinstance(month_day, int) or not 1 <= month_day <= MONTH_DAY_MAX
    ):
        errors["month_day"] = _("Enter a day from 1 to %(n)d.", n=MONTH_DAY_MAX)
    assignee, team = values.get("assignee"), values.get("team")
    if assignee is not None and (
        assignee.role != Role.CLEANER or not assignee.active or not assignee.can_access_site(site)
    ):
        errors["assignee_id"] = _("Choose a cleaner of this site.")
    if team is not None and team.site_id != site.id:
        errors["team_id"] = _("Choose a team of this site.")
    if assignee is not None and team is not None:
        errors["assignee_id"] = _("Assign the plan to a cleaner or to a team, not both.")
    _raise_first(errors)
    return {
        "point_id": point.id,
        "template_id": template.id,
        "frequency": str(frequency),
        "times": ",".join(at.strftime("%H:%M") for at in times),
        "weekdays": weekdays,
        "per_term": per_term if frequency == Frequency.PER_TERM else None,
        "month_day": month_day if frequency == Frequency.MONTHLY else None,
        "lead_minutes": lead,
        "assignee_id": assignee.id if assignee is not None else None,
        "team_id": team.id if team is not None else None,
    }


def create_plan(site, *, actor, now: datetime | None = None, **values) -> CleaningPlan:
    """Plan an area's checklist. Tasks start from now: no overdue task for this morning.

    :raises DomainError: naming the field, for any value that breaks the rules.
    """
    now = now or utcnow()
    values = _check_plan(site, values)
    plan = CleaningPlan(site_id=site.id, effective_from=now, active=True, **values)
    db.session.add(plan)
    db.session.flush()
    audit.record(actor, "cleaning_plan.create", plan, site=site, label=plan.point.code,
                 changes=_plan_changes(plan))
    db.session.commit()
    return plan


def update_plan(plan: CleaningPlan, *, actor, now: datetime | None = None, **values):
    """Change a plan; tasks not open yet follow the new values, done tasks keep theirs."""
    now = now or utcnow()
    site = plan.site
    checked = _check_plan(site, values)
    for key, value in checked.items():
        setattr(plan, key, value)
    plan.effective_from = now
    schedules.drop_future_tasks(plan, now)
    audit.record(actor, "cleaning_plan.update", plan, site=site, label=plan.point.code,
                 changes=_plan_changes(plan))
    db.session.commit()
    return plan


def set_plan_active(plan: CleaningPlan, active: bool, *, actor, now=None) -> CleaningPlan:
    now = now or utcnow()
    plan.active = bool(active)
    plan.effective_from = now
    if not plan.active:
        schedules.drop_future_tasks(plan, now)
    audit.record(actor, "cleaning_plan.activate" if active else "cleaning_plan.deactivate",
                 plan, site=plan.site, label=plan.point.code)
    db.session.commit()
    return plan


def _plan_changes(plan: CleaningPlan) -> dict:
    return {
        "point": plan.point.code if plan.point else plan.point_id,
        "template": plan.template.name_zh if plan.template else plan.template_id,
        "frequency": plan.frequency,
        "times": plan.times,
        "weekdays": plan.weekdays,
        "per_term": plan.per_term,
        "month_day": plan.month_day,
        "lead_minutes": plan.lead_minutes,
        "assignee_id": plan.assignee_id,
        "team_id": plan.team_id,
    }


# --------------------------------------------------------------------------- teams


def list_teams(site) -> list[CleaningTeam]:
    rows = db.session.scalars(
        select(CleaningTeam).where(CleaningTeam.site_id == site.id, CleaningTeam.active.is_(True))
    ).all()
    return sorted(rows, key=lambda t: (t.name.casefold(), t.id))


def get_team(site, team_id) -> CleaningTeam | None:
    return _on_site(CleaningTeam, site, team_id)


def create_team(site, *, name_zh: str, name_en: str, members, actor) -> CleaningTeam:
    """A team of the site's cleaners that plans can be assigned to."""
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    errors = _check_names(name_zh, name_en)
    if any(m.role != Role.CLEANER or not m.can_access_site(site) for m in members):
        errors["members"] = _("Choose cleaners of this site.")
    if not members:
        errors["members"] = _("Choose at least one cleaner.")
    name_zh = name_zh or name_en
    if db.session.scalar(
        select(CleaningTeam.id).where(CleaningTeam.site_id == site.id,
                                      CleaningTeam.name_zh == name_zh)
    ):
        errors["name_zh"] = _("This site already has a team of that name.")
    _raise_first(errors)
    team = CleaningTeam(site=site, name_zh=name_zh, name_en=name_en or name_zh,
                        members=list(members))
    db.session.add(team)
    db.session.flush()
    audit.record(actor, "cleaning_team.create", team, site=site, label=team.name,
                 changes={"members": sorted(m.username for m in members)})
    db.session.commit()
    return team


# --------------------------------------------------------------------------- timetable, terms


def list_blackouts(site) -> list[BlackoutWindow]:
    rows = db.session.scalars(
        select(BlackoutWindow).where(BlackoutWindow.site_id == site.id)
    ).all()
    return sorted(rows, key=lambda w: (w.starts, w.id))


def get_blackout_for_user(user, blackout_id) -> BlackoutWindow | None:
    return _for_user(BlackoutWindow, user, blackout_id)


def add_blackout(site, *, name_zh: str, name_en: str, weekdays: str, starts: time | None,
                 ends: time | None, actor) -> BlackoutWindow:
    """A period of the timetable (e.g. a class period) when no cleaning may be done."""
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    errors = _check_names(name_zh, name_en)
    try:
        weekdays = normalize_weekdays(weekdays)
    except DomainError as error:
        errors["weekdays"] = error.message
    if starts is None:
        errors["starts"] = _("Enter the time as HH:MM.")
    if ends is None:
        errors["ends"] = _("Enter the time as HH:MM.")
    elif starts is not None and ends <= starts:
        errors["ends"] = _("The end must be after the start, on the same day.")
    _raise_first(errors)
    window = BlackoutWindow(site_id=site.id, name_zh=name_zh or name_en,
                            name_en=name_en or name_zh, weekdays=weekdays, starts=starts,
                            ends=ends)
    db.session.add(window)
    db.session.flush()
    audit.record(actor, "cleaning_blackout.create", window, site=site, label=window.name,
                 changes={"weekdays": weekdays, "starts": starts.strftime("%H:%M"),
                          "ends": ends.strftime("%H:%M")})
    db.session.commit()
    return window


def remove_blackout(window: BlackoutWindow, *, actor) -> None:
    audit.record(actor, "cleaning_blackout.remove", window, site=window.site, label=window.name)
    db.session.delete(window)
    db.session.commit()


def list_terms(site) -> list[Term]:
    return list(
        db.session.scalars(select(Term).where(Term.site_id == site.id).order_by(Term.starts_on))
    )


def add_term(site, *, name_zh: str, name_en: str, starts_on: date | None,
             ends_on: date | None, actor) -> Term:
    """A school term (both dates included); terms of a site may not overlap."""
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    errors = _check_names(name_zh, name_en)
    if starts_on is None:
        errors["starts_on"] = _("Enter a date as YYYY-MM-DD.")
    if ends_on is None:
        errors["ends_on"] = _("Enter a date as YYYY-MM-DD.")
    elif starts_on is not None:
        if ends_on < starts_on:
            errors["ends_on"] = _("The last day must not be before the first.")
        elif (ends_on - starts_on).days + 1 > TERM_DAYS_MAX:
            errors["ends_on"] = _("A term lasts at most %(n)d days.", n=TERM_DAYS_MAX)
        elif any(t.starts_on <= ends_on and starts_on <= t.ends_on for t in list_terms(site)):
            errors["starts_on"] = _("This term overlaps another term of the site.")
    _raise_first(errors)
    term = Term(site_id=site.id, name_zh=name_zh or name_en, name_en=name_en or name_zh,
                starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    audit.record(actor, "cleaning_term.create", term, site=site, label=term.name,
                 changes={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    db.session.commit()
    return term


# --------------------------------------------------------------------------- editing checklists

TEXT_MAX = 200
UNIT_MAX = 16


def create_template(site, *, area_kind: str, name_zh: str, name_en: str, actor):
    """A new, empty checklist for a kind of area; items are added one by one."""
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    errors = _check_names(name_zh, name_en)
    if area_kind not in set(AreaKind):
        errors["area_kind"] = _("Choose the kind of area.")
    name_zh = name_zh or name_en
    if db.session.scalar(select(ChecklistTemplate.id).where(
            ChecklistTemplate.site_id == site.id, ChecklistTemplate.name_zh == name_zh)):
        errors["name_zh"] = _("This site already has a checklist of that name.")
    _raise_first(errors)
    template = ChecklistTemplate(site_id=site.id, area_kind=area_kind, name_zh=name_zh,
                                 name_en=name_en or name_zh)
    db.session.add(template)
    db.session.flush()
    audit.record(actor, "checklist_template.create", template, site=site, label=template.name)
    db.session.commit()
    return template


def get_template_for_user(user, template_id) -> ChecklistTemplate | None:
    return _for_user(ChecklistTemplate, user, template_id)


def _check_item(values: dict) -> dict:
    errors: dict[str, str] = {}
    text_zh, text_en = (values.get("text_zh") or "").strip(), (values.get("text_en") or "").strip()
    if not text_zh and not text_en:
        errors["text_zh"] = _("Write the criterion in Chinese or English.")
    for key, value in (("text_zh", text_zh), ("text_en", text_en)):
        if len(value) > TEXT_MAX:
            errors[key] = _("Use at most %(n)d characters.", n=TEXT_MAX)
    kind = values.get("kind")
    if kind not in (ItemKind.CHECK, ItemKind.READING):
        errors["kind"] = _("Choose pass / fail or a reading.")
    unit = (values.get("unit") or "").strip()
    low, high = values.get("min_value"), values.get("max_value")
    if kind == ItemKind.READING:
        if len(unit) > UNIT_MAX:
            errors["unit"] = _("Use at most %(n)d characters.", n=UNIT_MAX)
        if low is None and high is None:
            errors["min_value"] = _("Give a lowest or a highest value, or both.")
        elif low is not None and high is not None and low > high:
            errors["max_value"] = _("The highest value must not be below the lowest.")
    _raise_first(errors)
    reading = kind == ItemKind.READING
    return {
        "kind": kind, "text_zh": text_zh or text_en, "text_en": text_en or text_zh,
        "unit": (unit or None) if reading else None,
        "min_value": low if reading else None, "max_value": high if reading else None,
    }


def add_item(template: ChecklistTemplate, *, actor, **values) -> TemplateItem:
    """Add a criterion at the end of the checklist."""
    checked = _check_item(values)
    position = max((item.position for item in template.items), default=0) + 1
    codes = {item.code for item in template.items}
    code = next(f"item_{n}" for n in range(position, position + len(codes) + 2)
                if f"item_{n}" not in codes)
    item = TemplateItem(template_id=template.id, position=position, code=code, **checked)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "checklist_template.add_item", template, site=template.site,
                 label=template.name, changes={"item": item.text_zh})
    db.session.commit()
    return item


def update_item(item: TemplateItem, *, actor, **values) -> TemplateItem:
    """Reword a criterion or change its limits; answers already given keep their result."""
    checked = _check_item(values)
    before = item.text_zh
    for key, value in checked.items():
        setattr(item, key, value)
    audit.record(actor, "checklist_template.update_item", item.template,
                 site=item.template.site, label=item.template.name,
                 changes={"item": [before, item.text_zh]})
    db.session.commit()
    return item


def retire_item(item: TemplateItem, *, actor) -> TemplateItem:
    """Take a criterion off the checklist; past answers to it stay in the history."""
    if len(item.template.active_items) <= 1 and item.active:
        raise DomainError(_("A checklist needs at least one item."), "item")
    item.active = False
    audit.record(actor, "checklist_template.retire_item", item.template,
                 site=item.template.site, label=item.template.name,
                 changes={"item": item.text_zh})
    db.session.commit()
    return item
