"""Patrol reports: days in site time, run states, route history, the daily report page."""

import re
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import event

from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.patrol import checkins
from pmfield.patrol import incidents
from pmfield.patrol import reports
from pmfield.patrol import tick
from pmfield.patrol.models import PatrolRun
from pmfield.places.models import Site
from pmfield.places.services import site_time
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of
from tests.patrol.test_board import DAY
from tests.patrol.test_board import make_night


@pytest.fixture
def in_request(app):
    """Messages pick a language from the request, as in the views."""
    with app.test_request_context():
        yield


# --------------------------------------------------------------------------- days


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-10", date(2025, 3, 10)),
        (" 2025-03-10 ", date(2025, 3, 10)),
        ("", date(2020, 1, 1)),
    ],
)
def test_parse_day_reads_iso_dates_and_defaults(in_request, raw, expected):
    assert reports.parse_day(raw, date(2020, 1, 1)) == expected


@pytest.mark.parametrize(
    "raw", ["2025-02-30", "2025-3-1", "20250301", "yesterday", "0001-01-01", "9999-12-31"]
)
def test_parse_day_refuses_anything_else(in_request, raw):
    with pytest.raises(DomainError) as error:
        reports.parse_day(raw, date(2020, 1, 1))
    assert error.value.field == "date"


def test_parse_day_without_default_requires_a_date(in_request):
    with pytest.raises(DomainError, match="YYYY-MM-DD"):
        reports.parse_day(None)


def test_day_bounds_follow_the_sites_clock_across_summer_time(app):
    london = factories.make_site(code="LDN", timezone="Europe/London")
    start, end = reports.day_bounds(london, date(2025, 3, 30))  # clocks go forward
    assert start == datetime(2025, 3, 30, 0, 0, tzinfo=start.tzinfo)
    assert end - start == timedelta(hours=23)
    shanghai = factories.make_site(code="SH")
    start, end = reports.day_bounds(shanghai, date(2025, 3, 10))
    assert start == local(shanghai, 2025, 3, 10, 0, 0)
    assert end - start == timedelta(hours=24)


# --------------------------------------------------------------------------- runs


def test_pending_runs_read_as_upcoming_open_or_in_grace(app, site):
    route = make_route(site, 2)
    make_schedule(route, times="22:00", run_minutes=30, grace_minutes=10)
    tick.bring_up_to_date(site, local(site, 2025, 3, 10, 21, 0))
    day = date(2025, 3, 10)
    states = {}
    for hour, minute in ((21, 0), (22, 10), (22, 35)):
        now = local(site, 2025, 3, 10, hour, minute)
        board = reports.board_for(site, day, now)
        states[(hour, minute)] = board.groups[0].runs[0].state
    assert states == {(21, 0): "upcoming", (22, 10): "open", (22, 35): "grace"}
    tick.bring_up_to_date(site, local(site, 2025, 3, 10, 22, 41))
    board = reports.board_for(site, day, local(site, 2025, 3, 10, 22, 41))
    assert board.groups[0].runs[0].state == "missed"
    assert board.summary.missed == 1
    assert board.summary.missed_checkpoints == 2


def test_board_summary_counts_runs_and_checkpoints(app, site):
    make_night(site)
    board = reports.board_for(site, date(2025, 3, 10), local(site, 2025, 3, 11, 2, 0))
    summary = board.summary
    assert (summary.runs, summary.complete, summary.partial, summary.missed) == (3, 1, 1, 1)
    assert (summary.checkpoints, summary.scanned, summary.late) == (9, 5, 1)
    assert summary.missed_checkpoints == 4
    assert board.is_today is False


def _count_queries(work) -> int:
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def _fresh(site):
    """Forget every loaded object, so the next query loads all it needs (as a new request)."""
    site_id = site.id
    db.session.expunge_all()
    return db.session.get(Site, site_id)


def test_board_queries_do_not_grow_with_runs_scans_or_guards(app, site):
    """A few eager-loading queries per page, never one per run, checkpoint or guard."""
    make_night(site)
    day, now = date(2025, 3, 10), local(site, 2025, 3, 12, 0, 0)
    site = _fresh(site)
    before = _count_queries(lambda: reports.board_for(site, day, now))
    site = _fresh(site)
    # More of everything on the same day: a second route, more runs, another guard's scans.
    guard = factories.make_user(Role.GUARD, sites=[site])
    points = [factories.make_point(site, code=f"GR-{i}") for i in range(1, 6)]
    route = make_route(site, points=points, name_en="Garage round")
    make_schedule(route, times="20:00,20:30,21:00,21:30", run_minutes=20, grace_minutes=5)
    tick.bring_up_to_date(site, local(site, 2025, 3, 10, 19, 0))
    for minute, rc in zip((1, 2, 3, 4, 5), route.checkpoints, strict=True):
        checkins.record_check_in(
            guard, token_of(rc.point), now=local(site, 2025, 3, 10, 20, minute * 2)
        )
    tick.bring_up_to_date(site, now)
    site = _fresh(site)
    after = _count_queries(lambda: reports.board_for(site, day, now))
    board = reports.board_for(site, day, now)
    assert sum(len(group.runs) for group in board.groups) == 7
    assert after == before
    assert after <= 12


# --------------------------------------------------------------------------- route history


def test_route_history_counts_each_local_day_and_the_total(app, site):
    guard = factories.make_user(Role.GUARD, sites=[site])
    route = make_route(site, 2)
    # 07:30 in Shanghai is 23:30 UTC the day before: buckets must use the site's date.
    make_schedule(route, times="07:30", run_minutes=30, grace_minutes=10)
    tick.bring_up_to_date(site, local(site, 2025, 3, 17, 6, 0))  # runs of 16th to 18th
    for point in (rc.point for rc in route.checkpoints):
        checkins.record_check_in(guard, token_of(point), now=local(site, 2025, 3, 17, 7, 35))
    tick.bring_up_to_date(site, local(site, 2025, 3, 18, 6, 0))  # adds the 19th
    checkins.record_check_in(
        guard, token_of(route.checkpoints[0].point), now=local(site, 2025, 3, 18, 7, 35)
    )
    tick.bring_up_to_date(site, local(site, 2025, 3, 18, 9, 0))
    tick.bring_up_to_date(site, local(site, 2025, 1, 20, 9, 0))  # long before: not counted

    history = reports.route_history(route, date(2025, 3, 20))
    assert len(history.days) == 30
    assert history.days[0].day == date(2025, 3, 20)
    assert history.days[-1].day == date(2025, 2, 19)
    by_day = {d.day: d for d in history.days}
    assert (by_day[date(2025, 3, 16)].missed, by_day[date(2025, 3, 16)].scored) == (1, 1)
    assert (by_day[date(2025, 3, 17)].complete, by_day[date(2025, 3, 17)].rate) == (1, 100)
    assert (by_day[date(2025, 3, 18)].partial, by_day[date(2025, 3, 18)].rate) == (1, 0)
    assert by_day[date(2025, 3, 19)].unfinished == 1
    assert by_day[date(2025, 3, 19)].rate is None
    assert by_day[date(2025, 3, 20)].scored == 0
    total = history.total
    assert (total.complete, total.partial, total.missed, total.unfinished) == (1, 1, 1, 1)
    assert total.rate == 33


# --------------------------------------------------------------------------- daily report


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_daily_report_lists_runs_misses_flags_incidents_and_summary(client, login_as, site):
    night = make_night(site)
    incident = incidents.report_incident(
        night.guard, night.check_ins[1], kind="leak", note="Water under the door"
    )
    incident.reported_at = local(site, 2025, 3, 10, 22, 11)
    db.session.commit()
    desk = factories.make_user(Role.DESK, sites=[site])
    job = incidents.make_repair_request(desk, incident)
    login_as(factories.make_user(Role.MANAGER, sites=[site]))

    response = client.get(f"/patrol/report?date={DAY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Daily patrol report" in html
    assert "data-print" in html
    assert "js/print.js" in html

    summary = _section(html, "report-summary")
    assert "3 in all: 1 complete, 1 partial, 1 missed" in summary
    assert "9 to scan: 5 scanned (1 late), 4 missed" in summary
    assert 'data-chain="never"' in summary

    runs = _section(html, "report-runs")
    assert all(f'data-run="{run.id}"' in runs for run in night.runs.values())
    assert "Gina Guard, Hank Guard" in runs

    missed = _section(html, "report-missed")
    rows = re.findall(r"<tr>\s*<td>Night round</td>\s*<td>(\d\d:\d\d)</td>\s*"
                      r'<td><span class="code">([^<]+)</span></td>', missed)
    codes = [p.code for p in night.points]
    assert rows == [("23:00", codes[2])] + [("23:30", code) for code in codes]
    assert night.points[2].name in missed

    flags = _section(html, "report-flags")
    assert f'data-check-in="{night.check_ins[0].id}"' in flags
    assert "Phone clock off from server time" in flags
    assert "600 s ahead of server time." in flags
    assert f'data-check-in="{night.check_ins[1].id}"' not in flags  # not flagged

    listed = _section(html, "report-incidents")
    assert "Leak" in listed
    assert "Water under the door" in listed
    assert "Gina Guard" in listed
    assert night.points[1].code in listed
    assert "22:11" in listed
    assert job.number in listed


def test_daily_report_explains_too_fast_scans(client, login_as, site):
    guard = factories.make_user(Role.GUARD, sites=[site])
    route = make_route(site, 2, min_walk=120)
    make_schedule(route, times="22:00")
    tick.bring_up_to_date(site, local(site, 2025, 3, 10, 21, 0))
    first, second = (rc.point for rc in route.checkpoints)
    checkins.record_check_in(guard, token_of(first), now=local(site, 2025, 3, 10, 22, 5))
    checkins.record_check_in(
        guard, token_of(second), now=local(site, 2025, 3, 10, 22, 5) + timedelta(seconds=30)
    )
    login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))
    flags = _section(client.get(f"/patrol/report?date={DAY}").get_data(as_text=True),
                     "report-flags")
    assert "Faster than a person can walk from the previous checkpoint" in flags
    assert "30 s after the previous checkpoint; at least 120 s expected." in flags
    assert f"Previous: {first.code}." in flags


def test_daily_report_of_another_day_leaves_this_day_out(client, login_as, site):
    night = make_night(site)
    login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))
    html = client.get("/patrol/report?date=2025-03-11").get_data(as_text=True)
    for run in night.runs.values():
        assert f'data-run="{run.id}"' not in html
    assert "No check-in was flagged." in html
    assert "No incident was reported." in html
    # The runs of that day exist (generated for the days around the night) and are listed.
    later = db.session.query(PatrolRun).filter(PatrolRun.route_id == night.route.id).all()
    next_day = [r for r in later if site_time(site, r.starts_at).date() == date(2025, 3, 11)]
    assert next_day
    assert all(f'data-run="{r.id}"' in html for r in next_day)
