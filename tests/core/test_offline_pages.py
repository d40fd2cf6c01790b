"""GET /offline-pages: the pages each person's phone keeps for working with no signal."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from pmfield.auth.roles import Role
from pmfield.checklists import services as checklists
from pmfield.places.services import label_token
from pmfield.timeutil import utcnow
from tests import factories
from tests.checklists.factories import make_plan
from tests.checklists.factories import make_template
from tests.jobs.factories import dispatched
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site

SHELL = ["/", "/scan", "/menu"]


def _pages(client) -> list[str]:
    response = client.get("/offline-pages")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["pages"]


def test_a_guard_keeps_the_home_page_with_the_rounds_the_scanner_and_the_handover(
        client, login_as, site):
    login_as(factories.make_user(Role.GUARD, sites=[site]))
    assert _pages(client) == [*SHELL, "/patrol/handovers/new"]


def test_a_technician_keeps_their_open_jobs_and_the_labels_to_arrive_by(
        client, login_as, site, other_site):
    tech = factories.make_user(Role.TECHNICIAN, sites=[site])
    colleague = factories.make_user(Role.TECHNICIAN, sites=[site])
    pump = factories.make_point(site, kind="pump", code="P-1")
    lift = factories.make_point(site, kind="elevator", code="L-1")
    mine = dispatched(new_job(site, point=pump), tech)
    on_the_spot = on_site(new_job(site, point=lift), tech)
    dispatched(new_job(site, point=lift), colleague)  # someone else's
    new_job(site, point=pump)  # not dispatched yet
    login_as(tech)

    pages = _pages(client)

    assert pages[:3] == SHELL
    assert "/jobs/mine" in pages
    assert f"/jobs/{mine.id}" in pages and f"/jobs/{on_the_spot.id}" in pages
    assert f"/q/{label_token(pump.current_label)}" in pages
    assert f"/q/{label_token(lift.current_label)}" in pages
    job_pages = [p for p in pages if p.startswith("/jobs/") and p != "/jobs/mine"]
    assert sorted(job_pages) == sorted([f"/jobs/{mine.id}", f"/jobs/{on_the_spot.id}"])
    assert len(pages) == len(set(pages))  # each page once


def test_a_cleaner_keeps_the_label_pages_of_todays_areas(client, login_as, site):
    cleaner = factories.make_user(Role.CLEANER, sites=[site])
    area = factories.make_point(site, kind="cleaning_area", code="WC-1")
    elsewhere = factories.make_point(site, kind="cleaning_area", code="WC-9")
    due = (utcnow() + timedelta(hours=1)).astimezone(ZoneInfo(site.timezone))
    make_plan(site, point=area, template=make_template(site, 2), times=due.strftime("%H:%M"),
              lead_minutes=180, now=utcnow())
    checklists.bring_up_to_date(site)
    login_as(cleaner)

    pages = _pages(client)

    assert pages[:3] == SHELL
    assert f"/q/{label_token(area.current_label)}" in pages
    assert f"/q/{label_token(elsewhere.current_label)}" not in pages


def test_a_stranger_is_sent_to_sign_in(client):
    response = client.get("/offline-pages")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
