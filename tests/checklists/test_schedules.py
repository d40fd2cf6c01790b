"""Cleaning plans to tasks: several times a day, per term, monthly, the site's timezone across
midnight, blackout windows, and making tasks twice (or at once) changing nothing."""

from datetime import date
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.checklists import planning
from pmfield.checklists import schedules
from pmfield.checklists.models import CleaningTask
from pmfield.checklists.models import Term
from pmfield.extensions import db
from tests.checklists.factories import make_plan
from tests.patrol.factories import local

SHANGHAI = ZoneInfo("Asia/Shanghai")


def tasks(plan=None):
    query = select(CleaningTask).order_by(CleaningTask.due_at)
    if plan is not None:
        query = query.where(CleaningTask.plan_id == plan.id)
    return list(db.session.scalars(query))


def make(site, now):
    schedules.ensure_tasks(site, now)
    db.session.commit()


def test_several_times_a_day_each_open_from_its_lead_time(site):
    plan = make_plan(site, times="09:00, 13:00, 17:00", lead_minutes=30)
    day = date(2026, 11, 18)  # a Wednesday
    slots = schedules.slots_for_day(plan, day, SHANGHAI, [])
    assert [(s.opens_at, s.due_at) for s in slots] == [
        (local(site, 2026, 11, 18, 8, 30), local(site, 2026, 11, 18, 9, 0)),
        (local(site, 2026, 11, 18, 12, 30), local(site, 2026, 11, 18, 13, 0)),
        (local(site, 2026, 11, 18, 16, 30), local(site, 2026, 11, 18, 17, 0)),
    ]


def test_only_on_the_chosen_weekdays(site):
    plan = make_plan(site, times="10:00", weekdays="6")  # Saturdays: weekly
    days = [date(2026, 11, 16) + timedelta(days=i) for i in range(14)]
    due = [d for d in days if schedules.slots_for_day(plan, d, SHANGHAI, [])]
    assert due == [date(2026, 11, 21), date(2026, 11, 28)]


def test_tasks_are_made_for_the_sites_yesterday_today_and_tomorrow(site):
    plan = make_plan(site, times="07:30")
    # 17:00 UTC on the 20th is 01:00 on the 21st in Shanghai: "today" is the 21st there.
    make(site, local(site, 2026, 11, 21, 1, 0))
    assert [t.due_at for t in tasks(plan)] == [
        local(site, 2026, 11, day, 7, 30) for day in (20, 21, 22)
    ]


def test_a_task_due_just_after_midnight_belongs_to_its_local_day(site):
    plan = make_plan(site, times="00:30", lead_minutes=60)
    (slot,) = schedules.slots_for_day(plan, date(2026, 11, 21), SHANGHAI, [])
    assert slot.due_at == local(site, 2026, 11, 21, 0, 30)
    assert slot.due_at.isoformat() == "2026-11-20T16:30:00+00:00"
    assert slot.opens_at == local(site, 2026, 11, 20, 23, 30)


def test_making_tasks_twice_changes_nothing(site):
    plan = make_plan(site, times="07:30, 12:00")
    now = local(site, 2026, 11, 21, 9, 0)
    make(site, now)
    first = [(t.id, t.due_at) for t in tasks(plan)]
    assert schedules.ensure_tasks(site, now) == 0
    db.session.commit()
    assert [(t.id, t.due_at) for t in tasks(plan)] == first
    assert len(first) == 6


def test_a_new_plan_has_no_overdue_task_of_this_morning(site):
    now = local(site, 2026, 11, 21, 9, 0)
    plan = make_plan(site, times="07:30", now=now)
    make(site, now)
    assert [t.due_at for t in tasks(plan)] == [local(site, 2026, 11, 22, 7, 30)]


@pytest.fixture
def term(site):
    term = planning.add_term(site, name_zh="2026秋季学期", name_en="Autumn 2026",
                             starts_on=date(2026, 9, 1), ends_on=date(2027, 1, 15), actor=None)
    return term


def test_term_slices_cover_the_term_without_gaps(term):
    slices = schedules.term_slices(term, 2)
    assert slices == [(date(2026, 9, 1), date(2026, 11, 7)), (date(2026, 11, 8), date(2027, 1, 15))]
    three = schedules.term_slices(term, 3)
    assert three[0][0] == term.starts_on and three[-1][1] == term.ends_on
    assert all(b[0] - a[1] == timedelta(days=1) for a, b in zip(three, three[1:], strict=False))


def test_a_short_term_gets_at_most_one_task_a_day(site):
    short = Term(site_id=site.id, name_zh="短", name_en="Short", starts_on=date(2026, 1, 1),
                 ends_on=date(2026, 1, 3))
    assert len(schedules.term_slices(short, 10)) == 3


def test_twice_per_term_is_one_task_per_half_due_on_its_last_day(site, term):
    plan = make_plan(site, frequency="per_term", per_term=2, times="16:00")
    make(site, local(site, 2026, 10, 1, 9, 0))
    (task,) = tasks(plan)
    assert task.opens_at == local(site, 2026, 9, 1, 0, 0)
    assert task.due_at == local(site, 2026, 11, 7, 16, 0)
    make(site, local(site, 2026, 11, 8, 9, 0))
    assert [t.due_at for t in tasks(plan)] == [
        local(site, 2026, 11, 7, 16, 0), local(site, 2027, 1, 15, 16, 0)
    ]


def test_outside_any_term_a_per_term_plan_makes_nothing(site, term):
    plan = make_plan(site, frequency="per_term", per_term=2, times="16:00")
    make(site, local(site, 2027, 2, 10, 9, 0))
    assert tasks(plan) == []


def test_monthly_is_open_from_the_first_and_due_on_its_day(site):
    plan = make_plan(site, frequency="monthly", month_day=15, times="10:00")
    make(site, local(site, 2026, 11, 3, 9, 0))
    (task,) = tasks(plan)
    assert (task.opens_at, task.due_at) == (
        local(site, 2026, 11, 1, 0, 0), local(site, 2026, 11, 15, 10, 0)
    )
    make(site, local(site, 2026, 12, 1, 9, 0))
    assert len(tasks(plan)) == 2


def test_blackout_windows_follow_the_local_clock_and_weekdays(site):
    planning.add_blackout(site, name_zh="第一节课", name_en="Period 1", weekdays="12345",
                          starts=time(8, 0), ends=time(8, 45), actor=None)
    wednesday = (2026, 11, 18)
    assert schedules.blackout_at(site, local(site, *wednesday, 7, 59)) is None
    assert schedules.blackout_at(site, local(site, *wednesday, 8, 0)).name_en == "Period 1"
    assert schedules.blackout_at(site, local(site, *wednesday, 8, 44)) is not None
    assert schedules.blackout_at(site, local(site, *wednesday, 8, 45)) is None
    assert schedules.blackout_at(site, local(site, 2026, 11, 21, 8, 10)) is None  # Saturday


def test_changing_a_plan_remakes_its_tasks_not_yet_open(site):
    plan = make_plan(site, times="07:30")
    now = local(site, 2026, 11, 21, 9, 0)
    make(site, now)
    planning.update_plan(plan, actor=None, now=now, point=plan.point, template=plan.template,
                         frequency="times", times="08:00", weekdays="1234567", lead_minutes=60,
                         per_term=None, month_day=None, assignee=None, team=None)
    make(site, now)
    due = [t.due_at for t in tasks(plan)]
    assert local(site, 2026, 11, 22, 8, 0) in due
    assert local(site, 2026, 11, 22, 7, 30) not in due
    assert local(site, 2026, 11, 21, 7, 30) in due  # already open this morning: kept


def test_two_processes_making_tasks_at_once_make_each_once(app, site):
    """Both see no tasks and insert; the unique (plan, due) keeps one of each."""
    plan = make_plan(site, times="07:30")
    now = local(site, 2026, 11, 21, 9, 0)
    real = db.session.execute
    made_by_other = []

    def other_process_first(statement, *args, **kwargs):
        # Just before our first insert, "another process" makes every task.
        if not made_by_other and getattr(statement, "is_insert", False):
            made_by_other.append(True)
            for day in (20, 21, 22):
                due = local(site, 2026, 11, day, 7, 30)
                db.session.add(CleaningTask(site_id=site.id, plan_id=plan.id,
                                            point_id=plan.point_id, template_id=plan.template_id,
                                            opens_at=due - timedelta(hours=2), due_at=due))
            db.session.flush()
        return real(statement, *args, **kwargs)

    db.session.execute = other_process_first
    try:
        created = schedules.ensure_tasks(site, now)
    finally:
        del db.session.execute
    db.session.commit()
    assert created == 0
    assert db.session.scalar(select(func.count()).select_from(CleaningTask)) == 3
