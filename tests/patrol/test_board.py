"""The supervisor's patrol pages: board, run, a guard's day, a route's history, the chain banner."""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import template_rendered
from sqlalchemy import text

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import checkins
from pmfield.patrol import incidents
from pmfield.patrol import tick
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolRun
from pmfield.places.services import site_time
from tests import factories
from tests.conftest import HX
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of

DAY = "2025-03-10"


@dataclass
class Night:
    guard: object
    other_guard: object
    route: PatrolRoute
    points: list
    runs: dict  # "HH:MM" (site time) → PatrolRun
    check_ins: list


def make_night(site, *, route_name="Night round", guard_name="Gina Guard",
               other_name="Hank Guard") -> Night:
    """One night of 2025-03-10 at the site: the 22:00 round complete (one scan late), the 23:00
    round partial (two guards), the 23:30 round missed."""
    guard = factories.make_user(Role.GUARD, sites=[site], display_name=guard_name)
    other = factories.make_user(Role.GUARD, sites=[site], display_name=other_name)
    route = make_route(site, 3, name_en=route_name)
    make_schedule(route, times="22:00,23:00,23:30", run_minutes=30, grace_minutes=10)
    tick.bring_up_to_date(site, local(site, 2025, 3, 10, 21, 0))
    points = [rc.point for rc in route.checkpoints]

    def scan(user, point, hour, minute, **kw):
        at = local(site, 2025, 3, 10, hour, minute)
        return checkins.record_check_in(user, token_of(point), now=at, **kw).check_in

    first = local(site, 2025, 3, 10, 22, 5)
    check_ins = [
        scan(guard, points[0], 22, 5, device_time=first + timedelta(minutes=10),
             latitude=31.23, longitude=121.47, accuracy_m=12.0),
        scan(guard, points[1], 22, 10),
        scan(guard, points[2], 22, 33),  # in the grace period: late
        scan(guard, points[0], 23, 5),
        scan(other, points[1], 23, 10),
    ]
    tick.bring_up_to_date(site, local(site, 2025, 3, 11, 1, 0))
    runs = {
        site_time(site, run.starts_at).strftime("%H:%M"): run
        for run in db.session.query(PatrolRun).filter(PatrolRun.route_id == route.id)
        if site_time(site, run.starts_at).date().isoformat() == DAY
    }
    return Night(guard, other, route, points, runs, check_ins)


def _supervisor(site):
    return factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site], display_name="Sam Sup")


def _run_row(html: str, run) -> str:
    match = re.search(
        rf'<li class="board-run state-(\w+)" data-run="{run.id}">(.*?)</li>', html, re.S
    )
    assert match, f"run {run.id} is not on the page"
    return match.group(1) + " " + match.group(2)


def test_board_shows_each_run_with_its_score_guards_and_missed_codes(client, login_as, site):
    night = make_night(site)
    login_as(_supervisor(site))
    response = client.get(f"/patrol/?date={DAY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Night round" in html
    codes = [p.code for p in night.points]

    complete = _run_row(html, night.runs["22:00"])
    assert complete.startswith("complete ")
    assert "Done 3 of 3" in complete
    assert "By Gina Guard" in complete
    assert "1 scanned late" in complete
    assert "1 flagged check-in" in complete  # the phone clock was 10 minutes off
    assert "Missed:" not in complete

    partial = _run_row(html, night.runs["23:00"])
    assert partial.startswith("partial ")
    assert "Done 2 of 3" in partial
    assert "By Gina Guard, Hank Guard" in partial
    assert f'Missed: <span class="code">{codes[2]}</span>' in partial

    missed = _run_row(html, night.runs["23:30"])
    assert missed.startswith("missed ")
    assert "Done 0 of 3" in missed
    assert all(code in missed for code in codes)
    assert f'href="/patrol/runs/{night.runs["23:30"].id}"' in missed

    # Summary tiles and the links of the day.
    assert f'href="/patrol/report?date={DAY}"' in html
    assert f'href="/patrol/export.csv?date={DAY}"' in html
    assert 'href="/patrol/incidents"' in html
    assert f'href="/patrol/routes/{night.route.id}/history"' in html
    assert f'href="/patrol/guards/{night.guard.id}/day?date={DAY}"' in html


def test_board_never_shows_another_sites_runs(client, login_as, site, other_site):
    make_night(site)
    elsewhere = make_night(other_site, route_name="Other round", guard_name="Olga Other",
                           other_name="Oscar Other")
    login_as(_supervisor(site))
    html = client.get(f"/patrol/?date={DAY}").get_data(as_text=True)
    assert "Night round" in html
    assert "Other round" not in html
    assert "Olga Other" not in html
    assert "Oscar Other" not in html
    for run in elsewhere.runs.values():
        assert f'data-run="{run.id}"' not in html


def test_board_of_a_day_without_rounds_says_so(client, login_as, site):
    login_as(_supervisor(site))
    html = client.get("/patrol/?date=2025-01-01").get_data(as_text=True)
    assert "No rounds are scheduled on this day." in html


def test_todays_board_polls_its_partial_every_30_seconds(app, client, login_as, site):
    make_night(site)
    login_as(_supervisor(site))
    names = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        page = client.get("/patrol/")
        assert page.status_code == 200
        assert "patrol/board.html" in names
        html = page.get_data(as_text=True)
        assert 'hx-trigger="every 30s"' in html
        assert 'hx-get="/patrol/"' in html
        # The runs of today exist: the page brings the site up to date first.
        assert "Night round" in html
        assert 'data-run="' in html

        names.clear()
        fragment = client.get("/patrol/", headers=HX)
        assert fragment.status_code == 200
        assert names[0] == "patrol/_board.html"
        body = fragment.get_data(as_text=True)
        assert "<html" not in body
        assert body.lstrip().startswith('<div id="patrol-board"')
        assert "HX-Request" in fragment.headers.get("Vary", "")

        names.clear()
        boosted = client.get("/patrol/", headers=HX | {"HX-Boosted": "true"})
        assert names[0] == "patrol/board.html"
        assert "<html" in boosted.get_data(as_text=True)
    finally:
        template_rendered.disconnect(record, app)
    # Another day does not poll: nothing changes there.
    assert "every 30s" not in client.get(f"/patrol/?date={DAY}").get_data(as_text=True)


def test_a_bad_date_is_a_clear_422_not_a_500(client, login_as, site):
    night = make_night(site)
    login_as(_supervisor(site))
    for url in (
        "/patrol/?date=2025-02-30",
        "/patrol/report?date=yesterday",
        f"/patrol/guards/{night.guard.id}/day?date=10/03/2025",
        "/patrol/?date=0001-01-01",
    ):
        response = client.get(url)
        assert response.status_code == 422, url
        html = response.get_data(as_text=True)
        assert 'class="alert alert-error"' in html, url
        assert "YYYY-MM-DD" in html or "Choose a date between" in html, url


def test_run_page_lists_every_checkpoint_with_scan_flags_and_gps(client, login_as, site):
    night = make_night(site)
    login_as(_supervisor(site))
    response = client.get(f"/patrol/runs/{night.runs['22:00'].id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    codes = [p.code for p in night.points]
    assert [html.index(f'data-point="{code}"') for code in codes] == sorted(
        html.index(f'data-point="{code}"') for code in codes
    )
    assert "Complete" in html
    assert "22:05:00" in html
    assert "Gina Guard" in html
    assert "Version 1" in html
    assert "Phone clock off from server time" in html
    assert "600 s ahead of server time." in html
    assert "31.230000, 121.470000" in html
    assert "± 12 m" in html
    assert "Scanned late" in html  # the third checkpoint, at 22:33

    html = client.get(f"/patrol/runs/{night.runs['23:00'].id}").get_data(as_text=True)
    third = html[html.index(f'data-point="{codes[2]}"'):]
    assert "Missed" in third[:400]
    assert "Hank Guard" in html


def test_run_of_another_site_is_404_except_for_admins(client, login_as, site, other_site):
    elsewhere = make_night(other_site, route_name="Other round")
    run = elsewhere.runs["22:00"]
    login_as(_supervisor(site))
    assert client.get(f"/patrol/runs/{run.id}").status_code == 404
    assert client.get(f"/patrol/runs/{2**40}").status_code == 404
    login_as(factories.make_user(Role.MANAGER, sites=[site]))
    assert client.get(f"/patrol/runs/{run.id}").status_code == 404
    login_as(factories.make_user(Role.ADMIN))
    assert client.get(f"/patrol/runs/{run.id}").status_code == 200


def test_guard_timeline_shows_their_check_ins_runs_and_incidents(client, login_as, site):
    night = make_night(site)
    incident = incidents.report_incident(
        night.guard, night.check_ins[1], kind="leak", note="Water under the door"
    )
    incident.reported_at = local(site, 2025, 3, 10, 22, 11)
    earlier = incidents.report_incident(night.guard, night.check_ins[0], kind="light_out")
    earlier.reported_at = local(site, 2025, 3, 9, 22, 0)
    db.session.commit()
    login_as(_supervisor(site))

    response = client.get(f"/patrol/guards/{night.guard.id}/day?date={DAY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    times = ["22:05:00", "22:10:00", "22:33:00", "23:05:00"]
    assert [html.index(t) for t in times] == sorted(html.index(t) for t in times)
    assert "23:10:00" not in html  # Hank's scan
    assert html.count("Counted for:") == 4
    assert f'href="/patrol/runs/{night.runs["22:00"].id}"' in html
    assert f'href="/patrol/runs/{night.runs["23:00"].id}"' in html
    assert "Phone clock off from server time" in html
    assert "Leak" in html
    assert "Water under the door" in html
    assert "Light out" not in html  # reported the day before
    assert f'href="/patrol/guards/{night.guard.id}/day?date=2025-03-09"' in html

    other = client.get(f"/patrol/guards/{night.other_guard.id}/day?date={DAY}")
    assert "23:10:00" in other.get_data(as_text=True)


def test_guard_timeline_is_404_for_non_guards_and_other_sites(client, login_as, site, other_site):
    cleaner = factories.make_user(Role.CLEANER, sites=[site])
    stranger = factories.make_user(Role.GUARD, sites=[other_site])
    login_as(_supervisor(site))
    assert client.get(f"/patrol/guards/{cleaner.id}/day").status_code == 404
    assert client.get(f"/patrol/guards/{stranger.id}/day").status_code == 404
    assert client.get(f"/patrol/guards/{2**40}/day").status_code == 404
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    assert client.get(f"/patrol/guards/{supervisor.id}/day").status_code == 200


def test_route_history_page_has_thirty_days_linked_to_their_reports(
    client, login_as, site, other_site
):
    night = make_night(site)
    elsewhere = make_night(other_site, route_name="Other round")
    login_as(_supervisor(site))
    response = client.get(f"/patrol/routes/{night.route.id}/history")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    days = re.findall(r'<tr data-day="(\d{4}-\d{2}-\d{2})">', html)
    assert len(days) == 30
    assert days == sorted(days, reverse=True)
    assert f'href="/patrol/report?date={days[0]}"' in html
    assert 'data-day="total"' in html
    assert client.get(f"/patrol/routes/{elsewhere.route.id}/history").status_code == 404


def test_chain_banner_turns_broken_after_a_check_in_is_edited(client, login_as, site):
    night = make_night(site)
    login_as(_supervisor(site))
    assert 'data-chain="never"' in client.get("/patrol/").get_data(as_text=True)

    response = client.post("/patrol/chain/verify")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/patrol/")
    html = client.get("/patrol/").get_data(as_text=True)
    assert 'data-chain="ok"' in html
    assert "Check-in chain OK: 5 check-ins verified" in html

    # Somebody edits a check-in behind the application's back (the ORM refuses updates).
    db.session.execute(
        text("UPDATE patrol_check_ins SET point_id = :point WHERE id = :id"),
        {"point": night.points[2].id, "id": night.check_ins[1].id},
    )
    db.session.commit()
    # The board shows the stored result until somebody verifies again.
    assert 'data-chain="ok"' in client.get("/patrol/").get_data(as_text=True)

    html = client.post("/patrol/chain/verify", follow_redirects=True).get_data(as_text=True)
    assert 'data-chain="broken"' in html
    assert "Check-in chain BROKEN." in html
    assert "1 problem found" in html
    assert f"#{night.check_ins[1].seq} edited" in html
    report = client.get("/patrol/report").get_data(as_text=True)
    assert 'data-chain="broken"' in report


def test_security_supervisor_nav_has_patrol_in_place_of_points(client, login_as, site):
    login_as(_supervisor(site))
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('<nav class="bottom-nav"'):]
    assert 'href="/patrol/" class="nav-item' in nav
    assert 'data-icon="points"' not in nav
    assert nav.count('class="nav-item') == 5

    login_as(factories.make_user(Role.GUARD, sites=[site]))
    nav = client.get("/").get_data(as_text=True)
    assert 'data-icon="patrol"' not in nav
    assert 'data-icon="points"' in nav


def test_office_home_links_the_patrol_board(client, login_as, site):
    login_as(factories.make_user(Role.MANAGER, sites=[site]))
    html = client.get("/").get_data(as_text=True)
    assert 'href="/patrol/"' in html
    assert "Patrol board" in html
