"""CSV import of points: all or nothing, with a line-by-line report."""

import io

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.places import services
from pmfield.places.models import Asset
from pmfield.places.models import Label
from pmfield.places.models import Point
from tests import factories

HEADER = "code,kind,name_zh,name_en,location,make,model,serial_number,installed_on,description\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def tree(site):
    """教学区 / 教学楼A / 2F, plus a road directly in the zone."""
    zone = factories.make_location(site, "zone", name_zh="教学区", name_en="Teaching zone")
    building = factories.make_location(
        site, "building", zone, name_zh="教学楼A", name_en="Building A"
    )
    floor = factories.make_location(site, "floor", building, name_zh="2F", name_en="2F")
    road = factories.make_location(site, "area", zone, name_zh="主干道", name_en="Main road")
    return {"zone": zone, "building": building, "floor": floor, "road": road}


GOOD = HEADER + (
    "a-2f-wc-m,cleaning_area,A栋2层男卫生间,A 2F men's toilet,教学区 / 教学楼A / 2F,,,,,\n"
    "A-2F-EXT,extinguisher,灭火器,Extinguisher,Teaching zone/Building A/2F,"
    'Huaihai,MFZ/ABC4,HH-1,2023-03-15,"By the stairs, east"\n'
    "\n"
    "ROAD-1,checkpoint,主干道,,teaching ZONE / main road,,,,,\n"
)


@pytest.mark.usefixtures("in_request")
def test_good_file_creates_every_point_with_a_label(site, tree, other_site):
    manager = factories.make_user(Role.MANAGER, sites=[site])
    points = services.import_points_csv(site, "\ufeff" + GOOD, actor=manager)
    assert [p.code for p in points] == ["A-2F-WC-M", "A-2F-EXT", "ROAD-1"]
    by_code = {p.code: p for p in points}
    assert by_code["A-2F-WC-M"].location is tree["floor"]
    assert by_code["ROAD-1"].location is tree["road"]
    assert by_code["ROAD-1"].name_en == ""
    extinguisher = by_code["A-2F-EXT"]
    assert extinguisher.asset.model == "MFZ/ABC4"
    assert extinguisher.asset.installed_on.isoformat() == "2023-03-15"
    assert extinguisher.description == "By the stairs, east"
    assert all(p.current_label.version == 1 for p in points)
    assert count(Label) == 3
    actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions.count("point.import") == 3
    assert actions.count("site.import_points") == 1


@pytest.mark.usefixtures("in_request")
def test_bytes_with_bom_and_windows_line_endings(site, tree):
    data = ("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8")
    assert len(services.import_points_csv(site, data, actor=None)) == 3


BAD = HEADER + (
    "OK-1,checkpoint,好,Fine,教学区,,,,,\n"  # line 2: fine
    "bad code,checkpoint,名,Name,教学区,,,,,\n"  # line 3: code
    "OK-2,spaceship,名,Name,教学区,,,,,\n"  # line 4: kind
    "OK-3,checkpoint,,,教学区,,,,,\n"  # line 5: names
    "OK-4,checkpoint,名,Name,教学区 / 不存在,,,,,\n"  # line 6: location
    "OK-1,checkpoint,名,Name,教学区,,,,,\n"  # line 7: duplicate of line 2
    "TAKEN,checkpoint,名,Name,教学区,,,,,\n"  # line 8: already exists
    "OK-5,checkpoint,名,Name,教学区,Otis,,,,\n"  # line 9: asset on a checkpoint
    "OK-6,elevator,名,Name,教学区,Otis,,,2023-13-45,\n"  # line 10: date
    "OK-7,checkpoint,名,Name\n"  # line 11: too few fields
    "OK-8,checkpoint,名,Name,,,,,,\n"  # line 12: no location
)


@pytest.mark.usefixtures("in_request")
def test_bad_file_reports_every_line_and_creates_nothing(site, tree):
    factories.make_point(site, tree["road"], code="TAKEN")
    before = (count(Point), count(Label), count(Asset), count(AuditEntry))
    with pytest.raises(services.ImportFailed) as caught:
        services.import_points_csv(site, BAD, actor=None)
    errors = caught.value.errors
    assert sorted({line for line, _message in errors}) == list(range(3, 13))
    messages = dict(errors)
    assert "capital letters" in messages[3]
    assert "spaceship" in messages[4]
    assert "Chinese or English" in messages[5]
    assert "不存在" in messages[6]
    assert "also on line 2" in messages[7]
    assert "TAKEN" in messages[8]
    assert "Only equipment" in messages[9]
    assert "YYYY-MM-DD" in messages[10]
    assert "fields" in messages[11]
    assert "location" in messages[12]
    assert (count(Point), count(Label), count(Asset), count(AuditEntry)) == before


@pytest.mark.usefixtures("in_request")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("\ufeff\n", "empty"),
        ("code,kind,name_zh\nA,checkpoint,x\n", "Missing column(s): name_en, location"),
        (HEADER.strip() + ",colour\n", "Unknown column(s): colour"),
        ("code,code,kind,name_zh,name_en,location\n", "Repeated column(s): code"),
        (HEADER, "no points"),
        (b"code,kind\n\xff\xfe\n", "UTF-8"),
    ],
)
def test_header_and_file_problems(site, tree, text, expected):
    with pytest.raises(services.ImportFailed) as caught:
        services.import_points_csv(site, text, actor=None)
    assert any(expected in message for _line, message in caught.value.errors)
    assert count(Point) == 0


@pytest.mark.usefixtures("in_request")
def test_ambiguous_location_names_are_refused(site, tree):
    factories.make_location(site, "building", tree["zone"], name_zh="教学楼A", name_en="Twin")
    text = HEADER + "P-1,checkpoint,名,Name,教学区 / 教学楼A,,,,,\n"
    with pytest.raises(services.ImportFailed) as caught:
        services.import_points_csv(site, text, actor=None)
    assert "More than one" in caught.value.errors[0][1]


@pytest.mark.usefixtures("in_request")
def test_retired_locations_and_other_sites_are_not_matched(site, other_site, tree):
    factories.make_location(other_site, "zone", name_zh="北区", name_en="North")
    services.retire_location(tree["road"], actor=None)
    text = HEADER + (
        "P-1,checkpoint,名,Name,北区,,,,,\nP-2,checkpoint,名,Name,教学区 / 主干道,,,,,\n"
    )
    with pytest.raises(services.ImportFailed) as caught:
        services.import_points_csv(site, text, actor=None)
    assert [line for line, _m in caught.value.errors] == [2, 3]


@pytest.mark.usefixtures("in_request")
def test_the_example_file_imports_cleanly(site, tree):
    points = services.import_points_csv(site, services.example_csv(site), actor=None)
    assert len(points) == 3
    assert {p.location for p in points} == {tree["floor"]}


# --------------------------------------------------------------------------- the pages


@pytest.fixture
def editor(client, login_as, site):
    return login_as(factories.make_user(Role.MANAGER, sites=[site]))


def upload(client, text, name="points.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        "/points/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_page_upload_success(client, editor, tree):
    assert client.get("/points/import").status_code == 200
    response = upload(client, GOOD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/points")
    assert count(Point) == 3
    assert "3 points imported." in client.get("/points").get_data(as_text=True)


def test_import_page_shows_every_bad_line(client, editor, site, tree):
    factories.make_point(site, tree["road"], code="TAKEN")
    response = upload(client, BAD, "campus.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html
    assert "campus.csv" in html
    for line in range(3, 13):
        assert f"<td>{line}</td>" in html
    assert count(Point) == 1


def test_import_page_without_a_file(client, editor, tree):
    response = client.post("/points/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_example_download(client, editor, tree):
    response = client.get("/points/import/example.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffcode,kind,name_zh,name_en,location")
    assert "教学区 / 教学楼A / 2F" in text


@pytest.mark.parametrize("role", [Role.GUARD, Role.SECURITY_SUPERVISOR, Role.DESK])
def test_only_editors_import(client, login_as, site, tree, role):
    login_as(factories.make_user(role, sites=[site]))
    assert client.get("/points/import").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert client.get("/points/import/example.csv").status_code == 403
    assert count(Point) == 0
