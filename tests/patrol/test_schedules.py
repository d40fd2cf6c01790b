"""Schedules into runs: fixed times across midnight, interval windows, weekdays, DST, replanning."""

from datetime import date
from datetime import time
from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import checkins
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import RouteCheckpoint
from pmfield.patrol.models import RunPoint
from pmfield.patrol.schedules import ensure_runs
from pmfield.patrol.schedules import parse_times
from pmfield.patrol.schedules import replan_route
from pmfield.patrol.schedules import replan_schedule
from pmfield.patrol.schedules import slots_for_day
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_interval_schedule
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
FRIDAY = date(2026, 11, 20)


def runs_of(schedule) -> list[PatrolRun]:
    return list(
        db.session.scalars(
            select(PatrolRun).where(PatrolRun.schedule_id == schedule.id).order_by(
                PatrolRun.starts_at
            )
        )
    )


def local_starts(slots, tz) -> list[tuple[date, time]]:
    return [
        (s.starts_at.astimezone(tz).date(), s.starts_at.astimezone(tz).time()) for s in slots
    ]


@pytest.fixture
def route(site):
    return make_route(site, 3)


# --------------------------------------------------------------------------- parse_times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00,00:00,02:00", [time(22), time(0), time(2)]),
        ("22:00, 00:30 ,02:00", [time(22), time(0, 30), time(2)]),
        ("8:15，9:45", [time(8, 15), time(9, 45)]),
        ("23:59 00:00", [time(23, 59), time(0)]),
        ("", []),
        (None, []),
    ],
)
def test_parse_times(text, expected):
    assert parse_times(text) == expected


@pytest.mark.parametrize("text", ["24:00", "22:60", "22", "22:0", "ten", "-1:00", "22:00,x"])
def test_parse_times_refuses_anything_else(text):
    with pytest.raises(ValueError, match=r"\S"):
        parse_times(text)


# --------------------------------------------------------------------------- fixed times


def test_fixed_times_after_midnight_belong_to_the_next_calendar_day(route):
    schedule = make_schedule(route, times="22:00,00:00,02:00", run_minutes=30, grace_minutes=10)
    slots = slots_for_day(schedule, FRIDAY, SHANGHAI)
    assert local_starts(slots, SHANGHAI) == [
        (FRIDAY, time(22)),
        (FRIDAY + timedelta(days=1), time(0)),
        (FRIDAY + timedelta(days=1), time(2)),
    ]
    first = slots[0]
    assert first.starts_at == local(route.site, 2026, 11, 20, 22, 0)
    assert first.ends_at == first.starts_at + timedelta(minutes=30)
    assert first.grace_until == first.ends_at + timedelta(minutes=10)


def test_fixed_times_keep_their_order_within_the_day(route):
    schedule = make_schedule(route, times="08:00,12:00,17:30")
    slots = slots_for_day(schedule, FRIDAY, SHANGHAI)
    assert local_starts(slots, SHANGHAI) == [
        (FRIDAY, time(8)), (FRIDAY, time(12)), (FRIDAY, time(17, 30)),
    ]


def test_weekdays_are_those_of_the_day_the_night_starts(route):
    """A Friday-only night of 22:00, 00:00, 02:00 has its 00:00 and 02:00 on Saturday."""
    schedule = make_schedule(route, times="22:00,00:00,02:00", weekdays="5")
    friday = slots_for_day(schedule, FRIDAY, SHANGHAI)
    assert [s.starts_at.astimezone(SHANGHAI).isoweekday() for s in friday] == [5, 6, 6]
    assert slots_for_day(schedule, FRIDAY + timedelta(days=1), SHANGHAI) == []
    assert slots_for_day(schedule, FRIDAY - timedelta(days=1), SHANGHAI) == []


def test_duplicate_times_make_one_run(route):
    schedule = make_schedule(route, times="22:00,22:00")
    assert len(slots_for_day(schedule, FRIDAY, SHANGHAI)) == 1


# --------------------------------------------------------------------------- interval windows


def test_interval_window_within_the_day(route):
    schedule = make_interval_schedule(route, every=60, start=time(8), end=time(18))
    slots = slots_for_day(schedule, FRIDAY, SHANGHAI)
    assert [t for _d, t in local_starts(slots, SHANGHAI)] == [time(h) for h in range(8, 18)]


def test_interval_window_across_midnight(route):
    schedule = make_interval_schedule(route, every=120, start=time(22), end=time(6))
    slots = slots_for_day(schedule, FRIDAY, SHANGHAI)
    saturday = FRIDAY + timedelta(days=1)
    assert local_starts(slots, SHANGHAI) == [
        (FRIDAY, time(22)), (saturday, time(0)), (saturday, time(2)), (saturday, time(4)),
    ]


def test_interval_window_with_equal_ends_covers_the_whole_day(route):
    schedule = make_interval_schedule(route, every=240, start=time(6), end=time(6))
    slots = slots_for_day(schedule, FRIDAY, SHANGHAI)
    assert [t for _d, t in local_starts(slots, SHANGHAI)] == [
        time(6), time(10), time(14), time(18), time(22), time(2),
    ]


# --------------------------------------------------------------------------- DST (London)


def test_london_spring_forward_fixed_night(app):
    """On 29 March 2026 London jumps from 01:00 GMT to 02:00 BST."""
    site = factories.make_site(timezone="Europe/London")
    schedule = make_schedule(make_route(site, 2), times="22:00,00:00,02:00", run_minutes=30)
    slots = slots_for_day(schedule, date(2026, 3, 28), LONDON)
    starts = [s.starts_at for s in slots]
    assert [s.astimezone(LONDON).strftime("%d %H:%M %Z") for s in starts] == [
        "28 22:00 GMT", "29 00:00 GMT", "29 02:00 BST",
    ]
    # Only one hour of real time between 00:00 GMT and 02:00 BST.
    assert starts[2] - starts[1] == timedelta(hours=1)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)


def test_london_spring_forward_interval_and_missing_local_time(app):
    site = factories.make_site(timezone="Europe/London")
    route = make_route(site, 2)
    hourly = make_interval_schedule(route, every=60, start=time(0), end=time(6))
    slots = slots_for_day(hourly, date(2026, 3, 29), LONDON)
    # Steps are real hours: 00:00 GMT, then 02:00 to 05:00 BST; nothing twice, nothing lost.
    assert [s.starts_at.astimezone(LONDON).strftime("%H:%M") for s in slots] == [
        "00:00", "02:00", "03:00", "04:00", "05:00",
    ]
    assert all(b.starts_at - a.starts_at == timedelta(hours=1) for a, b in pairwise(slots))
    # 01:30 does not exist that night: still exactly one run, in the small hours.
    gap = make_schedule(route, times="01:30")
    (slot,) = slots_for_day(gap, date(2026, 3, 29), LONDON)
    assert slot.starts_at.astimezone(LONDON).date() == date(2026, 3, 29)
    assert slot.starts_at.astimezone(LONDON).hour in (1, 2)


def test_london_fall_back_ambiguous_time_gives_one_run(app):
    site = factories.make_site(timezone="Europe/London")
    schedule = make_schedule(make_route(site, 2), times="01:30")
    (slot,) = slots_for_day(schedule, date(2026, 10, 25), LONDON)
    assert slot.starts_at.astimezone(LONDON).strftime("%H:%M") == "01:30"


def test_london_runs_across_the_change_are_created_once(app):
    site = factories.make_site(timezone="Europe/London")
    schedule = make_schedule(make_route(site, 2), times="22:00,00:00,02:00")
    now = local(site, 2026, 3, 29, 12, 0)
    ensure_runs(site, now)
    assert ensure_runs(site, now) == 0
    starts = [r.starts_at for r in runs_of(schedule)]
    assert len(starts) == len(set(starts)) == 9
    assert starts == sorted(starts)


# --------------------------------------------------------------------------- ensure_runs


def test_ensure_runs_covers_yesterday_today_and_tomorrow(site, route):
    schedule = make_schedule(route, times="22:00,00:00,02:00")
    created = ensure_runs(site, local(site, 2026, 11, 20, 12, 0))
    db.session.commit()
    runs = runs_of(schedule)
    assert created == len(runs) == 9
    assert runs[0].starts_at == local(site, 2026, 11, 19, 22, 0)
    assert runs[-1].starts_at == local(site, 2026, 11, 22, 2, 0)
    assert {r.status for r in runs} == {"pending"}
    points = runs[0].points
    assert [rp.position for rp in points] == [1, 2, 3]
    assert [rp.point_id for rp in points] == [rc.point_id for rc in route.checkpoints]
    assert {rp.status for rp in points} == {"pending"}


def test_ensure_runs_is_idempotent(site, route):
    schedule = make_schedule(route, times="22:00,00:00")
    now = local(site, 2026, 11, 20, 12, 0)
    first = ensure_runs(site, now)
    db.session.commit()
    assert ensure_runs(site, now) == 0
    assert ensure_runs(site, now + timedelta(hours=3)) == 0
    db.session.commit()
    assert len(runs_of(schedule)) == first == 6
    assert db.session.scalar(select(func.count()).select_from(RunPoint)) == 6 * 3
    # A day later, only the new day's runs are added.
    assert ensure_runs(site, now + timedelta(days=1)) == 2


def test_schedule_made_at_15_00_has_no_runs_before_then(site, route):
    made = local(site, 2026, 11, 20, 15, 0)
    schedule = make_schedule(route, times="22:00,00:00,02:00", effective_from=made)
    ensure_runs(site, made)
    starts = [r.starts_at for r in runs_of(schedule)]
    assert local(site, 2026, 11, 20, 2, 0) not in starts
    assert local(site, 2026, 11, 20, 0, 0) not in starts
    assert starts[0] == local(site, 2026, 11, 20, 22, 0)
    assert len(starts) == 6


def test_inactive_schedules_routes_and_empty_routes_make_no_runs(site):
    now = local(site, 2026, 11, 20, 12, 0)
    make_schedule(make_route(site, 2), times="22:00", active=False)
    make_schedule(make_route(site, points=[factories.make_point(site)], active=False))
    empty = make_route(site, points=[factories.make_point(site)])
    empty.checkpoints = []
    db.session.commit()
    make_schedule(empty, times="22:00")
    assert ensure_runs(site, now) == 0
    assert db.session.scalar(select(func.count()).select_from(PatrolRun)) == 0


def test_ensure_runs_only_for_the_given_site(site, other_site):
    make_schedule(make_route(other_site, 2), times="22:00")
    assert ensure_runs(site, local(site, 2026, 11, 20, 12, 0)) == 0


# --------------------------------------------------------------------------- replanning


def test_replan_schedule_rebuilds_only_runs_not_started(site, route):
    guard = factories.make_user(Role.GUARD, sites=[site])
    schedule = make_schedule(route, times="22:00,00:00")
    now = local(site, 2026, 11, 20, 22, 10)
    ensure_runs(site, now)
    db.session.commit()
    checkins.record_check_in(guard, token_of(route.checkpoints[0].point), now=now)
    schedule.times = "23:00"
    replan_schedule(schedule, now)
    db.session.commit()
    starts = {r.starts_at for r in runs_of(schedule)}
    # Started runs stay as planned (the 22:00 run has a scan); later ones follow the new time.
    assert local(site, 2026, 11, 20, 22, 0) in starts
    assert local(site, 2026, 11, 19, 22, 0) in starts
    assert local(site, 2026, 11, 20, 23, 0) in starts
    assert local(site, 2026, 11, 21, 23, 0) in starts
    assert local(site, 2026, 11, 21, 0, 0) not in starts
    assert local(site, 2026, 11, 21, 22, 0) not in starts
    assert local(site, 2026, 11, 19, 23, 0) not in starts  # before the change: never made
    assert schedule.effective_from == now


def test_replan_of_a_deactivated_schedule_drops_its_future_runs(site, route):
    schedule = make_schedule(route, times="22:00")
    now = local(site, 2026, 11, 20, 12, 0)
    ensure_runs(site, now)
    db.session.commit()
    schedule.active = False
    replan_schedule(schedule, now)
    db.session.commit()
    assert [r.starts_at for r in runs_of(schedule)] == [local(site, 2026, 11, 19, 22, 0)]


def test_replan_route_gives_future_runs_the_new_checkpoints(site, route):
    schedule = make_schedule(route, times="22:00")
    now = local(site, 2026, 11, 20, 22, 5)
    ensure_runs(site, now)
    db.session.commit()
    extra = factories.make_point(site, code="CP-NEW")
    db.session.add(RouteCheckpoint(route_id=route.id, point_id=extra.id, position=4))
    db.session.commit()
    replan_route(route, now)
    db.session.commit()
    counts = {r.starts_at: len(r.points) for r in runs_of(schedule)}
    assert counts == {
        local(site, 2026, 11, 19, 22, 0): 3,
        local(site, 2026, 11, 20, 22, 0): 3,  # already started
        local(site, 2026, 11, 21, 22, 0): 4,
    }
