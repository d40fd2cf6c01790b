"""Check-in pages: the scan post, the camera-app link, the guard's rounds, reporting a problem."""

import io
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import template_rendered
from PIL import Image
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs.models import Job
from pmfield.notifications.models import Notification
from pmfield.patrol import guard as guard_rounds
from pmfield.patrol import incidents
from pmfield.patrol import tick
from pmfield.patrol.checkins import record_check_in
from pmfield.patrol.forms import parse_check_in_form
from pmfield.patrol.forms import parse_iso_time
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import Incident
from pmfield.patrol.models import PatrolPost
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import RunPoint
from pmfield.patrol.schedules import ensure_runs
from pmfield.photos.models import Photo
from pmfield.places import services as places
from pmfield.timeutil import utcnow
from tests import factories
from tests.conftest import HX
from tests.patrol.factories import local
from tests.patrol.factories import make_interval_schedule
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def all_counts() -> dict[str, int]:
    """Rows in every table: a read-only page must leave each count as it was."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


@pytest.fixture
def templates(app):
    """Record the names of the templates each request renders."""
    names = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site], display_name="Wang Guard")


@pytest.fixture
def route(site):
    points = [factories.make_point(site, code=f"CP-{i}") for i in (1, 2, 3)]
    return make_route(site, points=points)


@pytest.fixture
def hourly(site, route):
    """A round every hour around the clock, open the whole hour: one is always open now."""
    schedule = make_interval_schedule(
        route, every=60, start=time(0), end=time(0), run_minutes=60, grace_minutes=0
    )
    tick.bring_up_to_date(site)
    return schedule


@pytest.fixture
def points(route):
    return [rc.point for rc in route.checkpoints]


def post_scan(client, point_or_token, headers=None, **form):
    token = point_or_token if isinstance(point_or_token, str) else token_of(point_or_token)
    return client.post("/patrol/checkins", data={"token": token, **form}, headers=headers)


# --------------------------------------------------------------------------- POST /patrol/checkins


def test_a_guard_checks_in(client, login_as, guard, hourly, points, templates):
    login_as(guard)
    response = post_scan(client, points[0], client_id="a1b2")
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert templates[0] == "patrol/checkin.html"
    assert "Checked in" in html
    assert "CP-1" in html
    assert "1 of 3" in html
    left = html[html.index("Left:"):]
    assert left.index("CP-2") < left.index("CP-3") < left.index("</p>")
    assert "Report a problem here" in html
    (check_in,) = db.session.scalars(select(CheckIn)).all()
    assert (check_in.user_id, check_in.point_id, check_in.source, check_in.client_id) == (
        guard.id, points[0].id, "scanner", "a1b2",
    )
    assert count(RunPoint, RunPoint.check_in_id == check_in.id) == 1


def test_htmx_gets_the_fragment_only(client, login_as, guard, hourly, points, templates):
    login_as(guard)
    response = post_scan(client, points[0], headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert templates == ["patrol/_checkin_result.html"]
    assert "<html" not in html
    assert 'id="checkin-result"' in html
    assert "1 of 3" in html


def test_a_retried_post_shows_the_same_check_in(client, login_as, guard, hourly, points):
    login_as(guard)
    post_scan(client, points[0], client_id="retry-1")
    again = post_scan(client, points[0], client_id="retry-1")
    assert again.status_code == 200
    assert "Already recorded" in again.get_data(as_text=True)
    assert count(CheckIn) == 1


def test_the_last_checkpoint_says_the_round_is_complete(client, login_as, guard, hourly, points):
    login_as(guard)
    for point in points:
        response = post_scan(client, point)
    html = response.get_data(as_text=True)
    assert "3 of 3" in html
    assert "Round complete." in html


def test_a_scan_outside_any_round_is_recorded_and_says_so(client, login_as, guard, points):
    login_as(guard)
    response = post_scan(client, points[0])
    assert response.status_code == 201
    assert "No scheduled round is open for this checkpoint now." in response.get_data(
        as_text=True
    )


def test_phone_details_are_kept_and_a_skewed_clock_is_flagged(client, login_as, guard, points):
    login_as(guard)
    phone_time = (utcnow() + timedelta(minutes=5)).isoformat()
    response = post_scan(
        client, points[0], device_time=phone_time, latitude="31.2304", longitude="121.4737",
        accuracy="12", source="link",
    )
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "flagged for the supervisor" in html
    assert "Phone clock off from server time" in html
    check_in = db.session.scalars(select(CheckIn)).one()
    assert (check_in.latitude, check_in.longitude, check_in.accuracy_m) == (
        31.2304, 121.4737, 12.0,
    )
    assert check_in.source == "link"
    assert 295 <= check_in.flag_details["clock_skew"]["seconds"] <= 300


@pytest.mark.parametrize(
    "form",
    [
        {"latitude": "91", "longitude": "121"},
        {"latitude": "nan", "longitude": "121"},
        {"latitude": "31"},
        {"device_time": "yesterday"},
        {"device_time": "2026-11-20T22:00:00"},  # no offset
        {"source": "sync"},
    ],
)
def test_odd_phone_values_are_dropped_not_refused(client, login_as, guard, points, form):
    login_as(guard)
    response = post_scan(client, points[0], **form)
    assert response.status_code == 201
    check_in = db.session.scalars(select(CheckIn)).one()
    assert (check_in.latitude, check_in.longitude, check_in.device_time) == (None, None, None)
    assert check_in.source == "scanner"


@pytest.mark.parametrize(
    "token",
    ["", "NOT-A-TOKEN", "AAAAAAAAAAAAAAAAAAAA"],
)
def test_forged_or_missing_tokens_record_nothing(client, login_as, guard, hourly, points, token):
    login_as(guard)
    before = all_counts()
    response = post_scan(client, token)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not recorded" in html
    assert ("not a valid pmfield label" in html) or ("No label was scanned." in html)
    assert "Something went wrong" not in html
    assert all_counts() == before


def test_a_forged_signature_is_not_a_valid_label(client, login_as, guard, points):
    login_as(guard)
    token = token_of(points[0])
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = post_scan(client, forged)
    assert response.status_code == 422
    assert "This is not a valid pmfield label. Nothing was recorded." in response.get_data(
        as_text=True
    )
    assert count(CheckIn) == 0


def test_a_refusal_to_htmx_is_the_fragment(client, login_as, guard, points, templates):
    login_as(guard)
    response = post_scan(client, "NOT-A-TOKEN", headers=HX)
    assert response.status_code == 422
    assert templates == ["patrol/_checkin_result.html"]
    assert 'data-outcome="refused"' in response.get_data(as_text=True)


def test_a_revoked_label_records_nothing(client, login_as, guard, hourly, points, templates):
    token = token_of(points[0])
    places.revoke_label(points[0], reason="Label lost", actor=None)
    login_as(guard)
    response = post_scan(client, token)
    assert response.status_code == 422
    assert templates[0] == "patrol/checkin.html"  # the check-in page, not an error page
    assert "This label was withdrawn." in response.get_data(as_text=True)
    assert count(CheckIn) == 0


def test_another_sites_label_is_refused_with_its_own_message(client, login_as, other_site,
                                                             hourly, points, templates):
    login_as(factories.make_user(Role.GUARD, sites=[other_site]))
    before = all_counts()
    response = post_scan(client, points[0])
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert templates[0] == "patrol/checkin.html"
    assert "This label belongs to another site. Nothing was recorded." in html
    assert "Your role does not give access" not in html
    assert all_counts() == before


@pytest.mark.parametrize("role", [Role.CLEANER, Role.TECHNICIAN, Role.DESK, Role.MANAGER])
def test_other_roles_cannot_check_in_on_a_patrol_route(client, login_as, site, hourly, points,
                                                       role):
    login_as(factories.make_user(role, sites=[site]))
    before = all_counts()
    response = post_scan(client, points[0])
    assert response.status_code == 403
    assert all_counts() == before


def test_strangers_are_sent_to_sign_in(client, hourly, points):
    response = post_scan(client, points[0])
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert count(CheckIn) == 0


# --------------------------------------------------------------------------- GET /q/<token>


def test_a_guard_opening_a_checkpoint_label_gets_the_check_in_page_and_nothing_is_written(
    client, login_as, guard, hourly, points, templates
):
    login_as(guard)
    before = all_counts()
    response = client.get(f"/q/{token_of(points[0])}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert templates[0] == "patrol/checkin_link.html"
    assert "data-auto-checkin" in html
    assert f'name="token" value="{token_of(points[0])}"' in html
    assert 'name="source" value="link"' in html
    assert "Record check-in" in html
    assert "<script>" not in html  # the page posts from static/js, never inline
    assert all_counts() == before


def test_a_link_preview_bot_gets_the_login_page_and_nothing_is_written(client, hourly, points):
    before = all_counts()
    response = client.get(f"/q/{token_of(points[0])}")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert all_counts() == before


def test_a_point_on_a_route_that_is_not_a_checkpoint_opens_the_check_in_page(
    client, login_as, guard, site, templates
):
    lift = factories.make_point(site, kind="elevator", code="LIFT-1")
    other_lift = factories.make_point(site, kind="elevator", code="LIFT-2")
    make_route(site, points=[lift])
    login_as(guard)
    client.get(f"/q/{token_of(lift)}")
    client.get(f"/q/{token_of(other_lift)}")
    assert templates[0] == "patrol/checkin_link.html"
    assert "places/point.html" in templates[1:]


def test_a_cleaner_opening_a_checkpoint_label_sees_the_point(client, login_as, site, points,
                                                             templates):
    login_as(factories.make_user(Role.CLEANER, sites=[site]))
    before = all_counts()
    response = client.get(f"/q/{token_of(points[0])}")
    assert response.status_code == 200
    assert templates[0] == "places/point.html"
    assert all_counts() == before


def test_a_guard_of_another_site_opening_the_label_is_refused(client, login_as, other_site,
                                                              points):
    login_as(factories.make_user(Role.GUARD, sites=[other_site]))
    assert client.get(f"/q/{token_of(points[0])}").status_code == 403


# --------------------------------------------------------------------------- home


def test_the_guards_home_shows_the_rounds_now(client, login_as, guard, hourly, points):
    login_as(guard)
    html = client.get("/").get_data(as_text=True)
    assert "Rounds now" in html
    assert "0 of 3" in html
    record_check_in(guard, token_of(points[1]))
    html = client.get("/").get_data(as_text=True)
    assert "1 of 3" in html
    left = html[html.index("Left:"):]
    left = left[: left.index("</p>")]
    assert "CP-1" in left
    assert "CP-3" in left
    assert "CP-2" not in left


def test_the_guards_home_without_rounds(client, login_as, guard):
    login_as(guard)
    html = client.get("/").get_data(as_text=True)
    assert "Rounds now" in html
    assert "No round is open now." in html


# --------------------------------------------------------------------------- reporting a problem


@pytest.fixture
def check_in(guard, hourly, points):
    return record_check_in(guard, token_of(points[0])).check_in


@pytest.fixture
def readers(site, other_site):
    """Who hears of an incident: the site's security supervisor and desk, nobody else."""
    factories.make_user(Role.SECURITY_SUPERVISOR, sites=[other_site])
    factories.make_user(Role.MANAGER, sites=[site])
    return [
        factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]),
        factories.make_user(Role.DESK, sites=[site]),
    ]


def test_the_report_form(client, login_as, guard, check_in):
    login_as(guard)
    response = client.get(f"/patrol/checkins/{check_in.id}/incident")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "What is wrong at CP-1?" in html
    assert 'value="light_out"' in html
    assert 'enctype="multipart/form-data"' in html


def test_reporting_a_problem_with_a_photo(client, login_as, guard, check_in, readers):
    login_as(guard)
    response = client.post(
        f"/patrol/checkins/{check_in.id}/incident",
        data={"kind": "leak", "note": "Water under the door", "photo": (jpeg(), "leak.jpg")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 201, html
    assert "Problem reported" in html
    incident = db.session.scalars(select(Incident)).one()
    assert (incident.kind, incident.note, incident.check_in_id, incident.point_id) == (
        "leak", "Water under the door", check_in.id, check_in.point_id,
    )
    assert incident.reported_by_id == guard.id
    photo = db.session.get(Photo, incident.photo_id)
    assert (photo.owner_kind, photo.owner_id) == (incidents.PHOTO_OWNER, incident.id)
    told = db.session.scalars(
        select(Notification).where(Notification.kind == incidents.INCIDENT_KIND)
    ).all()
    assert sorted(n.user_id for n in told) == sorted(r.id for r in readers)
    assert {n.url for n in told} == {f"/patrol/incidents/{incident.id}"}


def test_a_report_without_a_kind_keeps_the_form(client, login_as, guard, check_in, readers):
    login_as(guard)
    response = client.post(
        f"/patrol/checkins/{check_in.id}/incident", data={"note": "Something odd"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose what is wrong." in html
    assert "Something odd" in html
    assert count(Incident) == 0
    assert count(Notification, Notification.kind == incidents.INCIDENT_KIND) == 0


def test_another_guards_check_in_is_not_found(client, login_as, site, check_in):
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    assert client.get(f"/patrol/checkins/{check_in.id}/incident").status_code == 404
    response = client.post(f"/patrol/checkins/{check_in.id}/incident", data={"kind": "leak"})
    assert response.status_code == 404
    assert client.get("/patrol/checkins/999999/incident").status_code == 404
    assert count(Incident) == 0


# --------------------------------------------------------------------------- incidents


@pytest.fixture
def incident(guard, check_in):
    return incidents.report_incident(guard, check_in, kind="unlocked", note="Side door open")


def test_the_desk_lists_and_opens_incidents(client, login_as, site, incident):
    login_as(factories.make_user(Role.DESK, sites=[site]))
    listing = client.get("/patrol/incidents").get_data(as_text=True)
    assert "CP-1" in listing
    detail = client.get(f"/patrol/incidents/{incident.id}")
    assert detail.status_code == 200
    assert "Side door open" in detail.get_data(as_text=True)


def test_another_sites_desk_cannot_open_the_incident(client, login_as, other_site, incident):
    login_as(factories.make_user(Role.DESK, sites=[other_site]))
    assert client.get(f"/patrol/incidents/{incident.id}").status_code == 404


def test_making_a_repair_request_links_both_ways(client, login_as, site, incident):
    login_as(factories.make_user(Role.DESK, sites=[site]))
    response = client.post(f"/patrol/incidents/{incident.id}/job")
    assert response.status_code == 303
    job = db.session.scalars(select(Job)).one()
    year = utcnow().astimezone(ZoneInfo(site.timezone)).year
    assert job.number == f"JOB-{year}-000001"
    assert job.incident_id == incident.id
    db.session.refresh(incident)
    assert incident.job.id == job.id
    assert job.point_id == incident.point_id
    detail = client.get(f"/patrol/incidents/{incident.id}").get_data(as_text=True)
    assert job.number in detail


def test_a_second_repair_request_is_refused_with_a_message(client, login_as, site, incident):
    login_as(factories.make_user(Role.DESK, sites=[site]))
    client.post(f"/patrol/incidents/{incident.id}/job")
    again = client.post(f"/patrol/incidents/{incident.id}/job")
    assert again.status_code == 422
    assert "This incident already has a repair request." in again.get_data(as_text=True)
    assert count(Job) == 1


def test_resolving_an_incident(client, login_as, site, incident):
    supervisor = login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))
    empty = client.post(f"/patrol/incidents/{incident.id}/resolve", data={"resolution": " "})
    assert empty.status_code == 422
    assert "Say how it was resolved." in empty.get_data(as_text=True)
    done = client.post(f"/patrol/incidents/{incident.id}/resolve",
                       data={"resolution": "Locked it"})
    assert done.status_code == 303
    db.session.refresh(incident)
    assert (incident.resolution, incident.resolved_by_id) == ("Locked it", supervisor.id)
    assert incident.resolved_at is not None


# --------------------------------------------------------------------------- rounds (guard.py)


@pytest.fixture
def night_runs(site, route):
    """Rounds at 22:00 and 23:00 (open 30 minutes, 10 minutes' grace), planned for the 20th."""
    schedule = make_schedule(route, times="22:00,23:00", run_minutes=30, grace_minutes=10)
    ensure_runs(site, local(site, 2026, 11, 20, 12, 0))
    db.session.commit()
    return schedule


def test_rounds_now_and_next(site, guard, night_runs, points):
    at = local(site, 2026, 11, 20, 22, 10)
    record_check_in(guard, token_of(points[0]), now=at)
    rounds = guard_rounds.rounds_for(guard, site, at)
    (now,) = rounds["now"]
    assert now.run.starts_at == local(site, 2026, 11, 20, 22, 0)
    assert (now.total, now.done, now.phase, now.minutes_left) == (3, 1, "open", 20)
    assert [rp.point.code for rp in now.left] == ["CP-2", "CP-3"]
    # Tomorrow's 22:00 is more than 12 hours away.
    assert [r.run.starts_at for r in rounds["next"]] == [local(site, 2026, 11, 20, 23, 0)]
    assert rounds["next"][0].minutes_to_start == 50


def test_rounds_in_grace_count_down_the_grace(site, guard, night_runs):
    at = local(site, 2026, 11, 20, 22, 33)
    (now,) = guard_rounds.rounds_for(guard, site, at)["now"]
    assert (now.phase, now.minutes_left) == ("grace", 7)


def test_a_closed_round_shows_its_missed_checkpoints(site, guard, night_runs):
    tick.bring_up_to_date(site, local(site, 2026, 11, 20, 22, 40))
    run = db.session.scalars(select(PatrolRun).order_by(PatrolRun.starts_at)).first()
    progress = guard_rounds.progress_of(run, local(site, 2026, 11, 20, 22, 40))
    assert (progress.phase, progress.done, len(progress.missed), progress.left) == (
        "closed", 0, 3, [],
    )


def test_rounds_of_a_post_or_named_guards_are_theirs_only(site, guard, night_runs):
    at = local(site, 2026, 11, 20, 22, 10)
    colleague = factories.make_user(Role.GUARD, sites=[site])
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    assert guard_rounds.is_assigned(night_runs, guard)  # nobody named: every guard
    night_runs.guards = [colleague]
    db.session.commit()
    assert not guard_rounds.is_assigned(night_runs, guard)
    assert guard_rounds.rounds_for(guard, site, at) == {"now": [], "next": []}
    assert len(guard_rounds.rounds_for(colleague, site, at)["now"]) == 1
    assert len(guard_rounds.rounds_for(supervisor, site, at)["now"]) == 1
    post = PatrolPost(site=site, name_zh="夜班A岗", name_en="Night post A", guards=[guard])
    night_runs.guards = []
    night_runs.post = post
    db.session.commit()
    assert guard_rounds.is_assigned(night_runs, guard)
    assert not guard_rounds.is_assigned(night_runs, colleague)


def test_next_rounds_are_few_and_within_hours(site, guard, route):
    make_interval_schedule(route, every=60, start=time(0), end=time(0), run_minutes=30)
    ensure_runs(site, local(site, 2026, 11, 20, 12, 0))
    db.session.commit()
    rounds = guard_rounds.rounds_for(guard, site, local(site, 2026, 11, 20, 12, 40))
    assert rounds["now"] == []
    assert [r.run.starts_at for r in rounds["next"]] == [
        local(site, 2026, 11, 20, h, 0) for h in (13, 14, 15)
    ]


# --------------------------------------------------------------------------- forms.py


def test_parse_check_in_form_reads_what_the_phone_sends():
    data, errors = parse_check_in_form({
        "token": " abc ", "client_id": " id-1 ", "device_time": "2026-11-20T22:05:00+08:00",
        "latitude": "31.2", "longitude": "121.5", "accuracy": "7", "source": "link",
    })
    assert errors == {}
    assert data == {
        "token": "ABC", "client_id": "id-1",
        "device_time": datetime(2026, 11, 20, 14, 5, tzinfo=UTC),
        "latitude": 31.2, "longitude": 121.5, "accuracy_m": 7.0, "source": "link",
    }


@pytest.mark.parametrize(
    "value", ["", "garbage", "2026-11-20T22:05:00", "1990-01-01T00:00:00Z", "2099-01-01T00:00Z"]
)
def test_parse_iso_time_drops_garbage(value):
    assert parse_iso_time(value) is None


def test_parse_iso_time_accepts_z():
    assert parse_iso_time(f"{utcnow().year}-01-02T03:04:05Z") == datetime(
        utcnow().year, 1, 2, 3, 4, 5, tzinfo=UTC
    )
