"""Tick: runs planned ahead, closed after their grace, scored, supervisors told once."""

import threading
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.notifications import services as notifications
from pmfield.notifications.models import Notification
from pmfield.patrol import checkins
from pmfield.patrol import tick
from pmfield.patrol.chain import verify_chain
from pmfield.patrol.checkins import record_check_in
from pmfield.patrol.checkins import score
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import RunPoint
from pmfield.places.models import Site
from tests import factories
from tests.concurrency import run_together
from tests.conftest import TEST_DATABASE_URL
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of


def missed_notifications(user=None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == tick.MISSED_KIND)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(db.session.scalars(query.order_by(Notification.id)))


def runs(route=None) -> list[PatrolRun]:
    query = select(PatrolRun).order_by(PatrolRun.starts_at)
    if route is not None:
        query = query.where(PatrolRun.route_id == route.id)
    return list(db.session.scalars(query))


def statuses(run) -> list[str]:
    return list(
        db.session.scalars(
            select(RunPoint.status).where(RunPoint.run_id == run.id).order_by(RunPoint.position)
        )
    )


def scan(user, point, moment):
    return record_check_in(user, token_of(point), now=moment)


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site])


@pytest.fixture
def supervisors(site, other_site):
    """Two security supervisors of the site; others who must not hear of its misses."""
    factories.make_user(Role.SECURITY_SUPERVISOR, sites=[other_site])
    factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site], active=False)
    factories.make_user(Role.MANAGER, sites=[site])
    factories.make_user(Role.ADMIN)
    return [
        factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site], display_name="Sup A"),
        factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site], display_name="Sup B"),
    ]


@pytest.fixture
def route(site):
    return make_route(site, 3)


START = (2026, 11, 20, 22, 0)


@pytest.fixture
def evening(site, route):
    """One run a night at 22:00: open 30 minutes, 10 minutes' grace (closes 22:40).

    Made on the day of START, so there is no run the night before.
    """
    return make_schedule(route, times="22:00", run_minutes=30, grace_minutes=10,
                         effective_from=local(site, 2026, 11, 20, 12, 0))


def test_plans_yesterday_today_and_tomorrow(site, route):
    make_schedule(route, times="22:00", run_minutes=30, grace_minutes=10)
    report = tick.bring_up_to_date(site, local(site, 2026, 11, 20, 12, 0))
    assert report.runs_created == 3
    assert [r.starts_at for r in runs()] == [
        local(site, 2026, 11, 19, 22, 0),
        local(site, 2026, 11, 20, 22, 0),
        local(site, 2026, 11, 21, 22, 0),
    ]
    # Yesterday's run ended long ago: closed (and missed) in the same pass.
    assert report.runs_closed == 1
    assert [r.status for r in runs()] == ["missed", "pending", "pending"]


def test_a_run_closes_exactly_when_its_grace_ends(site, guard, route, evening, supervisors):
    start = local(site, *START)
    tick.bring_up_to_date(site, start)
    first = route.checkpoints[0].point
    scan(guard, first, start + timedelta(minutes=5))
    run = runs(route)[0]
    assert tick.bring_up_to_date(site, start + timedelta(minutes=40) - timedelta(
        microseconds=1)).runs_closed == 0
    db.session.refresh(run)
    assert run.status == "pending"
    report = tick.bring_up_to_date(site, start + timedelta(minutes=40))
    assert (report.runs_closed, report.checkpoints_missed) == (1, 2)
    db.session.refresh(run)
    assert run.status == "partial"
    assert run.evaluated_at == start + timedelta(minutes=40)
    assert statuses(run) == ["done", "missed", "missed"]


def test_scores_complete_partial_and_missed_and_keeps_late_scans(site, guard, supervisors):
    complete, partial, missed = (
        make_route(site, points=[factories.make_point(site) for _ in range(2)])
        for _ in range(3)
    )
    for route in (complete, partial, missed):
        make_schedule(route, times="22:00", run_minutes=30, grace_minutes=10)
    start = local(site, *START)
    tick.bring_up_to_date(site, start)
    a, b = (rc.point for rc in complete.checkpoints)
    scan(guard, a, start + timedelta(minutes=5))
    scan(guard, b, start + timedelta(minutes=35))  # late, in the grace period
    scan(guard, partial.checkpoints[1].point, start + timedelta(minutes=36))
    report = tick.bring_up_to_date(site, start + timedelta(minutes=45))
    tonight = {r.route_id: r for r in runs() if r.starts_at == start}
    assert tonight[complete.id].status == "complete"
    assert statuses(tonight[complete.id]) == ["done", "late"]
    assert tonight[partial.id].status == "partial"
    assert statuses(tonight[partial.id]) == ["missed", "late"]
    assert tonight[missed.id].status == "missed"
    assert statuses(tonight[missed.id]) == ["missed", "missed"]
    assert report.runs_closed == 2  # the complete run closed itself at its last scan
    assert report.checkpoints_missed == 3


def test_supervisors_of_the_site_are_told_once_per_run(app, site, route, evening, supervisors):
    start = local(site, *START)
    tick.bring_up_to_date(site, start)
    report = tick.bring_up_to_date(site, start + timedelta(minutes=41))
    run = runs(route)[0]
    assert report.notifications == 2
    found = missed_notifications()
    assert sorted(n.user_id for n in found) == sorted(s.id for s in supervisors)
    assert {n.key for n in found} == {f"run:{run.id}"}
    assert {n.site_id for n in found} == {site.id}
    assert {n.url for n in found} == {f"/patrol/runs/{run.id}"}
    with app.test_request_context():
        assert notifications.render_text(found[0]) == (
            "Night round, round of 11-20 22:00: 3 of 3 checkpoints missed."
        )


def test_a_complete_run_notifies_nobody(site, guard, route, evening, supervisors):
    start = local(site, *START)
    tick.bring_up_to_date(site, start)
    for i, rc in enumerate(route.checkpoints):
        scan(guard, rc.point, start + timedelta(minutes=i + 1))
    report = tick.bring_up_to_date(site, start + timedelta(hours=1))
    assert report.notifications == 0
    assert missed_notifications() == []


def test_running_twice_changes_nothing_and_notifies_once(site, route, evening, supervisors):
    start = local(site, *START)
    tick.bring_up_to_date(site, start)
    later = start + timedelta(minutes=41)
    first = tick.bring_up_to_date(site, later)
    before = [(r.id, r.status, r.evaluated_at, statuses(r)) for r in runs()]
    second = tick.bring_up_to_date(site, later)
    third = tick.bring_up_to_date(site, later + timedelta(minutes=5))
    assert (first.runs_closed, first.notifications) == (1, 2)
    assert second == third == tick.TickReport()
    db.session.expire_all()
    assert [(r.id, r.status, r.evaluated_at, statuses(r)) for r in runs()] == before
    assert len(missed_notifications()) == 2


def test_tick_brings_every_site_up_to_date(site, other_site, route, evening):
    make_schedule(make_route(other_site, 2), times="22:00")
    report = tick.tick(local(site, 2026, 11, 21, 12, 0))
    assert report.runs_created == 6
    assert report.runs_closed == 2  # last night's run at each site
    assert {r.site_id for r in runs()} == {site.id, other_site.id}


def test_the_missed_text_follows_the_readers_language(app):
    params = {
        "run_id": 1, "route_zh": "夜间巡逻", "route_en": "Night round",
        "starts_at": "2026-11-20T14:00:00+00:00", "timezone": "Asia/Shanghai", "missed": 2,
        "total": 4,
    }
    with app.test_request_context():
        assert tick.render_missed(params) == (
            "Night round, round of 11-20 22:00: 2 of 4 checkpoints missed."
        )
        with force_locale("zh_Hans"):
            assert "夜间巡逻" in tick.render_missed(params)


def test_an_offline_scan_during_closing_is_not_lost_from_the_score(site, guard, route, evening,
                                                                    supervisors, monkeypatch):
    """A scan synced while tick closes the run: the run's score must include it."""
    start = local(site, *START)
    tick.bring_up_to_date(site, start)
    run = runs(route)[0]
    first = route.checkpoints[0].point
    real_update = tick.update
    synced = []

    def sync_first(*args, **kwargs):
        # The offline scan of the first checkpoint lands just before tick's first write.
        if not synced:
            synced.append(True)
            record_check_in(guard, token_of(first), source="sync",
                            scanned_at=start + timedelta(minutes=20),
                            now=start + timedelta(minutes=41))
        return real_update(*args, **kwargs)

    monkeypatch.setattr(tick, "update", sync_first)
    report = tick.bring_up_to_date(site, start + timedelta(minutes=41))
    db.session.expire_all()
    run = db.session.get(PatrolRun, run.id)
    assert statuses(run) == ["done", "missed", "missed"]
    assert run.status == "partial"
    assert report.checkpoints_missed == 2
    assert {n.params["missed"] for n in missed_notifications()} == {2}


# --------------------------------------------------------------------------- two at once


class TestConcurrent:
    """Two ticks (two processes, or cron and a page) bringing the same site up to date."""

    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        # A database file (PostgreSQL when configured): each thread is its own transaction.
        if not TEST_DATABASE_URL:
            app_config["DATABASE_URL"] = f"sqlite:///{tmp_path / 't.db'}"
        return app_config

    def run_together(self, app, jobs):
        return run_together(app, jobs)

    def test_two_ticks_at_once_plan_and_close_each_run_once(self, app, site, route, supervisors):
        make_schedule(route, times="22:00,00:00,02:00", run_minutes=30, grace_minutes=10)
        site_id = site.id
        supervisor_ids = [s.id for s in supervisors]
        now = local(site, 2026, 11, 21, 12, 0)
        db.session.remove()

        def bring_up():
            return tick.bring_up_to_date(db.session.get(Site, site_id), now)

        reports = self.run_together(app, [bring_up, bring_up])
        assert sum(r.runs_created for r in reports) == 9
        all_runs = runs()
        assert len(all_runs) == 9
        closed = [r for r in all_runs if r.status != "pending"]
        assert len(closed) == 3  # last night's runs: 22:00, 00:00, 02:00
        assert sum(r.runs_closed for r in reports) == 3
        assert {r.status for r in closed} == {"missed"}
        assert db.session.scalar(select(func.count()).select_from(RunPoint)) == 9 * 3
        for supervisor_id in supervisor_ids:
            found = missed_notifications(db.session.get(User, supervisor_id))
            assert sorted(n.key for n in found) == sorted(f"run:{r.id}" for r in closed)
        assert sum(r.notifications for r in reports) == 3 * 2

    def test_tick_and_checkins_at_once(self, app, site, route, supervisors):
        """Cron ticks while two guards scan: every check-in chained, each run closed once."""
        make_schedule(route, times="22:00", run_minutes=30, grace_minutes=10)
        start = local(site, *START)
        tick.bring_up_to_date(site, start)
        guards = [factories.make_user(Role.GUARD, sites=[site]).id for _ in range(2)]
        tokens = [token_of(rc.point) for rc in route.checkpoints]
        site_id = site.id
        db.session.remove()

        def walk(n):
            def job():
                user = db.session.get(User, guards[n])
                return [
                    record_check_in(user, token, now=start + timedelta(minutes=5)).check_in.seq
                    for token in tokens
                ]
            return job

        def bring_up():
            return tick.bring_up_to_date(db.session.get(Site, site_id),
                                         start + timedelta(minutes=41))

        results = self.run_together(app, [walk(0), walk(1), bring_up])
        seqs = sorted(s for r in results if isinstance(r, list) for s in r)
        assert seqs == list(range(1, 7))
        assert verify_chain(site_id).ok
        # Whoever came first, the run ends complete: all three checkpoints were scanned in time.
        (run,) = [r for r in runs() if r.starts_at == start]
        assert statuses(run) == ["done", "done", "done"]
        assert run.status == score(statuses(run)) == "complete"
        # Told of the night before (closed by the same tick); of this run only if it closed
        # before the scans came in.
        keys = {n.key for n in missed_notifications()}
        assert keys - {f"run:{run.id}"} == {f"run:{runs()[0].id}"}

    def test_a_synced_scan_completing_a_run_while_tick_closes_it(self, app, site, supervisors,
                                                                 monkeypatch):
        """The scan has claimed the last checkpoint when tick starts closing the run."""
        route = make_route(site, 1)
        make_schedule(route, times="22:00", run_minutes=30, grace_minutes=10,
                      effective_from=local(site, 2026, 11, 20, 12, 0))
        start = local(site, *START)
        tick.bring_up_to_date(site, start)
        guard_id = factories.make_user(Role.GUARD, sites=[site]).id
        token = token_of(route.checkpoints[0].point)
        site_id = site.id
        db.session.remove()
        claimed, go_on = threading.Event(), threading.Event()
        real_rescore = checkins._rescore

        def rescore_later(run):
            claimed.set()
            go_on.wait(timeout=10)
            return real_rescore(run)

        monkeypatch.setattr(checkins, "_rescore", rescore_later)

        def scan_offline():
            return record_check_in(
                db.session.get(User, guard_id), token, source="sync",
                scanned_at=start + timedelta(minutes=5), now=start + timedelta(minutes=41),
            ).check_in.id

        def close():
            claimed.wait(timeout=10)
            return tick.bring_up_to_date(db.session.get(Site, site_id),
                                         start + timedelta(minutes=41))

        def release():
            claimed.wait(timeout=10)
            time.sleep(0.3)  # tick now waits for the scan's lock
            go_on.set()

        self.run_together(app, [scan_offline, close, release])
        (run,) = [r for r in runs() if r.starts_at == start]
        assert statuses(run) == ["done"]
        assert run.status == "complete"
        assert missed_notifications() == []
