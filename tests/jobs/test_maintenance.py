"""Preventive maintenance and the materials catalogue: due dates, planned jobs made once
however often (and however concurrently) tick runs, validation, certificate warnings."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs import catalogue
from pmfield.jobs import maintenance
from pmfield.jobs import tick
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import MaintenancePlan
from pmfield.jobs.models import Material
from pmfield.jobs.models import Priority
from pmfield.notifications import services as notifications
from pmfield.notifications.models import Notification
from pmfield.places import services as places
from pmfield.places.models import Asset
from pmfield.timeutil import utcnow
from tests import factories
from tests.concurrency import run_together
from tests.conftest import TEST_DATABASE_URL
from tests.jobs.factories import new_job

pytestmark = pytest.mark.usefixtures("in_request")


def local(site, *args) -> datetime:
    """A moment given in the site's local time, as UTC."""
    return datetime(*args, tzinfo=ZoneInfo(site.timezone)).astimezone(UTC)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def plan_jobs(plan) -> list[Job]:
    return list(db.session.scalars(
        select(Job).where(Job.plan_id == plan.id).order_by(Job.plan_due_on)))


def schedule(every, unit, starts_on) -> MaintenancePlan:
    """A plan that is never saved: for the date arithmetic."""
    return MaintenancePlan(every=every, unit=unit, starts_on=starts_on, active=True)


def make_plan(point, *, now=None, **kw) -> MaintenancePlan:
    values = {"name_zh": "电梯半月保养", "name_en": "Elevator maintenance",
              "discipline": "elevator", "every": 15, "unit": "days",
              "starts_on": date(2026, 3, 1), "lead_days": 3}
    values.update(kw)
    return maintenance.create_plan(point.site, actor=None, point=point,
                                   now=now or local(point.site, 2026, 3, 1, 9, 0), **values)


@pytest.fixture
def supervisor(site):
    return factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site])


# --------------------------------------------------------------------------- due dates


def test_due_dates_in_days_step_from_the_start():
    plan = schedule(15, "days", date(2026, 1, 1))
    assert maintenance.due_dates(plan, date(2026, 2, 15)) == [
        date(2026, 1, 1), date(2026, 1, 16), date(2026, 1, 31), date(2026, 2, 15)]
    assert maintenance.due_dates(plan, date(2026, 2, 14), since=date(2026, 1, 17)) == [
        date(2026, 1, 31)]
    assert maintenance.due_dates(plan, date(2025, 12, 31)) == []
    assert maintenance.due_dates(plan, date(2026, 1, 20), since=date(2025, 6, 1)) == [
        date(2026, 1, 1), date(2026, 1, 16)]


def test_monthly_on_the_31st_keeps_to_the_months_end_without_drifting():
    plan = schedule(1, "months", date(2026, 1, 31))
    assert maintenance.due_dates(plan, date(2026, 6, 30)) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
        date(2026, 5, 31), date(2026, 6, 30)]
    leap = schedule(1, "months", date(2028, 1, 31))
    assert maintenance.nth_due_date(leap, 1) == date(2028, 2, 29)
    assert maintenance.nth_due_date(leap, 2) == date(2028, 3, 31)


def test_months_across_years_and_windows_starting_mid_month():
    plan = schedule(6, "months", date(2026, 8, 31))
    assert maintenance.due_dates(plan, date(2028, 3, 1)) == [
        date(2026, 8, 31), date(2027, 2, 28), date(2027, 8, 31), date(2028, 2, 29)]
    monthly = schedule(1, "months", date(2026, 1, 31))
    assert maintenance.due_dates(monthly, date(2026, 3, 31), since=date(2026, 2, 28)) == [
        date(2026, 2, 28), date(2026, 3, 31)]
    assert maintenance.due_dates(monthly, date(2026, 3, 31), since=date(2026, 3, 1)) == [
        date(2026, 3, 31)]


def test_add_months_backwards_and_one_period_before():
    assert maintenance.add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert maintenance.add_months(date(2026, 1, 15), -13) == date(2024, 12, 15)
    assert maintenance.period_before(schedule(15, "days", date(2026, 1, 1)),
                                     date(2026, 3, 10)) == date(2026, 2, 23)
    assert maintenance.period_before(schedule(2, "months", date(2026, 1, 1)),
                                     date(2026, 4, 30)) == date(2026, 2, 28)


def test_next_due_date():
    plan = schedule(15, "days", date(2026, 1, 1))
    assert maintenance.next_due_on(plan, date(2025, 11, 1)) == date(2026, 1, 1)
    assert maintenance.next_due_on(plan, date(2026, 1, 16)) == date(2026, 1, 16)
    assert maintenance.next_due_on(plan, date(2026, 1, 17)) == date(2026, 1, 31)
    plan.active = False
    assert maintenance.next_due_on(plan, date(2026, 1, 17)) is None


def test_interval_texts():
    assert maintenance.interval_texts(schedule(15, "days", date(2026, 1, 1))) == (
        "每15天", "every 15 days")
    assert maintenance.interval_texts(schedule(1, "months", date(2026, 1, 1))) == (
        "每月", "every month")
    assert maintenance.interval_label(schedule(6, "months", date(2026, 1, 1))) == (
        "every 6 months")


# --------------------------------------------------------------------------- generation


def test_generate_makes_the_planned_job_once(site, point):
    plan = make_plan(point)
    now = local(site, 2026, 3, 10, 9, 0)  # window 02-23 .. 03-13: due 03-01
    assert maintenance.generate(now) == 1
    [job] = plan_jobs(plan)
    assert (job.source, job.priority, job.discipline) == (
        JobSource.MAINTENANCE, Priority.PLANNED, "elevator")
    assert (job.point_id, job.site_id, job.plan_due_on, job.status) == (
        point.id, site.id, date(2026, 3, 1), JobStatus.NEW)
    assert job.description == (
        "电梯半月保养 / Elevator maintenance (每15天 / every 15 days), 到期 / due 2026-03-01")
    for _again in range(3):
        assert maintenance.generate(now) == 0
    # 03-13: the next due date, 03-16, is within the 3 days' lead.
    assert maintenance.generate(local(site, 2026, 3, 13, 0, 5)) == 1
    assert maintenance.generate(local(site, 2026, 3, 13, 23, 55)) == 0
    assert [j.plan_due_on for j in plan_jobs(plan)] == [date(2026, 3, 1), date(2026, 3, 16)]
    assert [j.number for j in plan_jobs(plan)] == ["JOB-2026-000001", "JOB-2026-000002"]


def test_the_lead_counts_in_the_sites_days(site, point):
    plan = make_plan(point, starts_on=date(2026, 3, 16))
    # 16:05 UTC on the 12th is already the 13th in Shanghai: 03-16 is 3 days ahead.
    assert maintenance.generate(datetime(2026, 3, 12, 15, 55, tzinfo=UTC)) == 0
    assert maintenance.generate(datetime(2026, 3, 12, 16, 5, tzinfo=UTC)) == 1
    assert plan_jobs(plan)[0].plan_due_on == date(2026, 3, 16)


def test_an_old_plan_catches_up_one_period_not_its_whole_past(site, point):
    plan = make_plan(point, every=1, unit="months", starts_on=date(2025, 1, 31), lead_days=0,
                     now=local(site, 2026, 3, 10, 9, 0))
    assert maintenance.generate(local(site, 2026, 3, 10, 9, 0)) == 1
    assert [j.plan_due_on for j in plan_jobs(plan)] == [date(2026, 2, 28)]


def test_a_plan_starting_later_waits_for_its_lead(site, point):
    plan = make_plan(point, starts_on=date(2026, 4, 1), lead_days=5)
    assert maintenance.generate(local(site, 2026, 3, 26, 23, 0)) == 0
    assert maintenance.generate(local(site, 2026, 3, 27, 0, 1)) == 1
    assert plan_jobs(plan)[0].plan_due_on == date(2026, 4, 1)


def test_retired_plans_and_retired_points_make_no_jobs(site, point):
    other = factories.make_point(site, kind="pump", code="PUMP-1")
    retired_plan = make_plan(point)
    maintenance.set_plan_active(retired_plan, False, actor=None)
    on_retired_point = make_plan(other)
    other.retired_at = utcnow()
    db.session.commit()
    assert maintenance.generate(local(site, 2026, 3, 10, 9, 0)) == 0
    assert count(Job) == 0
    maintenance.set_plan_active(retired_plan, True, actor=None)
    assert maintenance.generate(local(site, 2026, 3, 10, 9, 0)) == 1
    assert plan_jobs(on_retired_point) == []


def test_after_a_schedule_change_no_job_for_a_date_before_the_last_one(site, point):
    plan = make_plan(point)
    assert maintenance.generate(local(site, 2026, 3, 13, 9, 0)) == 2  # 03-01 and 03-16
    maintenance.update_plan(plan, actor=None, point=point, name_zh=plan.name_zh,
                            name_en=plan.name_en, discipline="elevator", every=7,
                            unit="days", starts_on=date(2026, 3, 2), lead_days=3,
                            now=local(site, 2026, 3, 13, 9, 0))
    # 03-09 and 03-16 are due by the new schedule; both are not after 03-16.
    assert maintenance.generate(local(site, 2026, 3, 13, 9, 30)) == 0
    assert maintenance.generate(local(site, 2026, 3, 20, 9, 0)) == 1
    assert [j.plan_due_on for j in plan_jobs(plan)] == [
        date(2026, 3, 1), date(2026, 3, 16), date(2026, 3, 23)]


def test_tick_reports_the_jobs_made(site, point):
    make_plan(point)
    report = tick.tick(local(site, 2026, 3, 10, 9, 0))
    assert report.maintenance_jobs == 1
    assert "maintenance jobs created: 1" in report.summary()
    assert tick.tick(local(site, 2026, 3, 10, 9, 1)).maintenance_jobs == 0


def test_a_job_another_tick_made_meanwhile_is_skipped_and_the_rest_goes_on(
    site, point, monkeypatch
):
    """The second of two simultaneous ticks: it looked before the first one committed, so
    only the unique (plan, due date) stops it. Its transaction must survive that."""
    first = make_plan(point)
    pump = factories.make_point(site, kind="pump", code="PUMP-1")
    second = make_plan(pump, name_zh="水泵保养", name_en="Pump service", discipline="plumbing")
    now = local(site, 2026, 3, 10, 9, 0)
    assert maintenance.generate_for_plan(first, now) == 1
    db.session.commit()
    monkeypatch.setattr(maintenance, "_latest_due_on", lambda plan: None)
    assert maintenance.generate(now) == 1  # the pump's; the elevator's exists
    assert [j.plan_due_on for j in plan_jobs(first)] == [date(2026, 3, 1)]
    [pump_job] = plan_jobs(second)
    # The failed attempt took no number: the counter's bump went with its savepoint.
    assert pump_job.number == "JOB-2026-000002"
    assert count(Job) == 2


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (row locks, two sessions)")
class TestTwoTicksAtOnce:
    """Two processes running tick at the same moment, each in its own transaction."""

    def run_together(self, app, jobs):
        return run_together(app, jobs, in_request=True)

    @pytest.mark.parametrize("blind", [False, True])
    def test_each_due_date_gets_one_job(self, app, site, point, monkeypatch, blind):
        for n in range(4):
            make_plan(factories.make_point(site, kind="pump", code=f"PUMP-{n}"))
        make_plan(point)
        now = local(site, 2026, 3, 13, 9, 0)  # two due dates per plan: 03-01, 03-16
        if blind:  # both ticks look before either inserts: the unique key decides
            monkeypatch.setattr(maintenance, "_latest_due_on", lambda plan: None)
        attempts, make_job = [], maintenance._make_job

        def counted(*args):
            made = make_job(*args)
            attempts.append(made)
            return made

        monkeypatch.setattr(maintenance, "_make_job", counted)
        db.session.remove()
        made = self.run_together(app, [lambda: maintenance.generate(now)] * 2)
        assert sum(made) == 10
        if blind:  # each tick tried every date; the loser's ten inserts failed and were undone
            assert sorted(attempts) == [False] * 10 + [True] * 10
        numbers = list(db.session.scalars(select(Job.number).order_by(Job.number)))
        assert numbers == [f"JOB-2026-{n:06d}" for n in range(1, 11)]
        pairs = db.session.execute(select(Job.plan_id, Job.plan_due_on)).all()
        assert len(set(pairs)) == 10


# --------------------------------------------------------------------------- validation


def refused(point, **kw) -> DomainError:
    with pytest.raises(DomainError) as caught:
        make_plan(point, **kw)
    return caught.value


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name_zh": "", "name_en": ""}, "name_zh", "Enter a name in Chinese or English."),
        ({"name_en": "x" * 121}, "name_en", "Use at most 120 characters."),
        ({"discipline": "magic"}, "discipline", "Choose a discipline."),
        ({"unit": "weeks"}, "unit", "Choose days or months."),
        ({"every": 0}, "every", "Enter a number from 1 to 366."),
        ({"every": 367}, "every", "Enter a number from 1 to 366."),
        ({"every": 121, "unit": "months"}, "every", "Enter a number from 1 to 120."),
        ({"every": None}, "every", "Enter a number from 1 to 366."),
        ({"lead_days": 61}, "lead_days", "Enter a number from 0 to 60."),
        ({"lead_days": -1}, "lead_days", "Enter a number from 0 to 60."),
        ({"starts_on": None}, "starts_on", "Enter a date as YYYY-MM-DD."),
        ({"starts_on": date(2036, 3, 1)}, "starts_on", "Enter a date within five years of today."),
    ],
)
def test_plan_values_are_checked(point, values, field, message):
    error = refused(point, **values)
    assert (error.field, error.message) == (field, message)
    assert count(MaintenancePlan) == 0


def test_a_plan_is_for_equipment_in_use_on_the_same_site(site, other_site, point):
    checkpoint = factories.make_point(site, kind="checkpoint")
    elsewhere = factories.make_point(other_site, kind="elevator")
    retired = factories.make_point(site, kind="pump", retired_at=utcnow())
    for bad in (checkpoint, retired):
        assert refused(bad).field == "point"
    with pytest.raises(DomainError) as caught:
        maintenance.create_plan(site, actor=None, point=elsewhere, name_zh="保养", name_en="",
                                discipline="elevator", every=1, unit="months",
                                starts_on=date(2026, 3, 1), lead_days=3,
                                now=local(site, 2026, 3, 1, 9, 0))
    assert (caught.value.field, caught.value.message) == (
        "point", "Choose a piece of equipment of this site.")
    with pytest.raises(DomainError):
        maintenance.create_plan(site, actor=None, point=None, name_zh="保养", name_en="",
                                discipline="elevator", every=1, unit="months",
                                starts_on=date(2026, 3, 1), lead_days=3)
    assert count(MaintenancePlan) == 0


def test_one_name_is_enough_and_changes_are_audited(site, point, supervisor):
    from pmfield.audit.models import AuditEntry

    plan = make_plan(point, name_zh="", name_en="Elevator service", every=200)
    assert (plan.name_zh, plan.name_en, plan.every, plan.active) == (
        "Elevator service", "Elevator service", 200, True)
    pump = factories.make_point(site, kind="pump")
    maintenance.update_plan(plan, actor=supervisor, point=pump, name_zh="水泵保养",
                            name_en="Pump service", discipline="plumbing", every=2,
                            unit="months", starts_on=date(2026, 4, 30), lead_days=0,
                            now=local(site, 2026, 3, 1, 9, 0))
    assert (plan.point.code, plan.unit, plan.lead_days) == (pump.code, "months", 0)
    maintenance.set_plan_active(plan, False, actor=supervisor)
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["maintenance_plan.create", "maintenance_plan.update",
                       "maintenance_plan.retire"]


def test_a_refused_update_changes_nothing(point):
    plan = make_plan(point)
    with pytest.raises(DomainError):
        maintenance.update_plan(plan, actor=None, point=point, name_zh="新名", name_en="",
                                discipline="elevator", every=0, unit="days",
                                starts_on=date(2026, 3, 1), lead_days=3)
    db.session.rollback()
    db.session.expire_all()
    assert (plan.name_zh, plan.every) == ("电梯半月保养", 15)


# --------------------------------------------------------------------------- certificates


def certificate(point, name, expires_on, issued_on=None):
    if point.asset is None:
        point.asset = Asset()
        db.session.commit()
    return places.add_certificate(point, name=name, number=None, issued_on=issued_on,
                                  expires_on=expires_on, actor=None)


def warnings_for(user) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id,
                                   Notification.kind == maintenance.CERTIFICATE_KIND)
        .order_by(Notification.id)))


def test_certificates_warn_once_per_certificate_and_expiry(site, other_site, point, supervisor):
    manager = factories.make_user(Role.MANAGER, sites=[site])
    desk = factories.make_user(Role.DESK, sites=[site])
    elsewhere = factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[other_site])
    today = date(2026, 3, 10)
    now = local(site, 2026, 3, 10, 9, 0)
    soon = certificate(point, "Annual inspection", today + timedelta(days=10))
    certificate(point, "Load test", today + timedelta(days=31))  # outside the 30 days
    certificate(point, "Old permit", today - timedelta(days=400))
    certificate(point, "Old permit", today + timedelta(days=300))  # its renewal
    expired = certificate(point, "Fire safety", today - timedelta(days=2))
    assert maintenance.warn_certificates(now) == 4
    assert maintenance.warn_certificates(now) == 0
    for user in (supervisor, manager):
        found = warnings_for(user)
        assert sorted(n.key for n in found) == sorted([
            f"cert-expiring:{soon.id}:2026-03-20", f"cert-expiring:{expired.id}:2026-03-08"])
        assert {n.url for n in found} == {f"/points/{point.id}"}
    assert warnings_for(desk) == [] and warnings_for(elsewhere) == []
    texts = sorted(notifications.render_text(n) for n in warnings_for(supervisor))
    assert texts == [
        "A-EL-1 Lift A: certificate “Annual inspection” expires on 2026-03-20.",
        "A-EL-1 Lift A: certificate “Fire safety” expired on 2026-03-08.",
    ]
    # 12 days on, "soon" has expired (they were told) and the load test is within 30 days.
    assert maintenance.warn_certificates(now + timedelta(days=12)) == 2
    # The expiry date was corrected: that is news again.
    soon.expires_on = today + timedelta(days=5)
    db.session.commit()
    assert maintenance.warn_certificates(now) == 2


def test_retired_points_raise_no_certificate_alarm(site, point, supervisor):
    certificate(point, "Annual inspection", date(2026, 3, 1))
    point.retired_at = utcnow()
    db.session.commit()
    assert maintenance.warn_certificates(local(site, 2026, 3, 10, 9, 0)) == 0


def test_tick_warns_of_certificates(site, point, supervisor):
    certificate(point, "Annual inspection", date(2026, 3, 20))
    tick.tick(local(site, 2026, 3, 10, 9, 0))
    assert len(warnings_for(supervisor)) == 1


# --------------------------------------------------------------------------- equipment card


def test_equipment_card_collects_jobs_history_plans_and_alarms(site, point):
    today = date(2026, 3, 10)
    open_job = new_job(site, point=point, now=local(site, 2026, 3, 9, 9, 0))
    closed = []
    for day in range(1, 13):
        job = new_job(site, point=point, now=local(site, 2026, 2, day, 9, 0))
        job.status = JobStatus.CLOSED.value
        job.closed_at = local(site, 2026, 2, day, 15, 0)
        closed.append(job)
    cancelled = new_job(site, point=point)
    cancelled.status = JobStatus.CANCELLED.value
    new_job(site, point=factories.make_point(site, kind="pump"))
    db.session.commit()
    plan = make_plan(point)
    retired = make_plan(point, name_en="Old plan")
    maintenance.set_plan_active(retired, False, actor=None)
    certificate(point, "Annual inspection", today + timedelta(days=3))
    certificate(point, "Registration", today + timedelta(days=300))
    card = maintenance.equipment_card(point, today)
    assert card.open_jobs == [open_job]
    assert card.history_total == 12
    assert card.history == list(reversed(closed))[:10]
    assert card.plans == [(plan, date(2026, 3, 16))]
    assert [(w.certificate.name, w.days_left) for w in card.warnings] == [
        ("Annual inspection", 3)]


# --------------------------------------------------------------------------- catalogue


def material(site, **kw):
    values = {"code": "cb-16a", "name_zh": "空气开关 16A", "name_en": "Circuit breaker 16 A",
              "unit_zh": "个", "unit_en": "pc"}
    values.update(kw)
    return catalogue.create_material(site, actor=None, **values)


def test_catalogue_codes_are_unique_per_site(site, other_site):
    breaker = material(site)
    assert (breaker.code, breaker.active) == ("CB-16A", True)
    with pytest.raises(DomainError) as caught:
        material(site, code=" Cb-16A ")
    assert (caught.value.field, caught.value.message) == (
        "code", "This site already has an item with this code.")
    assert material(other_site).code == "CB-16A"
    tap = material(site, code="TAP-15", name_zh="水龙头", name_en="Tap")
    with pytest.raises(DomainError):
        catalogue.update_material(tap, actor=None, code="CB-16A", name_zh="水龙头",
                                  name_en="Tap", unit_zh="个", unit_en="pc")
    db.session.rollback()
    catalogue.update_material(tap, actor=None, code="tap-15", name_zh="水龙头 DN15",
                              name_en="", unit_zh="", unit_en="pc")
    assert (tap.code, tap.name_en, tap.unit_zh) == ("TAP-15", "水龙头 DN15", "pc")
    assert count(Material, Material.site_id == site.id) == 2


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"code": ""}, "code", "Enter a code."),
        ({"code": "CB 16A"}, "code", "Use letters, digits, dots and dashes, e.g. CB-16A."),
        ({"code": "-CB"}, "code", "Use letters, digits, dots and dashes, e.g. CB-16A."),
        ({"code": "X" * 33}, "code", "Use at most 32 characters."),
        ({"name_zh": "", "name_en": ""}, "name_zh", "Enter a name in Chinese or English."),
        ({"unit_zh": "", "unit_en": ""}, "unit_zh",
         "Enter the unit in Chinese or English, e.g. 个 or pc."),
        ({"unit_en": "x" * 17}, "unit_en", "Use at most 16 characters."),
    ],
)
def test_catalogue_values_are_checked(site, values, field, message):
    with pytest.raises(DomainError) as caught:
        material(site, **values)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert count(Material) == 0


def test_a_code_saved_meanwhile_by_another_request_is_the_same_message(site, monkeypatch):
    material(site)
    monkeypatch.setattr(catalogue, "_code_taken", lambda *args: False)
    with pytest.raises(DomainError) as caught:
        material(site)
    assert caught.value.field == "code"
    assert count(Material) == 1  # and the session still works


def test_items_out_of_use_leave_the_list(site):
    breaker = material(site)
    tap = material(site, code="TAP-15", name_zh="水龙头", name_en="Tap")
    assert catalogue.list_materials(site) == [breaker, tap]
    catalogue.set_material_active(breaker, False, actor=None)
    assert catalogue.list_materials(site) == [tap]
    assert catalogue.list_materials(site, include_inactive=True) == [breaker, tap]
    catalogue.set_material_active(breaker, True, actor=None)
    assert catalogue.list_materials(site) == [breaker, tap]


def test_get_material_for_user_is_site_scoped(site, other_site):
    breaker = material(site)
    here = factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site])
    there = factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[other_site])
    admin = factories.make_user(Role.ADMIN)
    assert catalogue.get_material_for_user(here, breaker.id) is breaker
    assert catalogue.get_material_for_user(admin, breaker.id) is breaker
    assert catalogue.get_material_for_user(there, breaker.id) is None
    assert catalogue.get_material_for_user(here, 2**40) is None


# --------------------------------------------------------------------------- demo


def test_demo_has_a_catalogue_and_plans_that_make_jobs(app):
    from pmfield.demo import seed_demo
    from pmfield.places.models import Site

    assert seed_demo()
    site = db.session.scalars(select(Site).where(Site.code == "DEMO")).one()
    assert len(catalogue.list_materials(site)) >= 10
    plans = maintenance.list_plans(site)
    assert {p.point.code for p in plans} == {"A-EL-1", "D8-EL-1", "A-3F-EXT", "WT-1", "PUMP-1"}
    made = maintenance.generate()
    assert made >= 2
    assert maintenance.generate() == 0
    assert maintenance.warn_certificates() >= 1



def test_a_planned_job_is_late_only_after_its_due_date(site, point):
    """Its response target is the midnight after the due date, site time, not a week on."""
    plan = make_plan(point)
    maintenance.generate(local(site, 2026, 3, 13, 0, 5))
    jobs = plan_jobs(plan)
    assert [j.respond_by for j in jobs] == [
        local(site, 2026, 3, 2, 0, 0), local(site, 2026, 3, 17, 0, 0)]
    assert jobs[0].is_overdue(local(site, 2026, 3, 13, 0, 5))
    assert not jobs[1].is_overdue(local(site, 2026, 3, 16, 23, 59))
