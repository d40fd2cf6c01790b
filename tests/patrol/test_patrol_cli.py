"""`pmfield verify-chain` and `pmfield tick` from the command line."""

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.notifications.models import Notification
from pmfield.patrol import tick
from pmfield.patrol.checkins import record_check_in
from pmfield.patrol.models import ChainCheck
from pmfield.patrol.models import PatrolRun
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of


@pytest.fixture
def walked(site, other_site):
    """Three check-ins at the site, one at the other site."""
    guard = factories.make_user(Role.GUARD, sites=[site])
    for rc in make_route(site, 3).checkpoints:
        record_check_in(guard, token_of(rc.point))
    other_guard = factories.make_user(Role.GUARD, sites=[other_site])
    record_check_in(other_guard, token_of(make_route(other_site, 1).checkpoints[0].point))


def checks(site) -> list[ChainCheck]:
    return list(
        db.session.scalars(select(ChainCheck).where(ChainCheck.site_id == site.id))
    )


def test_verify_chain_ok(runner, walked, site, other_site):
    result = runner.invoke(args=["verify-chain"])
    assert result.exit_code == 0, result.output
    assert f"{site.code}: OK, 3 check-ins verified" in result.output
    assert f"{other_site.code}: OK, 1 check-ins verified" in result.output
    assert [(c.ok, c.rows_checked) for c in checks(site)] == [(True, 3)]
    assert [(c.ok, c.rows_checked) for c in checks(other_site)] == [(True, 1)]


def test_verify_chain_broken_exits_1_and_names_the_rows(runner, walked, site, other_site):
    db.session.execute(
        text("UPDATE patrol_check_ins SET latitude = 1 WHERE site_id = :site AND seq = 2"),
        {"site": site.id},
    )
    db.session.execute(
        text("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 3"), {"site": site.id}
    )
    db.session.commit()
    result = runner.invoke(args=["verify-chain"])
    assert result.exit_code == 1
    assert f"{site.code}: BROKEN, 2 problem(s) in 2 check-ins" in result.output
    assert "  #2: edited" in result.output
    assert "  #3: missing" in result.output
    assert f"{other_site.code}: OK, 1 check-ins verified" in result.output
    db.session.expire_all()
    (check,) = checks(site)
    assert check.ok is False
    assert check.problems == [{"seq": 2, "problem": "edited"}, {"seq": 3, "problem": "missing"}]


def test_verify_chain_for_one_site(runner, walked, site, other_site):
    db.session.execute(
        text("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 1"),
        {"site": other_site.id},
    )
    db.session.commit()
    result = runner.invoke(args=["verify-chain", "--site", site.code.lower()])
    assert result.exit_code == 0, result.output
    assert other_site.code not in result.output
    assert checks(other_site) == []
    assert runner.invoke(args=["verify-chain", "--site", other_site.code]).exit_code == 1


def test_verify_chain_unknown_site(runner, walked):
    result = runner.invoke(args=["verify-chain", "--site", "NOPE"])
    assert result.exit_code == 2
    assert "no site with code NOPE" in result.output


def test_tick_command(runner, site, monkeypatch):
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    make_schedule(make_route(site, 2), times="22:00", run_minutes=30, grace_minutes=10)
    monkeypatch.setattr(tick, "utcnow", lambda: local(site, 2026, 11, 20, 23, 0))
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "runs created: 3, runs closed: 2, checkpoints missed: 4, notifications: 2, "
        "cleaning tasks created: 0, jobs escalated: 0, callback samples drawn: 1, "
        "callbacks overdue: 0, maintenance jobs created: 0\n"
    )
    assert [r.status for r in db.session.scalars(select(PatrolRun).order_by(PatrolRun.starts_at))
            ] == ["missed", "missed", "pending"]
    assert db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == supervisor.id)
    ) == 2
    again = runner.invoke(args=["tick"])
    assert again.exit_code == 0
    assert again.output == (
        "runs created: 0, runs closed: 0, checkpoints missed: 0, notifications: 0, "
        "cleaning tasks created: 0, jobs escalated: 0, callback samples drawn: 0, "
        "callbacks overdue: 0, maintenance jobs created: 0\n"
    )
