"""The CSV export of a day's check-ins and runs: /patrol/export.csv?date=YYYY-MM-DD."""

import csv
import io

import pytest

from pmfield.auth.roles import Role
from pmfield.patrol import checkins
from pmfield.patrol import tick
from pmfield.patrol.reports import CSV_COLUMNS
from pmfield.patrol.reports import neutralize_cell
from tests import factories
from tests.patrol.factories import local
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule
from tests.patrol.factories import token_of
from tests.patrol.test_board import DAY
from tests.patrol.test_board import make_night


def _rows(response) -> list[dict]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read Chinese"
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    return list(reader)


def test_export_lists_the_days_check_ins_and_runs(client, login_as, site, other_site):
    night = make_night(site)
    make_night(other_site, route_name="Other round", guard_name="Olga Other")
    login_as(factories.make_user(Role.MANAGER, sites=[site]))

    response = client.get(f"/patrol/export.csv?date={DAY}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="patrol-{site.code}-{DAY}.csv"'
    )
    rows = _rows(response)
    scans = [r for r in rows if r["record"] == "check_in"]
    runs = [r for r in rows if r["record"] == "run"]
    assert [int(r["seq"]) for r in scans] == [c.seq for c in night.check_ins]
    assert {r["guard_name"] for r in scans} == {"Gina Guard", "Hank Guard"}

    first = scans[0]
    assert first["scanned_at"] == "2025-03-10T22:05:00+08:00"
    assert first["received_at"] == "2025-03-10T22:05:00+08:00"
    assert first["device_time"] == "2025-03-10T22:15:00+08:00"
    assert first["checkpoint_code"] == night.points[0].code
    assert first["checkpoint_name"] == night.points[0].name_en
    assert first["guard_username"] == night.guard.username
    assert first["label_version"] == "1"
    assert first["source"] == "scanner"
    assert first["flags"] == "clock_skew"
    assert (first["latitude"], first["longitude"]) == ("31.23", "121.47")
    assert first["runs"] == "Night round 2025-03-10 22:00"
    assert first["status"] == ""

    assert [(r["starts_at"][11:16], r["status"]) for r in runs] == [
        ("22:00", "complete"), ("23:00", "partial"), ("23:30", "missed"),
    ]
    complete = runs[0]
    assert complete["route"] == "Night round"
    assert complete["ends_at"] == "2025-03-10T22:30:00+08:00"
    assert complete["grace_until"] == "2025-03-10T22:40:00+08:00"
    assert (complete["scanned"], complete["late"], complete["missed"], complete["total"]) == (
        "3", "1", "0", "3",
    )
    assert (runs[2]["scanned"], runs[2]["missed"]) == ("0", "3")
    assert all(r["seq"] == "" for r in runs)
    assert "Other round" not in response.get_data(as_text=True)
    assert "Olga Other" not in response.get_data(as_text=True)


def test_a_check_in_belongs_to_its_local_date(client, login_as, site):
    guard = factories.make_user(Role.GUARD, sites=[site])
    point = factories.make_point(site, code="GATE-1")
    late = checkins.record_check_in(guard, token_of(point), now=local(site, 2025, 3, 10, 23, 30))
    early = checkins.record_check_in(guard, token_of(point), now=local(site, 2025, 3, 11, 0, 10))
    login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))

    tenth = _rows(client.get("/patrol/export.csv?date=2025-03-10"))
    eleventh = _rows(client.get("/patrol/export.csv?date=2025-03-11"))
    assert [int(r["seq"]) for r in tenth] == [late.check_in.seq]
    assert [int(r["seq"]) for r in eleventh] == [early.check_in.seq]
    assert eleventh[0]["scanned_at"] == "2025-03-11T00:10:00+08:00"
    assert _rows(client.get("/patrol/export.csv?date=2025-03-12")) == []


def test_names_cannot_smuggle_spreadsheet_formulas(client, login_as, site):
    guard = factories.make_user(
        Role.GUARD, sites=[site], display_name='=HYPERLINK("http://evil.example","x")'
    )
    point = factories.make_point(site, code="P-1", name_en="+cmd|' /C calc'!A0", name_zh="-1+1")
    route = make_route(site, points=[point], name_en="@SUM(1)")
    make_schedule(route, times="22:00")
    tick.bring_up_to_date(site, local(site, 2025, 3, 10, 21, 0))
    checkins.record_check_in(
        guard, token_of(point), now=local(site, 2025, 3, 10, 22, 5), latitude=-33.5,
        longitude=-70.25, accuracy_m=5.0,
    )
    login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))

    rows = _rows(client.get("/patrol/export.csv?date=2025-03-10"))
    scan = next(r for r in rows if r["record"] == "check_in")
    assert scan["guard_name"] == """'=HYPERLINK("http://evil.example","x")"""
    assert scan["checkpoint_name"] == "'+cmd|' /C calc'!A0"
    assert scan["runs"].startswith("'@SUM(1) ")
    # Numbers stay numbers: a negative latitude is not text to defuse.
    assert (scan["latitude"], scan["longitude"]) == ("-33.5", "-70.25")
    run = next(r for r in rows if r["record"] == "run")
    assert run["route"] == "'@SUM(1)"


def test_chinese_names_survive_the_export(client, login_as, site):
    guard = factories.make_user(Role.GUARD, sites=[site], display_name="张伟")
    point = factories.make_point(site, code="MJ-1", name_zh="东门岗亭", name_en="East gate")
    checkins.record_check_in(guard, token_of(point), now=local(site, 2025, 3, 10, 21, 0))
    login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))
    response = client.get(
        "/patrol/export.csv?date=2025-03-10", headers={"Accept-Language": "zh-CN"}
    )
    scan = _rows(response)[0]
    assert (scan["guard_name"], scan["checkpoint_name"]) == ("张伟", "东门岗亭")


@pytest.mark.parametrize("query", ["", "?date=", "?date=2025-13-01", "?date=10.03.2025"])
def test_a_missing_or_bad_date_is_422_with_the_format(client, login_as, site, query):
    login_as(factories.make_user(Role.MANAGER, sites=[site]))
    response = client.get(f"/patrol/export.csv{query}")
    assert response.status_code == 422
    assert response.mimetype == "text/plain"
    assert "YYYY-MM-DD" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
        ("Gate 1", "Gate 1"), ("", ""), (-33.5, -33.5), (7, 7),
    ],
)
def test_neutralize_cell(value, expected):
    assert neutralize_cell(value) == expected
