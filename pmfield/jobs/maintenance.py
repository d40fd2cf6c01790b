"""Preventive maintenance: plans per equipment point, their due dates, the planned jobs that
`pmfield tick` makes for them, warnings of expiring certificates, and the equipment card of a
point's page.

Generation is safe to run every minute, twice, or from two machines at once: the unique
(plan_id, plan_due_on) of jobs is the only judge of "already made", and each insert runs in a
savepoint so a lost race costs that one job, never the tick's transaction.
"""

import calendar
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pmfield.audit import services as audit
from pmfield.auth.roles import Role
from pmfield.errors import raise_first
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import check_names
from pmfield.i18n import localized
from pmfield.jobs.models import OPEN_STATES
from pmfield.jobs.models import Discipline
from pmfield.jobs.models import IntervalUnit
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import MaintenancePlan
from pmfield.jobs.models import Priority
from pmfield.jobs.services import create_job
from pmfield.notifications import services as notifications
from pmfield.places.models import CERTIFICATE_WARNING
from pmfield.places.models import Asset
from pmfield.places.models import Certificate
from pmfield.places.models import Point
from pmfield.places.models import PointKind
from pmfield.places.models import Site
from pmfield.places.services import certificate_statuses
from pmfield.timeutil import utcnow
from pmfield.web.urls import path_for

#: Longest interval of each unit: a yearly service is 12 months, not 365 days.
EVERY_MAX = {IntervalUnit.DAYS: 366, IntervalUnit.MONTHS: 120}
#: A job can be made at most this many days before its due date.
LEAD_DAYS_MAX = 60
#: The first due date must lie within this many days of today (catches typed-in years).
START_RANGE_DAYS = 5 * 366
#: Repairs shown on the equipment card; the card also says how many there are in all.
HISTORY_LIMIT = 10
CERTIFICATE_KIND = "jobs.certificate_expiring"
#: Who hears of expiring certificates.
CERTIFICATE_READERS = (Role.ENGINEERING_SUPERVISOR, Role.MANAGER)
EQUIPMENT_KINDS = tuple(kind for kind in PointKind if kind.is_equipment)


def _site_today(site: Site, now: datetime) -> date:
    return now.astimezone(ZoneInfo(site.timezone)).date()


# --------------------------------------------------------------------------- due dates


def add_months(day: date, months: int) -> date:
    """Return `day` moved by whole months, on the same day or the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def nth_due_date(plan: MaintenancePlan, n: int) -> date:
    """Return the plan's n-th due date (0: starts_on), always counted from starts_on.

    Counting from the start, not from the previous date, keeps a plan on the 31st on the
    31st (or the month's end) instead of drifting to the 28th after February.
    """
    if plan.unit_enum == IntervalUnit.MONTHS:
        return add_months(plan.starts_on, n * plan.every)
    return plan.starts_on + timedelta(days=n * plan.every)


def _first_index_on_or_after(plan: MaintenancePlan, day: date) -> int:
    if day <= plan.starts_on:
        return 0
    if plan.unit_enum == IntervalUnit.MONTHS:
        months = (day.year - plan.starts_on.year) * 12 + day.month - plan.starts_on.month
        n = months // plan.every
        return n if nth_due_date(plan, n) >= day else n + 1
    return -(-(day - plan.starts_on).days // plan.every)


def due_dates(plan: MaintenancePlan, until: date, *, since: date | None = None) -> list[date]:
    """Return the plan's due dates from `since` (default: its start) to `until`, inclusive."""
    n = _first_index_on_or_after(plan, since or plan.starts_on)
    dates = []
    while (due := nth_due_date(plan, n)) <= until:
        dates.append(due)
        n += 1
    return dates


def next_due_on(plan: MaintenancePlan, today: date) -> date | None:
    """Return the first due date on or after `today`; None for a retired plan."""
    if not plan.active:
        return None
    return nth_due_date(plan, _first_index_on_or_after(plan, today))


def period_before(plan: MaintenancePlan, day: date) -> date:
    """Return `day` one interval of the plan earlier."""
    if plan.unit_enum == IntervalUnit.MONTHS:
        return add_months(day, -plan.every)
    return day - timedelta(days=plan.every)


def interval_texts(plan: MaintenancePlan) -> tuple[str, str]:
    """Return "每15天", "every 15 days": the interval in both languages, for stored text."""
    n = plan.every
    if plan.unit_enum == IntervalUnit.MONTHS:
        return (f"每{n}个月", f"every {n} months") if n != 1 else ("每月", "every month")
    return (f"每{n}天", f"every {n} days") if n != 1 else ("每天", "every day")


def interval_label(plan: MaintenancePlan) -> str:
    """Return the plan's interval in the reader's language: "every 15 days"."""
    n = plan.every
    if plan.unit_enum == IntervalUnit.MONTHS:
        return _("every month") if n == 1 else _("every %(num)d months", num=n)
    return _("every day") if n == 1 else _("every %(num)d days", num=n)


def job_description(plan: MaintenancePlan, due: date) -> str:
    """The planned job's text in both languages, whoever reads it later.

    "电梯半月保养 / Elevator maintenance (每15天 / every 15 days), 到期 / due 2026-03-15"
    """
    every_zh, every_en = interval_texts(plan)
    names = " / ".join(name for name in (plan.name_zh, plan.name_en) if name)
    return f"{names} ({every_zh} / {every_en}), 到期 / due {due.isoformat()}"


# --------------------------------------------------------------------------- plans


def equipment_points(site: Site) -> list[Point]:
    """The site's equipment points that are in use, by code: what a plan can be for."""
    return list(
        db.session.scalars(
            select(Point)
            .where(Point.site_id == site.id, Point.retired_at.is_(None),
                   Point.kind.in_([str(kind) for kind in EQUIPMENT_KINDS]))
            .order_by(Point.code)
        )
    )


def list_plans(site: Site) -> list[MaintenancePlan]:
    """The site's plans: active ones first, then by point code."""
    rows = db.session.scalars(
        select(MaintenancePlan).where(MaintenancePlan.site_id == site.id)
    ).all()
    return sorted(rows, key=lambda p: (not p.active, p.point.code, p.id))


def get_plan_for_user(user, plan_id) -> MaintenancePlan | None:
    """The plan, if it is on one of the user's sites."""
    plan = db.session.get(MaintenancePlan, plan_id) if is_valid_id(plan_id) else None
    return plan if plan is not None and user.can_access_site(plan.site) else None


def _whole(value, low: int, high: int) -> int | None:
    return value if isinstance(value, int) and low <= value <= high else None


def _check_plan(site: Site, values: dict, today: date) -> dict:
    """Check a plan's fields; return the row's values or raise the first problem."""
    errors: dict[str, str] = {}
    point = values.get("point")
    if (point is None or point.site_id != site.id or point.is_retired
            or not point.is_equipment):
        errors["point"] = _("Choose a piece of equipment of this site.")
    name_zh = (values.get("name_zh") or "").strip()
    name_en = (values.get("name_en") or "").strip()
    errors.update(check_names(name_zh, name_en))
    discipline = values.get("discipline")
    if discipline not in set(Discipline):
        errors["discipline"] = _("Choose a discipline.")
    unit = values.get("unit")
    if unit not in set(IntervalUnit):
        errors["unit"] = _("Choose days or months.")
    else:
        high = EVERY_MAX[IntervalUnit(unit)]
        if _whole(values.get("every"), 1, high) is None:
            errors["every"] = _("Enter a number from %(low)d to %(high)d.", low=1, high=high)
    starts_on = values.get("starts_on")
    if not isinstance(starts_on, date):
        errors["starts_on"] = _("Enter a date as YYYY-MM-DD.")
    elif abs((starts_on - today).days) > START_RANGE_DAYS:
        errors["starts_on"] = _("Enter a date within five years of today.")
    if _whole(values.get("lead_days"), 0, LEAD_DAYS_MAX) is None:
        errors["lead_days"] = _("Enter a number from %(low)d to %(high)d.", low=0,
                                high=LEAD_DAYS_MAX)
    raise_first(errors)
    return {
        "point_id": point.id,
        "name_zh": name_zh or name_en,
        "name_en": name_en or name_zh,
        "discipline": str(discipline),
        "every": values["every"],
        "unit": str(unit),
        "starts_on": starts_on,
        "lead_days": values["lead_days"],
    }


def _changes(plan: MaintenancePlan) -> dict:
    return {
        "point": plan.point.code if plan.point else plan.point_id,
        "name_zh": plan.name_zh,
        "name_en": plan.name_en,
        "discipline": plan.discipline,
        "every": plan.every,
        "unit": plan.unit,
        "starts_on": plan.starts_on.isoformat(),
        "lead_days": plan.lead_days,
    }


def create_plan(site: Site, *, actor, now: datetime | None = None, **values) -> MaintenancePlan:
    """Plan the maintenance of an equipment point; tick makes its jobs. Commits.

    `values`: point (Point), name_zh, name_en, discipline, every, unit, starts_on (date),
    lead_days.

    :raises DomainError: naming the field, for any value that breaks the rules.
    """
    checked = _check_plan(site, values, _site_today(site, now or utcnow()))
    plan = MaintenancePlan(site_id=site.id, active=True, **checked)
    db.session.add(plan)
    db.session.flush()
    audit.record(actor, "maintenance_plan.create", plan, site=site,
                 label=f"{plan.point.code} {plan.name_zh}", changes=_changes(plan))
    db.session.commit()
    return plan


def update_plan(plan: MaintenancePlan, *, actor, now: datetime | None = None,
                **values) -> MaintenancePlan:
    """Change a plan. Jobs already made stay; the next ones follow the new schedule. Commits.

    :raises DomainError: naming the field, for any value that breaks the rules.
    """
    checked = _check_plan(plan.site, values, _site_today(plan.site, now or utcnow()))
    for key, value in checked.items():
        setattr(plan, key, value)
    db.session.flush()
    db.session.expire(plan, ["point"])  # point_id may have changed
    audit.record(actor, "maintenance_plan.update", plan, site=plan.site,
                 label=f"{plan.point.code} {plan.name_zh}", changes=_changes(plan))
    db.session.commit()
    return plan


def set_plan_active(plan: MaintenancePlan, active: bool, *, actor) -> MaintenancePlan:
    """Retire a plan (no more jobs; those made stay in the queue) or use it again. Commits."""
    plan.active = bool(active)
    audit.record(actor, "maintenance_plan.restore" if active else "maintenance_plan.retire",
                 plan, site=plan.site, label=f"{plan.point.code} {plan.name_zh}")
    db.session.commit()
    return plan


# --------------------------------------------------------------------------- generation


def _latest_due_on(plan: MaintenancePlan) -> date | None:
    """The due date of the plan's latest job, None before its first."""
    return db.session.scalar(select(func.max(Job.plan_due_on)).where(Job.plan_id == plan.id))


def _make_job(plan: MaintenancePlan, due: date, now: datetime) -> bool:
    """Make the planned job of one due date; False when it exists already (lost a race)."""
    try:
        # A second tick that got here at the same time waits for the first one's counter
        # row, then fails on (plan_id, plan_due_on); only this savepoint is rolled back.
        with db.session.begin_nested():
            create_job(
                site=plan.site, description=job_description(plan, due),
                source=JobSource.MAINTENANCE, point=plan.point, priority=Priority.PLANNED,
                discipline=plan.discipline, plan=plan, plan_due_on=due, now=now,
                respond_by=end_of_day(plan.site, due),
            )
    except IntegrityError:
        return False
    return True


def end_of_day(site, day: date) -> datetime:
    """A planned job is done on its due date: late from the site's midnight after it."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(site.timezone))


def generate_for_plan(plan: MaintenancePlan, now: datetime) -> int:
    """Make the plan's jobs due from one interval ago to `lead_days` ahead (flush only).

    Only dates after the plan's latest job count: one made by another tick is not made
    again, and after the schedule was changed (say, the start moved back) no job appears
    for a date before the last one made. One interval back, not more, so a tick that was
    down for a few days catches up without flooding the queue with old dates.
    """
    today = _site_today(plan.site, now)
    latest = _latest_due_on(plan)
    made = 0
    for due in due_dates(plan, today + timedelta(days=plan.lead_days),
                         since=period_before(plan, today)):
        if latest is not None and due <= latest:
            continue
        if _make_job(plan, due, now):
            made += 1
    return made


def generate(now: datetime | None = None) -> int:
    """Make the planned jobs of every active plan; commit per plan; return how many."""
    now = now or utcnow()
    plan_ids = db.session.scalars(
        select(MaintenancePlan.id)
        .join(Point, Point.id == MaintenancePlan.point_id)
        .where(MaintenancePlan.active.is_(True), Point.retired_at.is_(None))
        .order_by(MaintenancePlan.id)
    ).all()
    made = 0
    for plan_id in plan_ids:
        made += generate_for_plan(db.session.get(MaintenancePlan, plan_id), now)
        db.session.commit()
    return made


# --------------------------------------------------------------------------- certificates


def warn_certificates(now: datetime | None = None) -> int:
    """Tell each site's engineering supervisors and managers of certificates that expire
    within the warning window or have expired; once per certificate and expiry date.
    Renewed certificates (a later one of the same name) stay quiet. Commits; returns how
    many notifications are new."""
    now = now or utcnow()
    made = 0
    for site in db.session.scalars(select(Site).order_by(Site.id)).all():
        today = _site_today(site, now)
        soon = (
            select(Asset.point_id)
            .join(Certificate, Certificate.asset_id == Asset.id)
            .where(Certificate.expires_on <= today + CERTIFICATE_WARNING)
        )
        points = db.session.scalars(
            select(Point)
            .where(Point.site_id == site.id, Point.retired_at.is_(None), Point.id.in_(soon))
            .order_by(Point.code)
        ).all()
        if not points:
            continue
        people = notifications.users_with_roles(site, CERTIFICATE_READERS)
        for point in points:
            for certificate, status in certificate_statuses(point, today):
                if status not in ("expiring", "expired"):
                    continue
                made += notifications.notify(
                    people,
                    kind=CERTIFICATE_KIND,
                    key=f"cert-expiring:{certificate.id}:{certificate.expires_on.isoformat()}",
                    site=site,
                    params={
                        "code": point.code, "point_zh": point.name_zh,
                        "point_en": point.name_en, "certificate": certificate.name,
                        "expires_on": certificate.expires_on.isoformat(),
                        "expired": status == "expired",
                    },
                    url=path_for("places.point_detail", point_id=point.id),
                )
    db.session.commit()
    return made


def render_certificate(params: dict) -> str:
    """The text of a certificate warning, in the reader's language."""
    point = f"{params['code']} {localized(params.get('point_zh'), params.get('point_en'))}"
    values = {"point": point.strip(), "certificate": params["certificate"],
              "date": params["expires_on"]}
    if params.get("expired"):
        return _("%(point)s: certificate “%(certificate)s” expired on %(date)s.", **values)
    return _("%(point)s: certificate “%(certificate)s” expires on %(date)s.", **values)


notifications.register_kind(CERTIFICATE_KIND, render_certificate)


# --------------------------------------------------------------------------- equipment card


@dataclass
class CertificateWarning:
    certificate: Certificate
    #: Days until expiry: 0 expires today, negative expired that many days ago.
    days_left: int


@dataclass
class EquipmentCard:
    """What a point's page shows of its repairs and maintenance."""

    open_jobs: list[Job] = field(default_factory=list)
    history: list[Job] = field(default_factory=list)
    history_total: int = 0
    #: (plan, next due date) of the point's active plans.
    plans: list[tuple[MaintenancePlan, date | None]] = field(default_factory=list)
    warnings: list[CertificateWarning] = field(default_factory=list)


def equipment_card(point: Point, today: date) -> EquipmentCard:
    """Collect an equipment point's open jobs, repair history, plans and certificate alarms."""
    card = EquipmentCard()
    card.open_jobs = list(
        db.session.scalars(
            select(Job)
            .where(Job.point_id == point.id, Job.status.in_([s.value for s in OPEN_STATES]))
            .order_by(Job.created_at.desc(), Job.id.desc())
        )
    )
    closed = (Job.point_id == point.id, Job.status == JobStatus.CLOSED.value)
    card.history_total = db.session.scalar(select(func.count()).select_from(Job).where(*closed))
    card.history = list(
        db.session.scalars(
            select(Job).where(*closed)
            .order_by(Job.closed_at.desc(), Job.id.desc()).limit(HISTORY_LIMIT)
        )
    )
    plans = db.session.scalars(
        select(MaintenancePlan)
        .where(MaintenancePlan.point_id == point.id, MaintenancePlan.active.is_(True))
        .order_by(MaintenancePlan.id)
    ).all()
    card.plans = sorted(((plan, next_due_on(plan, today)) for plan in plans),
                        key=lambda row: (row[1] or date.max, row[0].id))
    card.warnings = [
        CertificateWarning(certificate, (certificate.expires_on - today).days)
        for certificate, status in certificate_statuses(point, today)
        if status in ("expiring", "expired")
    ]
    return card
