"""The technician's steps through HTTP: status codes, state changes, who may act, the forms
kept on errors, the signature's data URL, arrival by scanning, my jobs and the home card."""

import base64
import html
import io
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import work
from pmfield.jobs.models import Callback
from pmfield.jobs.models import JobEvent
from pmfield.jobs.models import Material
from pmfield.photos.models import Photo
from pmfield.places import services as places
from pmfield.timeutil import utcnow
from tests import factories
from tests.conftest import HX
from tests.jobs.factories import dispatched
from tests.jobs.factories import engineering_supervisor
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import photo_of
from tests.jobs.factories import ready_to_close
from tests.jobs.factories import signature_png
from tests.jobs.factories import technician
from tests.photos.images import jpeg

#: Every POST route of the technician's steps, with the url_for arguments besides job_id.
STEPS = [
    ("jobs.accept_job", {}), ("jobs.depart_job", {}), ("jobs.arrive_job", {}),
    ("jobs.hold_job", {}), ("jobs.resume_job", {}), ("jobs.add_note", {}),
    ("jobs.add_material", {}), ("jobs.remove_material", {"used_id": 1}),
    ("jobs.add_photo", {}), ("jobs.set_category", {}), ("jobs.accept_price", {}),
    ("jobs.sign_job", {}), ("jobs.close_job", {}),
]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def html_of(response) -> str:
    """The page's text with entities decoded (messages may carry apostrophes)."""
    return html.unescape(response.get_data(as_text=True))


def data_url(png: bytes, kind="image/png") -> str:
    return f"data:{kind};base64," + base64.b64encode(png).decode()


@pytest.fixture
def tech(site):
    return technician(site, display_name="Wang Tech")


@pytest.fixture
def job(site, point):
    return new_job(site, point=point)


@pytest.fixture
def assigned(job, tech, in_request):
    dispatched(job, tech)
    return job


@pytest.fixture
def arrived(job, tech, in_request):
    return on_site(job, tech)


@pytest.fixture
def material(site):
    item = Material(site_id=site.id, code="FUSE-10", name_zh="保险丝", name_en="Fuse 10 A",
                    unit_zh="个", unit_en="pcs")
    db.session.add(item)
    db.session.commit()
    return item


def post(client, job, endpoint, data=None, headers=None, **args):
    from flask import url_for

    with client.application.test_request_context():
        url = url_for(endpoint, job_id=job.id, **args)
    return client.post(url, data=data or {}, headers=headers or {})


def reload(job):
    db.session.expire_all()
    return db.session.get(type(job), job.id)


# --------------------------------------------------------------------------- the whole job


def test_a_job_from_accept_to_close_through_http(client, login_as, site, assigned, tech,
                                                  material):
    job = assigned
    token = places.label_token(job.point.current_label)
    login_as(tech)
    response = post(client, job, "jobs.accept_job", {"version": job.version})
    assert response.status_code == 200 and "I'm on my way" in html_of(response)
    assert reload(job).status == "accepted" and job.accepted_at is not None
    assert post(client, job, "jobs.depart_job", {"version": job.version}).status_code == 200
    assert reload(job).status == "on_the_way"
    page = html_of(client.get(f"/jobs/{job.id}"))
    assert "Scan the label to arrive" in page and 'href="/scan"' in page

    response = post(client, job, "jobs.arrive_job", {"token": token})
    assert response.status_code == 200 and reload(job).status == "on_site"
    assert job.arrival_label_id == job.point.current_label.id

    response = post(client, job, "jobs.add_photo",
                    {"phase": "before", "photo": (io.BytesIO(jpeg()), "before.jpg")})
    assert response.status_code == 200
    assert len(work.photos_of_job(job)["before"]) == 1
    assert post(client, job, "jobs.add_note",
                {"work_notes": "Door sensor dirty, cleaned"}).status_code == 200
    assert reload(job).work_notes == "Door sensor dirty, cleaned"
    assert post(client, job, "jobs.add_material",
                {"material": material.id, "quantity": "2"}).status_code == 200
    assert [(m.material_id, str(m.quantity)) for m in reload(job).materials] == [
        (material.id, "2.00")]
    assert post(client, job, "jobs.set_category",
                {"category": "public", "version": job.version}).status_code == 200
    assert reload(job).category == "public" and job.price is None
    response = post(client, job, "jobs.add_photo",
                    {"phase": "after", "photo": (io.BytesIO(jpeg()), "after.jpg")})
    assert response.status_code == 200 and len(work.photos_of_job(job)["after"]) == 1
    response = post(client, job, "jobs.sign_job",
                    {"signature": data_url(signature_png()), "signer_name": "Ms Li"})
    assert response.status_code == 200
    assert reload(job).signature.signer_name == "Ms Li"
    assert f'src="/jobs/{job.id}/signature.png?v=' in html_of(response)

    response = post(client, job, "jobs.close_job",
                    {"customer_opinion": "Quick, thanks", "version": job.version})
    assert response.status_code == 200
    job = reload(job)
    assert job.status == "closed" and job.closed_by == tech
    assert job.customer_opinion == "Quick, thanks"
    assert count(Callback, Callback.job_id == job.id) == 1
    actions = [event.action for event in job.events]
    assert actions == ["created", "assign", "accept", "depart", "arrive", "photo_before", "note",
                       "material", "category", "photo_after", "signature", "close"]
    assert all(event.at.tzinfo is not None for event in job.events)


def test_a_step_answers_htmx_with_the_job_fragment(client, login_as, assigned, tech, templates):
    login_as(tech)
    response = post(client, assigned, "jobs.accept_job", {"version": assigned.version},
                    headers=HX)
    assert response.status_code == 200
    assert templates == ["jobs/_job.html"]
    body = html_of(response)
    assert "<html" not in body and 'id="job"' in body and 'id="work-panel"' in body
    assert 'hx-post="/jobs/%d/depart"' % assigned.id in body


def test_every_form_carries_the_csrf_token(client, login_as, arrived, tech, material):
    login_as(tech)
    body = html_of(client.get(f"/jobs/{arrived.id}"))
    forms = body.count('<form')
    assert forms >= 7
    assert body.count('name="csrf_token"') >= forms


def test_an_illegal_step_is_refused_with_a_clear_message(client, login_as, assigned, tech):
    login_as(tech)
    response = post(client, assigned, "jobs.depart_job")
    assert response.status_code == 422
    assert "This cannot be done while the job is Assigned." in html_of(response)
    assert reload(assigned).status == "assigned"
    assert [e.action for e in assigned.events] == ["created", "assign"]


def test_a_stale_form_is_refused(client, login_as, assigned, tech):
    login_as(tech)
    stale = assigned.version - 1
    response = post(client, assigned, "jobs.accept_job", {"version": stale})
    assert response.status_code == 422
    assert "Someone changed this job meanwhile" in html_of(response)
    assert reload(assigned).status == "assigned"


# --------------------------------------------------------------------------- who may act


@pytest.mark.parametrize(("endpoint", "args"), STEPS)
def test_a_technician_not_on_the_job_cannot_see_it(client, login_as, site, assigned, endpoint,
                                                   args):
    version = assigned.version
    login_as(technician(site))
    response = post(client, assigned, endpoint, {"version": version, "reason": "x"}, **args)
    assert response.status_code == 404
    assert reload(assigned).version == version and assigned.status == "assigned"


@pytest.mark.parametrize(("endpoint", "args"), STEPS)
def test_the_supervisor_not_on_the_job_is_refused(client, login_as, site, arrived, endpoint,
                                                  args):
    """The engineering supervisor sees every job but works only those assigned to them."""
    version = arrived.version
    login_as(engineering_supervisor(site))
    response = post(client, arrived, endpoint, {
        "version": version, "reason": "x", "work_notes": "x", "category": "public",
        "phase": "after", "photo": (io.BytesIO(jpeg()), "a.jpg"),
        "signature": data_url(signature_png()),
        "token": places.label_token(arrived.point.current_label)}, **args)
    assert response.status_code == 403
    assert "This job is not assigned to you." in html_of(response)
    job = reload(arrived)
    assert job.version == version and job.status == "on_site"
    assert count(Photo) == 0 and job.signature is None


@pytest.mark.parametrize("role", [Role.DESK, Role.GUARD, Role.MANAGER, Role.CLEANER])
def test_other_roles_are_refused_by_role(client, login_as, site, assigned, role):
    login_as(factories.make_user(role, sites=[site]))
    for endpoint, args in STEPS:
        assert post(client, assigned, endpoint, **args).status_code == 403, endpoint
    assert client.get("/jobs/mine").status_code == 403
    assert reload(assigned).status == "assigned"


def test_another_sites_job_is_not_found(client, login_as, other_site, tech, in_request):
    there = factories.make_point(other_site, kind="elevator", code="B-EL-1")
    job = new_job(other_site, point=there)
    dispatched(job, technician(other_site))
    login_as(tech)
    for endpoint, args in STEPS:
        assert post(client, job, endpoint, **args).status_code == 404, endpoint
    assert reload(job).status == "assigned"


def test_a_co_technician_works_the_job_too(client, login_as, site, job, tech, in_request):
    helper = technician(site)
    dispatched(job, tech, helper, lead=tech)
    login_as(helper)
    assert post(client, job, "jobs.accept_job").status_code == 200
    assert reload(job).status == "accepted"


# --------------------------------------------------------------------------- forms kept


def test_close_without_an_after_photo_keeps_what_was_typed(client, login_as, arrived, tech):
    work.set_category(tech, arrived, "public")
    work.sign(tech, arrived, signature_png())
    login_as(tech)
    response = post(client, arrived, "jobs.close_job",
                    {"customer_opinion": "Fixed fast, friendly", "version": arrived.version})
    assert response.status_code == 422
    body = html_of(response)
    assert body.count("Add at least one after photo.") >= 1
    assert "Fixed fast, friendly</textarea>" in body
    assert reload(arrived).status == "on_site" and arrived.customer_opinion == ""


def test_close_without_a_signature_needs_the_reason(client, login_as, arrived, tech):
    work.add_photo(tech, arrived, photo_of(tech, arrived.site), "after")
    work.set_category(tech, arrived, "free")
    login_as(tech)
    response = post(client, arrived, "jobs.close_job", {"customer_opinion": "ok"})
    assert response.status_code == 422
    assert "Get the customer's signature or say why there is none." in html_of(response)
    response = post(client, arrived, "jobs.close_job",
                    {"no_signature_reason": "Customer absent, room locked"})
    assert response.status_code == 200
    job = reload(arrived)
    assert job.status == "closed" and job.no_signature_reason == "Customer absent, room locked"


def test_a_refused_note_keeps_the_note(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.add_note", {"work_notes": "x" * 4001})
    assert response.status_code == 422
    body = html_of(response)
    assert "Use at most 4000 characters." in body and "x" * 4001 + "</textarea>" in body


def test_materials_quantity_errors_and_removal(client, login_as, arrived, tech, material):
    login_as(tech)
    response = post(client, arrived, "jobs.add_material",
                    {"material": material.id, "quantity": "lots"})
    assert response.status_code == 422
    body = html_of(response)
    assert "Enter the quantity as a number" in body and 'value="lots"' in body
    assert f'<option value="{material.id}" selected>' in body
    assert post(client, arrived, "jobs.add_material",
                {"material": "999", "quantity": "1"}).status_code == 422
    assert post(client, arrived, "jobs.add_material",
                {"material": material.id, "quantity": "1.5"}).status_code == 200
    used = reload(arrived).materials[0]
    response = post(client, arrived, "jobs.remove_material", used_id=used.id)
    assert response.status_code == 200 and reload(arrived).materials == []
    assert post(client, arrived, "jobs.remove_material", used_id=used.id).status_code == 422


def test_photos_need_a_phase_and_a_file(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.add_photo", {"phase": "after"})
    assert response.status_code == 422 and "Take or choose a photo first." in html_of(response)
    response = post(client, arrived, "jobs.add_photo",
                    {"phase": "sideways", "photo": (io.BytesIO(jpeg()), "a.jpg")})
    assert response.status_code == 422
    response = post(client, arrived, "jobs.add_photo",
                    {"phase": "before", "photo": (io.BytesIO(b"not a picture"), "a.jpg")})
    assert response.status_code == 422
    assert work.photos_of_job(arrived) == {"intake": [], "before": [], "after": []}


# --------------------------------------------------------------------------- paid work


def test_paid_work_waits_for_the_customer_to_accept_the_price(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.set_category",
                    {"category": "paid", "price": "", "version": arrived.version})
    assert response.status_code == 422
    assert "Enter the price for paid work." in html_of(response)
    assert reload(arrived).category is None
    response = post(client, arrived, "jobs.set_category",
                    {"category": "paid", "price": "80", "version": arrived.version})
    assert response.status_code == 200
    body = html_of(response)
    assert "Show the price to the customer" in body and "The customer accepts ¥80.00" in body
    response = post(client, arrived, "jobs.add_note", {"work_notes": "Replaced the tap"})
    assert response.status_code == 422
    assert "The customer must accept the price before the work goes on." in html_of(response)
    response = post(client, arrived, "jobs.add_photo",
                    {"phase": "after", "photo": (io.BytesIO(jpeg()), "a.jpg")})
    assert response.status_code == 422
    response = post(client, arrived, "jobs.close_job",
                    {"no_signature_reason": "absent", "version": arrived.version})
    assert response.status_code == 422
    assert reload(arrived).status == "on_site" and arrived.work_notes == ""

    assert post(client, arrived, "jobs.accept_price",
                {"version": arrived.version}).status_code == 200
    assert reload(arrived).price_accepted_at is not None
    assert post(client, arrived, "jobs.add_note",
                {"work_notes": "Replaced the tap"}).status_code == 200


def test_only_paid_work_has_a_price_to_accept(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.accept_price")
    assert response.status_code == 422
    assert "Only paid work has a price to accept." in html_of(response)


# --------------------------------------------------------------------------- signature


def test_a_blank_signature_is_refused(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.sign_job",
                    {"signature": data_url(signature_png(blank=True)), "signer_name": "Ms Li"})
    assert response.status_code == 422
    body = html_of(response)
    assert "The signature is empty. Ask the customer to sign." in body
    assert 'value="Ms Li"' in body
    assert reload(arrived).signature is None


def test_an_empty_signature_field_is_refused(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.sign_job", {"signature": ""})
    assert response.status_code == 422
    assert "Ask the customer to sign first." in html_of(response)


@pytest.mark.parametrize("signature", [
    data_url(jpeg(), "image/jpeg"),
    data_url(jpeg()),
    "data:text/html;base64,PGI+aGk8L2I+",
])
def test_a_signature_that_is_not_a_png_is_refused(client, login_as, arrived, tech, signature):
    login_as(tech)
    response = post(client, arrived, "jobs.sign_job", {"signature": signature})
    assert response.status_code == 422
    assert "The signature must be a PNG image." in html_of(response)
    assert reload(arrived).signature is None


def test_an_unreadable_signature_is_refused(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.sign_job",
                    {"signature": "data:image/png;base64,not*base64!"})
    assert response.status_code == 422
    assert "The signature image could not be read." in html_of(response)


def test_a_signature_too_large_is_refused_before_decoding(client, login_as, arrived, tech):
    login_as(tech)
    huge = "data:image/png;base64," + "A" * (work.SIGNATURE_MAX_BYTES * 4 // 3 + 8)
    response = post(client, arrived, "jobs.sign_job", {"signature": huge})
    assert response.status_code == 422
    assert "The signature image is too large." in html_of(response)
    # Built in memory: the test client would spool a big body to a temporary file.
    boundary, body = encode_multipart({"signature": FileStorage(
        io.BytesIO(b"\x89PNG" + b"0" * work.SIGNATURE_MAX_BYTES), filename="s.png")})
    response = client.post(f"/jobs/{arrived.id}/signature", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert "The signature image is too large." in html_of(response)


def test_a_signature_can_come_as_a_file(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.sign_job",
                    {"signature": (io.BytesIO(signature_png()), "sig.png"), "signer_name": "Li"})
    assert response.status_code == 200
    assert reload(arrived).signature.signer_name == "Li"


def test_the_pad_is_on_the_page_with_its_script(client, login_as, arrived, tech):
    login_as(tech)
    body = html_of(client.get(f"/jobs/{arrived.id}"))
    assert "data-signature-pad" in body and "data-signature-clear" in body
    assert "js/signature.js" in body
    assert 'data-msg-empty="Ask the customer to sign first."' in body


# --------------------------------------------------------------------------- hold


def test_hold_needs_a_reason_and_resume_goes_back(client, login_as, arrived, tech):
    login_as(tech)
    response = post(client, arrived, "jobs.hold_job", {"reason": " ", "version": arrived.version})
    assert response.status_code == 422 and "Say why the job is on hold." in html_of(response)
    response = post(client, arrived, "jobs.hold_job",
                    {"reason": "Waiting for a door sensor", "version": arrived.version})
    assert response.status_code == 200
    assert reload(arrived).status == "on_hold"
    assert arrived.hold_reason == "Waiting for a door sensor"
    body = html_of(response)
    assert "Resume the job" in body and "Waiting for a door sensor" in body
    assert post(client, arrived, "jobs.add_note", {"work_notes": "Ordered"}).status_code == 200
    assert post(client, arrived, "jobs.hold_job",
                {"reason": "again", "version": arrived.version}).status_code == 422
    assert post(client, arrived, "jobs.resume_job",
                {"version": arrived.version}).status_code == 200
    assert reload(arrived).status == "on_site" and arrived.hold_reason == ""
    hold = [e for e in arrived.events if e.action == "hold"][0]
    assert hold.note == "Waiting for a door sensor" and hold.at.tzinfo is not None


def test_a_job_on_the_way_is_put_on_hold_and_resumed_as_accepted(client, login_as, assigned,
                                                                   tech):
    login_as(tech)
    work.accept(tech, assigned)
    work.depart(tech, assigned)
    assert post(client, assigned, "jobs.hold_job", {"reason": "No parts"}).status_code == 200
    assert post(client, assigned, "jobs.resume_job").status_code == 200
    assert reload(assigned).status == "accepted"


# --------------------------------------------------------------------------- arrival


@pytest.fixture
def on_the_way(assigned, tech):
    work.accept(tech, assigned)
    work.depart(tech, assigned)
    return assigned


def test_opening_the_label_shows_the_arrival_page_and_writes_nothing(
        client, login_as, on_the_way, tech, templates):
    token = places.label_token(on_the_way.point.current_label)
    events = count(JobEvent)
    login_as(tech)
    response = client.get(f"/q/{token}")
    assert response.status_code == 200
    assert templates[0] == "jobs/arrive.html"
    body = html_of(response)
    assert "data-auto-arrive" in body and f'value="{token}"' in body
    assert f'action="/jobs/{on_the_way.id}/arrive"' in body and "js/job-arrive.js" in body
    assert "Record my arrival" in body
    assert count(JobEvent) == events and reload(on_the_way).status == "on_the_way"
    assert on_the_way.arrived_at is None

    response = post(client, on_the_way, "jobs.arrive_job", {"token": token}, headers=HX)
    assert response.status_code == 200 and "<html" not in html_of(response)
    assert reload(on_the_way).status == "on_site" and on_the_way.arrived_at is not None
    # The same scan sent again (a retry) is one arrival.
    assert post(client, on_the_way, "jobs.arrive_job", {"token": token}).status_code == 200
    assert [e.action for e in reload(on_the_way).events].count("arrive") == 1
    # Once on site the label opens the point's page as usual.
    templates.clear()
    client.get(f"/q/{token}")
    assert templates[0] == "places/point.html"


def test_the_label_of_a_job_not_accepted_yet_opens_its_arrival_page_for_offline_use(
        client, login_as, assigned, tech, templates):
    """The page kept on the phone before the job is accepted: accepted offline, it records
    the arrival; otherwise its script asks to accept first. Opening it changes nothing."""
    token = places.label_token(assigned.point.current_label)
    login_as(tech)
    body = html_of(client.get(f"/q/{token}"))
    assert templates[0] == "jobs/arrive.html"
    assert 'data-job-status="assigned"' in body
    assert "Accept the job first (on its page), then scan the label again." in body
    assert reload(assigned).status == "assigned"


def test_the_wrong_label_or_no_label_is_refused(client, login_as, site, on_the_way, tech):
    elsewhere = factories.make_point(site, kind="elevator", code="B-EL-9")
    login_as(tech)
    response = post(client, on_the_way, "jobs.arrive_job",
                    {"token": places.label_token(elsewhere.current_label)})
    assert response.status_code == 422
    assert "This is the label of B-EL-9; the job is at A-EL-1." in html_of(response)
    response = post(client, on_the_way, "jobs.arrive_job", {"token": "NOTATOKEN"})
    assert response.status_code == 422
    assert "This is not a pmfield label." in html_of(response)
    assert reload(on_the_way).status == "on_the_way"


def test_other_people_opening_the_label_get_the_point(client, login_as, site, on_the_way,
                                                     templates):
    token = places.label_token(on_the_way.point.current_label)
    for user in (factories.make_user(Role.GUARD, sites=[site]), technician(site)):
        login_as(user)
        templates.clear()
        assert client.get(f"/q/{token}").status_code == 200
        assert "jobs/arrive.html" not in templates
    assert reload(on_the_way).status == "on_the_way"


def test_a_job_without_a_point_is_arrived_at_any_label_of_the_site(
        client, login_as, site, tech, in_request):
    job = new_job(site)  # only "Building A, 3rd floor"
    dispatched(job, tech)
    work.accept(tech, job)
    somewhere = factories.make_point(site, kind="elevator", code="A-EL-3")
    token = places.label_token(somewhere.current_label)
    login_as(tech)
    body = html_of(client.get(f"/q/{token}"))
    assert "Which job are you arriving at here?" in body and "data-auto-arrive" not in body
    assert post(client, job, "jobs.arrive_job", {"token": token}).status_code == 200
    job = reload(job)
    assert job.status == "on_site" and job.point_id == somewhere.id


# --------------------------------------------------------------------------- my jobs, home


def test_my_jobs_most_urgent_first_with_their_timers(client, login_as, site, point, tech,
                                                     in_request, templates):
    other = technician(site)
    normal = dispatched(new_job(site, point=point, description="Normal one"), tech,
                        priority="normal")
    emergency = dispatched(new_job(site, point=point, description="Emergency one"), tech,
                           priority="emergency")
    urgent = dispatched(new_job(site, point=point, description="Urgent one"), tech,
                        priority="urgent")
    dispatched(new_job(site, point=point, description="Not mine"), other)
    closed = ready_to_close(on_site(new_job(site, point=point, description="Done one"), tech),
                            tech)
    work.close(tech, closed)
    emergency.respond_by = utcnow() - timedelta(minutes=10)
    db.session.commit()
    login_as(tech)
    response = client.get("/jobs/mine")
    assert response.status_code == 200 and templates[0] == "jobs/mine.html"
    body = html_of(response)
    positions = [body.index(text) for text in ("Emergency one", "Urgent one", "Normal one")]
    assert positions == sorted(positions)
    assert "Not mine" not in body and "Done one" not in body
    assert "Late by 10 min" in body and "On site within" in body
    assert f'href="/jobs/{urgent.id}"' in body and f'href="/jobs/{normal.id}"' in body
    templates.clear()
    fragment = client.get("/jobs/mine", headers=HX)
    assert templates == ["jobs/_my_jobs.html"] and "<html" not in html_of(fragment)


def test_my_jobs_when_there_are_none(client, login_as, site, tech):
    login_as(tech)
    assert "No open jobs for you." in html_of(client.get("/jobs/mine"))
    login_as(factories.make_user(Role.TECHNICIAN))
    assert "not assigned to any site" in html_of(client.get("/jobs/mine"))


def test_the_home_page_shows_my_most_urgent_jobs(client, login_as, site, point, tech,
                                                 in_request):
    for priority in ("normal", "urgent", "emergency", "planned"):
        dispatched(new_job(site, point=point, description=f"{priority} job"), tech,
                   priority=priority)
    login_as(tech)
    body = html_of(client.get("/"))
    assert 'id="home-jobs"' in body and "All my jobs (4)" in body
    assert body.count('data-job="') == 3
    assert body.index("Emergency") < body.index("Urgent") < body.index("Normal")
    assert 'href="/jobs/mine"' in body


def test_the_technicians_bar_has_my_jobs(client, login_as, tech):
    login_as(tech)
    body = html_of(client.get("/"))
    nav = body[body.index('class="bottom-nav"'):]
    assert nav.count('class="nav-item') <= 5 and 'href="/jobs/mine"' in nav
    assert "My jobs" in nav and "No open jobs for you." in body
