"""Repair request rules: numbering per year at the site, validation, site scoping."""

from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs import services
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobCounter
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import JobStatus
from pmfield.patrol.models import Incident
from pmfield.timeutil import utcnow
from tests import factories

pytestmark = pytest.mark.usefixtures("in_request")

MARCH = datetime(2026, 3, 1, 6, 5, tzinfo=UTC)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def new_job(site, **kw):
    kw.setdefault("description", "Lift stuck between floors")
    kw.setdefault("source", JobSource.DESK)
    if "point" not in kw:
        kw.setdefault("location_text", "Building A")
    return services.create_job(site=site, **kw)


def make_incident(site, point, guard):
    incident = Incident(site_id=site.id, point_id=point.id, kind="leak", reported_by_id=guard.id)
    db.session.add(incident)
    db.session.commit()
    return incident


# --------------------------------------------------------------------------- numbers


def test_jobs_are_numbered_in_sequence_per_year(site, other_site, desk, point):
    first = new_job(site, point=point, reported_by=desk, now=MARCH)
    second = new_job(other_site, source=JobSource.FIELD, now=MARCH)
    db.session.commit()
    assert (first.number, second.number) == ("JOB-2026-000001", "JOB-2026-000002")
    assert (first.status, first.source, first.site_id) == (JobStatus.NEW, "desk", site.id)
    assert (first.point_id, first.reported_by_id, first.created_at) == (point.id, desk.id, MARCH)
    next_year = new_job(site, now=datetime(2027, 2, 1, tzinfo=UTC))
    same_year = new_job(site, now=MARCH)
    assert next_year.number == "JOB-2027-000001"
    assert same_year.number == "JOB-2026-000003"
    counters = select(JobCounter.year, JobCounter.last).order_by(JobCounter.year)
    assert db.session.execute(counters).all() == [(2026, 3), (2027, 1)]


def test_the_year_is_the_one_at_the_site(site, other_site):
    new_years_eve = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 January in Shanghai
    other_site.timezone = "Europe/London"
    db.session.commit()
    assert new_job(site, now=new_years_eve).number == "JOB-2027-000001"
    assert new_job(other_site, now=new_years_eve).number == "JOB-2026-000001"


def test_the_current_time_is_the_default(site):
    job = new_job(site)
    assert job.number == f"JOB-{utcnow().astimezone(ZoneInfo(site.timezone)).year}-000001"


def test_a_year_row_inserted_by_another_process_meanwhile_is_bumped(app, site):
    """Between our UPDATE (no row yet) and our INSERT, another process creates the year's row."""
    done = []

    def other_process_inserts(conn, cursor, statement, *_args):
        if statement.startswith("UPDATE job_counters") and not done:
            done.append(True)
            cursor.connection.cursor().execute(
                "INSERT INTO job_counters (year, last) VALUES (2026, 5)"
            )

    event.listen(db.engine, "after_cursor_execute", other_process_inserts)
    try:
        job = new_job(site, now=MARCH)
    finally:
        event.remove(db.engine, "after_cursor_execute", other_process_inserts)
    db.session.commit()
    assert done
    assert job.number == "JOB-2026-000006"
    assert db.session.get(JobCounter, 2026).last == 6


def test_create_job_only_flushes(site):
    new_job(site, now=MARCH)
    assert count(Job) == 1
    db.session.rollback()
    assert count(Job) == 0
    assert count(JobCounter) == 0


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"description": ""}, "description", "Describe the problem."),
        ({"description": "   \n "}, "description", "Describe the problem."),
        ({"description": None}, "description", "Describe the problem."),
        ({"description": "x" * 2001}, "description", "Use at most 2000 characters."),
        ({"source": "telepathy"}, "source", "Choose where the request came from."),
        ({"source": None}, "source", "Choose where the request came from."),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(site, kwargs, field, message):
    with pytest.raises(DomainError) as refused:
        new_job(site, **kwargs)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert count(Job) == 0
    assert count(JobCounter) == 0


def test_description_is_trimmed_and_2000_characters_are_fine(site):
    assert new_job(site, description="  Leak in WC  ").description == "Leak in WC"
    assert len(new_job(site, description="x" * 2000).description) == 2000


def test_the_point_must_be_an_active_point_of_the_site(site, other_site):
    elsewhere = factories.make_point(other_site, code="ELSEWHERE")
    retired = factories.make_point(site, code="OLD-1", retired_at=utcnow())
    with pytest.raises(DomainError) as refused:
        new_job(site, point=elsewhere)
    assert (refused.value.field, refused.value.message) == ("point", "Choose a point on this site.")
    with pytest.raises(DomainError) as refused:
        new_job(site, point=retired)
    assert (refused.value.field, refused.value.message) == ("point", "OLD-1 is retired.")
    assert count(Job) == 0


def test_an_incident_becomes_at_most_one_job(site, other_site, point):
    guard = factories.make_user(Role.GUARD, sites=[site, other_site])
    incident = make_incident(site, point, guard)
    job = new_job(site, source=JobSource.PATROL, point=point, incident=incident, now=MARCH)
    db.session.commit()
    assert job.incident_id == incident.id
    assert incident.job is job
    with pytest.raises(DomainError) as refused:
        new_job(site, source=JobSource.PATROL, incident=incident)
    assert refused.value.field == "incident"
    assert refused.value.message == "This incident already has repair request JOB-2026-000001."
    elsewhere = make_incident(other_site, factories.make_point(other_site), guard)
    with pytest.raises(DomainError) as refused:
        new_job(site, source=JobSource.PATROL, incident=elsewhere)
    assert refused.value.message == "Choose an incident on this site."
    assert count(Job) == 1


def test_a_race_for_the_same_incident_keeps_the_callers_transaction(site, point, monkeypatch):
    """The check passed, but another request linked the incident first: a message, not a 500."""
    guard = factories.make_user(Role.GUARD, sites=[site])
    incident = make_incident(site, point, guard)
    new_job(site, source=JobSource.PATROL, incident=incident, now=MARCH)
    monkeypatch.setattr(services, "_linked_job", lambda _incident: None)
    with pytest.raises(DomainError) as refused:
        new_job(site, source=JobSource.PATROL, incident=incident, now=MARCH)
    assert refused.value.message == "This incident already has a repair request."
    db.session.commit()  # the caller's transaction is still usable
    assert count(Job) == 1


# --------------------------------------------------------------------------- reading


def test_list_jobs_shows_one_site_newest_first(site, other_site, desk):
    old = new_job(site, description="Old", now=MARCH)
    new = new_job(site, description="New", now=datetime(2026, 4, 1, tzinfo=UTC))
    new_job(other_site, description="Elsewhere", now=MARCH)
    db.session.commit()
    assert services.list_jobs(desk, site) == ([new, old], 2)
    assert services.list_jobs(desk, other_site) == ([], 0)
    assert services.list_jobs(desk, None) == ([], 0)
    assert services.list_jobs(desk, site, status=JobStatus.NEW) == ([new, old], 2)
    admin = factories.make_user(Role.ADMIN)
    assert [job.description for job in services.list_jobs(admin, other_site)[0]] == ["Elsewhere"]


def test_list_jobs_pages(site, desk, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    for n in range(3):
        new_job(site, description=f"Job {n}")
    db.session.commit()
    assert [len(services.list_jobs(desk, site, page=p)[0]) for p in (1, 2, 3)] == [2, 1, 0]


def test_get_job_for_user_hides_other_sites(site, other_site, desk):
    mine = new_job(site)
    theirs = new_job(other_site)
    db.session.commit()
    assert services.get_job_for_user(desk, mine.id) is mine
    assert services.get_job_for_user(desk, theirs.id) is None
    assert services.get_job_for_user(desk, 2**40) is None
    assert services.get_job_for_user(factories.make_user(Role.ADMIN), theirs.id) is theirs
