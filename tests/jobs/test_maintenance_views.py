"""Maintenance plan and materials catalogue pages, and the equipment card of a point's page:
wiring, status codes, page or fragment, roles and site scoping."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import catalogue
from pmfield.jobs import maintenance
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import MaintenancePlan
from pmfield.jobs.models import Material
from pmfield.places import services as places
from pmfield.places.models import Asset
from pmfield.timeutil import utcnow
from tests import factories
from tests.conftest import HX
from tests.jobs.factories import new_job


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def make_plan(point, **kw) -> MaintenancePlan:
    values = {"name_zh": "电梯半月保养", "name_en": "Elevator maintenance",
              "discipline": "elevator", "every": 15, "unit": "days",
              "starts_on": places.site_today(point.site), "lead_days": 3}
    values.update(kw)
    return maintenance.create_plan(point.site, actor=None, point=point, **values)


def make_material(site, **kw) -> Material:
    values = {"code": "CB-16A", "name_zh": "空气开关 16A", "name_en": "Circuit breaker 16 A",
              "unit_zh": "个", "unit_en": "pc"}
    values.update(kw)
    return catalogue.create_material(site, actor=None, **values)


def plan_form(point, **kw) -> dict:
    form = {"point_id": str(point.id), "name_zh": "电梯半月保养", "name_en": "Elevator maintenance",
            "discipline": "elevator", "every": "15", "unit": "days",
            "starts_on": places.site_today(point.site).isoformat(), "lead_days": "3"}
    form.update(kw)
    return form


@pytest.fixture
def supervisor(site, login_as):
    return login_as(factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site]))


# --------------------------------------------------------------------------- plans


def test_plan_list_shows_the_current_sites_plans_with_next_due_date(
    client, site, other_site, point, supervisor, templates
):
    make_plan(point, starts_on=places.site_today(site) - timedelta(days=20))
    make_plan(factories.make_point(other_site, kind="pump"), name_en="Pump elsewhere")
    response = client.get("/jobs/maintenance")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert templates[0] == "jobs/maintenance_plans.html"
    assert "Elevator maintenance" in html and "A-EL-1" in html
    assert "Pump elsewhere" not in html
    next_due = maintenance.next_due_on(db.session.scalars(select(MaintenancePlan)).first(),
                                       places.site_today(site))
    assert f"next due {next_due.isoformat()}" in html
    assert "every 15 days" in html
    templates.clear()
    assert client.get("/jobs/maintenance", headers=HX).status_code == 200
    assert templates[0] == "jobs/_maintenance_plans.html"
    templates.clear()
    client.get("/jobs/maintenance", headers={**HX, "HX-Boosted": "true"})
    assert templates[0] == "jobs/maintenance_plans.html"


def test_create_plan(client, site, point, supervisor):
    form_page = client.get("/jobs/maintenance/new").get_data(as_text=True)
    assert "A-EL-1" in form_page and 'name="csrf_token"' in form_page
    response = client.post("/jobs/maintenance/new", data=plan_form(point))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/jobs/maintenance")
    plan = db.session.scalars(select(MaintenancePlan)).one()
    assert (plan.site_id, plan.point_id, plan.every, plan.unit, plan.lead_days) == (
        site.id, point.id, 15, "days", 3)
    assert "HX-Redirect" in client.post("/jobs/maintenance/new", data=plan_form(point),
                                        headers=HX).headers


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"every": "0"}, "every", "Enter a number from 1 to 366."),
        ({"every": "abc"}, "every", "Enter a whole number, e.g. 30."),
        ({"lead_days": "99"}, "lead_days", "Enter a number from 0 to 60."),
        ({"starts_on": "31/12/2026"}, "starts_on", "Enter a date as YYYY-MM-DD."),
        ({"point_id": "x"}, "point_id", "Choose a piece of equipment of this site."),
        ({"name_zh": "", "name_en": ""}, "name_zh", "Enter a name in Chinese or English."),
    ],
)
def test_bad_plan_input_is_422_with_the_form_refilled(
    client, point, supervisor, changes, field, message
):
    form = plan_form(point, name_en="Lift care")
    form.update(changes)
    response = client.post("/jobs/maintenance/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="e-{field}">{message}</p>' in html
    if field != "name_zh":
        assert 'value="Lift care"' in html
    assert count(MaintenancePlan) == 0


def test_a_point_of_another_site_is_refused(client, other_site, supervisor):
    elsewhere = factories.make_point(other_site, kind="elevator")
    response = client.post("/jobs/maintenance/new", data=plan_form(elsewhere))
    assert response.status_code == 422
    assert "Choose a piece of equipment of this site." in response.get_data(as_text=True)
    assert count(MaintenancePlan) == 0


def test_edit_and_retire_a_plan(client, site, point, supervisor):
    plan = make_plan(point)
    assert client.get(f"/jobs/maintenance/{plan.id}/edit").status_code == 200
    bad = client.post(f"/jobs/maintenance/{plan.id}/edit", data=plan_form(point, every="999"))
    assert bad.status_code == 422
    assert 'value="999"' in bad.get_data(as_text=True)
    db.session.expire_all()
    assert plan.every == 15
    ok = client.post(f"/jobs/maintenance/{plan.id}/edit",
                     data=plan_form(point, every="2", unit="months"))
    assert ok.status_code == 303
    db.session.expire_all()
    assert (plan.every, plan.unit) == (2, "months")
    assert client.post(f"/jobs/maintenance/{plan.id}/retire").status_code == 303
    db.session.expire_all()
    assert plan.active is False
    html = client.get("/jobs/maintenance").get_data(as_text=True)
    assert "Retired" in html
    assert "Put this plan back in use" in client.get(
        f"/jobs/maintenance/{plan.id}/edit").get_data(as_text=True)
    assert client.post(f"/jobs/maintenance/{plan.id}/restore").status_code == 303
    db.session.expire_all()
    assert plan.active is True


def test_plans_of_another_site_are_404(client, other_site, supervisor):
    plan = make_plan(factories.make_point(other_site, kind="elevator"))
    assert client.get(f"/jobs/maintenance/{plan.id}/edit").status_code == 404
    assert client.post(f"/jobs/maintenance/{plan.id}/edit",
                       data=plan_form(plan.point)).status_code == 404
    assert client.post(f"/jobs/maintenance/{plan.id}/retire").status_code == 404
    db.session.expire_all()
    assert plan.active is True
    assert client.get("/jobs/maintenance/999999/edit").status_code == 404


@pytest.mark.parametrize("role", [Role.DESK, Role.TECHNICIAN, Role.GUARD, Role.CLEANING_SUPERVISOR])
def test_only_engineering_managers_reach_the_pages(client, login_as, site, point, role):
    plan = make_plan(point)
    material = make_material(site)
    login_as(factories.make_user(role, sites=[site]))
    for method, url in [
        ("GET", "/jobs/maintenance"), ("GET", "/jobs/maintenance/new"),
        ("POST", "/jobs/maintenance/new"), ("GET", f"/jobs/maintenance/{plan.id}/edit"),
        ("POST", f"/jobs/maintenance/{plan.id}/retire"), ("GET", "/jobs/materials"),
        ("POST", "/jobs/materials/new"), ("GET", f"/jobs/materials/{material.id}/edit"),
        ("POST", f"/jobs/materials/{material.id}/deactivate"),
    ]:
        assert client.open(url, method=method, data={}).status_code == 403, url
    db.session.expire_all()
    assert plan.active and material.active


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_edit_plans_too(client, login_as, site, point, role):
    login_as(factories.make_user(role, sites=[] if role == Role.ADMIN else [site]))
    assert client.get("/jobs/maintenance").status_code == 200
    assert client.post("/jobs/maintenance/new", data=plan_form(point)).status_code == 303


# --------------------------------------------------------------------------- materials


def test_catalogue_add_edit_deactivate(client, site, other_site, supervisor, templates):
    make_material(other_site, code="ELSEWHERE", name_en="Other site's item")
    response = client.post("/jobs/materials/new", data={
        "code": "tap-15", "name_zh": "水龙头", "name_en": "Tap", "unit_zh": "个", "unit_en": "pc"})
    assert response.status_code == 303
    tap = db.session.scalars(select(Material).where(Material.site_id == site.id)).one()
    assert tap.code == "TAP-15"
    html = client.get("/jobs/materials").get_data(as_text=True)
    assert "TAP-15" in html and "Tap" in html and "Other site" not in html
    assert client.post(f"/jobs/materials/{tap.id}/edit", data={
        "code": "TAP-15", "name_zh": "水龙头 DN15", "name_en": "Tap DN15", "unit_zh": "个",
        "unit_en": "pc"}).status_code == 303
    assert client.post(f"/jobs/materials/{tap.id}/deactivate").status_code == 303
    db.session.expire_all()
    assert (tap.name_en, tap.active) == ("Tap DN15", False)
    assert catalogue.list_materials(site) == []
    html = client.get("/jobs/materials").get_data(as_text=True)
    assert "Out of use" in html and "Use again" in html
    assert client.post(f"/jobs/materials/{tap.id}/restore").status_code == 303
    db.session.expire_all()
    assert tap.active is True
    templates.clear()
    client.get("/jobs/materials", headers=HX)
    assert templates[0] == "jobs/_material_catalogue.html"


def test_a_taken_code_is_422_and_nothing_changes(client, site, supervisor):
    breaker = make_material(site)
    tap = make_material(site, code="TAP-15", name_zh="水龙头", name_en="Tap")
    response = client.post("/jobs/materials/new", data={
        "code": "cb-16a", "name_zh": "", "name_en": "Another breaker", "unit_zh": "",
        "unit_en": "pc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error" id="e-code">This site already has an item with this code.</p>' in html
    assert 'value="Another breaker"' in html
    assert count(Material) == 2
    edit = client.post(f"/jobs/materials/{tap.id}/edit", data={
        "code": "CB-16A", "name_zh": "水龙头", "name_en": "Tap", "unit_zh": "个", "unit_en": "pc"})
    assert edit.status_code == 422
    db.session.expire_all()
    assert (tap.code, breaker.code) == ("TAP-15", "CB-16A")


def test_materials_of_another_site_are_404(client, other_site, supervisor):
    elsewhere = make_material(other_site)
    assert client.get(f"/jobs/materials/{elsewhere.id}/edit").status_code == 404
    assert client.post(f"/jobs/materials/{elsewhere.id}/deactivate").status_code == 404
    db.session.expire_all()
    assert elsewhere.active is True


# --------------------------------------------------------------------------- equipment card


def test_equipment_card_on_the_point_page(client, login_as, site, point):
    point.asset = Asset()
    db.session.commit()
    today = places.site_today(site)
    places.add_certificate(point, name="Annual inspection", expires_on=today + timedelta(days=10))
    places.add_certificate(point, name="Fire permit", expires_on=today - timedelta(days=3))
    places.add_certificate(point, name="Registration", expires_on=today + timedelta(days=200))
    open_job = new_job(site, point=point, description="Door sticks")
    done = new_job(site, point=point, description="Noisy motor")
    done.status, done.closed_at = JobStatus.CLOSED.value, utcnow()
    db.session.commit()
    make_plan(point, starts_on=today + timedelta(days=4))
    desk = factories.make_user(Role.DESK, sites=[site])
    login_as(desk)
    html = client.get(f"/points/{point.id}").get_data(as_text=True)
    assert 'id="equipment-card"' in html
    assert "Annual inspection expires in 10 days." in html
    assert "Fire permit expired 3 days ago." in html
    assert "Registration expires" not in html
    assert f'href="/jobs/{open_job.id}"' in html and f'href="/jobs/{done.id}"' in html
    assert "1 repair in all" in html
    assert f"next due {(today + timedelta(days=4)).isoformat()}" in html
    assert "/jobs/maintenance/" not in html  # the desk does not edit plans
    # A guard sees the card but cannot open the jobs.
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    html = client.get(f"/points/{point.id}").get_data(as_text=True)
    assert open_job.number in html and f'href="/jobs/{open_job.id}"' not in html
    login_as(factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site]))
    assert "/jobs/maintenance/" in client.get(f"/points/{point.id}").get_data(as_text=True)


def test_no_equipment_card_on_checkpoints(client, login_as, site):
    checkpoint = factories.make_point(site, kind="checkpoint")
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    response = client.get(f"/points/{checkpoint.id}")
    assert response.status_code == 200
    assert 'id="equipment-card"' not in response.get_data(as_text=True)


def test_equipment_card_in_chinese(client, login_as, site, point):
    make_plan(point)
    login_as(factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site]))
    html = client.get(f"/points/{point.id}", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    assert "电梯半月保养" in html
