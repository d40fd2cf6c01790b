"""Repair request pages: the desk's list, one request, access and site scoping."""

from datetime import UTC
from datetime import datetime

import pytest

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import services
from pmfield.jobs.models import JobSource
from pmfield.jobs.views import desk as views
from pmfield.patrol.models import Incident
from pmfield.web.security import public
from tests import factories
from tests.conftest import HX

MARCH = datetime(2026, 3, 1, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai


def new_job(site, **kw):
    kw.setdefault("description", "Lift stuck between floors")
    kw.setdefault("source", JobSource.DESK)
    if "point" not in kw:
        kw.setdefault("location_text", "Building A")
    job = services.create_job(site=site, **kw)
    db.session.commit()
    return job


def test_desk_list_shows_the_current_sites_requests(
    client, login_as, site, other_site, desk, point, templates
):
    new_job(site, point=point, reported_by=desk, now=MARCH)
    new_job(other_site, description="Broken door elsewhere", now=MARCH)
    login_as(desk)
    response = client.get("/jobs/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert templates[0] == "jobs/index.html"
    for text in (
        "JOB-2026-000001",
        "A-EL-1",
        "Lift A",
        "Lift stuck between floors",
        "Service desk",
        desk.display_name,
        "2026-03-01 14:05",
        "1 repair request",
    ):
        assert text in html, text
    assert "Broken door elsewhere" not in html
    templates.clear()
    fragment = client.get("/jobs/", headers=HX)
    assert templates == ["jobs/_job_rows.html"]
    assert "<html" not in fragment.get_data(as_text=True)


def test_empty_list_and_no_site(client, login_as, site):
    login_as(factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site]))
    assert "No repair requests here." in client.get("/jobs/").get_data(as_text=True)
    login_as(factories.make_user(Role.DESK))
    assert "not assigned to any site" in client.get("/jobs/").get_data(as_text=True)


@pytest.fixture
def incident_job(site, point):
    guard = factories.make_user(Role.GUARD, sites=[site])
    incident = Incident(site_id=site.id, point_id=point.id, kind="leak", reported_by_id=guard.id)
    db.session.add(incident)
    db.session.commit()
    return new_job(site, source=JobSource.PATROL, point=point, incident=incident, now=MARCH)


def test_incident_is_named_but_not_linked_while_there_is_no_incident_page(
    app, client, login_as, desk, incident_job, monkeypatch
):
    monkeypatch.setattr(views, "INCIDENT_ENDPOINT", "nowhere.incident_detail")
    login_as(desk)
    label = f"incident #{incident_job.incident_id}"
    for url in ("/jobs/", f"/jobs/{incident_job.id}"):
        html = client.get(url).get_data(as_text=True)
        assert label in html.lower(), url
        assert "/incidents/" not in html, url


def test_incident_links_to_its_page_once_it_exists(
    app, client, login_as, desk, incident_job, monkeypatch
):
    app.add_url_rule(
        "/test/incidents/<int:incident_id>", "test_incident", public(lambda incident_id: "")
    )
    monkeypatch.setattr(views, "INCIDENT_ENDPOINT", "test_incident")
    login_as(desk)
    href = f'href="/test/incidents/{incident_job.incident_id}"'
    assert href in client.get("/jobs/").get_data(as_text=True)
    assert href in client.get(f"/jobs/{incident_job.id}").get_data(as_text=True)


def test_detail_shows_the_request(client, login_as, site, desk, point):
    job = new_job(site, point=point, reported_by=desk, description="Door 3 jams", now=MARCH)
    login_as(desk)
    response = client.get(f"/jobs/{job.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("JOB-2026-000001", "Door 3 jams", "A-EL-1", "Service desk", "2026-03-01 14:05"):
        assert text in html, text
    assert f'href="/points/{point.id}"' in html


def test_detail_of_another_site_is_404(client, login_as, other_site, desk):
    theirs = new_job(other_site)
    login_as(desk)
    assert client.get(f"/jobs/{theirs.id}").status_code == 404
    assert client.get("/jobs/999999").status_code == 404
    assert client.get(f"/jobs/{2**40}").status_code == 404


def test_roles_outside_the_job_readers_see_only_the_jobs_they_reported(client, login_as, site):
    guard = factories.make_user(Role.GUARD, sites=[site])
    theirs = new_job(site, reported_by=guard)
    other = new_job(site)
    login_as(guard)
    assert client.get("/jobs/").status_code == 403
    assert client.get(f"/jobs/{other.id}").status_code == 404
    page = client.get(f"/jobs/{theirs.id}")
    assert page.status_code == 200 and theirs.number in page.get_data(as_text=True)
    assert "dispatch-form" not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.DESK, True),
        (Role.ENGINEERING_SUPERVISOR, True),
        (Role.MANAGER, False),
        (Role.GUARD, False),
    ],
)
def test_bottom_nav_has_repairs_for_the_desk_and_engineering(client, login_as, site, role, shown):
    login_as(factories.make_user(role, sites=[site]))
    html = client.get("/menu").get_data(as_text=True)
    assert ('href="/jobs/" class="nav-item' in html) is shown
