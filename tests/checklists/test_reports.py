"""The cleaning supervisor's reading: the day's board (on time, late, missing; failures with
photos), an area's history, a month's pass rates per area and per cleaner, the CSV export."""

import csv
import io
from datetime import date

import pytest

from pmfield.auth.roles import Role
from pmfield.checklists import reports
from pmfield.checklists import schedules
from pmfield.extensions import db
from tests import factories
from tests.checklists.factories import make_plan
from tests.checklists.factories import submit
from tests.patrol.factories import local


@pytest.fixture
def in_request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def sun(site):
    return factories.make_user(Role.CLEANER, sites=[site], display_name="Cleaner Sun")


@pytest.fixture
def wang(site):
    return factories.make_user(Role.CLEANER, sites=[site], display_name="Cleaner Wang")


@pytest.fixture
def boss(site):
    return factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site])


@pytest.fixture
def day(site, sun, wang, in_request):
    """Three areas due 07:30: one done on time with a failure, one late, one not done."""
    on_time = make_plan(site, times="07:30", point=factories.make_point(site, code="A-WC",
                                                                       kind="cleaning_area"))
    late = make_plan(site, times="07:30", point=factories.make_point(site, code="B-WC",
                                                                    kind="cleaning_area"))
    missing = make_plan(site, times="07:30", point=factories.make_point(site, code="C-WC",
                                                                       kind="cleaning_area"))
    schedules.ensure_tasks(site, local(site, 2026, 11, 18, 6, 0))
    db.session.commit()
    submit(sun, on_time.point, fail=1, now=local(site, 2026, 11, 18, 7, 0))
    submit(wang, late.point, now=local(site, 2026, 11, 18, 8, 0))
    return {"on_time": on_time, "late": late, "missing": missing}


def test_the_board_shows_on_time_late_and_missing_by_area_and_by_cleaner(site, day):
    board = reports.board_for(site, date(2026, 11, 18), now=local(site, 2026, 11, 18, 9, 0))
    states = {row.point.code: [state for _task, state in row.tasks] for row in board.areas}
    assert states == {"A-WC": ["on_time"], "B-WC": ["late"], "C-WC": ["missing"]}
    assert (board.total.on_time, board.total.late, board.total.missing) == (1, 1, 1)
    cleaners = {row.name: row.tally for row in board.cleaners}
    assert cleaners["Cleaner Sun"].on_time == 1 and cleaners["Cleaner Sun"].failed_items == 1
    assert cleaners["Cleaner Wang"].late == 1
    assert cleaners[""].missing == 1  # nobody was named for C-WC
    (failure,) = board.failures
    assert failure.note == "Dirty" and failure.photo is not None


def test_the_board_page_shows_the_failure_and_its_photo(client, login_as, site, day, boss):
    login_as(boss)
    page = client.get("/cleaning/board?date=2026-11-18").get_data(as_text=True)
    assert "Dirty" in page and "/photos/" in page and "A-WC" in page
    assert client.get("/cleaning/board?date=2026-13-01").status_code == 422


def test_an_areas_history_lists_its_checklists_with_photos(client, login_as, site, day, boss):
    point = day["on_time"].point
    login_as(boss)
    page = client.get(f"/cleaning/areas/{point.id}/history").get_data(as_text=True)
    assert "Cleaner Sun" in page and "/photos/" in page and "Score 67%" in page


def test_month_pass_rates_per_area_and_per_cleaner(site, day, boss):
    submit(boss, day["missing"].point, fail=0, now=local(site, 2026, 11, 18, 10, 0),
           deadline=None)
    areas, cleaners = reports.month_rates(site, date(2026, 11, 1),
                                          now=local(site, 2026, 11, 30, 0, 0))
    by_area = {r.name: r for r in areas}
    assert (by_area["A-WC"].passed, by_area["A-WC"].answered, by_area["A-WC"].pass_rate) == (
        2, 3, 67)
    assert by_area["C-WC"].pass_rate == 100  # the spot check counts for the area
    by_cleaner = {r.name: r for r in cleaners}
    assert set(by_cleaner) == {"Cleaner Sun", "Cleaner Wang"}  # not the inspector
    assert by_cleaner["Cleaner Wang"].pass_rate == 100
    assert (by_area["B-WC"].tasks, by_area["B-WC"].on_time) == (3, 0)  # 17th to 19th, one late


def test_the_csv_export_has_a_line_per_answer(client, login_as, site, day, boss):
    login_as(boss)
    response = client.get("/cleaning/export.csv?date=2026-11-18")
    assert response.status_code == 200
    assert "cleaning-" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 6
    assert {r["area_code"] for r in rows} == {"A-WC", "B-WC"}
    failed = [r for r in rows if r["result"] == "fail"]
    assert [(r["by"], r["note"], r["task_state"]) for r in failed] == [
        ("Cleaner Sun", "Dirty", "on_time")
    ]
    assert client.get("/cleaning/export.csv").status_code == 422


def test_a_cleaner_cannot_read_the_board(client, login_as, sun):
    login_as(sun)
    assert client.get("/cleaning/board").status_code == 403
