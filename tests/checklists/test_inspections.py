"""Spot checks and the corrective loop: a score, a correction per failed item for the cleaner
responsible with a deadline, the fix with a photo, re-inspection (close or send back), and
overdue corrections flagged to the cleaning supervisors once."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.checklists import inspections
from pmfield.checklists import schedules
from pmfield.checklists import services
from pmfield.checklists.models import CleaningTask
from pmfield.checklists.models import CorrectiveTask
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.notifications.models import Notification
from pmfield.places import services as places
from tests import factories
from tests.checklists.factories import answers_form
from tests.checklists.factories import make_plan
from tests.checklists.factories import photo_of
from tests.checklists.factories import submit
from tests.patrol.factories import local
from tests.photos.images import jpeg

MORNING = (2026, 11, 18, 7, 0)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def in_request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def cleaner(site):
    return factories.make_user(Role.CLEANER, sites=[site], display_name="Cleaner Sun")


@pytest.fixture
def boss(site):
    return factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site], display_name="Lead Li")


@pytest.fixture
def plan(site):
    return make_plan(site, times="07:30")


def spot_check(boss, point, *, fail=2, now, deadline=None):
    return submit(boss, point, fail=fail, now=now,
                  deadline=deadline if deadline is not None else now + timedelta(hours=4))


def test_a_spot_check_scores_the_area_and_orders_one_correction_per_failure(
    site, plan, cleaner, boss, in_request
):
    shift = submit(cleaner, plan.point, now=local(site, *MORNING))
    check = spot_check(boss, plan.point, now=local(site, 2026, 11, 18, 9, 0))
    assert (check.kind, shift.kind) == ("inspection", "shift")
    assert check.score == 33
    corrections = list(db.session.scalars(select(CorrectiveTask).order_by(CorrectiveTask.id)))
    assert [c.result_id for c in corrections] == [r.id for r in check.failed]
    assert {c.assignee_id for c in corrections} == {cleaner.id}
    assert {c.deadline for c in corrections} == {local(site, 2026, 11, 18, 13, 0)}
    assert {c.status for c in corrections} == {"open"}


def test_a_spot_check_never_takes_a_cleaners_task(site, plan, boss, in_request):
    schedules.ensure_tasks(site, local(site, *MORNING))
    db.session.commit()
    check = spot_check(boss, plan.point, fail=0, now=local(site, *MORNING))
    assert check.task_id is None
    assert db.session.scalar(
        select(func.count()).select_from(CleaningTask).where(CleaningTask.submission.has())
    ) == 0


def test_without_a_recent_shift_the_plans_cleaner_is_responsible(site, cleaner, boss,
                                                                 in_request):
    plan = make_plan(site, assignee=cleaner)
    spot_check(boss, plan.point, fail=1, now=local(site, *MORNING))
    assert db.session.scalar(select(CorrectiveTask.assignee_id)) == cleaner.id


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        (None, "Set the deadline for the corrections."),
        (timedelta(minutes=-1), "The deadline must be in the future."),
        (timedelta(days=15), "Set a deadline within 14 days."),
    ],
)
def test_failures_need_a_sensible_deadline(site, plan, boss, deadline, message, in_request):
    now = local(site, *MORNING)
    start = services.open_checklist(boss, plan.point.current_label, now=now)
    sheet = services.parse_answers(start.template, answers_form(start.template, fail=1))
    for answer in sheet.answers.values():
        if answer.failed:
            answer.photo = photo_of(boss, site)
    with pytest.raises(DomainError, match=message):
        services.submit_checklist(boss, start, sheet, now=now,
                                  deadline=None if deadline is None else now + deadline)
    assert count(CorrectiveTask) == 0


def test_a_clean_spot_check_needs_no_deadline(site, plan, boss, in_request):
    now = local(site, *MORNING)
    start = services.open_checklist(boss, plan.point.current_label, now=now)
    sheet = services.parse_answers(start.template, answers_form(start.template))
    assert services.submit_checklist(boss, start, sheet, now=now).score == 100


def test_the_corrective_loop_end_to_end(site, plan, cleaner, boss, in_request):
    submit(cleaner, plan.point, now=local(site, *MORNING))
    spot_check(boss, plan.point, fail=1, now=local(site, 2026, 11, 18, 9, 0))
    (correction,) = inspections.corrections_for(cleaner, site)
    with pytest.raises(DomainError, match="Take a photo"):
        inspections.fix_correction(cleaner, correction, note="Done", photo=None)
    fixed_at = local(site, 2026, 11, 18, 10, 0)
    inspections.fix_correction(cleaner, correction, note="Mopped", photo=photo_of(cleaner, site),
                               now=fixed_at)
    assert (correction.status, correction.fixed_at) == ("fixed", fixed_at)
    assert inspections.corrections_for(cleaner, site) == []  # nothing left to do
    assert inspections.corrections_for(boss, site) == [correction]  # to re-inspect
    with pytest.raises(DomainError, match="Say what is still wrong"):
        inspections.reopen_correction(boss, correction, note="", deadline=fixed_at + timedelta(
            hours=2), now=fixed_at)
    inspections.reopen_correction(boss, correction, note="Still wet in the corner",
                                  deadline=local(site, 2026, 11, 18, 12, 0), now=fixed_at)
    assert correction.status == "open" and correction.reopen_note == "Still wet in the corner"
    assert inspections.corrections_for(cleaner, site) == [correction]
    inspections.fix_correction(cleaner, correction, note="", photo=photo_of(cleaner, site),
                               now=local(site, 2026, 11, 18, 11, 0))
    inspections.close_correction(boss, correction, now=local(site, 2026, 11, 18, 11, 30))
    assert correction.status == "closed" and correction.closed_by_id == boss.id
    assert inspections.corrections_for(boss, site) == []
    with pytest.raises(DomainError):
        inspections.close_correction(boss, correction)


def test_a_cleaner_cannot_see_or_fix_a_colleagues_correction(site, plan, cleaner, boss,
                                                             in_request):
    colleague = factories.make_user(Role.CLEANER, sites=[site])
    submit(cleaner, plan.point, now=local(site, *MORNING))
    spot_check(boss, plan.point, fail=1, now=local(site, 2026, 11, 18, 9, 0))
    correction = db.session.scalar(select(CorrectiveTask))
    assert inspections.get_correction_for_user(colleague, correction.id) is None
    assert inspections.corrections_for(colleague, site) == []
    with pytest.raises(DomainError, match="another cleaner"):
        inspections.fix_correction(colleague, correction, note="", photo=photo_of(colleague,
                                                                                  site))


def test_overdue_corrections_are_flagged_to_the_supervisors_once(site, plan, cleaner, boss,
                                                                  in_request):
    submit(cleaner, plan.point, now=local(site, *MORNING))
    spot_check(boss, plan.point, fail=1, now=local(site, 2026, 11, 18, 9, 0))
    correction = db.session.scalar(select(CorrectiveTask))
    assert inspections.notify_overdue(site, local(site, 2026, 11, 18, 12, 59)) == 0
    late = local(site, 2026, 11, 18, 13, 0)
    assert correction.is_overdue(late)
    assert inspections.notify_overdue(site, late) == 1
    assert inspections.notify_overdue(site, late + timedelta(minutes=1)) == 0
    note = db.session.scalar(select(Notification).where(Notification.user_id == boss.id))
    from pmfield.notifications import services as notifications

    assert notifications.render_text(note) == (
        f"{plan.point.code}: “Criterion 1” was not corrected by 11-18 13:00."
    )


def test_the_supervisors_spot_check_page_and_the_cleaners_home(client, login_as, site, plan,
                                                               cleaner, boss):
    with client.application.test_request_context():
        submit(cleaner, plan.point)
    login_as(boss)
    page = client.get(f"/q/{places.label_token(plan.point.current_label)}").get_data(
        as_text=True)
    assert "Spot check" in page and 'name="deadline"' in page
    ticket = page.split('name="ticket" value="', 1)[1].split('"', 1)[0]
    deadline = page.split('name="deadline" type="datetime-local" value="', 1)[1].split('"')[0]
    assert len(deadline) == len("2026-11-18T13:00")
    items = plan.template.active_items
    data = {"ticket": ticket, "deadline": deadline, f"result-{items[0].id}": "fail",
            f"note-{items[0].id}": "Smells",
            f"photo-{items[0].id}": (io.BytesIO(jpeg()), "a.jpg"),
            **{f"result-{i.id}": "pass" for i in items[1:]}}
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "1 correction ordered." in response.get_data(as_text=True)
    login_as(cleaner)
    home = client.get("/").get_data(as_text=True)
    assert "Corrections to make" in home and "Criterion 1" in home
    correction = db.session.scalar(select(CorrectiveTask))
    fixed = client.post(f"/cleaning/corrections/{correction.id}/fix",
                        data={"photo": (io.BytesIO(jpeg()), "b.jpg")},
                        content_type="multipart/form-data")
    assert fixed.status_code == 200 and "Fixed, to re-inspect" in fixed.get_data(as_text=True)
