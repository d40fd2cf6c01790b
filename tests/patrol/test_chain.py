"""The tamper-evident chain of check-ins: edited, deleted and relinked rows are caught."""

from itertools import pairwise

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import chain
from pmfield.patrol.checkins import record_check_in
from pmfield.patrol.models import ChainCheck
from pmfield.patrol.models import ChainHead
from pmfield.patrol.models import CheckIn
from pmfield.timeutil import utcnow
from tests import factories
from tests.concurrency import run_together
from tests.conftest import TEST_DATABASE_URL
from tests.patrol.factories import make_route
from tests.patrol.factories import token_of


def sql(statement: str, **params) -> None:
    """Change the table behind the application's back, as somebody with database access could."""
    db.session.execute(text(statement), params)
    db.session.commit()
    db.session.expire_all()


def problems(site) -> list[dict]:
    return chain.verify_chain(site.id).problems


@pytest.fixture
def walked(site, other_site):
    """Five check-ins at the site and three at the other, interleaved."""
    guard = factories.make_user(Role.GUARD, sites=[site])
    other_guard = factories.make_user(Role.GUARD, sites=[other_site])
    here = [rc.point for rc in make_route(site, 5).checkpoints]
    there = [rc.point for rc in make_route(other_site, 3).checkpoints]
    for i, point in enumerate(here):
        record_check_in(guard, token_of(point), latitude=31.2 + i / 1000, longitude=121.4,
                        accuracy_m=5.0, device_time=utcnow(), client_id=f"c{i}")
        if i < len(there):
            record_check_in(other_guard, token_of(there[i]))
    return site


def test_a_fresh_chain_verifies(walked, site, other_site):
    report = chain.verify_chain(site.id)
    assert (report.ok, report.rows_checked, report.problem_count, report.problems) == (
        True, 5, 0, [],
    )
    other = chain.verify_chain(other_site.id)
    assert (other.ok, other.rows_checked) == (True, 3)


def test_links_follow_each_other(walked, site):
    rows = list(db.session.scalars(
        select(CheckIn).where(CheckIn.site_id == site.id).order_by(CheckIn.seq)
    ))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == chain.genesis_hash(site.id)
    assert all(b.prev_hash == a.chain_hash for a, b in pairwise(rows))
    head = db.session.get(ChainHead, site.id)
    assert (head.last_seq, head.last_hash) == (5, rows[-1].chain_hash)


def test_an_empty_site_verifies(site):
    report = chain.verify_chain(site.id)
    assert (report.ok, report.rows_checked) == (True, 0)


@pytest.mark.parametrize(
    "change",
    [
        "SET scanned_at = device_time",
        "SET user_id = (SELECT MAX(id) FROM users)",
        "SET latitude = 40.0",
        "SET flags = 'too_fast'",
        "SET source = 'link'",
        "SET client_id = 'forged'",
    ],
)
def test_an_edited_row_is_caught_at_its_seq(walked, site, change):
    sql("UPDATE patrol_check_ins " + change + " WHERE site_id = :site AND seq = 3", site=site.id)
    assert problems(site) == [{"seq": 3, "problem": "edited"}]


def test_a_copied_hash_does_not_hide_an_edit(walked, site):
    """Moving a row to another point and pasting another row's hash still breaks the chain."""
    sql(
        "UPDATE patrol_check_ins SET point_id = (SELECT point_id FROM patrol_check_ins "
        "WHERE site_id = :site AND seq = 4) WHERE site_id = :site AND seq = 2", site=site.id,
    )
    report = chain.verify_chain(site.id)
    assert not report.ok
    assert {"seq": 2, "problem": "edited"} in report.problems


def test_a_deleted_middle_row_is_caught_as_missing(walked, site):
    sql("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 3", site=site.id)
    report = chain.verify_chain(site.id)
    assert report.problems == [{"seq": 3, "problem": "missing"}]
    assert report.rows_checked == 4


def test_a_deleted_first_row_is_caught(walked, site):
    sql("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 1", site=site.id)
    assert problems(site) == [{"seq": 1, "problem": "missing"}]


def test_a_deleted_last_row_is_caught_by_the_head(walked, site):
    sql("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 5", site=site.id)
    assert problems(site) == [{"seq": 5, "problem": "missing"}]


def test_a_deleted_last_row_with_the_head_wound_back_is_caught(walked, site):
    sql("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 5", site=site.id)
    sql("UPDATE patrol_chain_heads SET last_seq = 4 WHERE site_id = :site", site=site.id)
    assert problems(site) == [{"seq": 4, "problem": "head"}]


def test_renumbered_rows_after_a_deletion_are_caught(walked, site):
    """Deleting seq 3 and renumbering 4 → 3, 5 → 4 leaves no gap, but breaks the links."""
    sql("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 3", site=site.id)
    sql("UPDATE patrol_check_ins SET seq = seq - 1 WHERE site_id = :site AND seq > 3",
        site=site.id)
    sql("UPDATE patrol_chain_heads SET last_seq = 4 WHERE site_id = :site", site=site.id)
    report = chain.verify_chain(site.id)
    assert not report.ok
    assert {"seq": 3, "problem": "relinked"} in report.problems
    assert {"seq": 3, "problem": "edited"} in report.problems


def test_the_other_sites_chain_is_not_affected(walked, site, other_site):
    sql("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 2", site=site.id)
    assert chain.verify_chain(other_site.id).ok


def test_the_key_matters(app, walked, site):
    app.config["CHAIN_SECRET"] = "somebody else's key"
    report = chain.verify_chain(site.id)
    assert not report.ok
    assert report.problem_count == 5 + 1  # every row, plus the first link


def test_problem_lists_are_capped_but_counted(walked, site, monkeypatch):
    monkeypatch.setattr(chain, "MAX_PROBLEMS", 2)
    sql("UPDATE patrol_check_ins SET latitude = 0 WHERE site_id = :site", site=site.id)
    report = chain.verify_chain(site.id)
    assert report.problem_count == 5
    assert len(report.problems) == 2


def test_record_chain_check_keeps_the_last_result(walked, site, other_site):
    assert chain.last_chain_check(site) is None
    first = chain.record_chain_check(site)
    assert (first.ok, first.rows_checked, first.problems) == (True, 5, [])
    sql("DELETE FROM patrol_check_ins WHERE site_id = :site AND seq = 2", site=site.id)
    second = chain.record_chain_check(site)
    assert chain.last_chain_check(site).id == second.id
    assert (second.ok, second.problems) == (False, [{"seq": 2, "problem": "missing"}])
    assert chain.last_chain_check(other_site) is None
    assert db.session.scalar(select(func.count()).select_from(ChainCheck)) == 2


# --------------------------------------------------------------------------- two at once


class TestConcurrent:
    """Check-ins of one site from two requests at the same moment."""

    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        # A database file (PostgreSQL when configured): each thread is its own transaction.
        if not TEST_DATABASE_URL:
            app_config["DATABASE_URL"] = f"sqlite:///{tmp_path / 't.db'}"
        return app_config

    def run_together(self, app, jobs):
        return run_together(app, jobs)

    def test_two_guards_checking_in_at_once_get_consecutive_numbers(self, app, site):
        guards = [factories.make_user(Role.GUARD, sites=[site]).id for _ in range(2)]
        tokens = [token_of(rc.point) for rc in make_route(site, 4).checkpoints]
        site_id = site.id
        db.session.remove()

        def walk(user_id):
            def job():
                user = db.session.get(User, user_id)
                return [record_check_in(user, token).check_in.seq for token in tokens]
            return job

        results = self.run_together(app, [walk(guards[0]), walk(guards[1])])
        assert sorted(results[0] + results[1]) == list(range(1, 9))
        report = chain.verify_chain(site_id)
        assert (report.ok, report.rows_checked) == (True, 8)
        assert db.session.get(ChainHead, site_id).last_seq == 8

    def test_the_same_scan_sent_twice_at_once_is_recorded_once(self, app, site):
        guard_id = factories.make_user(Role.GUARD, sites=[site]).id
        token = token_of(make_route(site, 1).checkpoints[0].point)
        site_id = site.id
        db.session.remove()

        def send():
            user = db.session.get(User, guard_id)
            return record_check_in(user, token, client_id="phone-7").check_in.id

        first, second = self.run_together(app, [send, send])
        assert first == second
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
        assert chain.verify_chain(site_id).ok
