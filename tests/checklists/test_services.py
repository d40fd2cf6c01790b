"""A cleaner's shift: today's tasks and overdue ones, opening an area's checklist by its label,
every failed item needing a note and a photo, readings scored by their limits, retries,
blackout windows, and a failed item turned into a repair request."""

from datetime import time
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.checklists import planning
from pmfield.checklists import schedules
from pmfield.checklists import services
from pmfield.checklists.models import ChecklistSubmission
from pmfield.checklists.models import CleaningTask
from pmfield.checklists.models import ItemResult
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs.models import Job
from pmfield.photos.models import Photo
from pmfield.places import services as places
from tests import factories
from tests.checklists.factories import answers_form
from tests.checklists.factories import make_plan
from tests.checklists.factories import make_template
from tests.checklists.factories import photo_of
from tests.checklists.factories import submit
from tests.patrol.factories import local

MORNING = (2026, 11, 18, 7, 0)  # a Wednesday


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def in_request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def cleaner(site):
    return factories.make_user(Role.CLEANER, sites=[site])


@pytest.fixture
def colleague(site):
    return factories.make_user(Role.CLEANER, sites=[site])


@pytest.fixture
def plan(site):
    return make_plan(site, times="07:30", lead_minutes=120)


def bring(site, *when):
    schedules.ensure_tasks(site, local(site, *when))
    db.session.commit()


def task_due(plan, site, *when) -> CleaningTask:
    return db.session.scalar(
        select(CleaningTask).where(CleaningTask.plan_id == plan.id,
                                   CleaningTask.due_at == local(site, *when))
    )


# --------------------------------------------------------------------------- overdue


def test_a_task_is_upcoming_open_overdue_then_on_time_or_late(site, plan, cleaner, in_request):
    bring(site, *MORNING)
    task = task_due(plan, site, 2026, 11, 18, 7, 30)
    assert task.state(local(site, 2026, 11, 18, 5, 29)) == "upcoming"
    assert task.state(local(site, 2026, 11, 18, 5, 30)) == "open"
    assert task.state(local(site, 2026, 11, 18, 7, 29)) == "open"
    assert task.state(local(site, 2026, 11, 18, 7, 30)) == "overdue"
    submit(cleaner, plan.point, now=local(site, 2026, 11, 18, 7, 40))
    db.session.refresh(task)
    assert task.state(local(site, 2026, 11, 18, 9, 0)) == "late"
    tomorrow = task_due(plan, site, 2026, 11, 19, 7, 30)
    submit(cleaner, plan.point, now=local(site, 2026, 11, 19, 7, 0))
    db.session.refresh(tomorrow)
    assert tomorrow.state(local(site, 2026, 11, 19, 9, 0)) == "on_time"


def test_todays_list_has_overdue_first_then_open_then_upcoming(site, cleaner):
    road = make_plan(site, times="07:30")
    toilet = make_plan(site, times="07:30, 12:00", lead_minutes=30)
    bins = make_plan(site, times="11:00", lead_minutes=120)
    bring(site, 2026, 11, 18, 10, 0)
    today = services.tasks_today(cleaner, site, local(site, 2026, 11, 18, 10, 0))
    assert [(i.task.plan_id, i.state) for i in today] == [
        (road.id, "overdue"), (toilet.id, "overdue"), (bins.id, "open"), (toilet.id, "upcoming"),
    ]
    assert today[2].minutes == 60
    # Yesterday's missed tasks are not today's work.
    assert all(i.task.due_at >= local(site, 2026, 11, 18, 0, 0) for i in today)


def test_a_task_open_for_weeks_is_listed_every_day_until_done(site, cleaner):
    planning.add_term(site, name_zh="秋季学期", name_en="Autumn", starts_on=local(
        site, 2026, 9, 1, 12, 0).date(), ends_on=local(site, 2027, 1, 15, 12, 0).date(),
        actor=None)
    tank = make_plan(site, frequency="per_term", per_term=2, times="16:00")
    bring(site, *MORNING)
    (entry,) = services.tasks_today(cleaner, site, local(site, *MORNING))
    assert (entry.task.plan_id, entry.state) == (tank.id, "open")


def test_a_cleaner_sees_their_own_their_teams_and_unassigned_tasks(site, cleaner, colleague):
    team = planning.create_team(site, name_zh="早班", name_en="Early", members=[cleaner],
                                actor=None)
    mine = make_plan(site, assignee=cleaner)
    theirs = make_plan(site, assignee=colleague)
    teams = make_plan(site, team=team)
    anyone = make_plan(site)
    bring(site, *MORNING)
    seen = {i.task.plan_id for i in services.tasks_today(cleaner, site, local(site, *MORNING))}
    assert seen == {mine.id, teams.id, anyone.id}
    assert theirs.id not in seen
    boss = factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site])
    everything = {i.task.plan_id for i in services.tasks_today(boss, site, local(site, *MORNING))}
    assert theirs.id in everything


def test_another_sites_tasks_never_show(site, other_site, cleaner):
    make_plan(other_site)
    bring(other_site, *MORNING)
    assert services.tasks_today(cleaner, site, local(site, *MORNING)) == []


# --------------------------------------------------------------------------- opening


def test_opening_a_checklist_takes_the_open_task_and_writes_nothing(site, plan, cleaner,
                                                                    in_request):
    bring(site, *MORNING)
    start = services.open_checklist(cleaner, plan.point.current_label,
                                    now=local(site, *MORNING))
    assert start.task == task_due(plan, site, 2026, 11, 18, 7, 30)
    assert start.template == plan.template
    assert count(ChecklistSubmission) == 0


def test_too_early_the_checklist_is_recorded_for_the_area_without_a_task(site, plan, cleaner,
                                                                        in_request):
    bring(site, *MORNING)
    start = services.open_checklist(cleaner, plan.point.current_label,
                                    now=local(site, 2026, 11, 18, 5, 0))
    assert start.task is None
    assert start.template == plan.template


@pytest.mark.parametrize("role", [Role.GUARD, Role.TECHNICIAN, Role.DESK, Role.SECURITY_SUPERVISOR])
def test_only_cleaners_open_checklists(site, plan, role, in_request):
    user = factories.make_user(role, sites=[site])
    with pytest.raises(services.ChecklistRefused) as refused:
        services.open_checklist(user, plan.point.current_label)
    assert refused.value.field == "role"


def test_a_cleaner_of_another_site_is_refused(site, other_site, plan, in_request):
    outsider = factories.make_user(Role.CLEANER, sites=[other_site])
    with pytest.raises(services.ChecklistRefused) as refused:
        services.open_checklist(outsider, plan.point.current_label)
    assert refused.value.field == "site"


def test_a_checkpoint_or_an_unplanned_area_has_no_checklist(site, cleaner, in_request):
    checkpoint = factories.make_point(site, kind="checkpoint")
    with pytest.raises(services.ChecklistRefused, match="not a cleaning area"):
        services.open_checklist(cleaner, checkpoint.current_label)
    area = factories.make_point(site, kind="cleaning_area")
    with pytest.raises(services.ChecklistRefused, match="No checklist is planned"):
        services.open_checklist(cleaner, area.current_label)


def test_a_forged_expired_or_borrowed_ticket_is_refused(app, site, plan, cleaner, colleague,
                                                        in_request):
    start = services.open_checklist(cleaner, plan.point.current_label,
                                    now=local(site, *MORNING))
    with pytest.raises(services.ChecklistRefused):
        services.read_ticket(cleaner, start.ticket[:-2] + "xx")
    with pytest.raises(services.ChecklistRefused):
        services.read_ticket(colleague, start.ticket)
    assert services.read_ticket(cleaner, start.ticket).label == plan.point.current_label
    app.config["SECRET_KEY"] = "another key"
    with pytest.raises(services.ChecklistRefused):
        services.read_ticket(cleaner, start.ticket)


def test_a_label_withdrawn_after_the_scan_still_takes_the_checklist(site, plan, cleaner,
                                                                    in_request):
    """The scan was the proof of presence; withdrawing the label later does not undo it."""
    start = services.open_checklist(cleaner, plan.point.current_label)
    places.revoke_label(plan.point, reason="label damaged", actor=None)
    assert services.read_ticket(cleaner, start.ticket).label.id == start.label.id


# --------------------------------------------------------------------------- answers


def test_every_item_must_be_answered(site, plan, in_request):
    form = answers_form(plan.template)
    first = plan.template.active_items[0]
    del form[f"result-{first.id}"]
    sheet = services.parse_answers(plan.template, form)
    assert sheet.errors == {f"result-{first.id}": "Choose pass, fail or not applicable."}


def test_a_failed_item_needs_a_note_and_a_photo_and_nothing_is_stored(site, plan, cleaner,
                                                                     in_request):
    start = services.open_checklist(cleaner, plan.point.current_label)
    first = plan.template.active_items[0]
    form = answers_form(plan.template, fail=1)
    del form[f"note-{first.id}"]
    sheet = services.parse_answers(plan.template, form)
    assert sheet.errors == {f"note-{first.id}": "Say what is wrong."}
    sheet = services.parse_answers(plan.template, answers_form(plan.template, fail=1))
    with pytest.raises(DomainError, match="Take a photo"):
        services.submit_checklist(cleaner, start, sheet)
    assert sheet.errors == {f"photo-{first.id}": "Take a photo of what failed."}
    assert count(ChecklistSubmission) == 0 and count(ItemResult) == 0


def test_readings_pass_inside_their_limits_and_fail_outside(site, cleaner, in_request):
    template = make_template(site, 1, reading=True)
    chlorine = template.active_items[-1]
    for raw, result in (("0.05", "pass"), ("2", "pass"), ("0,3", "pass"), ("0.01", "fail"),
                        ("2.5", "fail")):
        sheet = services.parse_answers(
            template, answers_form(template, values={"chlorine": raw})
        )
        assert sheet.answers[chlorine.id].result == result, raw
    for raw, message in (("", "Enter the reading."), ("abc", "Enter a number, e.g. 0.3."),
                         ("nan", "Enter a number, e.g. 0.3.")):
        sheet = services.parse_answers(template, answers_form(template, values={"chlorine": raw}))
        assert sheet.errors == {f"reading-{chlorine.id}": message}, raw
    form = answers_form(template, values={"chlorine": ""}) | {f"result-{chlorine.id}": "na"}
    assert services.parse_answers(template, form).answers[chlorine.id].result == "na"


def test_an_out_of_range_reading_needs_a_note(site, cleaner, in_request):
    template = make_template(site, 1, reading=True)
    chlorine = template.active_items[-1]
    sheet = services.parse_answers(template, answers_form(template, values={"chlorine": "3"}))
    assert sheet.errors == {f"note-{chlorine.id}": "Say what is wrong."}


# --------------------------------------------------------------------------- submitting


def test_a_submission_keeps_answers_photos_times_and_the_task(site, plan, cleaner, in_request):
    bring(site, *MORNING)
    opened = local(site, *MORNING)
    start = services.open_checklist(cleaner, plan.point.current_label, now=opened)
    sheet = services.parse_answers(plan.template, answers_form(plan.template, fail=1))
    photo = photo_of(cleaner, site)
    sheet.answers[plan.template.active_items[0].id].photo = photo
    done = opened + timedelta(minutes=6)
    submission = services.submit_checklist(cleaner, start, sheet, note="Bin lid broken",
                                           now=done)
    assert (submission.started_at, submission.submitted_at) == (opened, done)
    assert submission.task == task_due(plan, site, 2026, 11, 18, 7, 30)
    assert submission.label_id == plan.point.current_label.id
    assert [r.result for r in submission.results] == ["fail", "pass", "pass"]
    assert submission.results[0].photo_id == photo.id
    assert (photo.owner_kind, photo.owner_id) == ("checklist_result", submission.results[0].id)
    assert submission.score == 67
    assert submission.note == "Bin lid broken"


def test_a_retry_with_the_same_client_id_records_once(site, plan, cleaner, in_request):
    first = submit(cleaner, plan.point, client_id="3f0c-uuid")
    again = submit(cleaner, plan.point, client_id="3f0c-uuid")
    assert again.id == first.id
    assert count(ChecklistSubmission) == 1


def test_a_task_done_meanwhile_by_a_colleague_keeps_theirs(site, plan, cleaner, colleague,
                                                         in_request):
    bring(site, *MORNING)
    now = local(site, *MORNING)
    mine = services.open_checklist(cleaner, plan.point.current_label, now=now)
    theirs = submit(colleague, plan.point, now=now)
    sheet = services.parse_answers(plan.template, answers_form(plan.template))
    late = services.submit_checklist(cleaner, mine, sheet, now=now + timedelta(minutes=3))
    assert theirs.task_id == mine.task.id
    assert late.task_id is None and late.point_id == plan.point.id


def test_a_blackout_window_warns_first_and_is_kept_on_the_record(site, plan, cleaner,
                                                                 in_request):
    planning.add_blackout(site, name_zh="第一节课", name_en="Period 1", weekdays="12345",
                          starts=time(8, 0), ends=time(9, 40), actor=None)
    during = local(site, 2026, 11, 18, 8, 30)
    start = services.open_checklist(cleaner, plan.point.current_label, now=during)
    assert start.blackout.name_en == "Period 1"
    sheet = services.parse_answers(plan.template, answers_form(plan.template))
    with pytest.raises(DomainError) as refused:
        services.submit_checklist(cleaner, start, sheet, now=during)
    assert refused.value.field == "blackout" and count(ChecklistSubmission) == 0
    submission = services.submit_checklist(cleaner, start, sheet, now=during,
                                           blackout_confirmed=True)
    assert submission.in_blackout is True


# --------------------------------------------------------------------------- repairs


def test_needs_repair_makes_a_request_for_the_area_linked_both_ways(site, plan, cleaner,
                                                                    in_request):
    submission = submit(cleaner, plan.point, fail=1)
    failed = submission.results[0]
    services.request_repair(cleaner, submission, failed.id)
    job = db.session.get(Job, failed.job_id)
    assert (job.source, job.point_id, job.site_id) == ("checklist", plan.point.id, site.id)
    assert job.description == "Criterion 1: Dirty"
    assert job.reported_by_id == cleaner.id
    with pytest.raises(DomainError, match="already has a repair request"):
        services.request_repair(cleaner, submission, failed.id)
    with pytest.raises(DomainError, match="Only a failed item"):
        services.request_repair(cleaner, submission, submission.results[1].id)
    assert count(Job) == 1


def test_photos_of_answers_are_seen_at_the_site_by_cleaning_staff_and_the_desk(
    site, other_site, plan, cleaner, colleague, in_request
):
    submission = submit(cleaner, plan.point, fail=1)
    photo = db.session.get(Photo, submission.results[0].photo_id)
    from pmfield.photos import services as photos

    assert photos.can_view_photo(colleague, photo)
    assert photos.can_view_photo(factories.make_user(Role.DESK, sites=[site]), photo)
    assert not photos.can_view_photo(factories.make_user(Role.GUARD, sites=[site]), photo)
    assert not photos.can_view_photo(factories.make_user(Role.CLEANER, sites=[other_site]),
                                     photo)
