"""Field writes sent from the outbox (anomalies, handovers, checklists, corrections, job work):
the same services, applied once; replays answer the same; refusals change nothing."""

import base64
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.checklists import inspections
from pmfield.checklists.models import ChecklistSubmission
from pmfield.checklists.models import CorrectiveTask
from pmfield.checklists.models import ItemResult
from pmfield.extensions import db
from pmfield.jobs import catalogue
from pmfield.jobs import work
from pmfield.jobs.models import JobMaterial
from pmfield.jobs.models import JobSignature
from pmfield.patrol.models import Handover
from pmfield.patrol.models import Incident
from pmfield.photos.models import Photo
from pmfield.places.services import label_token
from pmfield.timeutil import utcnow
from tests import factories
from tests.checklists.factories import make_plan
from tests.checklists.factories import make_template
from tests.checklists.factories import photo_of
from tests.checklists.factories import submit
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import signature_png
from tests.jobs.factories import technician
from tests.patrol.factories import make_route
from tests.patrol.factories import token_of


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def send(client, kind, data, *, device_time=None):
    event = {"id": str(uuid.uuid4()), "type": kind, "data": data}
    return event, post(client, event, device_time=device_time)


def post(client, event, *, device_time=None):
    headers = {"Idempotency-Key": event["id"]}
    if device_time is not None:
        headers["X-Device-Time"] = device_time.isoformat()
    return client.post("/api/v1/events", json=event, headers=headers)


def assert_replayed(client, event, first):
    again = post(client, event)
    assert again.status_code == 200 and again.get_json() == first.get_json()


@pytest.fixture
def in_request(app):
    """Set-up made through the services that build links or read the request."""
    with app.test_request_context():
        yield


# --------------------------------------------------------------------------- patrol


@pytest.fixture
def guard(site):
    return factories.make_user(Role.GUARD, sites=[site])


@pytest.fixture
def route(site):
    return make_route(site, 2)


def check_in(client, point):
    event, response = send(client, "patrol.checkin", {
        "token": token_of(point), "scanned_at": utcnow().isoformat()})
    assert response.status_code == 201
    return event, response.get_json()["checkin"]["id"]


def test_an_anomaly_follows_its_offline_check_in_by_the_events_id(client, login_as, site,
                                                                  guard, route):
    login_as(guard)
    checkin_event, check_in_id = check_in(client, route.checkpoints[0].point)
    photo = photo_of(guard, site)
    event, first = send(client, "patrol.anomaly", {
        "checkin_event": checkin_event["id"], "kind": "leak", "note": "Water under the door",
        "photo": photo.id})
    assert first.status_code == 201
    incident = db.session.scalar(select(Incident))
    assert (incident.check_in_id, incident.kind, incident.photo_id) == (check_in_id, "leak",
                                                                        photo.id)
    assert first.get_json()["incident"] == {"id": incident.id, "checkin": check_in_id,
                                            "kind": "leak", "photo": photo.id}
    db.session.refresh(photo)
    assert (photo.owner_kind, photo.owner_id) == ("incident", incident.id)
    assert_replayed(client, event, first)
    assert count(Incident) == 1
    _, by_id = send(client, "patrol.anomaly", {"checkin": check_in_id, "kind": "unlocked"})
    assert by_id.status_code == 201 and count(Incident) == 2


def test_an_anomaly_about_someone_elses_check_in_or_photo_is_refused(client, login_as, site,
                                                                     guard, route):
    other = factories.make_user(Role.GUARD, sites=[site])
    login_as(other)
    others_event, others_check_in = check_in(client, route.checkpoints[0].point)
    others_photo = photo_of(other, site)
    login_as(guard)
    _, mine = check_in(client, route.checkpoints[1].point)
    for data, status, field in [
        ({"checkin_event": others_event["id"]}, 404, "checkin_event"),
        ({"checkin_event": str(uuid.uuid4())}, 404, "checkin_event"),
        ({"checkin": others_check_in}, 404, "checkin"),
        ({"checkin": mine, "photo": others_photo.id}, 404, "photo"),
        ({"checkin": mine, "kind": "teleport"}, 422, "kind"),
    ]:
        _, response = send(client, "patrol.anomaly", {"kind": "leak"} | data)
        assert (response.status_code, response.get_json()["field"]) == (status, field), data
    assert count(Incident) == 0
    db.session.refresh(others_photo)
    assert others_photo.owner_kind is None


def test_a_handover_is_written_once(client, login_as, site, guard):
    incoming = factories.make_user(Role.GUARD, sites=[site])
    login_as(guard)
    event, first = send(client, "patrol.handover", {
        "site": site.id, "keys": "Gate keys to the desk", "notes": "Quiet night",
        "incoming": incoming.id})
    assert first.status_code == 201
    handover = db.session.scalar(select(Handover))
    assert (handover.outgoing_id, handover.incoming_id, handover.keys) == (
        guard.id, incoming.id, "Gate keys to the desk")
    assert first.get_json()["handover"]["id"] == handover.id
    assert_replayed(client, event, first)
    assert count(Handover) == 1


def test_a_handover_refused_changes_nothing(client, login_as, site, other_site, guard):
    cleaner = factories.make_user(Role.CLEANER, sites=[site])
    login_as(guard)
    for data, status, field in [
        ({"site": site.id}, 422, "keys"),
        ({"site": site.id, "keys": "K", "incoming": cleaner.id}, 422, "incoming"),
        ({"site": site.id, "keys": "K", "incoming": guard.id}, 422, "incoming"),
        ({"site": other_site.id, "keys": "K"}, 404, "site"),
    ]:
        _, response = send(client, "patrol.handover", data)
        assert (response.status_code, response.get_json()["field"]) == (status, field), data
    assert count(Handover) == 0


# --------------------------------------------------------------------------- cleaning


@pytest.fixture
def cleaner(site):
    return factories.make_user(Role.CLEANER, sites=[site])


@pytest.fixture
def plan(site, cleaner):
    return make_plan(site, template=make_template(site, 2, reading=True), assignee=cleaner)


def checklist_data(plan, *, fail_photo=None, started_at=None, **extra):
    first, second, reading = plan.template.active_items
    data = {
        "token": label_token(plan.point.current_label),
        "started_at": (started_at or utcnow() - timedelta(minutes=10)).isoformat(),
        "answers": {str(first.id): "fail", str(second.id): "pass", str(reading.id): 0.5},
        "notes": {str(first.id): "Bin overflowing"},
        "note": "Done",
    }
    if fail_photo is not None:
        data["photos"] = {str(first.id): fail_photo.id}
    return data | extra


def test_a_checklist_is_submitted_once_with_its_photo(client, login_as, site, cleaner, plan):
    login_as(cleaner)
    photo = photo_of(cleaner, site)
    event, first = send(client, "checklist.submit", checklist_data(plan, fail_photo=photo))
    assert first.status_code == 201
    submission = db.session.scalar(select(ChecklistSubmission))
    assert (submission.user_id, submission.point_id, submission.client_id, submission.note) == (
        cleaner.id, plan.point.id, event["id"], "Done")
    failed, passed, reading = sorted(submission.results, key=lambda r: r.item.position)
    assert (failed.result, failed.note, failed.photo_id) == ("fail", "Bin overflowing", photo.id)
    assert (passed.result, reading.result, reading.reading) == ("pass", "pass", 0.5)
    assert first.get_json()["submission"]["failed"] == [failed.id]
    db.session.refresh(photo)
    assert photo.owner_kind == "checklist_result"
    assert_replayed(client, event, first)
    assert count(ChecklistSubmission) == 1 and count(ItemResult) == 3


def test_a_checklist_refused_changes_nothing(client, login_as, site, cleaner, plan):
    other = factories.make_user(Role.CLEANER, sites=[site])
    others_photo = photo_of(other, site)
    first_item = str(plan.template.active_items[0].id)
    login_as(cleaner)
    for data, status, field in [
        (checklist_data(plan), 422, f"photo-{first_item}"),
        (checklist_data(plan, fail_photo=others_photo), 404, f"photo-{first_item}"),
        (checklist_data(plan, notes={}, fail_photo=photo_of(cleaner, site)), 422,
         f"note-{first_item}"),
        (checklist_data(plan, token="forged"), 422, "token"),
        (checklist_data(plan) | {"started_at": "yesterday"}, 422, "started_at"),
    ]:
        _, response = send(client, "checklist.submit", data)
        assert (response.status_code, response.get_json()["field"]) == (status, field)
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    _, response = send(client, "checklist.submit", checklist_data(plan))
    assert (response.status_code, response.get_json()["field"]) == (403, "role")
    assert count(ChecklistSubmission) == 0 and count(ItemResult) == 0
    assert count(Photo, Photo.owner_kind.is_not(None)) == 0


def test_a_checklist_counts_at_the_phones_times_corrected_to_the_servers_clock(
    client, login_as, site, cleaner, plan
):
    login_as(cleaner)
    phone_now = utcnow() - timedelta(minutes=5)  # the phone's clock is 5 minutes slow
    started, submitted = phone_now - timedelta(hours=2), phone_now - timedelta(hours=1)
    data = checklist_data(plan, fail_photo=photo_of(cleaner, site), started_at=started,
                          submitted_at=submitted.isoformat())
    _, response = send(client, "checklist.submit", data, device_time=phone_now)
    assert response.status_code == 201
    submission = db.session.scalar(select(ChecklistSubmission))
    for recorded, by_phone in ((submission.started_at, started),
                               (submission.submitted_at, submitted)):
        assert abs(recorded - (by_phone + timedelta(minutes=5))) < timedelta(seconds=5)


@pytest.fixture
def correction(site, plan, cleaner, in_request):
    boss = factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site])
    now = utcnow() - timedelta(hours=1)
    submit(boss, plan.point, fail=1, now=now, deadline=now + timedelta(hours=4))
    return db.session.scalar(select(CorrectiveTask))


def test_a_correction_is_fixed_once(client, login_as, site, cleaner, correction):
    assert correction.assignee_id == cleaner.id
    login_as(cleaner)
    photo = photo_of(cleaner, site)
    event, first = send(client, "correction.fix", {"correction": correction.id,
                                                   "note": "Emptied", "photo": photo.id})
    assert first.status_code == 201
    assert first.get_json()["correction"] == {"id": correction.id, "status": "fixed",
                                              "photo": photo.id}
    db.session.refresh(correction)
    assert (correction.status, correction.fix_note, correction.fixed_by_id) == (
        "fixed", "Emptied", cleaner.id)
    assert_replayed(client, event, first)
    _, again = send(client, "correction.fix", {"correction": correction.id,
                                               "photo": photo_of(cleaner, site).id})
    assert again.status_code == 422 and again.get_json()["field"] == "status"


def test_a_correction_fix_refused_changes_nothing(client, login_as, site, cleaner, correction):
    colleague = factories.make_user(Role.CLEANER, sites=[site])
    login_as(colleague)
    _, response = send(client, "correction.fix", {"correction": correction.id,
                                                  "photo": photo_of(colleague, site).id})
    assert response.status_code == 404 and response.get_json()["field"] == "correction"
    login_as(cleaner)
    _, response = send(client, "correction.fix", {"correction": correction.id,
                                                  "photo": photo_of(colleague, site).id})
    assert response.status_code == 404 and response.get_json()["field"] == "photo"
    manager = factories.make_user(Role.MANAGER, sites=[site])
    login_as(manager)
    _, response = send(client, "correction.fix", {"correction": correction.id,
                                                  "photo": photo_of(manager, site).id})
    assert response.status_code == 403
    db.session.refresh(correction)
    assert correction.status == "open" and correction.fix_photo_id is None
    assert inspections.corrections_for(cleaner, site) == [correction]


# --------------------------------------------------------------------------- job work


@pytest.fixture
def tech(site):
    return technician(site)


@pytest.fixture
def job(site, point, tech):
    return on_site(new_job(site, point=point), tech)


def material(site, code="cb-16a"):
    return catalogue.create_material(site, actor=None, code=code, name_zh="空气开关",
                                     name_en="Circuit breaker", unit_zh="个", unit_en="pc")


def test_a_material_is_added_once(client, login_as, site, other_site, job, tech):
    breaker = material(site)
    login_as(tech)
    event, first = send(client, "job.material", {"job": job.id, "material": breaker.id,
                                                 "quantity": 2})
    assert first.status_code == 201
    used = db.session.scalar(select(JobMaterial))
    assert (used.job_id, used.material_id, str(used.quantity)) == (job.id, breaker.id, "2.00")
    assert first.get_json()["material"] == {"id": used.id, "material": breaker.id,
                                            "quantity": "2.00"}
    assert_replayed(client, event, first)
    for data, field in [({"material": breaker.id, "quantity": 0}, "quantity"),
                        ({"material": material(other_site).id, "quantity": 1}, "material")]:
        _, refused = send(client, "job.material", {"job": job.id} | data)
        assert (refused.status_code, refused.get_json()["field"]) == (422, field)
    assert count(JobMaterial) == 1


def test_a_job_photo_is_attached_once(client, login_as, site, job, tech):
    login_as(tech)
    photo = photo_of(tech, site)
    event, first = send(client, "job.photo", {"job": job.id, "phase": "before",
                                              "photo": photo.id})
    assert first.status_code == 201 and first.get_json()["photo"] == {"id": photo.id,
                                                                      "phase": "before"}
    db.session.refresh(photo)
    assert (photo.owner_kind, photo.owner_id) == (work.BEFORE, job.id)
    assert_replayed(client, event, first)
    others_photo = photo_of(technician(site), site)
    for data, status, field in [({"phase": "during", "photo": photo_of(tech, site).id}, 422,
                                 "phase"),
                                ({"phase": "after", "photo": others_photo.id}, 404, "photo")]:
        _, refused = send(client, "job.photo", {"job": job.id} | data)
        assert (refused.status_code, refused.get_json()["field"]) == (status, field)
    assert count(Photo, Photo.owner_kind.is_not(None)) == 1


def test_a_price_is_set_and_accepted_once(client, login_as, job, tech):
    login_as(tech)
    _, refused = send(client, "job.price_accept", {"job": job.id})
    assert refused.status_code == 422 and refused.get_json()["field"] == "price"
    _, refused = send(client, "job.category", {"job": job.id, "category": "paid"})
    assert refused.status_code == 422 and refused.get_json()["field"] == "price"
    db.session.refresh(job)
    assert job.category is None
    event, first = send(client, "job.category", {"job": job.id, "category": "paid",
                                                 "price": 80})
    assert first.status_code == 201
    db.session.refresh(job)
    assert (job.category, str(job.price), job.price_accepted_at) == ("paid", "80.00", None)
    assert_replayed(client, event, first)
    event, accepted = send(client, "job.price_accept", {"job": job.id})
    assert accepted.status_code == 201
    db.session.refresh(job)
    accepted_at = job.price_accepted_at
    assert accepted_at is not None
    assert_replayed(client, event, accepted)
    db.session.refresh(job)
    assert job.price_accepted_at == accepted_at


def test_a_signature_is_stored_once(client, login_as, job, tech):
    login_as(tech)
    png = base64.b64encode(signature_png()).decode()
    event, first = send(client, "job.signature", {"job": job.id, "png": png,
                                                  "signer_name": "Ms Li"})
    assert first.status_code == 201
    assert first.get_json()["signature"]["signer_name"] == "Ms Li"
    db.session.refresh(job)
    assert job.signature.signer_name == "Ms Li" and job.signature.png.startswith(b"\x89PNG")
    assert_replayed(client, event, first)
    _, data_url = send(client, "job.signature", {"job": job.id,
                                                 "png": "data:image/png;base64," + png})
    assert data_url.status_code == 201


@pytest.mark.parametrize(("png", "field"), [
    ("not base64!", "png"),
    ("", "png"),
    (base64.b64encode(b"GIF89a not a png").decode(), "signature"),
    (base64.b64encode(signature_png(blank=True)).decode(), "signature"),
])
def test_a_bad_signature_is_refused(client, login_as, job, tech, png, field):
    login_as(tech)
    _, response = send(client, "job.signature", {"job": job.id, "png": png})
    assert (response.status_code, response.get_json()["field"]) == (422, field)
    assert count(JobSignature) == 0


@pytest.mark.parametrize(("kind", "data"), [
    ("job.material", {"material": 1, "quantity": 1}),
    ("job.photo", {"phase": "before", "photo": 1}),
    ("job.category", {"category": "public"}),
    ("job.price_accept", {}),
    ("job.signature", {"png": ""}),
])
def test_someone_elses_job_is_404(client, login_as, site, job, kind, data):
    login_as(technician(site))
    _, response = send(client, kind, {"job": job.id} | data)
    assert response.status_code == 404 and response.get_json()["field"] == "job"
