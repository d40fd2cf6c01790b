"""Schema-driven fuzzing of the sync API (issue 6): Schemathesis generates requests from the
OpenAPI document the app serves, valid and invalid, and every answer must be a JSON answer
below 500; a 4xx must carry an error message for the phone to show.

A fresh app and database per test is the house rule. Each test here runs a Hypothesis search
inside one test function, against the one app of that test: the examples of a search share
its database (keys and records pile up as they would on a busy server), which is what a fuzz
run of a live API looks like. The searches are derandomized (a fixed seed, derived from the
search's code) and bounded by max_examples, so a run is repeatable and short (the budget is
60 s on SQLite on the 2-core machine: about 10 s idle, 25 s with browser tests running beside
it). New event ids come from a counter, not uuid4.

Schemathesis only generates and serializes the requests; they are sent with the test's
signed-in Flask client (its session cookie), with the real CSRF token (the tests' app config
turns CSRF off, so a fuzzed token would prove nothing).
"""

import collections
import copy
import itertools
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from pmfield.api import services
from pmfield.auth.roles import Role
from pmfield.places.services import label_token
from tests import factories
from tests.checklists.factories import photo_of
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import technician
from tests.patrol.factories import make_route

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def fuzz_settings(max_examples: int):
    return settings(
        max_examples=max_examples,
        derandomize=True,  # a fixed seed: the same examples on every run
        database=None,  # no example database written into the work tree
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def world(app, client, login_as, site, point):
    """A site with a point, a guard with a route, a technician with a job on site."""
    guard = factories.make_user(Role.GUARD, sites=[site])
    route = make_route(site, 2)
    tech = technician(site)
    job = on_site(new_job(site, point=point), tech)
    photo = photo_of(tech, site)
    tokens = [label_token(point.current_label)] + [
        label_token(checkpoint.point.current_label) for checkpoint in route.checkpoints]
    known = {"token": tokens, "job": [job.id], "site": [site.id], "photo": [photo.id],
             "incoming": [guard.id, tech.id]}
    users = [guard, tech]
    login_as(tech)
    csrf = client.get("/api/v1/session").get_json()["csrf_token"]
    return {"users": users, "known": known, "csrf": csrf, "ids": itertools.count(1)}


def assert_clear_answer(response, request: dict) -> None:
    """Below 500, and a 4xx says what is wrong, in JSON."""
    where = f"{request.get('method')} {request.get('path')} {request.get('headers')}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        assert response.is_json, (response.status_code, response.data[:200], where)
        error = response.get_json().get("error")
        assert isinstance(error, str), (response.get_json(), where)
        assert error.strip(), (response.get_json(), where)


def send(client, request: dict, *, path: str | None = None):
    request = dict(request)
    if path is not None:
        request["path"] = path
    return client.open(**request)


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def realistic(draw, request: dict, world, mode) -> dict:
    """Mostly send the key the event names and ids that exist, so generated events get past
    the envelope checks into the handlers, as real ones do."""
    body = request.get("json")
    if not isinstance(body, dict):
        return request
    request = copy.deepcopy(request)
    body = request["json"]
    if draw(st.integers(0, 3)):
        if mode is GenerationMode.POSITIVE:
            # A new id, as the phone makes one per action (generated UUIDs repeat a lot).
            body["id"] = str(uuid.UUID(int=next(world["ids"])))
        event_id = body.get("id")
        if isinstance(event_id, str) and event_id.isascii() and event_id.isprintable():
            request["headers"]["Idempotency-Key"] = event_id  # a header cannot carry others
    data = body.get("data")
    if isinstance(data, dict):
        for name, values in world["known"].items():
            if name in data and draw(st.integers(0, 3)):
                data[name] = draw(st.sampled_from(values))
    return request


def fuzz(client, world, operation, mode, max_examples: int, *, path: str | None = None):
    """One bounded, derandomized search over `operation`'s generated requests; returns how
    often each status was answered."""
    statuses = collections.Counter()

    @fuzz_settings(max_examples)
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def search(case, data):
        sign_in(client, data.draw(st.sampled_from(world["users"])))
        request = case.as_transport_kwargs()
        request["headers"]["X-CSRFToken"] = world["csrf"]
        request = realistic(data.draw, request, world, mode)
        response = send(client, request, path=path)
        assert_clear_answer(response, request)
        statuses[response.status_code] += 1

    search()
    return statuses


def test_every_operation_answers_clearly(app, client, world):
    """Every operation of the served document, with generated valid and invalid requests."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {
        "POST /api/v1/events", "POST /api/v1/photos", "GET /api/v1/session"}
    for operation in operations:
        for mode in MODES:
            if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET":
                continue  # GET /session takes nothing that could be made invalid
            fuzz(client, world, operation, mode, 30)


def per_event_type_schema(document: dict):
    """The served document with one operation per event type (the body is that type alone),
    each at a path of its own; the requests are sent to /api/v1/events."""
    events = document["paths"]["/api/v1/events"]["post"]
    paths = {}
    for name in sorted(document["components"]["schemas"]):
        operation = copy.deepcopy(events)
        operation["requestBody"]["content"]["application/json"]["schema"] = {
            "$ref": f"#/components/schemas/{name}"}
        paths[f"/fuzz/{name}"] = {"post": operation}
    return dict(document, paths=paths)


def test_every_event_types_data_is_answered_clearly(app, client, world):
    """Each event type's data schema on its own, valid and invalid, sent by the guard or the
    technician."""
    document = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(per_event_type_schema(document))
    schema.app = app  # serialize requests for a WSGI app (sent with the signed-in client)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path.removeprefix("/fuzz/event.") for op in operations} == set(
        services.EVENT_TYPES)
    statuses = collections.Counter()
    for operation in operations:
        for mode in MODES:
            statuses += fuzz(client, world, operation, mode, 12, path="/api/v1/events")
    # The search reached the handlers: some generated events were applied.
    assert statuses[201] > 0, statuses
