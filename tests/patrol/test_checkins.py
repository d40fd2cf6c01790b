"""Recording check-ins: which run a scan counts for, refusals that record nothing, flags."""

from datetime import time
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import checkins
from pmfield.patrol import planning
from pmfield.patrol import tick
from pmfield.patrol.checkins import CheckInRefused
from pmfield.patrol.checkins import record_check_in
from pmfield.patrol.checkins import score
from pmfield.patrol.models import AppendOnlyError
from pmfield.patrol.models import ChainHead
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import PatrolSettings
from pmfield.patrol.models import RunPoint
from pmfield.patrol.schedules import ensure_runs
from pmfield.places import services as places
from pmfield.places.services import label_token
from pmfield.timeutil import utcnow
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_interval_schedule
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of

US = timedelta(microseconds=1)


def count_check_ins() -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn))


def new_route(site, n=3, **kw):
    """A route over fresh checkpoints (several routes of one site need distinct codes)."""
    return make_route(site, points=[factories.make_point(site) for _ in range(n)], **kw)


def points_of(route):
    return [rc.point for rc in route.checkpoints]


def scan(user, point, moment, **kw):
    return record_check_in(user, token_of(point), now=moment, **kw)


def plan(site, moment):
    ensure_runs(site, moment)
    db.session.commit()


def run_at(route, moment) -> PatrolRun:
    return db.session.scalar(
        select(PatrolRun).where(PatrolRun.route_id == route.id, PatrolRun.starts_at == moment)
    )


def point_status(run, point) -> str:
    return db.session.scalar(
        select(RunPoint.status).where(RunPoint.run_id == run.id, RunPoint.point_id == point.id)
    )


@pytest.fixture
def in_request(app):
    """Refusal messages are translated; run inside a request, as the views do."""
    with app.test_request_context():
        yield


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site])


@pytest.fixture
def route(site):
    return make_route(site, 3)


@pytest.fixture
def night(route):
    """22:00, 00:00, 02:00; each open 30 minutes with 10 minutes' grace."""
    return make_schedule(route, times="22:00,00:00,02:00", run_minutes=30, grace_minutes=10)


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        ("before", None),
        ("starts_at", "done"),
        ("just before ends_at", "done"),
        ("ends_at", "late"),
        ("just before grace_until", "late"),
        ("grace_until", None),
    ],
)
def test_window_edges_are_half_open(site, guard, route, night, offset, expected):
    start = local(site, 2026, 11, 20, 22, 0)
    moments = {
        "before": start - US,
        "starts_at": start,
        "just before ends_at": start + timedelta(minutes=30) - US,
        "ends_at": start + timedelta(minutes=30),
        "just before grace_until": start + timedelta(minutes=40) - US,
        "grace_until": start + timedelta(minutes=40),
    }
    plan(site, start)
    point = points_of(route)[0]
    result = scan(guard, point, moments[offset])
    run = run_at(route, start)
    assert count_check_ins() == 1  # the scan is a fact either way
    if expected is None:
        assert result.matches == []
        assert point_status(run, point) == "pending"
    else:
        (match,) = result.matches
        assert match.run.id == run.id
        assert match.late is (expected == "late")
        assert point_status(run, point) == expected
        assert match.run_point.check_in_id == result.check_in.id


def test_scans_after_midnight_count_for_the_runs_of_the_next_calendar_day(site, guard, route,
                                                                           night):
    plan(site, local(site, 2026, 11, 20, 23, 0))
    point = points_of(route)[0]
    first = scan(guard, point, local(site, 2026, 11, 21, 0, 5))
    second = scan(guard, point, local(site, 2026, 11, 21, 2, 35))
    assert first.matches[0].run.starts_at == local(site, 2026, 11, 21, 0, 0)
    assert first.matches[0].late is False
    assert second.matches[0].run.starts_at == local(site, 2026, 11, 21, 2, 0)
    assert second.matches[0].late is True


def test_a_scan_counts_for_the_earliest_open_run_still_needing_it(site, guard, route):
    """Overlapping runs (every 20 minutes, open 30): the older run first, then the newer."""
    make_interval_schedule(
        route, every=20, start=time(22), end=time(23), run_minutes=30, grace_minutes=10
    )
    plan(site, local(site, 2026, 11, 20, 22, 0))
    point = points_of(route)[0]
    at = local(site, 2026, 11, 20, 22, 25)
    first = scan(guard, point, at)
    second = scan(guard, point, at + timedelta(seconds=30))
    third = scan(guard, point, at + timedelta(seconds=60))
    assert first.matches[0].run.starts_at == local(site, 2026, 11, 20, 22, 0)
    assert second.matches[0].run.starts_at == local(site, 2026, 11, 20, 22, 20)
    assert "repeat" not in second.check_in.flags
    assert third.matches == []
    assert third.check_in.flags.split() == ["repeat"]


def test_a_scan_counts_for_each_route_with_the_checkpoint(site, guard):
    shared = factories.make_point(site, code="GATE")
    first = make_route(site, points=[shared, factories.make_point(site)])
    second = make_route(site, points=[factories.make_point(site), shared])
    make_schedule(first, times="22:00")
    make_schedule(second, times="22:00")
    plan(site, local(site, 2026, 11, 20, 22, 0))
    result = scan(guard, shared, local(site, 2026, 11, 20, 22, 5))
    assert {m.run.route_id for m in result.matches} == {first.id, second.id}
    assert result.check_in.flags == ""


def test_a_repeat_in_the_same_run_is_flagged_and_counted_once(site, guard, route, night):
    plan(site, local(site, 2026, 11, 20, 22, 0))
    point = points_of(route)[0]
    first = scan(guard, point, local(site, 2026, 11, 20, 22, 5))
    again = scan(guard, point, local(site, 2026, 11, 20, 22, 6))
    run = first.matches[0].run
    assert again.matches == []
    assert again.check_in.flag_list == [checkins.Flag.REPEAT]
    assert again.check_in.flag_details == {"repeat": {"runs": [run.id]}}
    assert count_check_ins() == 2
    done = db.session.scalar(
        select(func.count()).select_from(RunPoint).where(
            RunPoint.run_id == run.id, RunPoint.status == "done"
        )
    )
    assert done == 1
    assert point_status(run, point) == "done"
    assert db.session.get(RunPoint, first.matches[0].run_point.id).check_in_id == (
        first.check_in.id
    )


def test_a_scan_outside_any_run_is_recorded_without_a_match(site, guard, route, night):
    plan(site, local(site, 2026, 11, 20, 12, 0))
    result = scan(guard, points_of(route)[0], local(site, 2026, 11, 20, 12, 0))
    assert result.matches == []
    assert result.check_in.flags == ""
    assert result.check_in.seq == 1


def test_the_longest_run_the_form_allows_still_takes_scans_at_the_end_of_its_grace(
    site, guard, route
):
    """The open-run lookup only reads runs started within PatrolRun.LONGEST: a run of the
    longest allowed window and grace must still take a scan just before its grace ends."""
    make_schedule(
        route, times="18:00", run_minutes=planning.RUN_MINUTES_MAX,
        grace_minutes=planning.GRACE_MINUTES_MAX,
    )
    start = local(site, 2026, 11, 20, 18, 0)
    plan(site, start)
    run = run_at(route, start)
    assert run.grace_until - run.starts_at == PatrolRun.LONGEST
    first = points_of(route)[0]
    result = scan(guard, first, run.grace_until - US)
    assert [m.run.id for m in result.matches] == [run.id]
    assert point_status(run, first) == "late"


def test_the_last_checkpoint_completes_the_run_at_once(site, guard, route, night):
    start = local(site, 2026, 11, 20, 22, 0)
    plan(site, start)
    for i, point in enumerate(points_of(route)):
        result = scan(guard, point, start + timedelta(minutes=5 * i, seconds=1))
    run = db.session.get(PatrolRun, result.matches[0].run.id)
    assert run.status == "complete"
    assert run.evaluated_at is not None


def test_a_late_last_checkpoint_still_completes_the_run(site, guard, route, night):
    start = local(site, 2026, 11, 20, 22, 0)
    plan(site, start)
    first, second, third = points_of(route)
    scan(guard, first, start + timedelta(minutes=1))
    scan(guard, second, start + timedelta(minutes=10))
    result = scan(guard, third, start + timedelta(minutes=35))
    run = db.session.get(PatrolRun, result.matches[0].run.id)
    assert run.status == "complete"
    assert point_status(run, third) == "late"


def test_an_offline_scan_fills_a_missed_checkpoint_and_rescores_the_run(site, guard, route,
                                                                         night):
    start = local(site, 2026, 11, 20, 22, 0)
    plan(site, start)
    first, second, third = points_of(route)
    scan(guard, first, start + timedelta(minutes=1))
    scan(guard, second, start + timedelta(minutes=10))
    tick.bring_up_to_date(site, start + timedelta(minutes=41))
    run = run_at(route, start)
    assert (run.status, point_status(run, third)) == ("partial", "missed")
    # The third scan was made at 22:20 without network and arrives at 23:00.
    result = scan(guard, third, start + timedelta(hours=1), source="sync",
                  scanned_at=start + timedelta(minutes=20))
    assert [m.run.id for m in result.matches] == [run.id]
    db.session.refresh(run)
    assert (run.status, point_status(run, third)) == ("complete", "done")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["done", "late", "done"], "complete"),
        (["done", "missed"], "partial"),
        (["pending", "late"], "partial"),
        (["missed", "pending"], "missed"),
        ([], "missed"),
    ],
)
def test_score(statuses, expected):
    assert score(statuses) == expected


# --------------------------------------------------------------------------- refusals


def assert_nothing_recorded():
    assert count_check_ins() == 0
    assert db.session.scalar(select(func.count()).select_from(ChainHead)) == 0
    assert db.session.scalar(
        select(func.count()).select_from(RunPoint).where(RunPoint.status != "pending")
    ) == 0


def forge(token: str) -> str:
    last = "A" if token[-1] != "A" else "B"
    return token[:-1] + last


@pytest.mark.parametrize(
    "make_token",
    [
        forge,
        lambda token: "NOT-A-TOKEN",
        lambda token: "",
        lambda token: token[:-1],
        lambda token: ("B" if token[0] != "B" else "C") + token[1:],  # another serial
    ],
)
def test_forged_tokens_are_refused_and_nothing_is_recorded(in_request, site, guard, route, night,
                                                           make_token):
    plan(site, local(site, 2026, 11, 20, 22, 0))
    token = make_token(token_of(points_of(route)[0]))
    with pytest.raises(CheckInRefused) as refused:
        record_check_in(guard, token, now=local(site, 2026, 11, 20, 22, 5))
    assert refused.value.reason == "invalid"
    assert "not a valid pmfield label" in refused.value.message
    assert_nothing_recorded()


def test_a_label_revoked_before_the_scan_is_refused(in_request, site, guard, route, night):
    point = points_of(route)[0]
    token = token_of(point)
    label = places.revoke_label(point, reason="Label lost", actor=None)
    db.session.commit()
    with pytest.raises(CheckInRefused) as refused:
        record_check_in(guard, token, now=label.revoked_at + timedelta(seconds=1))
    assert refused.value.reason == "revoked"
    assert_nothing_recorded()


def test_an_offline_scan_made_before_the_revocation_is_accepted_and_flagged(in_request, site,
                                                                            guard, route):
    point = points_of(route)[0]
    token = token_of(point)
    label = places.reissue_label(point, reason="Label damaged", actor=None)
    db.session.commit()
    old = point.labels[0]
    result = record_check_in(
        guard, token, source="sync", scanned_at=old.revoked_at - timedelta(minutes=5),
        now=old.revoked_at + timedelta(minutes=10),
    )
    assert result.check_in.flag_list == [checkins.Flag.REVOKED_LABEL]
    assert result.check_in.label_id == old.id
    assert result.check_in.label_version == 1
    assert label.version == 2
    # Scanned at the very moment of the revocation: refused.
    with pytest.raises(CheckInRefused):
        record_check_in(guard, token, source="sync", scanned_at=old.revoked_at,
                        now=old.revoked_at + timedelta(minutes=10))
    assert count_check_ins() == 1


def test_a_retired_checkpoint_is_refused(in_request, site, guard, route):
    point = points_of(route)[0]
    token = token_of(point)
    places.retire_point(point, actor=None)
    with pytest.raises(CheckInRefused) as refused:
        record_check_in(guard, token)
    assert refused.value.reason == "retired"
    assert_nothing_recorded()


@pytest.mark.parametrize("role", [Role.CLEANER, Role.TECHNICIAN, Role.DESK, Role.MANAGER,
                                  Role.ADMIN])
def test_only_guards_and_security_supervisors_check_in(in_request, site, route, night, role):
    plan(site, local(site, 2026, 11, 20, 22, 0))
    user = factories.make_user(role, sites=[] if role == Role.ADMIN else [site])
    with pytest.raises(CheckInRefused) as refused:
        scan(user, points_of(route)[0], local(site, 2026, 11, 20, 22, 5))
    assert refused.value.reason == "role"
    assert_nothing_recorded()


def test_a_security_supervisor_checks_in(site, route, night):
    plan(site, local(site, 2026, 11, 20, 22, 0))
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    result = scan(supervisor, points_of(route)[0], local(site, 2026, 11, 20, 22, 5))
    assert len(result.matches) == 1


def test_a_guard_of_one_site_cannot_check_in_at_another_sites_label(in_request, site, other_site,
                                                                    route, night):
    plan(site, local(site, 2026, 11, 20, 22, 0))
    stranger = factories.make_user(Role.GUARD, sites=[other_site])
    with pytest.raises(CheckInRefused) as refused:
        scan(stranger, points_of(route)[0], local(site, 2026, 11, 20, 22, 5))
    assert refused.value.reason == "site"
    assert "another site" in refused.value.message
    assert_nothing_recorded()


def test_points_that_are_not_checkpoints_need_to_be_on_a_route(in_request, site, guard):
    lift = factories.make_point(site, kind="elevator")
    with pytest.raises(CheckInRefused) as refused:
        record_check_in(guard, token_of(lift))
    assert refused.value.reason == "not_patrol"
    assert_nothing_recorded()
    make_route(site, points=[lift])
    assert record_check_in(guard, token_of(lift)).check_in.point_id == lift.id


def test_a_too_long_client_id_is_refused(in_request, site, guard, route):
    with pytest.raises(CheckInRefused) as refused:
        scan(guard, points_of(route)[0], utcnow(), client_id="x" * 65)
    assert refused.value.reason == "invalid"
    assert_nothing_recorded()


def test_an_unknown_source_is_a_programming_error(site, guard, route):
    with pytest.raises(ValueError, match="telepathy"):
        scan(guard, points_of(route)[0], utcnow(), source="telepathy")


# --------------------------------------------------------------------------- replays


def test_a_retried_scan_with_the_same_client_id_records_nothing_new(site, guard, route, night):
    plan(site, local(site, 2026, 11, 20, 22, 0))
    point = points_of(route)[0]
    first = scan(guard, point, local(site, 2026, 11, 20, 22, 5), client_id="phone-1-0001")
    again = scan(guard, point, local(site, 2026, 11, 20, 22, 7), client_id="phone-1-0001")
    assert again.replay is True
    assert again.check_in.id == first.check_in.id
    assert [m.run.id for m in again.matches] == [m.run.id for m in first.matches]
    assert again.matches[0].late is False
    assert count_check_ins() == 1
    assert db.session.get(ChainHead, site.id).last_seq == 1
    # Another guard's phone may use the same id.
    other = factories.make_user(Role.GUARD, sites=[site])
    assert scan(other, point, local(site, 2026, 11, 20, 22, 8), client_id="phone-1-0001").replay \
        is False


def test_a_retry_racing_the_first_request_returns_the_first_check_in(site, guard, route,
                                                                     monkeypatch):
    """The retry arrives while the first request is still saving: it must not fail."""
    point = points_of(route)[0]
    first = scan(guard, point, utcnow(), client_id="phone-1-0002")
    real_replay = checkins._replay
    calls = []

    def not_yet_committed(user, client_id):
        calls.append(client_id)
        return None if len(calls) == 1 else real_replay(user, client_id)

    monkeypatch.setattr(checkins, "_replay", not_yet_committed)
    again = scan(guard, point, utcnow(), client_id="phone-1-0002")
    assert again.replay is True
    assert again.check_in.id == first.check_in.id
    assert count_check_ins() == 1
    assert db.session.get(ChainHead, site.id).last_seq == 1


# --------------------------------------------------------------------------- flags


def test_clock_skew_beyond_the_tolerance_is_flagged_with_the_offset(site, guard, route):
    now = utcnow()
    result = scan(guard, points_of(route)[0], now, device_time=now + timedelta(minutes=5))
    assert result.check_in.flag_list == [checkins.Flag.CLOCK_SKEW]
    assert result.check_in.flag_details == {"clock_skew": {"seconds": 300}}
    assert result.check_in.clock_offset_seconds == 300
    behind = scan(guard, points_of(route)[1], now, device_time=now - timedelta(minutes=5))
    assert behind.check_in.flag_details == {"clock_skew": {"seconds": -300}}


@pytest.mark.parametrize("seconds", [0, 60, -119, 120, -120])
def test_clock_skew_within_the_tolerance_is_not_flagged(site, guard, route, seconds):
    now = utcnow()
    result = scan(guard, points_of(route)[0], now, device_time=now + timedelta(seconds=seconds))
    assert result.check_in.flags == ""
    assert result.check_in.clock_offset_seconds == seconds


def test_the_site_sets_its_clock_tolerance(site, guard, route):
    db.session.add(PatrolSettings(site_id=site.id, clock_tolerance_seconds=30))
    db.session.commit()
    now = utcnow()
    result = scan(guard, points_of(route)[0], now, device_time=now + timedelta(seconds=45))
    assert result.check_in.flag_details == {"clock_skew": {"seconds": 45}}


def test_no_device_time_no_skew_flag(site, guard, route):
    result = scan(guard, points_of(route)[0], utcnow())
    assert result.check_in.flags == ""
    assert result.check_in.clock_offset_seconds is None


@pytest.mark.parametrize(("seconds", "flagged"), [(20, True), (59, True), (60, False),
                                                  (90, False)])
def test_too_fast_with_the_routes_minimum(site, guard, seconds, flagged):
    route = make_route(site, 3, min_walk=60)
    first, second, _third = points_of(route)
    start = utcnow()
    scan(guard, first, start)
    result = scan(guard, second, start + timedelta(seconds=seconds))
    if flagged:
        assert result.check_in.flag_list == [checkins.Flag.TOO_FAST]
        assert result.check_in.flag_details["too_fast"] == {
            "seconds": seconds, "minimum": 60, "previous_point_id": first.id,
        }
    else:
        assert result.check_in.flags == ""


def test_too_fast_uses_the_pairs_own_minimum(site, guard):
    route = make_route(site, 3, min_walk=60)
    route.checkpoints[1].min_walk_seconds = 30  # from checkpoint 1 to 2: close together
    route.checkpoints[2].min_walk_seconds = 300  # from checkpoint 2 to 3: other building
    db.session.commit()
    first, second, third = points_of(route)
    start = utcnow()
    scan(guard, first, start)
    assert scan(guard, second, start + timedelta(seconds=40)).check_in.flags == ""
    slow = scan(guard, third, start + timedelta(seconds=40 + 200))
    assert slow.check_in.flag_details["too_fast"]["minimum"] == 300
    # Not neighbours on the route: the route's own minimum applies.
    fast = scan(guard, first, start + timedelta(seconds=240 + 61))
    assert fast.check_in.flags == ""


def test_too_fast_only_compares_the_same_guard_and_recent_scans(site, guard):
    route = make_route(site, 2, min_walk=60)
    first, second = points_of(route)
    colleague = factories.make_user(Role.GUARD, sites=[site])
    start = utcnow()
    scan(colleague, first, start)
    assert scan(guard, second, start + timedelta(seconds=5)).check_in.flags == ""
    # The same checkpoint twice is a repeat, not a walk.
    assert scan(guard, second, start + timedelta(seconds=10)).check_in.flags == ""


def test_no_minimum_no_too_fast_flag(site, guard, route):
    first, second, _ = points_of(route)
    start = utcnow()
    scan(guard, first, start)
    assert scan(guard, second, start + timedelta(seconds=1)).check_in.flags == ""


def test_out_of_order_on_a_strict_route(site, guard):
    route = make_route(site, 3, strict=True)
    make_schedule(route, times="22:00")
    plan(site, local(site, 2026, 11, 20, 22, 0))
    first, second, third = points_of(route)
    at = local(site, 2026, 11, 20, 22, 5)
    skipped = scan(guard, second, at)
    run = skipped.matches[0].run
    assert skipped.check_in.flag_list == [checkins.Flag.OUT_OF_ORDER]
    assert skipped.check_in.flag_details == {"out_of_order": {"runs": [run.id]}}
    assert point_status(run, second) == "done"  # flagged, still counted
    assert scan(guard, first, at + timedelta(minutes=2)).check_in.flags == ""
    assert scan(guard, third, at + timedelta(minutes=4)).check_in.flags == ""


def test_any_order_on_a_free_route(site, guard, route, night):
    plan(site, local(site, 2026, 11, 20, 22, 0))
    _first, _second, third = points_of(route)
    assert scan(guard, third, local(site, 2026, 11, 20, 22, 5)).check_in.flags == ""


def test_several_flags_at_once(site, guard):
    route = make_route(site, 2, strict=True, min_walk=60)
    make_schedule(route, times="22:00")
    plan(site, local(site, 2026, 11, 20, 22, 0))
    first, second = points_of(route)
    at = local(site, 2026, 11, 20, 22, 5)
    scan(guard, first, at)
    scan(guard, second, at + timedelta(seconds=90))
    result = scan(guard, first, at + timedelta(seconds=100), device_time=at - timedelta(minutes=5))
    assert set(result.check_in.flags.split()) == {"clock_skew", "too_fast", "repeat"}


# --------------------------------------------------------------------------- append-only


def test_check_ins_cannot_be_changed_or_deleted_through_the_orm(site, guard, route):
    check_in = scan(guard, points_of(route)[0], utcnow()).check_in
    check_in.latitude = 31.2
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(CheckIn, check_in.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(CheckIn, check_in.id).latitude is None


def test_sequence_numbers_per_site(site, other_site, guard, route):
    other_guard = factories.make_user(Role.GUARD, sites=[other_site])
    other_point = factories.make_point(other_site, kind="checkpoint")
    seqs = [scan(guard, p, utcnow()).check_in.seq for p in points_of(route)]
    assert seqs == [1, 2, 3]
    assert scan(other_guard, other_point, utcnow()).check_in.seq == 1
    assert scan(guard, points_of(route)[0], utcnow()).check_in.seq == 4


def test_position_and_source_are_kept(site, guard, route):
    result = scan(guard, points_of(route)[0], utcnow(), latitude=31.23, longitude=121.47,
                  accuracy_m=8.5, source="link")
    check_in = db.session.get(CheckIn, result.check_in.id)
    assert (check_in.latitude, check_in.longitude, check_in.accuracy_m) == (31.23, 121.47, 8.5)
    assert check_in.source == "link"
    assert check_in.label_id == points_of(route)[0].current_label.id


def test_lower_case_tokens_are_accepted(site, guard, route):
    point = points_of(route)[0]
    token = label_token(point.current_label).lower()
    assert record_check_in(guard, token).check_in.point_id == point.id
