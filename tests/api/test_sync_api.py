"""The sync API: events and photos applied exactly once, replays, refusals, clock correction."""

import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.api import services
from pmfield.api.models import IdempotencyKey
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import tick
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import RunPoint
from pmfield.patrol.schedules import ensure_runs
from pmfield.photos.models import Photo
from pmfield.timeutil import utcnow
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of
from tests.photos.images import jpeg


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site])


@pytest.fixture
def route(site):
    return make_route(site, 3)


def checkin_event(point, scanned_at, event_id=None):
    return {"id": event_id or str(uuid.uuid4()), "type": "patrol.checkin",
            "data": {"token": token_of(point), "scanned_at": scanned_at.isoformat()}}


def post_event(client, event, *, key=None, device_time=None):
    headers = {"Idempotency-Key": key or event["id"]}
    if device_time is not None:
        headers["X-Device-Time"] = device_time.isoformat()
    return client.post("/api/v1/events", json=event, headers=headers)


def test_an_event_is_applied_once_and_a_replay_gets_the_same_answer(client, login_as, guard,
                                                                     route):
    login_as(guard)
    point = route.checkpoints[0].point
    event = checkin_event(point, utcnow())
    first = post_event(client, event)
    assert first.status_code == 201
    again = post_event(client, event)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert count(CheckIn) == 1
    assert first.get_json()["checkin"]["point"] == point.code


def test_a_key_reused_for_other_content_is_refused(client, login_as, guard, route):
    login_as(guard)
    event = checkin_event(route.checkpoints[0].point, utcnow())
    assert post_event(client, event).status_code == 201
    changed = dict(event, data=dict(event["data"], token=token_of(route.checkpoints[1].point)))
    response = post_event(client, changed)
    assert response.status_code == 422 and "different content" in response.get_json()["error"]
    assert count(CheckIn) == 1


def test_keys_are_per_user(client, login_as, site, guard, route):
    other = factories.make_user(Role.GUARD, sites=[site])
    event = checkin_event(route.checkpoints[0].point, utcnow())
    login_as(guard)
    assert post_event(client, event).status_code == 201
    login_as(other)
    assert post_event(client, event).status_code == 201
    assert count(CheckIn) == 2


@pytest.mark.parametrize(("headers", "body", "status", "field"), [
    ({}, None, 400, "Idempotency-Key"),
    ({"Idempotency-Key": "not-a-uuid"}, None, 400, "Idempotency-Key"),
    ({"Idempotency-Key": str(uuid.uuid4())}, "same", 422, "Idempotency-Key"),
    ({"Idempotency-Key": "k"}, {"type": "patrol.checkin", "data": {}}, 400, "Idempotency-Key"),
])
def test_malformed_requests_change_nothing(client, login_as, guard, route, headers, body,
                                           status, field):
    login_as(guard)
    event = checkin_event(route.checkpoints[0].point, utcnow())
    payload = event if body in (None, "same") else body
    response = client.post("/api/v1/events", json=payload, headers=headers)
    assert response.status_code == status and response.get_json()["field"] == field
    assert count(CheckIn) == 0 and count(IdempotencyKey) == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"type": "patrol.teleport"}, "type"),
    ({"data": "x"}, "data"),
    ({"data": {"token": "t"}}, "scanned_at"),
])
def test_malformed_events_are_refused(client, login_as, guard, route, change, field):
    login_as(guard)
    event = checkin_event(route.checkpoints[0].point, utcnow()) | change
    response = post_event(client, event)
    assert response.status_code == 422 and response.get_json()["field"] == field
    assert count(CheckIn) == 0


def test_a_refused_event_keeps_its_answer_for_the_outbox(client, login_as, guard, route):
    login_as(guard)
    event = {"id": str(uuid.uuid4()), "type": "patrol.checkin",
             "data": {"token": "forged-token", "scanned_at": utcnow().isoformat()}}
    first = post_event(client, event)
    assert first.status_code == 422 and first.get_json()["field"] == "token"
    again = post_event(client, event)
    assert again.status_code == 422 and again.get_json() == first.get_json()
    assert count(CheckIn) == 0


def test_another_sites_label_is_403(client, login_as, other_site, guard):
    theirs = make_route(other_site, 1).checkpoints[0].point
    login_as(guard)
    response = post_event(client, checkin_event(theirs, utcnow()))
    assert response.status_code == 403 and count(CheckIn) == 0


def test_a_duplicate_while_the_first_is_at_work_gets_409(client, login_as, guard, route):
    login_as(guard)
    event = checkin_event(route.checkpoints[0].point, utcnow())
    db.session.add(IdempotencyKey(user_id=guard.id, key=event["id"], kind="event",
                                  request_hash=services.request_hash(event), status="pending",
                                  claimed_at=utcnow()))
    db.session.commit()
    assert post_event(client, event).status_code == 409
    assert count(CheckIn) == 0


@pytest.mark.parametrize(("age_s", "status", "check_ins"), [(30, 409, 0), (50, 201, 1)])
def test_a_claim_left_by_a_request_that_died_is_taken_over_after_45_s(
        client, login_as, guard, route, age_s, status, check_ins):
    """A server killed mid-request holds the phone's queue (it stops at a 409) only so long."""
    login_as(guard)
    event = checkin_event(route.checkpoints[0].point, utcnow())
    db.session.add(IdempotencyKey(user_id=guard.id, key=event["id"], kind="event",
                                  request_hash=services.request_hash(event), status="pending",
                                  claimed_at=utcnow() - timedelta(seconds=age_s)))
    db.session.commit()
    assert post_event(client, event).status_code == status
    assert count(CheckIn) == check_ins


def test_the_change_and_its_key_are_written_together(client, login_as, guard, route,
                                                     monkeypatch):
    """A failure after the check-in was recorded leaves neither the check-in nor the key."""
    login_as(guard)
    event = checkin_event(route.checkpoints[0].point, utcnow())
    real = services.EVENT_TYPES["patrol.checkin"].handler

    def fails_after_the_work(*args):
        real(*args)
        raise RuntimeError("power cut")

    monkeypatch.setattr(services.EVENT_TYPES["patrol.checkin"], "handler", fails_after_the_work)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    assert post_event(client, event).status_code == 500
    assert count(CheckIn) == 0 and count(IdempotencyKey) == 0
    monkeypatch.setattr(services.EVENT_TYPES["patrol.checkin"], "handler", real)
    assert post_event(client, event).status_code == 201
    assert count(CheckIn) == 1


def test_strangers_get_401_not_the_login_page(client, route):
    event = checkin_event(route.checkpoints[0].point, utcnow())
    response = post_event(client, event)
    assert response.status_code == 401 and "Sign in" in response.get_json()["error"]


def test_an_offline_scan_counts_for_its_run_by_the_corrected_device_time(
        client, login_as, site, guard, route, monkeypatch):
    """Scanned at 02:10 by a phone whose clock is 3 minutes slow, synced at 06:00."""
    make_schedule(route, times="02:00", run_minutes=30, grace_minutes=10)
    two = local(site, 2026, 11, 20, 2, 0)
    ensure_runs(site, two)
    db.session.commit()
    tick.bring_up_to_date(site, two + timedelta(hours=1))  # the run closed meanwhile
    run = db.session.scalar(select(PatrolRun).where(PatrolRun.route_id == route.id,
                                                    PatrolRun.starts_at == two))
    assert run.status == "missed"
    point = route.checkpoints[0].point
    six = local(site, 2026, 11, 20, 6, 0)
    monkeypatch.setattr(services, "utcnow", lambda: six)
    monkeypatch.setattr("pmfield.api.views.utcnow", lambda: six)
    slow = timedelta(minutes=3)
    login_as(guard)
    event = checkin_event(point, two + timedelta(minutes=10) - slow)
    response = post_event(client, event, device_time=six - slow)
    assert response.status_code == 201
    check_in = db.session.scalars(select(CheckIn)).one()
    assert check_in.scanned_at == two + timedelta(minutes=10)
    assert response.get_json()["checkin"]["runs"] == [run.id]
    status = db.session.scalar(select(RunPoint.status).where(RunPoint.run_id == run.id,
                                                             RunPoint.point_id == point.id))
    assert status == "done"
    assert "clock_skew" in response.get_json()["checkin"]["flags"]


def test_a_small_clock_offset_is_not_flagged(client, login_as, guard, route):
    login_as(guard)
    now = utcnow()
    response = post_event(client, checkin_event(route.checkpoints[0].point, now),
                          device_time=now - timedelta(seconds=5))
    assert response.status_code == 201 and response.get_json()["checkin"]["flags"] == []


def test_a_photo_is_stored_once(client, login_as, site, guard):
    login_as(guard)
    key = str(uuid.uuid4())

    def send(data):
        return client.post("/api/v1/photos", headers={"Idempotency-Key": key},
                           data={"file": (io.BytesIO(data), "p.jpg")},
                           content_type="multipart/form-data")

    picture = jpeg()
    first = send(picture)
    assert first.status_code == 201
    again = send(picture)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert send(jpeg(color="red")).status_code == 422
    assert count(Photo) == 1


def test_a_broken_photo_is_refused_with_a_message(client, login_as, guard):
    login_as(guard)
    response = client.post("/api/v1/photos", headers={"Idempotency-Key": str(uuid.uuid4())},
                           data={"file": (io.BytesIO(b"not an image"), "p.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["error"]
    assert count(Photo) == 0


def test_the_openapi_document_names_every_event_type(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) >= {"/api/v1/events", "/api/v1/photos"}
    names = {schema["title"] for schema in document["components"]["schemas"].values()}
    assert names == set(services.EVENT_TYPES)
    assert {"patrol.checkin", "job.close", "callback.record"} <= names


def test_the_api_needs_the_csrf_token_from_the_session_endpoint(app, client, login_as, guard,
                                                                route):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(guard)
    event = checkin_event(route.checkpoints[0].point, utcnow())
    refused = post_event(client, event)
    assert refused.status_code == 400 and refused.is_json
    # Marked as the token's fault, not the event's: the outbox takes a new token and resends.
    assert refused.get_json()["code"] == "csrf"
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    response = client.post("/api/v1/events", json=event,
                           headers={"Idempotency-Key": event["id"], "X-CSRFToken": token})
    assert response.status_code == 201
