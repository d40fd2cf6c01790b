"""Callbacks (回访): after every close, after rework within 24 hours, the weekly sample; and the
repeated-repair flag."""

import random
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs import callbacks
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import Callback
from pmfield.jobs.models import CallbackMethod
from pmfield.jobs.models import SampleDraw
from pmfield.jobs.models import Satisfaction
from pmfield.notifications.models import Notification
from tests import factories
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import ready_to_close
from tests.jobs.factories import technician

#: A Wednesday, 10:00 in Shanghai.
WEDNESDAY = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def tech(site):
    return technician(site)


def closed_job(site, point, tech, *, when=None, discipline="elevator"):
    job = on_site(new_job(site, point=point), tech, discipline=discipline)
    ready_to_close(job, tech)
    return work.close(tech, job, now=when)


def answer(desk, callback, satisfaction, comments="", now=None):
    return callbacks.record(desk, callback, method=CallbackMethod.PHONE,
                            satisfaction=Satisfaction(satisfaction), comments=comments, now=now)


def test_unsatisfied_means_rework_and_a_special_callback_within_24_hours(
        site, point, tech, desk, in_request):
    job = closed_job(site, point, tech)
    (first,) = job.callbacks
    with pytest.raises(DomainError, match="unhappy with"):
        callbacks.parse_outcome({"method": "phone", "satisfaction": "unsatisfied"})
    answer(desk, first, "unsatisfied", "Still leaking under the sink")
    assert job.status == "assigned" and job.rework_count == 1
    assert job.events[-1].action == "rework" and job.respond_by is not None
    # The technicians get it back and close it again.
    work.accept(tech, job)
    work.arrive(tech, job, point.current_label)
    ready_to_close(job, tech)
    closed_at = datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    work.close(tech, job, now=closed_at)
    special = [c for c in job.callbacks if c.kind == "special"]
    assert len(special) == 1 and special[0].due_at == closed_at + timedelta(hours=24)
    answer(desk, special[0], "satisfied")
    assert job.status == "closed" and count(Callback) == 2


def test_a_callback_is_recorded_once_and_only_by_the_desk(site, point, tech, desk, in_request):
    job = closed_job(site, point, tech)
    (callback,) = job.callbacks
    with pytest.raises(DomainError, match="service desk"):
        answer(tech, callback, "satisfied")
    answer(desk, callback, "basically_satisfied", "OK")
    with pytest.raises(DomainError, match="already recorded"):
        answer(desk, callback, "unsatisfied", "changed my mind")
    assert callback.satisfaction == "basically_satisfied" and job.status == "closed"


@pytest.mark.parametrize(("closed", "percent", "drawn"),
                         [(10, 20, 2), (5, 20, 1), (1, 20, 1), (0, 20, 0), (7, 0, 0),
                          (3, 100, 3)])
def test_sample_size_rounds_up(closed, percent, drawn):
    assert callbacks.sample_size(closed, percent) == drawn


def test_the_weekly_sample_takes_20_percent_of_last_weeks_closed_jobs_once(
        site, point, tech, in_request):
    last_week = WEDNESDAY - timedelta(days=7)
    jobs = [closed_job(site, point, tech, when=last_week + timedelta(hours=n)) for n in range(10)]
    closed_job(site, point, tech, when=WEDNESDAY)  # this week: not in the sample
    draw = callbacks.draw_weekly_sample(site, WEDNESDAY, rng=random.Random(4))  # noqa: S311
    assert (draw.closed_jobs, draw.sampled) == (10, 2)
    assert draw.week_start.isoformat() == "2026-02-23"
    sampled = db.session.scalars(select(Callback).where(Callback.kind == "sample")).all()
    assert len(sampled) == 2 and {c.job_id for c in sampled} <= {j.id for j in jobs}
    # Again, and from a tick an hour later: nothing more.
    assert callbacks.draw_weekly_sample(site, WEDNESDAY) is None
    assert callbacks.tick(WEDNESDAY + timedelta(hours=1))["samples"] == 0
    assert count(Callback, Callback.kind == "sample") == 2 and count(SampleDraw) == 1


def test_the_sample_follows_the_sites_percentage(site, point, tech, in_request):
    services.update_settings(site, {
        "emergency_minutes": 5, "urgent_minutes": 30, "normal_minutes": 240,
        "planned_minutes": 10080, "sample_percent": 50, "repeat_count": 3,
        "repeat_days": 90}, actor=None)
    for n in range(4):
        closed_job(site, point, tech, when=WEDNESDAY - timedelta(days=7, hours=n))
    assert callbacks.draw_weekly_sample(site, WEDNESDAY).sampled == 2


def test_three_repairs_of_the_same_kind_flag_the_point_to_the_manager(
        site, point, tech, in_request):
    manager = factories.make_user(Role.MANAGER, sites=[site])
    closed_job(site, point, tech, when=WEDNESDAY - timedelta(days=40))
    closed_job(site, point, tech, discipline="electrical", when=WEDNESDAY - timedelta(days=20))
    second = closed_job(site, point, tech, when=WEDNESDAY - timedelta(days=10))
    assert not callbacks.is_repeat(second, WEDNESDAY)
    assert count(Notification, Notification.kind == "job.repeat") == 0
    third = closed_job(site, point, tech, when=WEDNESDAY)
    assert callbacks.is_repeat(third, WEDNESDAY)
    (note,) = db.session.scalars(select(Notification).where(Notification.kind == "job.repeat"))
    assert note.user_id == manager.id and note.params["count"] == 3
    assert callbacks.repeat_counts(site, WEDNESDAY) == {(point.id, "elevator"): 3}


def test_repairs_outside_the_window_do_not_count(site, point, tech, in_request):
    factories.make_user(Role.MANAGER, sites=[site])
    closed_job(site, point, tech, when=WEDNESDAY - timedelta(days=200))
    closed_job(site, point, tech, when=WEDNESDAY - timedelta(days=100))
    closed_job(site, point, tech, when=WEDNESDAY)
    assert count(Notification, Notification.kind == "job.repeat") == 0


def test_overdue_callbacks_are_flagged_to_the_desk_once(site, point, tech, desk, in_request):
    job = closed_job(site, point, tech, when=WEDNESDAY)
    (callback,) = job.callbacks
    assert callbacks.tick(callback.due_at - timedelta(minutes=1))["callbacks_overdue"] == 0
    assert callbacks.tick(callback.due_at + timedelta(minutes=1))["callbacks_overdue"] == 1
    assert callbacks.tick(callback.due_at + timedelta(minutes=2))["callbacks_overdue"] == 0
    assert count(Notification, Notification.kind == "job.callback_overdue",
                 Notification.user_id == desk.id) == 1
