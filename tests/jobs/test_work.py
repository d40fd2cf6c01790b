"""The job's life after intake: dispatch, the technician's steps, the close and its rules."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs import work
from pmfield.jobs.models import Callback
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobEvent
from pmfield.jobs.models import Material
from pmfield.notifications.models import Notification
from pmfield.places import services as places
from tests import factories
from tests.jobs.factories import dispatch_form
from tests.jobs.factories import dispatched
from tests.jobs.factories import engineering_supervisor
from tests.jobs.factories import new_job
from tests.jobs.factories import on_site
from tests.jobs.factories import photo_of
from tests.jobs.factories import ready_to_close
from tests.jobs.factories import signature_png
from tests.jobs.factories import technician


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def tech(site):
    return technician(site)


@pytest.fixture
def job(site, point):
    return new_job(site, point=point)


def test_the_whole_lifecycle_is_timestamped_in_the_history(site, job, tech, in_request):
    supervisor = engineering_supervisor(site)
    dispatched(job, tech, supervisor=supervisor, priority="emergency")
    assert job.status == "assigned" and job.lead == tech
    assert job.respond_by == job.created_at + timedelta(minutes=5)
    work.accept(tech, job)
    work.depart(tech, job)
    work.arrive(tech, job, job.point.current_label)
    work.add_photo(tech, job, photo_of(tech, site), "before")
    work.add_note(tech, job, "Door sensor dirty, cleaned")
    ready_to_close(job, tech)
    work.close(tech, job, customer_opinion="Quick, thanks")
    assert job.status == "closed" and job.closed_by == tech
    actions = [(e.action, e.from_status, e.to_status) for e in job.events]
    assert actions[:5] == [
        ("created", None, "new"),
        ("assign", "new", "assigned"),
        ("accept", "assigned", "accepted"),
        ("depart", "accepted", "on_the_way"),
        ("arrive", "on_the_way", "on_site"),
    ]
    assert actions[-1] == ("close", "on_site", "closed")
    assert all(e.at is not None and e.at.tzinfo is not None for e in job.events)
    (callback,) = job.callbacks
    assert callback.kind == "regular" and callback.done_at is None


def test_only_the_engineering_supervisor_assigns(site, job, tech, in_request):
    for role in (Role.DESK, Role.MANAGER, Role.ADMIN, Role.TECHNICIAN):
        actor = factories.make_user(role, sites=[] if role == Role.ADMIN else [site])
        with pytest.raises(work.JobRefused):
            work.assign(actor, job, work.parse_dispatch(job, dispatch_form(tech)))
    db.session.refresh(job)
    assert job.status == "new" and job.assignments == [] and len(job.events) == 1


def test_a_technician_cannot_act_on_someone_elses_job(site, job, tech, in_request):
    dispatched(job, tech)
    stranger = technician(site)
    for step in (work.accept, work.depart):
        with pytest.raises(work.JobRefused, match="not assigned to you"):
            step(stranger, job)
    assert job.status == "assigned"


def test_illegal_transitions_are_refused_with_a_message(site, job, tech, in_request):
    dispatched(job, tech)
    with pytest.raises(DomainError, match="while the job is Assigned"):
        work.depart(tech, job)
    with pytest.raises(DomainError, match="while the job is Assigned"):
        work.arrive(tech, job, job.point.current_label)
    assert job.status == "assigned" and job.version == 2


def test_closing_needs_after_photos_category_and_signature(site, job, tech, in_request):
    on_site(job, tech)
    with pytest.raises(DomainError, match="after photo") as refused:
        work.close(tech, job)
    assert refused.value.field == "photo"
    work.add_photo(tech, job, photo_of(tech, site), "after")
    with pytest.raises(DomainError, match="category"):
        work.close(tech, job)
    work.set_category(tech, job, "free")
    with pytest.raises(DomainError, match="signature"):
        work.close(tech, job)
    work.close(tech, job, no_signature_reason="Customer absent, door locked")
    assert job.status == "closed" and job.no_signature_reason.startswith("Customer absent")


def test_paid_work_waits_for_the_accepted_price(site, job, tech, in_request):
    on_site(job, tech)
    with pytest.raises(DomainError, match="price"):
        work.set_category(tech, job, "paid", "")
    work.set_category(tech, job, "paid", "80")
    assert job.price == Decimal("80.00") and job.price_accepted_at is None
    with pytest.raises(DomainError, match="accept the price"):
        work.add_note(tech, job, "Replaced the tap")
    with pytest.raises(DomainError, match="accept the price"):
        work.add_photo(tech, job, photo_of(tech, site), "after")
    work.accept_price(tech, job)
    work.add_photo(tech, job, photo_of(tech, site), "after")
    work.sign(tech, job, signature_png())
    # A new price needs a new acceptance.
    work.set_category(tech, job, "paid", "95.50")
    with pytest.raises(DomainError, match="not accepted the price"):
        work.close(tech, job)
    work.accept_price(tech, job)
    work.close(tech, job)
    assert job.status == "closed" and job.price == Decimal("95.50")


@pytest.mark.parametrize("raw", ["abc", "-5", "0", "1.234", "1e9", "NaN"])
def test_bad_prices_are_refused(site, job, tech, in_request, raw):
    on_site(job, tech)
    with pytest.raises(DomainError) as refused:
        work.set_category(tech, job, "paid", raw)
    assert refused.value.field == "price" and job.category is None


def test_arrival_needs_the_label_of_the_jobs_point(site, job, tech, in_request):
    dispatched(job, tech)
    work.accept(tech, job)
    elsewhere = factories.make_point(site, kind="pump", code="P-1")
    with pytest.raises(DomainError, match="label of P-1"):
        work.arrive(tech, job, elsewhere.current_label)
    old = job.point.current_label
    places.reissue_label(job.point, reason="worn", actor=None)
    db.session.refresh(old)
    with pytest.raises(DomainError, match="revoked"):
        work.arrive(tech, job, old)
    work.arrive(tech, job, job.point.current_label)
    assert job.status == "on_site" and job.arrival_label_id == job.point.current_label.id
    work.arrive(tech, job, job.point.current_label)  # the same scan twice
    assert count(JobEvent, JobEvent.action == "arrive") == 1


def test_hold_needs_a_reason_and_resume_goes_back(site, job, tech, in_request):
    on_site(job, tech)
    with pytest.raises(DomainError, match="on hold"):
        work.hold(tech, job, "  ")
    work.hold(tech, job, "Waiting for a contactor")
    assert job.status == "on_hold" and job.hold_reason == "Waiting for a contactor"
    work.resume(tech, job)
    assert job.status == "on_site" and job.hold_reason == ""


def test_a_stale_form_is_refused(site, job, tech, in_request):
    dispatched(job, tech)
    stale = job.version
    work.accept(tech, job)
    with pytest.raises(DomainError, match="changed this job"):
        work.depart(tech, job, version=stale - 1)
    work.depart(tech, job, version=job.version)
    assert job.status == "on_the_way"


def test_materials_come_from_the_sites_catalogue(site, other_site, job, tech, in_request):
    fuse = Material(site_id=site.id, code="F10", name_zh="保险丝", name_en="Fuse 10 A",
                    unit_zh="个", unit_en="pcs")
    theirs = Material(site_id=other_site.id, code="F10", name_zh="保险丝", name_en="Fuse",
                      unit_zh="个", unit_en="pcs")
    db.session.add_all([fuse, theirs])
    db.session.commit()
    on_site(job, tech)
    with pytest.raises(DomainError, match="from the list"):
        work.add_material(tech, job, theirs.id, "1")
    for bad in ("0", "-1", "x", "1.005"):
        with pytest.raises(DomainError):
            work.add_material(tech, job, fuse.id, bad)
    used = work.add_material(tech, job, fuse.id, "2")
    assert [(m.material.code, m.quantity) for m in job.materials] == [("F10", Decimal("2"))]
    work.remove_material(tech, job, used.id)
    assert job.materials == []


def test_signature_images_are_verified(site, job, tech, in_request):
    on_site(job, tech)
    for bad, message in [
        (b"", "sign first"),
        (b"not an image", "could not be read"),
        (signature_png(blank=True), "empty"),
        (signature_png(40, 20), "size"),
        (photo_of(tech, site) and b"\xff\xd8\xff\xe0" + b"0" * 100, "could not be read"),
    ]:
        with pytest.raises(DomainError, match=message):
            work.sign(tech, job, bad)
    assert job.signature is None
    signature = work.sign(tech, job, signature_png(), "Ms Li")
    assert signature.png.startswith(b"\x89PNG") and signature.signer_name == "Ms Li"


def test_overdue_jobs_escalate_once(site, job, tech, in_request):
    supervisor = engineering_supervisor(site)
    manager = factories.make_user(Role.MANAGER, sites=[site])
    dispatched(job, tech, supervisor=supervisor, priority="emergency")
    late = job.created_at + timedelta(minutes=6)
    assert job.is_overdue(late)
    assert work.escalate_overdue(late) == 2
    db.session.commit()
    assert work.escalate_overdue(late + timedelta(minutes=1)) == 0
    people = set(db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "job.overdue")))
    assert people == {supervisor.id, manager.id}


def test_my_jobs_lists_the_most_urgent_first(site, point, tech, in_request):
    normal = dispatched(new_job(site, point=point), tech, priority="normal")
    emergency = dispatched(new_job(site, point=point), tech, priority="emergency")
    planned = dispatched(new_job(site, point=point), tech, priority="planned")
    new_job(site, point=point)  # not assigned to them
    assert work.my_jobs(tech, site) == [emergency, normal, planned]


def test_a_close_makes_one_callback_due_by_the_end_of_the_next_day(site, job, tech, in_request):
    on_site(job, tech)
    ready_to_close(job, tech)
    closed_at = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, March 2
    work.close(tech, job, now=closed_at)
    (callback,) = job.callbacks
    assert callback.due_at == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # March 4, 00:00 local
    assert count(Callback) == 1 and count(Job) == 1


def test_only_intake_roles_cancel_and_only_before_the_work_starts(site, job, tech, in_request):
    with pytest.raises(work.JobRefused):
        work.cancel(tech, job, "Not needed")
    desk = factories.make_user(Role.DESK, sites=[site])
    with pytest.raises(DomainError, match="Say why"):
        work.cancel(desk, job, " ")
    on_site(job, tech)
    with pytest.raises(DomainError, match="while the job is On site"):
        work.cancel(desk, job, "Duplicate")
    assert job.status == "on_site"
