"""Places pages: wiring, access, status codes, page versus fragment, forms that keep input."""

from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth.roles import ALL_ROLES
from pmfield.auth.roles import PLACE_EDITORS
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.places import services
from pmfield.places.models import Certificate
from pmfield.places.models import Location
from pmfield.places.models import Point
from pmfield.places.models import Site
from tests import factories
from tests.conftest import HX


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def room(site):
    zone = factories.make_location(site, "zone", name_zh="教学区", name_en="Teaching zone")
    return factories.make_location(site, "area", zone, name_zh="卫生间", name_en="Toilet")


@pytest.fixture
def point(site, room):
    return factories.make_point(site, room, kind="elevator", code="A-EL-1", name_en="Lift A")


@pytest.fixture
def editor(client, login_as, site):
    return login_as(factories.make_user(Role.MANAGER, sites=[site]))


# --------------------------------------------------------------------------- list


def test_list_points_page_and_fragment(client, login_as, site, room, templates):
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    factories.make_point(site, room, code="GATE-S", name_en="South gate")
    factories.make_point(site, room, code="WC-1", name_en="Toilet", kind="cleaning_area")
    page = client.get("/points")
    assert page.status_code == 200
    assert templates[0] == "places/index.html"
    assert "GATE-S" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]
    templates.clear()
    rows = client.get("/points?q=south", headers=HX)
    assert templates == ["places/_point_rows.html"]
    html = rows.get_data(as_text=True)
    assert "GATE-S" in html
    assert "WC-1" not in html
    assert "<html" not in html
    templates.clear()
    client.get("/points?q=south", headers=HX | {"HX-Boosted": "true"})
    assert templates[0] == "places/index.html"
    kind = client.get("/points?kind=cleaning_area").get_data(as_text=True)
    assert "WC-1" in kind
    assert "GATE-S" not in kind


def test_list_points_shows_only_the_current_site(client, login_as, site, other_site, room):
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    factories.make_point(other_site, code="ELSEWHERE")
    factories.make_point(site, room, code="HERE")
    html = client.get("/points?q=e").get_data(as_text=True)
    assert "HERE" in html
    assert "ELSEWHERE" not in html


def test_list_points_without_a_site(client, login_as):
    login_as(factories.make_user(Role.GUARD))
    response = client.get("/points")
    assert response.status_code == 200
    assert "not assigned to any site" in response.get_data(as_text=True)


def test_retired_points_only_for_editors_on_request(client, login_as, site, room):
    gone = factories.make_point(site, room, code="GONE")
    services.retire_point(gone, actor=None)
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    assert "GONE" not in client.get("/points?retired=1").get_data(as_text=True)
    login_as(factories.make_user(Role.MANAGER, sites=[site]))
    assert "GONE" not in client.get("/points").get_data(as_text=True)
    assert "GONE" in client.get("/points?retired=1").get_data(as_text=True)


# --------------------------------------------------------------------------- detail


def test_point_detail_shows_asset_certificates_and_label(client, login_as, site, point):
    today = services.site_today(site)
    services.set_asset(
        point,
        make="Otis",
        model="GeN2",
        serial_number="OT-1",
        installed_on=date(2019, 8, 20),
        actor=None,
    )
    services.add_certificate(
        point, name="Annual inspection", expires_on=today - timedelta(2), actor=None
    )
    services.add_certificate(point, name="Permit", expires_on=today + timedelta(5), actor=None)
    login_as(factories.make_user(Role.TECHNICIAN, sites=[site]))
    response = client.get(f"/points/{point.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in (
        "A-EL-1",
        "Lift A",
        "Otis",
        "OT-1",
        "2019-08-20",
        "Annual inspection",
        "badge-expired",
        "badge-expiring",
        "Version 1",
    ):
        assert text in html, text
    chinese = client.get(f"/points/{point.id}", headers={"Accept-Language": "zh-CN"})
    assert "教学区 › 卫生间" in chinese.get_data(as_text=True)
    assert "第 1 版" in chinese.get_data(as_text=True)
    assert "/remove" not in html
    assert "label/reissue" not in html
    assert f"/points/{point.id}/edit" not in html


def test_editors_see_the_actions(client, editor, point):
    html = client.get(f"/points/{point.id}").get_data(as_text=True)
    for action in ("label/reissue", "label/revoke", "/edit", "/move", "/asset", "/retire"):
        assert f"/points/{point.id}/{action.lstrip('/')}" in html


def test_other_sites_points_are_404(client, login_as, other_site, point):
    login_as(factories.make_user(Role.MANAGER, sites=[other_site]))
    response = client.get(f"/points/{point.id}")
    assert response.status_code == 404
    assert "A-EL-1" not in response.get_data(as_text=True)
    assert client.get("/points/99999").status_code == 404


def test_anonymous_users_go_to_login(client, point):
    response = client.get(f"/points/{point.id}")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]


# --------------------------------------------------------------------------- access matrix


def editor_routes(point, location, certificate):
    """(method, url) of every editor page, with real objects."""
    p, loc = point.id, location.id
    return [
        ("GET", "/points/new"),
        ("POST", "/points/new"),
        ("GET", f"/points/{p}/edit"),
        ("POST", f"/points/{p}/edit"),
        ("GET", f"/points/{p}/move"),
        ("POST", f"/points/{p}/move"),
        ("GET", f"/points/{p}/retire"),
        ("POST", f"/points/{p}/retire"),
        ("GET", f"/points/{p}/asset"),
        ("POST", f"/points/{p}/asset"),
        ("POST", f"/points/{p}/certificates"),
        ("POST", f"/points/{p}/certificates/{certificate.id}/remove"),
        ("POST", f"/points/{p}/label/revoke"),
        ("POST", f"/points/{p}/label/reissue"),
        ("GET", "/points/import"),
        ("POST", "/points/import"),
        ("GET", "/points/import/example.csv"),
        ("GET", "/places/locations"),
        ("GET", "/places/locations/new"),
        ("POST", "/places/locations/new"),
        ("GET", f"/places/locations/{loc}/edit"),
        ("POST", f"/places/locations/{loc}/edit"),
        ("GET", f"/places/locations/{loc}/move"),
        ("POST", f"/places/locations/{loc}/move"),
        ("GET", f"/places/locations/{loc}/retire"),
        ("POST", f"/places/locations/{loc}/retire"),
    ]


@pytest.mark.parametrize("role", sorted(ALL_ROLES - PLACE_EDITORS))
def test_non_editors_get_403_and_change_nothing(client, login_as, site, room, point, role):
    certificate = services.add_certificate(point, name="x", expires_on=date(2030, 1, 1), actor=None)
    login_as(factories.make_user(role, sites=[site]))
    audit_before = count(AuditEntry)
    for method, url in editor_routes(point, room, certificate):
        data = {
            "reason": "lost",
            "name_zh": "x",
            "code": "NEW",
            "kind": "checkpoint",
            "location_id": room.id,
            "level": "zone",
        }
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
    assert count(AuditEntry) == audit_before
    for url in ("/places/sites", "/places/sites/new", f"/places/sites/{site.id}/edit"):
        assert client.get(url).status_code == 403


def test_editors_of_another_site_get_404_and_change_nothing(
    client, login_as, site, other_site, room, point
):
    certificate = services.add_certificate(point, name="x", expires_on=date(2030, 1, 1), actor=None)
    login_as(factories.make_user(Role.MANAGER, sites=[other_site]))
    audit_before = count(AuditEntry)
    for method, url in editor_routes(point, room, certificate):
        if f"/{point.id}/" not in url and f"/{room.id}/" not in url:
            continue  # pages of the current site (their own) are fine
        response = client.open(url, method=method, data={"reason": "lost"})
        assert response.status_code == 404, (method, url)
    assert count(AuditEntry) == audit_before
    assert point.current_label.version == 1
    assert not point.is_retired


def test_editor_pages_render(client, editor, point, room):
    certificate = services.add_certificate(point, name="x", expires_on=date(2030, 1, 1), actor=None)
    for method, url in editor_routes(point, room, certificate):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert " style=" not in html, url
            assert "<script>" not in html, url


# --------------------------------------------------------------------------- point forms


def test_create_point_through_the_form(client, editor, site, room):
    assert f'value="{room.id}" selected' in client.get(f"/points/new?location={room.id}").get_data(
        as_text=True
    )
    response = client.post(
        "/points/new",
        data={
            "code": "a-2f-hyd",
            "kind": "hydrant",
            "name_zh": "消火栓",
            "name_en": "Hydrant",
            "location_id": room.id,
            "make": "Acme",
            "installed_on": "2020-05-01",
        },
    )
    assert response.status_code == 303
    point = db.session.scalars(select(Point).where(Point.code == "A-2F-HYD")).one()
    assert response.headers["Location"].endswith(f"/points/{point.id}")
    assert point.current_label.version == 1
    assert point.asset.make == "Acme"
    assert point.asset.installed_on == date(2020, 5, 1)


def test_create_point_bad_input_keeps_values_and_creates_nothing(client, editor, site, room):
    factories.make_point(site, room, code="TAKEN")
    cases = [
        (
            {"code": "", "kind": "", "name_zh": "", "location_id": ""},
            [
                "Enter the point&#39;s code",
                "Choose a kind of point.",
                "Chinese or English",
                "Choose a location.",
            ],
        ),
        (
            {"code": "taken", "kind": "checkpoint", "name_zh": "我的名字", "location_id": room.id},
            ["already uses the code TAKEN"],
        ),
        (
            {
                "code": "NEW-1",
                "kind": "checkpoint",
                "name_zh": "我的名字",
                "location_id": room.id,
                "make": "Otis",
            },
            ["Only equipment"],
        ),
        (
            {
                "code": "NEW-1",
                "kind": "elevator",
                "name_zh": "我的名字",
                "location_id": room.id,
                "installed_on": "01/02/2020",
            },
            ["YYYY-MM-DD"],
        ),
        (
            {"code": "NEW-1", "kind": "checkpoint", "name_zh": "我的名字", "location_id": 9999},
            ["Choose a location on this site."],
        ),
    ]
    for data, messages in cases:
        response = client.post("/points/new", data=data)
        assert response.status_code == 422, data
        html = response.get_data(as_text=True)
        for message in messages:
            assert message in html, (data, message)
        if data.get("name_zh"):
            assert 'value="我的名字"' in html
    assert count(Point) == 1


def test_edit_point(client, editor, point):
    response = client.post(
        f"/points/{point.id}/edit",
        data={
            "code": "a-el-2",
            "kind": "elevator",
            "name_zh": "电梯2",
            "name_en": "Lift 2",
            "description": "North end",
        },
    )
    assert response.status_code == 303
    assert (point.code, point.name_en, point.description) == ("A-EL-2", "Lift 2", "North end")
    response = client.post(
        f"/points/{point.id}/edit",
        data={"code": "bad code!", "kind": "elevator", "name_zh": "电梯3", "name_en": "Lift 3"},
    )
    assert response.status_code == 422
    assert 'value="bad code!"'.upper() in response.get_data(as_text=True).upper()
    assert point.name_en == "Lift 2"


def test_move_point(client, editor, site, point):
    target = factories.make_location(site, "area")
    assert client.get(f"/points/{point.id}/move").status_code == 200
    response = client.post(f"/points/{point.id}/move", data={"location_id": target.id})
    assert response.status_code == 303
    assert point.location is target
    assert client.post(f"/points/{point.id}/move", data={}).status_code == 422


def test_retire_point_confirms_then_retires(client, editor, point):
    token = services.label_token(point.current_label)
    page = client.get(f"/points/{point.id}/retire")
    assert "Retire A-EL-1?" in page.get_data(as_text=True)
    assert not point.is_retired
    response = client.post(f"/points/{point.id}/retire")
    assert response.status_code == 303
    assert point.is_retired
    assert point.current_label is None
    assert client.get(f"/q/{token}").status_code == 410
    assert client.get(f"/points/{point.id}/edit").status_code == 404
    assert "retired on" in client.get(f"/points/{point.id}").get_data(as_text=True)


def test_htmx_form_success_redirects_with_hx_redirect(client, editor, point):
    response = client.post(f"/points/{point.id}/label/reissue", data={"reason": "lost"}, headers=HX)
    assert response.headers["HX-Redirect"].endswith(f"/points/{point.id}")


# --------------------------------------------------------------------------- asset, labels


def test_asset_and_certificates(client, editor, site, point):
    response = client.post(
        f"/points/{point.id}/asset",
        data={"make": "Otis", "model": "GeN2", "serial_number": "S1", "installed_on": "2019-08-20"},
    )
    assert response.status_code == 303
    assert point.asset.serial_number == "S1"
    response = client.post(
        f"/points/{point.id}/certificates",
        data={
            "name": "Annual",
            "number": "N1",
            "issued_on": "2025-01-01",
            "expires_on": "2026-01-01",
        },
    )
    assert response.status_code == 303
    certificate = point.asset.certificates[0]
    asset_page = client.get(f"/points/{point.id}/asset")
    assert f"/certificates/{certificate.id}/remove" in asset_page.get_data(as_text=True)
    response = client.post(
        f"/points/{point.id}/certificates",
        data={"name": "Keep me", "issued_on": "2026-01-01", "expires_on": "2025-01-01"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "before the issue date" in html
    assert 'value="Keep me"' in html
    response = client.post(f"/points/{point.id}/certificates", data={"name": "", "expires_on": ""})
    assert response.status_code == 422
    assert "Enter the date." in response.get_data(as_text=True)
    response = client.post(f"/points/{point.id}/certificates/{certificate.id}/remove")
    assert response.status_code == 303
    assert count(Certificate) == 0
    assert (
        client.post(f"/points/{point.id}/certificates/{certificate.id}/remove").status_code == 404
    )


def test_asset_pages_are_only_for_equipment(client, editor, site, room):
    checkpoint = factories.make_point(site, room, kind="checkpoint")
    assert client.get(f"/points/{checkpoint.id}/asset").status_code == 404


def test_reissue_and_revoke_labels(client, editor, point):
    old_token = services.label_token(point.current_label)
    response = client.post(f"/points/{point.id}/label/reissue", data={"reason": ""})
    assert response.status_code == 422
    assert "Say why" in response.get_data(as_text=True)
    assert point.current_label.version == 1
    response = client.post(f"/points/{point.id}/label/reissue", data={"reason": "damaged"})
    assert response.status_code == 303
    assert point.current_label.version == 2
    page = client.get(f"/points/{point.id}").get_data(as_text=True)
    assert "Label version 2 issued" in page
    assert client.get(f"/q/{old_token}").status_code == 410
    response = client.post(f"/points/{point.id}/label/revoke", data={"reason": "copied"})
    assert response.status_code == 303
    assert point.current_label is None
    response = client.post(f"/points/{point.id}/label/revoke", data={"reason": "again"})
    assert response.status_code == 422
    assert "no valid label" in response.get_data(as_text=True)
    actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions == ["label.reissue", "label.revoke"]


# --------------------------------------------------------------------------- locations


def test_location_tree_page(client, editor, site, room, other_site):
    factories.make_location(other_site, "zone", name_en="Elsewhere zone")
    html = client.get("/places/locations").get_data(as_text=True)
    assert "Teaching zone" in html or "教学区" in html
    assert "Elsewhere" not in html


def test_create_location_through_the_form(client, editor, site, room):
    zone = room.parent
    response = client.post(
        "/places/locations/new",
        data={
            "level": "building",
            "parent_id": zone.id,
            "name_zh": "教学楼B",
            "name_en": "Building B",
        },
    )
    assert response.status_code == 303
    building = db.session.scalars(select(Location).where(Location.name_en == "Building B")).one()
    assert building.parent is zone
    response = client.post(
        "/places/locations/new",
        data={"level": "zone", "parent_id": building.id, "name_zh": "错误", "name_en": "Wrong"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "cannot be inside" in html
    assert 'value="错误"' in html
    response = client.post("/places/locations/new", data={"level": "", "name_zh": ""})
    assert response.status_code == 422
    assert "Choose a level." in response.get_data(as_text=True)
    assert count(Location, Location.name_en == "Wrong") == 0


def test_edit_move_and_retire_location(client, editor, site, room):
    zone = room.parent
    other_zone = factories.make_location(site, "zone", name_en="Other zone")
    response = client.post(
        f"/places/locations/{room.id}/edit", data={"name_zh": "男卫", "name_en": "Men's WC"}
    )
    assert response.status_code == 303
    assert room.name_en == "Men's WC"
    response = client.post(f"/places/locations/{zone.id}/move", data={"parent_id": room.id})
    assert response.status_code == 422
    response = client.post(f"/places/locations/{room.id}/move", data={"parent_id": other_zone.id})
    assert response.status_code == 303
    assert room.parent is other_zone
    response = client.post(f"/places/locations/{other_zone.id}/retire")
    assert response.status_code == 422
    assert "still contains 1 active location" in response.get_data(as_text=True)
    assert not other_zone.is_retired
    response = client.post(f"/places/locations/{zone.id}/retire")
    assert response.status_code == 303
    assert zone.is_retired
    assert client.get(f"/places/locations/{zone.id}/edit").status_code == 404


def test_location_with_points_cannot_retire(client, editor, site, room, point):
    response = client.post(f"/places/locations/{room.id}/retire")
    assert response.status_code == 422
    assert "still has 1 active point" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- sites


def test_admin_manages_sites(client, login_as, site):
    login_as(factories.make_user(Role.ADMIN))
    assert site.code in client.get("/places/sites").get_data(as_text=True)
    response = client.post(
        "/places/sites/new",
        data={
            "code": "north",
            "name_zh": "北校区",
            "name_en": "North",
            "timezone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 303
    north = db.session.scalars(select(Site).where(Site.code == "NORTH")).one()
    response = client.post(
        "/places/sites/new",
        data={
            "code": "north",
            "name_zh": "又一个",
            "name_en": "Again",
            "timezone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 422
    assert "already uses the code NORTH" in response.get_data(as_text=True)
    response = client.post(
        f"/places/sites/{north.id}/edit",
        data={
            "name_zh": "北校区",
            "name_en": "North campus",
            "timezone": "Mars/Base",
            "address": "1 Road",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Unknown timezone" in html
    assert 'value="North campus"' in html
    response = client.post(
        f"/places/sites/{north.id}/edit",
        data={
            "name_zh": "北校区",
            "name_en": "North campus",
            "timezone": "Asia/Urumqi",
            "address": "1 Road",
        },
    )
    assert response.status_code == 303
    assert (north.name_en, north.timezone) == ("North campus", "Asia/Urumqi")
    assert client.get("/places/sites/9999/edit").status_code == 404


def test_managers_cannot_manage_sites(client, editor, site):
    assert client.get("/places/sites").status_code == 403
    response = client.post(
        "/places/sites/new", data={"code": "X1", "name_zh": "x", "name_en": "x", "timezone": "UTC"}
    )
    assert response.status_code == 403
    assert count(Site) == 1
