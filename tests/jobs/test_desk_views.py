"""The desk's and the engineering supervisor's pages: intake, field reports, dispatch (and the
desk's lack of it), cancel, callbacks, settings."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import work
from pmfield.jobs.models import Callback
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobSettings
from pmfield.photos.models import Photo
from tests import factories
from tests.conftest import HX
from tests.jobs.factories import dispatch_form
from tests.jobs.factories import engineering_supervisor
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import ready_to_close
from tests.jobs.factories import technician
from tests.photos.images import jpeg


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def intake(**overrides):
    form = {"requester_name": "Ms Wang", "requester_phone": "138 0013 8000",
            "point_code": "A-EL-1 · Lift A", "location_text": "", "description": "Lift stuck",
            "channel": "phone", "priority": "emergency", "requested_by": "",
            "out_of_scope_reason": ""}
    return form | overrides


def test_the_desk_registers_a_call_with_a_photo(client, login_as, site, desk, point):
    login_as(desk)
    form = intake() | {"photo1": (io.BytesIO(jpeg()), "lift.jpg")}
    response = client.post("/jobs/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    job = db.session.scalars(select(Job)).one()
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert (job.status, job.point, job.requester_name, job.requester_phone, job.channel,
            job.priority, job.source) == ("new", point, "Ms Wang", "138 0013 8000", "phone",
                                          "emergency", "desk")
    assert job.number.startswith("JOB-") and job.reported_by == desk
    (photo,) = db.session.scalars(select(Photo)).all()
    assert (photo.owner_kind, photo.owner_id) == ("job", job.id)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Ms Wang" in page and ("On site within" in page or "Late by" in page)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"description": " "}, "description", "Describe the problem."),
    ({"point_code": "NOPE-1"}, "point_code", "No point with this code"),
    ({"point_code": "", "location_text": ""}, "point_code", "Choose the point or say where"),
    ({"requester_phone": "call me"}, "requester_phone", "Enter a phone number"),
    ({"channel": "pigeon"}, "channel", "Choose how the request came in."),
    ({"requested_by": "tomorrow"}, "requested_by", "Enter a date and time."),
    ({"requested_by": "2020-01-01T10:00"}, "requested_by", "must be in the future"),
    ({"out_of_scope": "1"}, "out_of_scope_reason", "Say why the request is out of scope."),
])
def test_bad_intake_is_refused_and_keeps_what_was_typed(client, login_as, site, desk, point,
                                                         change, field, message):
    login_as(desk)
    response = client.post("/jobs/new", data=intake(**change))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert f'id="e-{field}"' in page or "alert-error" in page
    assert "Ms Wang" in page
    assert count(Job) == 0


def test_a_guard_reports_a_fault_from_the_point_page(client, login_as, site, point):
    guard = factories.make_user(Role.GUARD, sites=[site])
    login_as(guard)
    page = client.get(f"/points/{point.id}").get_data(as_text=True)
    assert f"/jobs/report/{point.id}" in page and "/jobs/new?point=" not in page
    assert client.post(f"/jobs/report/{point.id}", data={"description": ""}).status_code == 422
    response = client.post(f"/jobs/report/{point.id}", data={"description": "Door won't close"})
    assert response.status_code == 201
    job = db.session.scalars(select(Job)).one()
    assert (job.source, job.channel, job.point, job.reported_by) == ("field", "staff", point,
                                                                     guard)
    assert job.number in response.get_data(as_text=True)
    # They can follow what they reported.
    assert client.get(f"/jobs/{job.id}").status_code == 200


def test_a_point_of_another_site_cannot_be_reported(client, login_as, site, other_site):
    theirs = factories.make_point(other_site, kind="pump", code="P-9")
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    assert client.get(f"/jobs/report/{theirs.id}").status_code == 404
    assert client.post(f"/jobs/report/{theirs.id}", data={"description": "x"}).status_code == 404
    assert count(Job) == 0


def test_the_desk_has_no_dispatch_and_the_server_refuses_it(client, login_as, site, desk,
                                                            point):
    job = new_job(site, point=point)
    tech = technician(site)
    login_as(desk)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "dispatch-form" not in page and f"/jobs/{job.id}/assign" not in page
    response = client.post(f"/jobs/{job.id}/assign", data=dispatch_form(tech))
    assert response.status_code == 403
    db.session.refresh(job)
    assert (job.status, job.assignments, job.discipline, job.version) == ("new", [], None, 1)


def test_the_engineering_supervisor_assigns_a_lead(client, login_as, site, point):
    job = new_job(site, point=point)
    first, second = technician(site, display_name="Zhang"), technician(site, display_name="Li")
    login_as(engineering_supervisor(site))
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "dispatch-form" in page and "Zhang" in page and "Li" in page
    response = client.post(f"/jobs/{job.id}/assign", headers=HX,
                           data=dispatch_form(first, second, lead=second, priority="urgent")
                           | {"version": str(job.version)})
    assert response.status_code == 200
    db.session.refresh(job)
    assert job.status == "assigned" and job.lead == second
    assert {u.id for u in job.technicians} == {first.id, second.id}
    assert 'id="job"' in response.get_data(as_text=True)


def test_a_dispatch_with_no_technician_is_refused(client, login_as, site, point):
    job = new_job(site, point=point)
    login_as(engineering_supervisor(site))
    response = client.post(f"/jobs/{job.id}/assign", data=dispatch_form())
    assert response.status_code == 422
    assert "Choose at least one technician." in response.get_data(as_text=True)
    db.session.refresh(job)
    assert job.status == "new"


def test_a_technician_of_another_site_cannot_be_assigned(client, login_as, site, other_site,
                                                         point):
    job = new_job(site, point=point)
    theirs = technician(other_site)
    login_as(engineering_supervisor(site))
    response = client.post(f"/jobs/{job.id}/assign", data=dispatch_form(theirs))
    assert response.status_code == 422
    db.session.refresh(job)
    assert job.assignments == []


def test_the_desk_cancels_a_duplicate(client, login_as, site, desk, point):
    job = new_job(site, point=point)
    login_as(desk)
    assert client.post(f"/jobs/{job.id}/cancel", data={"reason": ""}).status_code == 422
    assert client.post(f"/jobs/{job.id}/cancel", data={"reason": "Duplicate"}).status_code == 200
    db.session.refresh(job)
    assert job.status == "cancelled" and job.events[-1].note == "Duplicate"


def test_list_tabs_show_late_jobs_with_their_timer(client, login_as, site, desk, point):
    late = new_job(site, point=point, priority="emergency")
    late.created_at = late.created_at.replace(year=2025)
    late.respond_by = late.created_at
    db.session.commit()
    fresh = new_job(site, point=point, priority="normal")
    login_as(desk)
    page = client.get("/jobs/?view=late").get_data(as_text=True)
    assert late.number in page and fresh.number not in page and "Late by" in page
    page = client.get("/jobs/?view=new").get_data(as_text=True)
    assert late.number in page and fresh.number in page


def test_the_desk_records_a_callback(client, login_as, site, desk, point):
    tech = technician(site)
    job = on_site(new_job(site, point=point), tech)
    with client.application.test_request_context():
        ready_to_close(job, tech)
        work.close(tech, job)
    (callback,) = job.callbacks
    login_as(desk)
    assert job.number in client.get("/jobs/callbacks").get_data(as_text=True)
    response = client.post(f"/jobs/callbacks/{callback.id}",
                           data={"method": "phone", "satisfaction": "unsatisfied"})
    assert response.status_code == 422
    assert "Write what the customer is unhappy with." in response.get_data(as_text=True)
    response = client.post(f"/jobs/callbacks/{callback.id}",
                           data={"method": "phone", "satisfaction": "satisfied",
                                 "comments": "Good"})
    assert response.status_code == 200
    db.session.refresh(callback)
    assert callback.satisfaction == "satisfied" and callback.done_by == desk
    assert count(Callback, Callback.done_at.is_(None)) == 0


def test_technicians_cannot_record_callbacks(client, login_as, site, point):
    tech = technician(site)
    job = on_site(new_job(site, point=point), tech)
    with client.application.test_request_context():
        ready_to_close(job, tech)
        work.close(tech, job)
    login_as(tech)
    response = client.post(f"/jobs/callbacks/{job.callbacks[0].id}",
                           data={"method": "phone", "satisfaction": "satisfied"})
    assert response.status_code == 403


def test_response_targets_are_edited_per_site(client, login_as, site):
    login_as(engineering_supervisor(site))
    form = {"emergency_minutes": "10", "urgent_minutes": "60", "normal_minutes": "300",
            "planned_minutes": "20000", "sample_percent": "25", "repeat_count": "3",
            "repeat_days": "60"}
    response = client.post("/jobs/settings", data=form | {"urgent_minutes": "5"})
    assert response.status_code == 422
    assert "shorter target" in response.get_data(as_text=True)
    assert db.session.get(JobSettings, site.id) is None
    assert client.post("/jobs/settings", data=form | {"sample_percent": "120"}).status_code == 422
    assert client.post("/jobs/settings", data=form).status_code == 200
    settings = db.session.get(JobSettings, site.id)
    assert (settings.emergency_minutes, settings.sample_percent) == (10, 25)
    job = new_job(site, priority="emergency")
    assert (job.respond_by - job.created_at).total_seconds() == 600


def test_the_desks_home_counts_jobs_to_dispatch_and_late_ones(client, login_as, site, desk,
                                                              point):
    late = new_job(site, point=point)
    late.respond_by = late.created_at.replace(year=2025)
    db.session.commit()
    new_job(site, point=point)
    login_as(desk)
    page = client.get("/").get_data(as_text=True)
    assert 'id="home-jobs"' in page and "/jobs/new" in page
    assert "To dispatch" in page and '<span class="badge badge-warning">2</span>' in page
    assert '<span class="badge badge-danger">1</span>' in page


def test_the_months_paid_jobs_go_to_finance_as_csv(client, login_as, site, point, desk):
    tech = technician(site)
    job = on_site(new_job(site, point=point, requester_name="=cmd()"), tech)
    free = on_site(new_job(site, point=point), tech)
    with client.application.test_request_context():
        ready_to_close(job, tech, category="paid", price="85.5")
        work.close(tech, job)
        ready_to_close(free, tech)
        work.close(tech, free)
    month = job.closed_at.astimezone(ZoneInfo(site.timezone)).strftime("%Y-%m")
    login_as(desk)
    assert client.get(f"/jobs/paid.csv?month={month}").status_code == 403
    login_as(engineering_supervisor(site))
    assert client.get("/jobs/paid.csv?month=2026-13").status_code == 422
    response = client.get(f"/jobs/paid.csv?month={month}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["number", "closed_at", "requester"]
    assert [r[0] for r in rows[1:]] == [job.number, "total"]
    assert rows[1][2] == "'=cmd()" and rows[1][9] == "85.50" and rows[-1][9] == "85.50"
    empty = client.get("/jobs/paid.csv?month=2020-01").get_data(as_text=True)
    assert empty.splitlines()[1].startswith("total,") and len(empty.splitlines()) == 2
