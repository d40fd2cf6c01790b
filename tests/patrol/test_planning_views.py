"""Planning pages: routes, the checkpoint list (htmx), scan to add, schedules, posts, settings."""

import re
from pathlib import Path

import pytest
from flask import template_rendered
from sqlalchemy import func
from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import planning
from pmfield.patrol.checkins import settings_for
from pmfield.patrol.models import PatrolPost
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolSchedule
from pmfield.places import services as places
from tests import factories
from tests.conftest import HX
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of

SCAN_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "scan.js"


@pytest.fixture
def boss(site, login_as):
    return login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))


@pytest.fixture
def route(site):
    return make_route(site, 3, strict=True, name_en="Night round")


@pytest.fixture
def templates(app):
    """Record the names of the templates each request renders."""
    names = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def codes(route) -> list[str]:
    db.session.expire(route, ["checkpoints"])
    return [c.point.code for c in route.checkpoints]


def schedule_form(**values) -> dict:
    form = {
        "kind": "fixed",
        "times": "22:00, 00:00, 02:00, 04:00",
        "weekdays": ["1", "2", "3", "4", "5", "6", "7"],
        "run_minutes": "40",
        "grace_minutes": "10",
        "post_id": "",
    }
    return form | values


# --------------------------------------------------------------------------- routes


def test_routes_list_shows_counts_and_schedules(client, boss, site, other_site, route):
    make_schedule(route, times="22:00,00:00", run_minutes=40, grace_minutes=10)
    make_route(other_site, 1, name_en="Elsewhere round")
    page = client.get("/patrol/routes").get_data(as_text=True)
    assert "Night round" in page
    assert "3 checkpoints" in page
    assert "22:00, 00:00" in page
    assert "Every day" in page
    assert "40 min + 10 min grace" in page
    assert "Elsewhere round" not in page


def test_create_route_with_errors_keeps_the_form_and_creates_nothing(client, boss):
    response = client.post(
        "/patrol/routes/new",
        data={"name_zh": "", "name_en": "", "strict_order": "1", "min_walk_seconds": "abc"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a name in Chinese or English." in page
    assert "Enter a whole number" in page
    assert 'value="abc"' in page
    assert count(PatrolRoute) == 0


def test_create_route_out_of_range_walk_is_a_422(client, boss):
    response = client.post(
        "/patrol/routes/new", data={"name_en": "Day round", "min_walk_seconds": "9999"}
    )
    assert response.status_code == 422
    assert "0 to 3600 seconds" in response.get_data(as_text=True)
    assert 'value="Day round"' in response.get_data(as_text=True)
    assert count(PatrolRoute) == 0


def test_create_route_then_land_on_its_page(client, boss, site):
    response = client.post(
        "/patrol/routes/new",
        data={"name_zh": "日间巡查", "name_en": "Day round", "strict_order": "0",
              "min_walk_seconds": "30"},
    )
    assert response.status_code == 303
    route = db.session.scalars(select(PatrolRoute)).one()
    assert (route.site_id, route.strict_order, route.min_walk_seconds) == (site.id, False, 30)
    assert response.headers["Location"].endswith(f"/patrol/routes/{route.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Route Day round created" in page
    assert "Scan to add" in page


def test_edit_route_saves_and_audits(client, boss, route):
    response = client.post(
        f"/patrol/routes/{route.id}/edit",
        data={"name_zh": route.name_zh, "name_en": "Night round B", "strict_order": "1",
              "min_walk_seconds": ""},
    )
    assert response.status_code == 303
    assert route.name_en == "Night round B"
    assert db.session.scalars(select(AuditEntry.action)).all() == ["patrol_route.update"]


def test_route_page_lists_checkpoints_in_order_with_walk_inputs(client, boss, route):
    page = client.get(f"/patrol/routes/{route.id}").get_data(as_text=True)
    found = [code for code in re.findall(r"CP-[A-Z0-9]+-\d", page) if code in codes(route)]
    assert list(dict.fromkeys(found)) == codes(route)
    # One walking-time input per pair, named after the previous checkpoint.
    assert page.count('name="seconds"') == 2
    assert f"Minimum walk from {codes(route)[0]} (seconds)" in page
    assert f'href="/patrol/routes/{route.id}/scan"' in page


def test_route_of_another_site_is_404(client, boss, other_site):
    elsewhere = make_route(other_site, 1)
    assert client.get(f"/patrol/routes/{elsewhere.id}").status_code == 404
    cp = elsewhere.checkpoints[0]
    url = f"/patrol/routes/{elsewhere.id}/checkpoints/{cp.id}/remove"
    assert client.post(url).status_code == 404
    assert len(codes(elsewhere)) == 1


def test_checkpoint_of_another_route_is_404(client, boss, site, route):
    other = make_route(site, points=[factories.make_point(site)])
    url = f"/patrol/routes/{route.id}/checkpoints/{other.checkpoints[0].id}/remove"
    assert client.post(url).status_code == 404


# --------------------------------------------------------------------------- checkpoint list


def test_move_with_htmx_swaps_the_checkpoint_list(client, boss, route, templates):
    before = codes(route)
    third = route.checkpoints[2]
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints/{third.id}/move",
        data={"direction": "up"},
        headers=HX,
    )
    assert response.status_code == 200
    assert templates == ["patrol/_route_checkpoints.html"]
    assert codes(route) == [before[0], before[2], before[1]]
    fragment = response.get_data(as_text=True)
    assert f"{before[2]} is now checkpoint 2." in fragment
    assert "<html" not in fragment


def test_move_without_javascript_redirects_to_the_route(client, boss, route):
    first = route.checkpoints[0]
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints/{first.id}/move", data={"direction": "down"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/patrol/routes/{route.id}#checkpoints")


def test_moving_the_first_up_is_a_422_with_the_reason(client, boss, route):
    before = codes(route)
    first = route.checkpoints[0]
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints/{first.id}/move",
        data={"direction": "up"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "is already first" in response.get_data(as_text=True)
    assert codes(route) == before


def test_remove_and_add_from_the_list(client, boss, site, route):
    first = route.checkpoints[0]
    gone = first.point
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints/{first.id}/remove", headers=HX
    )
    assert response.status_code == 200
    assert f"{gone.code} removed from the route." in response.get_data(as_text=True)
    assert gone.code not in codes(route)
    # The removed point is offered again in the "add" list.
    assert f'<option value="{gone.id}"' in response.get_data(as_text=True)
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints", data={"point_id": str(gone.id)}, headers=HX
    )
    assert response.status_code == 200
    assert codes(route)[-1] == gone.code
    assert f"{gone.code} added as checkpoint 3." in response.get_data(as_text=True)


def test_adding_a_point_of_another_site_by_id_is_refused(client, boss, other_site, route):
    foreign = factories.make_point(other_site, code="FOREIGN")
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints", data={"point_id": str(foreign.id)}
    )
    assert response.status_code == 422
    assert "Choose a point of this site." in response.get_data(as_text=True)
    assert "FOREIGN" not in codes(route)


def test_walk_minimum_is_saved_or_refused_with_the_typed_value(client, boss, route):
    second = route.checkpoints[1]
    url = f"/patrol/routes/{route.id}/checkpoints/{second.id}/walk"
    refused = client.post(url, data={"seconds": "12x"}, headers=HX)
    assert refused.status_code == 422
    assert 'value="12x"' in refused.get_data(as_text=True)
    assert second.min_walk_seconds is None
    assert client.post(url, data={"seconds": "90"}, headers=HX).status_code == 200
    assert second.min_walk_seconds == 90
    assert client.post(url, data={"seconds": ""}).status_code == 303
    assert second.min_walk_seconds is None


# --------------------------------------------------------------------------- scan to add


def test_scan_page_is_the_scanner_in_pick_mode(client, boss, route):
    page = client.get(f"/patrol/routes/{route.id}/scan").get_data(as_text=True)
    assert 'data-pick-form="pick-form"' in page
    assert 'id="pick-form"' in page
    assert 'name="token"' in page
    assert 'name="from" value="scan"' in page
    assert f'action="/patrol/routes/{route.id}/checkpoints"' in page
    assert "/static/js/scan.js" in page


def test_scan_js_picks_before_checking_in_or_opening_the_label():
    script = SCAN_JS.read_text(encoding="utf-8")
    handle = script[script.index("function handleText"):script.index("function openLabel")]
    assert handle.index("root.dataset.pickForm") < handle.index("checkIn(token)")
    assert "form.submit()" in script


def test_scanned_label_is_added_and_back_to_the_route(client, boss, site, route):
    vault = factories.make_point(site, code="VAULT")
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints",
        data={"from": "scan", "token": token_of(vault)},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/patrol/routes/{route.id}#checkpoints")
    assert codes(route)[-1] == "VAULT"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "VAULT added as checkpoint 4. Scan the next label" in page


@pytest.mark.parametrize("case", ["forged", "revoked", "other_site"])
def test_bad_scanned_labels_return_to_the_scanner_with_the_reason(
    client, boss, site, other_site, route, templates, case
):
    point = factories.make_point(other_site if case == "other_site" else site, code="X-1")
    token = token_of(point)
    if case == "forged":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    if case == "revoked":
        places.revoke_label(point, reason="label lost", actor=None)
    response = client.post(
        f"/patrol/routes/{route.id}/checkpoints", data={"from": "scan", "token": token}
    )
    assert response.status_code == 422
    assert templates[0] == "patrol/route_scan.html"
    expected = {
        "forged": "This is not a valid pmfield label.",
        "revoked": "This label was withdrawn.",
        "other_site": "This label belongs to another site.",
    }[case]
    assert expected in response.get_data(as_text=True)
    assert len(codes(route)) == 3


# --------------------------------------------------------------------------- schedules


def test_new_schedule_form_has_kinds_weekdays_and_the_night_hint(client, boss, route):
    page = client.get(f"/patrol/routes/{route.id}/schedules/new").get_data(as_text=True)
    assert 'name="kind" value="fixed"' in page
    assert 'name="kind" value="interval"' in page
    assert page.count('name="weekdays"') == 7
    assert "times earlier than the first fall after midnight (22:00, 00:00, 02:00)" in page


def test_overlapping_times_are_a_422_that_keeps_the_form(client, boss, route):
    response = client.post(
        f"/patrol/routes/{route.id}/schedules/new",
        data=schedule_form(times="22:00, 22:20", weekdays=["1", "5"]),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The 22:00 round is still open at 22:20" in page
    assert 'value="22:00, 22:20"' in page
    assert re.search(r'value="5"\s+checked', page)
    assert not re.search(r'value="2"\s+checked', page)
    assert count(PatrolSchedule) == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"weekdays": []}, "Choose at least one day of the week."),
        ({"run_minutes": "0"}, "Enter 1 to 720 minutes."),
        ({"run_minutes": ""}, "Enter a number."),
        ({"kind": "interval", "interval_minutes": "3", "window_start": "08:00",
          "window_end": "20:00"}, "Enter 5 to 720 minutes."),
        ({"kind": "interval", "interval_minutes": "60", "window_start": "08:00",
          "window_end": "08:00"}, "The window is empty"),
        ({"kind": "interval", "interval_minutes": "60", "window_start": "8h",
          "window_end": "20:00"}, "Enter a time as HH:MM"),
        ({"guard_ids": ["999999"]}, "Choose guards from the list."),
        ({"post_id": "999999"}, "Choose a post from the list."),
    ],
)
def test_schedule_form_errors(client, boss, route, values, message):
    response = client.post(
        f"/patrol/routes/{route.id}/schedules/new", data=schedule_form(**values)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(PatrolSchedule) == 0


def test_create_schedule_then_its_page_previews_the_next_six_rounds(
    client, boss, site, route
):
    guard = factories.make_user(Role.GUARD, sites=[site], display_name="Gina Guard")
    response = client.post(
        f"/patrol/routes/{route.id}/schedules/new",
        data=schedule_form(guard_ids=[str(guard.id)]),
    )
    assert response.status_code == 303
    schedule = db.session.scalars(select(PatrolSchedule)).one()
    assert (schedule.times, schedule.weekdays, schedule.guards) == (
        "22:00,00:00,02:00,04:00", "1234567", [guard]
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Next rounds" in page
    preview = page[page.index('class="list list-compact preview-list"'):]
    preview = preview[:preview.index("</ul>")]
    assert preview.count("<li>") == 6
    assert "late scans until" in preview
    assert 'value="22:00, 00:00, 02:00, 04:00"' in page


def test_edit_schedule_to_an_interval(client, boss, route):
    schedule = make_schedule(route, times="22:00")
    response = client.post(
        f"/patrol/schedules/{schedule.id}/edit",
        data=schedule_form(kind="interval", times="", interval_minutes="120",
                           window_start="08:00", window_end="20:00", run_minutes="60",
                           weekdays=["1", "2", "3", "4", "5"]),
    )
    assert response.status_code == 303
    assert (schedule.kind, schedule.times, schedule.interval_minutes) == ("interval", None, 120)
    assert schedule.weekdays == "12345"
    assert "patrol_schedule.update" in db.session.scalars(select(AuditEntry.action)).all()


def test_pause_and_resume_a_schedule(client, boss, route):
    schedule = make_schedule(route, times="22:00")
    url = f"/patrol/schedules/{schedule.id}/active"
    assert client.post(url, data={"active": "0"}).status_code == 303
    assert schedule.active is False
    page = client.get(f"/patrol/schedules/{schedule.id}/edit").get_data(as_text=True)
    assert "This schedule is paused" in page
    assert client.post(url, data={"active": "1"}).status_code == 303
    assert schedule.active is True
    assert client.post(url, data={}).status_code == 422


def test_schedule_of_another_site_is_404(client, boss, other_site):
    schedule = make_schedule(make_route(other_site, 1), times="22:00")
    assert client.get(f"/patrol/schedules/{schedule.id}/edit").status_code == 404
    assert client.post(f"/patrol/schedules/{schedule.id}/active",
                       data={"active": "0"}).status_code == 404
    assert schedule.active is True


def test_take_a_route_out_of_use(client, boss, route):
    response = client.post(f"/patrol/routes/{route.id}/active", data={"active": "0"})
    assert response.status_code == 303
    assert route.active is False
    assert "out of use" in client.get(f"/patrol/routes/{route.id}").get_data(as_text=True)


# --------------------------------------------------------------------------- posts


def test_create_and_edit_a_post(client, boss, site):
    guard = factories.make_user(Role.GUARD, sites=[site], display_name="Gina Guard")
    factories.make_user(Role.CLEANER, sites=[site], display_name="Clara Cleaner")
    form = client.get("/patrol/posts/new").get_data(as_text=True)
    assert "Gina Guard" in form
    assert "Clara Cleaner" not in form
    response = client.post(
        "/patrol/posts/new",
        data={"name_zh": "夜班巡逻A", "name_en": "Night patrol A", "guard_ids": [str(guard.id)]},
    )
    assert response.status_code == 303
    post = db.session.scalars(select(PatrolPost)).one()
    assert post.guards == [guard]
    listing = client.get("/patrol/posts").get_data(as_text=True)
    assert "Night patrol A" in listing
    assert "Gina Guard" in listing
    response = client.post(
        f"/patrol/posts/{post.id}/edit",
        data={"name_zh": "夜班巡逻A", "name_en": "Night A", "guard_ids": []},
    )
    assert response.status_code == 303
    assert (post.name_en, post.guards) == ("Night A", [])


def test_post_with_a_taken_name_is_a_422(client, boss, site):
    planning.create_post(site, name_zh="夜班巡逻A", name_en="Night patrol A", actor=None)
    response = client.post("/patrol/posts/new", data={"name_zh": "夜班巡逻A", "name_en": "X"})
    assert response.status_code == 422
    assert "Another post is already called 夜班巡逻A." in response.get_data(as_text=True)
    assert count(PatrolPost) == 1


def test_a_post_in_use_cannot_be_switched_off(client, boss, site, route):
    post = planning.create_post(site, name_zh="夜班A", name_en="Night A", actor=None)
    planning.create_schedule(
        route, kind="fixed", times="22:00", run_minutes=30, post=post, actor=None
    )
    response = client.post(f"/patrol/posts/{post.id}/active", data={"active": "0"})
    assert response.status_code == 422
    assert "still has active schedules" in response.get_data(as_text=True)
    assert post.active is True


# --------------------------------------------------------------------------- settings


def test_settings_page_updates_the_clock_tolerance(client, boss, site):
    page = client.get("/patrol/settings").get_data(as_text=True)
    assert 'value="120"' in page
    refused = client.post("/patrol/settings", data={"clock_tolerance_seconds": "5"})
    assert refused.status_code == 422
    assert "Enter 10 to 3600 seconds." in refused.get_data(as_text=True)
    assert 'value="5"' in refused.get_data(as_text=True)
    assert settings_for(site).clock_tolerance_seconds == 120
    assert client.post(
        "/patrol/settings", data={"clock_tolerance_seconds": "300"}
    ).status_code == 303
    assert settings_for(site).clock_tolerance_seconds == 300


def test_guards_cannot_reach_planning(client, login_as, site, route):
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    assert client.get("/patrol/routes").status_code == 403
    assert client.post(f"/patrol/routes/{route.id}/active", data={"active": "0"}).status_code == 403
    assert route.active is True
