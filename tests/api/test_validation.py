"""Validation of bad payloads by the sync API (issue 6): each is answered with a clear 4xx in
JSON, and nothing is recorded. The cases of test_sync_api (no or malformed key on events, a
key other than the event's id, an unknown type, data given as text, a missing scanned_at) are
not repeated here.

A refusal made before the work starts (the envelope: key, JSON, id, type, data, size) leaves
no idempotency key; a refusal by the handler is stored as the key's answer by design (a replay
gets the same refusal), so those tests check that no domain record was made and that the key
does not hold a success.
"""

import io
import json
import uuid

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.api.models import IdempotencyKey
from pmfield.api.views import EVENT_MAX_BYTES
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs.models import JobEvent
from pmfield.jobs.models import JobMaterial
from pmfield.patrol import chain
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import Handover
from pmfield.photos.models import Photo
from pmfield.timeutil import utcnow
from tests import factories
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import technician
from tests.patrol.factories import make_route
from tests.patrol.factories import token_of
from tests.photos.images import jpeg


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def no_success_stored() -> bool:
    return count(IdempotencyKey, IdempotencyKey.response_status == 201) == 0


def assert_refused(response, status: int, field: str | None = None) -> dict:
    """A `status` answer in JSON with a message to show (and the field it is about)."""
    assert response.status_code == status, response.data[:300]
    assert response.is_json, response.data[:300]
    body = response.get_json()
    assert isinstance(body.get("error"), str), body
    assert body["error"].strip(), body
    if field is not None:
        assert body.get("field") == field, body
    return body


def post(client, event, *, key=None, headers=None):
    key = key if key is not None else event.get("id") if isinstance(event, dict) else None
    return client.post("/api/v1/events", json=event,
                       headers={"Idempotency-Key": str(key)} | (headers or {}))


def event_of(kind, data, **overrides):
    return {"id": str(uuid.uuid4()), "type": kind, "data": data} | overrides


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site])


@pytest.fixture
def token(site):
    return token_of(make_route(site, 1).checkpoints[0].point)


@pytest.fixture
def tech(site):
    return technician(site)


@pytest.fixture
def job(site, point, tech):
    return on_site(new_job(site, point=point), tech)


def checkin(token, **data):
    return event_of("patrol.checkin",
                    {"token": token, "scanned_at": utcnow().isoformat()} | data)


# --------------------------------------------------------------------------- the envelope


@pytest.mark.parametrize(("change", "field"), [
    ({"id": "123"}, "id"),
    ({"id": 123}, "id"),
    ({"id": None}, "id"),
    ({"type": None}, "type"),
    ({"type": 7}, "type"),
    # Regression: a list (or object) as the type was looked up in the registry: 500.
    ({"type": ["patrol.checkin"]}, "type"),
    ({"type": {"name": "patrol.checkin"}}, "type"),
    ({"data": None}, "data"),
    ({"data": ["token"]}, "data"),
    ({"data": 5}, "data"),
])
def test_wrong_json_types_in_the_envelope_are_refused(client, login_as, guard, token, change,
                                                      field):
    login_as(guard)
    event = checkin(token)
    response = post(client, event | change, key=event["id"])
    assert_refused(response, 422, field)
    assert count(CheckIn) == 0
    assert count(IdempotencyKey) == 0


def test_an_event_without_its_parts_is_refused(client, login_as, guard):
    login_as(guard)
    key = str(uuid.uuid4())
    assert_refused(post(client, {}, key=key), 422, "id")
    assert_refused(post(client, {"id": key}, key=key), 422, "type")
    assert_refused(post(client, {"id": key, "type": "patrol.checkin"}, key=key), 422, "data")
    assert count(IdempotencyKey) == 0


@pytest.mark.parametrize(("body", "content_type"), [
    (b"{not json", "application/json"),
    (b"", "application/json"),
    (b'{"id": "x"', "application/json"),
    (b"id=1&type=patrol.checkin", "application/x-www-form-urlencoded"),
    (b"patrol.checkin", "text/plain"),
])
def test_a_body_that_is_not_json_is_refused(client, login_as, guard, body, content_type):
    login_as(guard)
    response = client.post("/api/v1/events", data=body, content_type=content_type,
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert "JSON" in assert_refused(response, 400)["error"]
    assert count(IdempotencyKey) == 0


@pytest.mark.parametrize("body", [[], ["patrol.checkin"], "patrol.checkin", 42, True])
def test_json_that_is_not_an_object_is_refused(client, login_as, guard, body):
    login_as(guard)
    response = post(client, body, key=uuid.uuid4())
    assert "JSON object" in assert_refused(response, 400)["error"]
    assert count(IdempotencyKey) == 0


def test_an_oversized_event_is_refused_before_it_is_read(client, login_as, guard, token):
    login_as(guard)
    event = checkin(token, note="x" * EVENT_MAX_BYTES)
    response = post(client, event)
    assert "too large" in assert_refused(response, 413)["error"]
    assert count(CheckIn) == 0
    assert count(IdempotencyKey) == 0
    # Just under the limit is read (and answered on its merits).
    event = checkin(token)
    padding = EVENT_MAX_BYTES - len(json.dumps(event | {"pad": ""})) - 100
    assert post(client, event | {"pad": "x" * padding}).status_code == 201


def test_the_key_is_checked_before_the_body(client, login_as, guard):
    login_as(guard)
    response = client.post("/api/v1/events", data=b"{not json",
                           content_type="application/json", headers={"Idempotency-Key": " "})
    assert_refused(response, 400, "Idempotency-Key")
    assert count(IdempotencyKey) == 0


def test_a_malformed_device_time_is_refused(client, login_as, guard, token):
    login_as(guard)
    for device_time in ("yesterday", "2026-11-20T06:00:00", ""):
        response = post(client, checkin(token), headers={"X-Device-Time": device_time})
        if device_time:
            assert_refused(response, 422, "X-Device-Time")
        else:  # an empty header is as if none was sent
            assert response.status_code == 201
    assert count(CheckIn) == 1
    assert count(IdempotencyKey) == 1


# --------------------------------------------------------------------------- the data


@pytest.mark.parametrize(("data", "field"), [
    ({"token": 12345}, "token"),
    ({"token": None}, "token"),
    ({"token": ["a"]}, "token"),
    ({"scanned_at": 1764655200}, "scanned_at"),
    ({"scanned_at": "2026-11-20 06:00"}, "scanned_at"),  # no offset
    ({"latitude": "31.2"}, "latitude"),
    ({"longitude": True}, "longitude"),
    ({"accuracy_m": [5]}, "accuracy_m"),
    # Regression: a far-future scan from a phone whose clock is far behind overflowed: 500.
    ({"scanned_at": "9999-12-31T23:00:00+00:00"}, "scanned_at"),
])
def test_a_check_in_with_wrong_types_records_nothing(client, login_as, guard, token, data,
                                                    field):
    login_as(guard)
    response = post(client, checkin(token) | {"data": checkin(token)["data"] | data},
                    headers={"X-Device-Time": "2001-01-01T00:00:00+00:00"})
    assert_refused(response, 422, field)
    assert count(CheckIn) == 0
    assert no_success_stored()


def test_a_check_in_with_a_position_that_is_not_a_number_records_nothing(client, login_as,
                                                                         guard, token):
    """JSON from Python may carry NaN and Infinity: they are no position."""
    login_as(guard)
    event = checkin(token)
    body = json.dumps(event | {"data": event["data"] | {"latitude": float("nan")}})
    assert "NaN" in body
    response = client.post("/api/v1/events", data=body, content_type="application/json",
                           headers={"Idempotency-Key": event["id"]})
    assert_refused(response, 422, "latitude")
    assert count(CheckIn) == 0
    assert no_success_stored()


def test_a_position_beyond_any_float_records_nothing(client, login_as, guard, token):
    login_as(guard)
    event = checkin(token)
    response = post(client, event | {"data": event["data"] | {"accuracy_m": 10**400}})
    assert_refused(response, 422, "accuracy_m")
    assert count(CheckIn) == 0


def test_a_whole_number_position_keeps_the_chain_verifiable(client, login_as, site, guard,
                                                           token):
    """Regression: an int latitude was hashed as 31 and verified as the stored 31.0."""
    login_as(guard)
    event = checkin(token)
    response = post(client, event | {"data": event["data"] | {
        "latitude": 31, "longitude": 121, "accuracy_m": 5}})
    assert response.status_code == 201
    assert db.session.scalar(select(CheckIn.latitude)) == 31.0
    assert chain.verify_chain(site.id).ok


@pytest.mark.parametrize(("kind", "data", "status", "field"), [
    ("job.accept", {}, 422, "job"),
    ("job.hold", {"reason": "Waiting for parts"}, 422, "job"),
    ("job.note", {}, 422, "job"),
    ("callback.record", {"callback": 1, "method": "phone"}, 422, "satisfaction"),
    ("job.material", {"job": 1, "material": 1}, 422, "quantity"),
])
def test_missing_required_fields_are_named(client, login_as, tech, job, kind, data, status,
                                          field):
    login_as(tech)
    body = assert_refused(post(client, event_of(kind, data)), status, field)
    assert field in body["error"]
    assert count(IdempotencyKey) == 0
    assert count(JobMaterial) == 0


@pytest.mark.parametrize(("kind", "data", "field"), [
    ("job.note", {"job": "1", "text": "Motor checked"}, "job"),
    ("job.note", {"job": 1.5, "text": "Motor checked"}, "job"),
    # A job given as true was looked up as job 1.
    ("job.note", {"job": True, "text": "Motor checked"}, "job"),
    ("job.note", {"job": [1], "text": "Motor checked"}, "job"),
    # Regression: a text field given as a number or true reached .strip(): 500.
    ("job.note", {"text": 42}, "text"),
    ("job.hold", {"reason": True}, "reason"),
    ("job.close", {"customer_opinion": True}, "customer_opinion"),
    ("job.close", {"no_signature_reason": ["x"]}, "no_signature_reason"),
    ("job.material", {"material": "1", "quantity": 1}, "material"),
    ("job.photo", {"phase": "before", "photo": True}, "photo"),
    ("job.signature", {"png": 42}, "png"),
    ("job.category", {"category": ["paid"]}, "category"),
])
def test_job_events_with_wrong_types_change_nothing(client, login_as, job, tech, kind, data,
                                                   field):
    login_as(tech)
    before = count(JobEvent)
    data = {"job": job.id} | data
    assert_refused(post(client, event_of(kind, data)), 422, field)
    assert count(JobEvent) == before
    assert no_success_stored()
    db.session.refresh(job)
    assert job.status == "on_site"


def test_a_photo_named_by_the_phones_uuid_is_not_found(client, login_as, job, tech):
    """The outbox puts the server's id in place of a photo's UUID once it is uploaded; a UUID
    left in means the photo never reached the server."""
    login_as(tech)
    event = event_of("job.photo", {"job": job.id, "phase": "after", "photo": str(uuid.uuid4())})
    assert_refused(post(client, event), 404, "photo")
    assert no_success_stored()


@pytest.mark.parametrize(("data", "field"), [
    ({"site": "1", "keys": "K"}, "site"),
    ({"site": True, "keys": "K"}, "site"),
    ({"keys": "K", "incoming": "2"}, "incoming"),
])
def test_a_handover_with_wrong_types_records_nothing(client, login_as, site, guard, data,
                                                    field):
    login_as(guard)
    assert_refused(post(client, event_of("patrol.handover", {"site": site.id} | data)), 422,
                   field)
    assert count(Handover) == 0
    assert no_success_stored()


@pytest.mark.parametrize(("data", "field"), [
    ({"checkin": "1", "kind": "leak"}, "checkin"),
    ({"checkin": True, "kind": "leak"}, "checkin"),
])
def test_an_anomaly_with_wrong_types_is_refused(client, login_as, guard, data, field):
    login_as(guard)
    assert_refused(post(client, event_of("patrol.anomaly", data)), 422, field)
    assert no_success_stored()


def test_a_checklist_from_a_clock_far_behind_is_refused(client, login_as, site):
    """Regression: started_at near year 9999 overflowed when corrected by the clock offset."""
    login_as(factories.make_user(Role.CLEANER, sites=[site]))
    event = event_of("checklist.submit", {"token": "t", "answers": {},
                                          "started_at": "9999-12-31T23:59:00+00:00"})
    response = post(client, event, headers={"X-Device-Time": "2001-01-01T00:00:00Z"})
    assert "clock" in assert_refused(response, 422, "started_at")["error"]


# --------------------------------------------------------------------------- photos


def send_photo(client, *, key, data=None, field="file", filename="p.jpg"):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post("/api/v1/photos", headers=headers,
                       data={field: (io.BytesIO(data or jpeg()), filename)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("key", [None, "", "  ", "not-a-uuid", "1234", str(uuid.uuid4()) + "x"])
def test_a_photo_without_a_well_formed_key_is_refused(client, login_as, guard, key):
    login_as(guard)
    assert_refused(send_photo(client, key=key), 400, "Idempotency-Key")
    assert count(Photo) == 0
    assert count(IdempotencyKey) == 0


@pytest.mark.parametrize(("field", "filename"), [("photo", "p.jpg"), ("file", "")])
def test_a_photo_not_in_the_file_field_is_refused(client, login_as, guard, field, filename):
    login_as(guard)
    response = send_photo(client, key=str(uuid.uuid4()), field=field, filename=filename)
    assert_refused(response, 422, "file")
    assert count(Photo) == 0
    assert count(IdempotencyKey) == 0


@pytest.fixture
def small_photo_limit(app_config):
    app_config["PHOTO_MAX_BYTES"] = 4 * 1024


def test_a_photo_over_the_photo_limit_is_refused(small_photo_limit, client, login_as, guard):
    login_as(guard)
    key = str(uuid.uuid4())
    big = jpeg(800, 800)
    assert len(big) > 4 * 1024
    assert_refused(send_photo(client, key=key, data=big), 413)
    assert count(Photo) == 0
    assert no_success_stored()
    assert send_photo(client, key=key, data=big).status_code == 413  # the stored answer


@pytest.fixture
def small_request_limit(app_config):
    app_config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app_config["PHOTO_MAX_BYTES"] = 32 * 1024


def test_a_request_over_the_request_limit_is_refused_in_json(small_request_limit, client,
                                                             login_as, guard):
    login_as(guard)
    response = send_photo(client, key=str(uuid.uuid4()), data=b"\xff" * (128 * 1024))
    assert "too large" in assert_refused(response, 413)["error"]
    assert count(Photo) == 0
    assert count(IdempotencyKey) == 0
