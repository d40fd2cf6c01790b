"""Planning services: routes and their checkpoints, schedules, posts, settings, demo data."""

from datetime import time

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.patrol import planning
from pmfield.patrol import tick
from pmfield.patrol.checkins import settings_for
from pmfield.patrol.models import PatrolPost
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import PatrolSchedule
from pmfield.patrol.models import RunPoint
from pmfield.places import services as places
from pmfield.places.models import Site
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of


@pytest.fixture
def boss(site):
    return factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site], display_name="Gina Guard")


@pytest.fixture
def route(site):
    return make_route(site, 3, strict=True)


def codes(route) -> list[str]:
    db.session.expire(route, ["checkpoints"])
    return [c.point.code for c in route.checkpoints]


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def runs_of(route) -> dict:
    """Start (UTC) → [point codes in position order] of the route's runs."""
    runs = db.session.scalars(
        select(PatrolRun).where(PatrolRun.route_id == route.id).order_by(PatrolRun.starts_at)
    ).all()
    return {run.starts_at: [rp.point.code for rp in run.points] for run in runs}


def fixed(route, actor, times="22:00,00:00,02:00,04:00", **kw):
    """Create a fixed-times schedule with sensible defaults (any of them overridable)."""
    values = {"kind": "fixed", "times": times, "run_minutes": 40, "grace_minutes": 10}
    return planning.create_schedule(route, actor=actor, **(values | kw))


# --------------------------------------------------------------------------- routes


def test_create_route_records_an_audit_entry(site, boss):
    route = planning.create_route(
        site, name_zh="夜间巡逻", name_en="Night round", strict_order=True,
        min_walk_seconds=30, actor=boss,
    )
    assert (route.site_id, route.strict_order, route.min_walk_seconds) == (site.id, True, 30)
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.user_id, entry.site_id) == ("patrol_route.create", boss.id, site.id)
    assert entry.changes["name_en"] == "Night round"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name_zh": "", "name_en": " "}, "name_zh", "Enter a name"),
        ({"name_en": "x" * 121}, "name_en", "at most 120"),
        ({"min_walk_seconds": 3601}, "min_walk_seconds", "0 to 3600 seconds"),
        ({"min_walk_seconds": -1}, "min_walk_seconds", "0 to 3600 seconds"),
        ({"name_en": "night ROUND"}, "name_en", "already called"),
    ],
)
def test_create_route_refuses_bad_values_and_changes_nothing(site, boss, values, field, message):
    make_route(site, 1, name_zh="夜巡", name_en="Night round")
    before = count(PatrolRoute)
    arguments = {"name_zh": "日巡", "name_en": "Day round", "min_walk_seconds": None} | values
    with pytest.raises(DomainError) as refused:
        planning.create_route(site, actor=boss, **arguments)
    assert refused.value.field == field
    assert message in refused.value.message
    assert count(PatrolRoute) == before
    assert count(AuditEntry) == 0


def test_update_route_audits_only_what_changed(route, boss):
    planning.update_route(
        route, name_zh=route.name_zh, name_en="Night round B", strict_order=True,
        min_walk_seconds=0, actor=boss,
    )
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "patrol_route.update"
    assert entry.changes == {"name_en": ["Night round", "Night round B"]}
    assert route.min_walk_seconds is None  # 0 means no minimum


def test_list_routes_hides_routes_out_of_use_unless_asked(site, other_site, boss):
    day = make_route(site, points=[factories.make_point(site)], name_en="Day round")
    night = make_route(site, points=[factories.make_point(site)], name_en="Night", active=False)
    make_route(other_site, 1, name_en="Elsewhere")
    assert planning.list_routes(site) == [day]
    assert planning.list_routes(site, include_inactive=True) == [day, night]


def test_get_route_for_user_checks_the_site(site, other_site, route):
    assert planning.get_route_for_user(factories.make_user(Role.MANAGER, sites=[site]), route.id)
    stranger = factories.make_user(Role.MANAGER, sites=[other_site])
    assert planning.get_route_for_user(stranger, route.id) is None
    assert planning.get_route_for_user(stranger, 2**40) is None


# --------------------------------------------------------------------------- checkpoints


def test_add_checkpoint_appends_any_kind_of_point(site, route, boss):
    elevator = factories.make_point(site, kind="elevator", code="EL-1")
    checkpoint = planning.add_checkpoint(route, elevator, actor=boss)
    assert checkpoint.position == 4
    assert codes(route)[-1] == "EL-1"
    assert actions() == ["patrol_route.add_checkpoint"]


def test_checkpoint_choices_list_checkpoints_first_and_skip_the_route(site, route):
    factories.make_point(site, kind="elevator", code="AA-EL")
    factories.make_point(site, code="ZZ-CP")
    factories.make_point(site, code="OLD", retired_at=local(site, 2026, 1, 1, 0, 0))
    choices = [p.code for p in planning.checkpoint_choices(route)]
    assert choices == ["ZZ-CP", "AA-EL"]


def test_add_checkpoint_refuses_other_site_retired_and_repeated_points(
    site, other_site, route, boss
):
    elsewhere = factories.make_point(other_site, code="FAR")
    retired = factories.make_point(site, code="OLD")
    places.retire_point(retired, actor=None)
    on_route = route.checkpoints[0].point
    for point, message in (
        (elsewhere, "belongs to another site"),
        (retired, "is retired"),
        (on_route, "already on this route"),
        (None, "Choose a point"),
    ):
        with pytest.raises(DomainError) as refused:
            planning.add_checkpoint(route, point, actor=boss)
        assert message in refused.value.message
    assert len(codes(route)) == 3
    assert "patrol_route.add_checkpoint" not in actions()


def test_add_checkpoint_by_token_adds_the_labels_point(site, route, boss):
    point = factories.make_point(site, code="VAULT")
    planning.add_checkpoint_by_token(route, token_of(point), actor=boss)
    assert codes(route)[-1] == "VAULT"


def test_add_checkpoint_by_token_takes_a_whole_label_url(site, route, boss):
    point = factories.make_point(site, code="VAULT")
    planning.add_checkpoint_by_token(route, places.label_url(point.current_label), actor=boss)
    assert codes(route)[-1] == "VAULT"


def test_add_checkpoint_by_token_refuses_forged_revoked_retired_and_foreign_labels(
    site, other_site, route, boss
):
    revoked = factories.make_point(site, code="REVOKED")
    revoked_token = token_of(revoked)
    places.revoke_label(revoked, reason="label lost", actor=None)
    retired = factories.make_point(site, code="RETIRED")
    retired_token = token_of(retired)
    places.retire_point(retired, actor=None)
    foreign = factories.make_point(other_site, code="FOREIGN")
    genuine = token_of(factories.make_point(site, code="REAL"))
    forged = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    for token, message in (
        (forged, "not a valid pmfield label"),
        ("", "Scan a label"),
        (revoked_token, "withdrawn"),
        (retired_token, "retired"),
        (token_of(foreign), "another site"),
        (token_of(route.checkpoints[0].point), "already on this route"),
    ):
        with pytest.raises(DomainError) as refused:
            planning.add_checkpoint_by_token(route, token, actor=boss)
        assert message in refused.value.message, token
        assert refused.value.field == "token"
    assert len(codes(route)) == 3


def test_move_checkpoint_up_and_down(route, boss):
    first, second, third = route.checkpoints
    names = [c.point.code for c in (first, second, third)]
    planning.move_checkpoint(route, third, "up", actor=boss)
    assert codes(route) == [names[0], names[2], names[1]]
    planning.move_checkpoint(route, first, "down", actor=boss)
    assert codes(route) == [names[2], names[0], names[1]]
    assert [c.position for c in route.checkpoints] == [1, 2, 3]
    assert actions() == ["patrol_route.move_checkpoint"] * 2


@pytest.mark.parametrize(("index", "direction", "message"), [
    (0, "up", "already first"), (2, "down", "already last"), (1, "sideways", "up or down"),
])
def test_move_checkpoint_refuses_moves_off_the_ends(route, boss, index, direction, message):
    before = codes(route)
    with pytest.raises(DomainError) as refused:
        planning.move_checkpoint(route, route.checkpoints[index], direction, actor=boss)
    assert message in refused.value.message
    assert codes(route) == before


def test_moving_clears_the_walk_minimums_of_changed_pairs(route, boss):
    first, second, third = route.checkpoints
    planning.set_walk_minimum(second, 60, actor=boss)
    planning.set_walk_minimum(third, 90, actor=boss)
    planning.move_checkpoint(route, third, "up", actor=boss)
    # Both pairs changed: 2 now follows 3 and 3 follows 1.
    assert (second.min_walk_seconds, third.min_walk_seconds) == (None, None)
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert set(entry.changes["walk_minimums_cleared"]) == {second.point.code, third.point.code}


def test_remove_checkpoint_renumbers_the_rest(route, boss):
    first, second, third = route.checkpoints
    planning.set_walk_minimum(third, 90, actor=boss)
    planning.remove_checkpoint(route, first, actor=boss)
    assert codes(route) == [second.point.code, third.point.code]
    assert [c.position for c in route.checkpoints] == [1, 2]
    assert third.min_walk_seconds == 90  # still after the same checkpoint
    assert "patrol_route.remove_checkpoint" in actions()


def test_set_walk_minimum_checks_its_range_and_the_first_checkpoint(route, boss):
    first, second, _third = route.checkpoints
    with pytest.raises(DomainError, match="no previous one"):
        planning.set_walk_minimum(first, 30, actor=boss)
    with pytest.raises(DomainError, match="0 to 3600"):
        planning.set_walk_minimum(second, 4000, actor=boss)
    planning.set_walk_minimum(second, 45, actor=boss)
    assert second.min_walk_seconds == 45
    planning.set_walk_minimum(second, None, actor=boss)
    assert second.min_walk_seconds is None
    assert actions() == ["patrol_route.set_walk_minimum"] * 2


# --------------------------------------------------------------------------- replanning


def test_adding_a_checkpoint_changes_only_runs_not_started(site, route, boss):
    make_schedule(route, times="22:00")
    now = local(site, 2026, 11, 20, 22, 5)  # the 20th's run has started
    tick.bring_up_to_date(site, now)
    extra = factories.make_point(site, code="VAULT")
    planning.add_checkpoint(route, extra, actor=boss, now=now)
    tick.bring_up_to_date(site, now)
    plans = runs_of(route)
    old = [c.point.code for c in route.checkpoints[:3]]
    assert plans[local(site, 2026, 11, 19, 22, 0)] == old
    assert plans[local(site, 2026, 11, 20, 22, 0)] == old
    assert plans[local(site, 2026, 11, 21, 22, 0)] == [*old, "VAULT"]


def test_moving_and_removing_rebuild_future_runs_in_the_new_order(site, route, boss):
    make_schedule(route, times="22:00")
    now = local(site, 2026, 11, 20, 12, 0)
    tick.bring_up_to_date(site, now)
    first, second, third = (c.point.code for c in route.checkpoints)
    planning.move_checkpoint(route, route.checkpoints[2], "up", actor=boss, now=now)
    assert runs_of(route)[local(site, 2026, 11, 20, 22, 0)] == [first, third, second]
    planning.remove_checkpoint(route, route.checkpoints[0], actor=boss, now=now)
    plans = runs_of(route)
    assert plans[local(site, 2026, 11, 20, 22, 0)] == [third, second]
    assert plans[local(site, 2026, 11, 19, 22, 0)] == [first, second, third]  # the past stays
    future = db.session.scalars(
        select(RunPoint.position).join(PatrolRun)
        .where(PatrolRun.starts_at == local(site, 2026, 11, 21, 22, 0))
        .order_by(RunPoint.position)
    ).all()
    assert future == [1, 2]


def test_the_first_checkpoint_does_not_make_already_missed_runs(site, boss):
    route = planning.create_route(site, name_zh="新路线", name_en="New round", actor=boss)
    long_ago = local(site, 2026, 11, 1, 12, 0)
    fixed(route, boss, times="22:00", now=long_ago)
    now = local(site, 2026, 11, 20, 12, 0)
    planning.add_checkpoint(route, factories.make_point(site), actor=boss, now=now)
    tick.bring_up_to_date(site, now)
    assert list(runs_of(route)) == [
        local(site, 2026, 11, 20, 22, 0),
        local(site, 2026, 11, 21, 22, 0),
    ]


def test_deactivating_a_route_drops_its_future_runs_and_reactivating_starts_from_now(
    site, route, boss
):
    make_schedule(route, times="22:00")
    monday = local(site, 2026, 11, 16, 12, 0)
    tick.bring_up_to_date(site, monday)
    planning.set_route_active(route, False, actor=boss, now=monday)
    assert list(runs_of(route)) == [local(site, 2026, 11, 15, 22, 0)]
    wednesday = local(site, 2026, 11, 18, 23, 0)
    planning.set_route_active(route, True, actor=boss, now=wednesday)
    tick.bring_up_to_date(site, wednesday)
    # Tuesday's and Wednesday's rounds (while out of use, or already past) are never made.
    assert list(runs_of(route)) == [
        local(site, 2026, 11, 15, 22, 0),
        local(site, 2026, 11, 19, 22, 0),
    ]
    assert actions() == ["patrol_route.deactivate", "patrol_route.activate"]


# --------------------------------------------------------------------------- schedules


def test_create_schedule_plans_runs_from_now_only(site, route, boss):
    now = local(site, 2026, 11, 20, 15, 0)
    schedule = fixed(route, boss, now=now)
    assert schedule.times == "22:00,00:00,02:00,04:00"
    assert schedule.effective_from == now
    starts = list(runs_of(route))
    assert starts[0] == local(site, 2026, 11, 20, 22, 0)  # not last night's 02:00
    assert local(site, 2026, 11, 21, 4, 0) in starts
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "patrol_schedule.create"
    assert entry.changes["times"] == "22:00,00:00,02:00,04:00"


@pytest.mark.parametrize(
    ("times", "run", "message"),
    [
        ("22:00, 22:30", 40, "The 22:00 round is still open at 22:30"),
        ("22:00,00:00,00:30", 40, "still open at 00:30"),
        ("22:00, 02:00, 00:00", 40, "order of the night: 00:00 comes before 02:00"),
        ("22:00, 21:40", 40, "still be open when the next night starts at 22:00"),
        ("22:00, 22:00", 40, "22:00 is listed twice"),
        ("22:00, 25:00", 40, "“25:00” is not a time"),
        ("ten pm", 40, "is not a time"),
        ("", 40, "at least one time"),
    ],
)
def test_fixed_times_must_be_valid_and_not_overlap(site, route, boss, times, run, message):
    with pytest.raises(DomainError) as refused:
        fixed(route, boss, times=times, run_minutes=run)
    assert refused.value.field == "times"
    assert message in refused.value.message
    assert count(PatrolSchedule) == 0
    assert count(PatrolRun) == 0


def test_fixed_times_may_just_touch(route, boss):
    schedule = fixed(route, boss, times="22:00,22:40, 23:20", run_minutes=40)
    assert schedule.times == "22:00,22:40,23:20"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"weekdays": ""}, "weekdays", "at least one day"),
        ({"weekdays": []}, "weekdays", "at least one day"),
        ({"weekdays": "8"}, "weekdays", "from the list"),
        ({"run_minutes": 0}, "run_minutes", "1 to 720"),
        ({"run_minutes": 721}, "run_minutes", "1 to 720"),
        ({"run_minutes": None}, "run_minutes", "1 to 720"),
        ({"grace_minutes": 241}, "grace_minutes", "0 to 240"),
        ({"grace_minutes": -1}, "grace_minutes", "0 to 240"),
        ({"kind": "hourly"}, "kind", "fixed times or an interval"),
    ],
)
def test_schedule_values_are_checked(route, boss, values, field, message):
    with pytest.raises(DomainError) as refused:
        fixed(route, boss, **values)
    assert (refused.value.field, message in refused.value.message) == (field, True)
    assert count(PatrolSchedule) == 0


def interval(route, actor, **kw):
    values = {
        "kind": "interval", "interval_minutes": 120, "window_start": time(8),
        "window_end": time(20), "run_minutes": 60, "grace_minutes": 15,
    }
    return planning.create_schedule(route, actor=actor, **(values | kw))


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"interval_minutes": 4}, "interval_minutes", "5 to 720"),
        ({"interval_minutes": 721}, "interval_minutes", "5 to 720"),
        ({"interval_minutes": None}, "interval_minutes", "5 to 720"),
        ({"window_start": None}, "window_start", "window starts"),
        ({"window_end": None}, "window_end", "window ends"),
        ({"window_end": time(8)}, "window_end", "window is empty"),
        ({"run_minutes": 121}, "run_minutes", "Rounds would overlap"),
        ({"window_start": time(0), "window_end": time(23, 59), "interval_minutes": 7,
          "run_minutes": 7}, "window_end", "next day's window"),
    ],
)
def test_interval_values_are_checked(route, boss, values, field, message):
    with pytest.raises(DomainError) as refused:
        interval(route, boss, **values)
    assert (refused.value.field, message in refused.value.message) == (field, True)
    assert count(PatrolSchedule) == 0


def test_interval_schedule_runs_inside_its_window_on_chosen_weekdays(site, route, boss):
    friday_morning = local(site, 2026, 11, 20, 7, 0)  # a Friday
    schedule = interval(route, boss, weekdays=["5", "6"], now=friday_morning)
    assert (schedule.weekdays, schedule.times) == ("56", None)
    slots = planning.upcoming_slots(schedule, friday_morning, count=8)
    hours = [(s.starts_at, s.ends_at) for s in slots]
    assert hours[0] == (local(site, 2026, 11, 20, 8, 0), local(site, 2026, 11, 20, 9, 0))
    assert hours[5][0] == local(site, 2026, 11, 20, 18, 0)
    assert hours[6][0] == local(site, 2026, 11, 21, 8, 0)  # Saturday; then next Friday
    assert slots[7].starts_at == local(site, 2026, 11, 21, 10, 0)


def test_upcoming_slots_of_a_night_include_times_after_midnight(site, route, boss):
    schedule = fixed(route, boss, now=local(site, 2026, 11, 20, 12, 0))
    at = local(site, 2026, 11, 20, 23, 0)
    slots = planning.upcoming_slots(schedule, at)
    assert [s.starts_at for s in slots] == [
        local(site, 2026, 11, 21, 0, 0),
        local(site, 2026, 11, 21, 2, 0),
        local(site, 2026, 11, 21, 4, 0),
        local(site, 2026, 11, 21, 22, 0),
        local(site, 2026, 11, 22, 0, 0),
        local(site, 2026, 11, 22, 2, 0),
    ]
    assert slots[0].grace_until == local(site, 2026, 11, 21, 0, 50)


def test_update_schedule_replans_runs_not_started(site, route, boss):
    schedule = fixed(route, boss, times="22:00", now=local(site, 2026, 11, 19, 12, 0))
    now = local(site, 2026, 11, 20, 12, 0)
    tick.bring_up_to_date(site, now)
    planning.update_schedule(
        schedule, kind="fixed", times="23:00", run_minutes=40, grace_minutes=10,
        weekdays="1234567", actor=boss, now=now,
    )
    assert list(runs_of(route)) == [
        local(site, 2026, 11, 19, 22, 0),
        local(site, 2026, 11, 20, 23, 0),
        local(site, 2026, 11, 21, 23, 0),
    ]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "patrol_schedule.update"
    assert entry.changes == {"times": ["22:00", "23:00"]}


def test_update_schedule_refuses_bad_values_and_keeps_the_old_ones(site, route, boss):
    schedule = fixed(route, boss, times="22:00")
    with pytest.raises(DomainError):
        planning.update_schedule(
            schedule, kind="fixed", times="22:00,22:10", run_minutes=40, actor=boss
        )
    db.session.rollback()
    assert db.session.get(PatrolSchedule, schedule.id).times == "22:00"


def test_pausing_a_schedule_drops_its_future_runs(site, route, boss):
    now = local(site, 2026, 11, 20, 12, 0)
    schedule = fixed(route, boss, times="22:00", now=now)
    assert runs_of(route)
    planning.set_schedule_active(schedule, False, actor=boss, now=now)
    assert runs_of(route) == {}
    planning.set_schedule_active(schedule, True, actor=boss, now=now)
    assert list(runs_of(route))[0] == local(site, 2026, 11, 20, 22, 0)
    assert actions()[-2:] == ["patrol_schedule.deactivate", "patrol_schedule.activate"]


def test_schedule_assignment_to_a_post_or_named_guards(site, other_site, route, boss, guard):
    post = planning.create_post(site, name_zh="夜班A", name_en="Night A", actor=boss)
    by_post = fixed(route, boss, times="22:00", post=post)
    assert (by_post.post, by_post.guards) == (post, [])
    by_name = fixed(route, boss, times="23:00", guards=[guard, guard, boss])
    assert by_name.guards == [guard, boss]  # repeats dropped; supervisors walk too


@pytest.mark.parametrize(
    "who", ["cleaner", "other_site_guard", "inactive_guard"],
)
def test_named_guards_must_be_active_walkers_of_the_site(site, other_site, route, boss, who):
    user = {
        "cleaner": lambda: factories.make_user(Role.CLEANER, sites=[site]),
        "other_site_guard": lambda: factories.make_user(Role.GUARD, sites=[other_site]),
        "inactive_guard": lambda: factories.make_user(Role.GUARD, sites=[site], active=False),
    }[who]()
    with pytest.raises(DomainError) as refused:
        fixed(route, boss, guards=[user])
    assert refused.value.field == "guards"
    assert "not an active guard of this site" in refused.value.message


def test_post_must_be_of_the_site_in_use_and_not_with_named_guards(
    site, other_site, route, boss, guard
):
    foreign = planning.create_post(other_site, name_zh="外岗", name_en="Far", actor=None)
    idle = planning.create_post(site, name_zh="旧岗", name_en="Old", actor=None)
    planning.set_post_active(idle, False, actor=None)
    mine = planning.create_post(site, name_zh="夜班A", name_en="Night A", actor=None)
    for kwargs, message in (
        ({"post": foreign}, "post of this site"),
        ({"post": idle}, "no longer in use"),
        ({"post": mine, "guards": [guard]}, "not both"),
    ):
        with pytest.raises(DomainError) as refused:
            fixed(route, boss, **kwargs)
        assert message in refused.value.message
    assert count(PatrolSchedule) == 0


# --------------------------------------------------------------------------- posts


def test_posts_created_renamed_and_staffed(site, boss, guard):
    other = factories.make_user(Role.GUARD, sites=[site], display_name="Hank Guard")
    post = planning.create_post(
        site, name_zh="夜班巡逻A", name_en="Night patrol A", guards=[guard], actor=boss
    )
    planning.update_post(post, name_zh="夜班巡逻A", name_en="Night A", guards=None, actor=boss)
    assert post.guards == [guard]
    planning.set_post_guards(post, [other, guard], actor=boss)
    assert post.guards == [guard, other]
    with pytest.raises(DomainError, match="already called 夜班巡逻A"):
        planning.create_post(site, name_zh="夜班巡逻A", name_en="Another", actor=boss)
    assert actions() == ["patrol_post.create", "patrol_post.update", "patrol_post.set_guards"]
    assert count(PatrolPost) == 1


def test_a_post_with_active_schedules_stays_in_use(site, route, boss):
    post = planning.create_post(site, name_zh="夜班A", name_en="Night A", actor=boss)
    schedule = fixed(route, boss, post=post)
    with pytest.raises(DomainError, match="still has active schedules"):
        planning.set_post_active(post, False, actor=boss)
    planning.set_schedule_active(schedule, False, actor=boss)
    planning.set_post_active(post, False, actor=boss)
    assert not post.active
    assert planning.list_posts(site, include_inactive=False) == []


# --------------------------------------------------------------------------- settings


def test_settings_default_then_update(site, boss):
    assert planning.get_settings(site).clock_tolerance_seconds == 120
    planning.update_settings(site, clock_tolerance_seconds=300, actor=boss)
    assert settings_for(site).clock_tolerance_seconds == 300
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.changes) == (
        "patrol_settings.update", {"clock_tolerance_seconds": [None, 300]}
    )


@pytest.mark.parametrize("value", [9, 3601, None, "60", True])
def test_settings_refuse_out_of_range_tolerances(site, boss, value):
    with pytest.raises(DomainError) as refused:
        planning.update_settings(site, clock_tolerance_seconds=value, actor=boss)
    assert "10 to 3600 seconds" in refused.value.message
    assert settings_for(site).clock_tolerance_seconds == 120


# --------------------------------------------------------------------------- demo


def test_demo_seeds_a_post_two_routes_and_their_schedules(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    site = db.session.scalars(select(Site).where(Site.code == "DEMO")).one()
    routes = planning.list_routes(site)
    night = next(r for r in routes if r.strict_order)
    day = next(r for r in routes if not r.strict_order)
    assert [c.point.code for c in night.checkpoints] == [
        "A-1F-LOBBY", "A-3F-CORR", "VAULT", "D3-GATE", "D4-GATE", "D8-GATE",
    ]
    assert "VAULT" in [c.point.code for c in day.checkpoints]
    (night_schedule,) = night.schedules
    assert (night_schedule.times, night_schedule.run_minutes, night_schedule.grace_minutes) == (
        "22:00,00:00,02:00,04:00", 40, 10,
    )
    assert night_schedule.post.name_en == "Night patrol A"
    assert {u.username for u in night_schedule.post.guards} == {"guard1", "guard2"}
    (day_schedule,) = day.schedules
    assert (day_schedule.kind, day_schedule.interval_minutes) == ("interval", 120)
    assert (day_schedule.window_start, day_schedule.window_end) == (time(8), time(20))
    assert count(PatrolRun) > 0
    # Seeding again adds nothing.
    before = (count(PatrolRoute), count(PatrolSchedule), count(PatrolPost))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert (count(PatrolRoute), count(PatrolSchedule), count(PatrolPost)) == before
