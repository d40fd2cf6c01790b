"""Job steps and callbacks sent from the outbox: the same services, applied once."""

import uuid
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import work
from pmfield.jobs.models import JobEvent
from pmfield.places.services import label_token
from pmfield.timeutil import utcnow
from tests import factories
from tests.jobs.factories import dispatched
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import ready_to_close
from tests.jobs.factories import technician


def send(client, kind, data):
    event = {"id": str(uuid.uuid4()), "type": kind, "data": data}
    return event, client.post("/api/v1/events", json=event,
                              headers={"Idempotency-Key": event["id"]})


def test_a_technician_works_a_job_through_the_outbox(client, login_as, site, point):
    tech = technician(site)
    job = dispatched(new_job(site, point=point), tech)
    login_as(tech)
    event, accepted = send(client, "job.accept", {"job": job.id})
    assert accepted.status_code == 201 and accepted.get_json()["job"]["status"] == "accepted"
    replay = client.post("/api/v1/events", json=event, headers={"Idempotency-Key": event["id"]})
    assert replay.status_code == 200 and replay.get_json() == accepted.get_json()
    assert db.session.scalar(select(func.count()).select_from(JobEvent).where(
        JobEvent.action == "accept")) == 1
    _, arrived = send(client, "job.arrive", {"job": job.id,
                                             "token": label_token(point.current_label)})
    assert arrived.status_code == 201 and arrived.get_json()["job"]["status"] == "on_site"
    _, refused = send(client, "job.close", {"job": job.id})
    assert refused.status_code == 422 and refused.get_json()["field"] == "photo"
    db.session.refresh(job)
    assert job.status == "on_site"


def test_someone_elses_job_is_404_or_403(client, login_as, site, point):
    job = dispatched(new_job(site, point=point), technician(site))
    login_as(technician(site))
    _, response = send(client, "job.accept", {"job": job.id})
    assert response.status_code == 404
    login_as(factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site]))
    _, response = send(client, "job.accept", {"job": job.id})
    assert response.status_code == 403
    db.session.refresh(job)
    assert job.status == "assigned"


def test_the_desk_records_a_callback_through_the_outbox(client, login_as, site, point, desk):
    tech = technician(site)
    job = on_site(new_job(site, point=point), tech)
    with client.application.test_request_context():
        ready_to_close(job, tech)
        work.close(tech, job)
    callback = job.callbacks[0]
    login_as(desk)
    _, response = send(client, "callback.record", {"callback": callback.id, "method": "phone",
                                                   "satisfaction": "unsatisfied"})
    assert response.status_code == 422 and response.get_json()["field"] == "comments"
    _, response = send(client, "callback.record", {
        "callback": callback.id, "method": "phone", "satisfaction": "unsatisfied",
        "comments": "Still noisy"})
    assert response.status_code == 201
    db.session.refresh(job)
    assert job.status == "assigned" and job.rework_count == 1


def test_a_step_taken_offline_counts_when_it_was_taken_by_the_corrected_phone_clock(
        client, login_as, site, point):
    """Accepted in the basement 40 min before the phone found signal, on a phone 3 min slow:
    accepted 40 min ago by the server's clock. A capture time after the sync counts as now."""
    tech = technician(site)
    job = dispatched(new_job(site, point=point), tech)
    login_as(tech)
    phone_now = utcnow() - timedelta(minutes=3)
    event = {"id": str(uuid.uuid4()), "type": "job.accept", "data": {"job": job.id},
             "captured_at": (phone_now - timedelta(minutes=40)).isoformat()}
    response = client.post("/api/v1/events", json=event, headers={
        "Idempotency-Key": event["id"], "X-Device-Time": phone_now.isoformat()})
    assert response.status_code == 201
    db.session.refresh(job)
    assert abs(job.accepted_at - (utcnow() - timedelta(minutes=40))) < timedelta(seconds=10)

    event = {"id": str(uuid.uuid4()), "type": "job.depart", "data": {"job": job.id},
             "captured_at": (phone_now + timedelta(hours=2)).isoformat()}
    before = utcnow()
    response = client.post("/api/v1/events", json=event, headers={
        "Idempotency-Key": event["id"], "X-Device-Time": phone_now.isoformat()})
    assert response.status_code == 201
    db.session.refresh(job)
    assert before <= job.departed_at <= utcnow()


def test_a_capture_time_that_is_no_time_is_refused_and_changes_nothing(
        client, login_as, site, point):
    tech = technician(site)
    job = dispatched(new_job(site, point=point), tech)
    login_as(tech)
    event = {"id": str(uuid.uuid4()), "type": "job.accept", "data": {"job": job.id},
             "captured_at": "yesterday at two"}
    response = client.post("/api/v1/events", json=event, headers={"Idempotency-Key": event["id"]})
    assert response.status_code == 422 and response.get_json()["field"] == "captured_at"
    db.session.refresh(job)
    assert job.status == "assigned" and job.accepted_at is None
