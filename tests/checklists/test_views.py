"""Cleaning pages: scanning an area's label opens its checklist (writing nothing), submitting
with photos, a form sent back keeping every answer and photo, hostile uploads, the home list,
and the supervisor's plan and timetable forms."""

import io

import pytest
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from pmfield.auth.roles import Role
from pmfield.checklists.models import ChecklistSubmission
from pmfield.checklists.models import CleaningPlan
from pmfield.checklists.models import ItemResult
from pmfield.extensions import db
from pmfield.photos.models import Photo
from pmfield.places import services as places
from tests import factories
from tests.checklists.factories import make_plan
from tests.conftest import HX
from tests.photos.images import jpeg


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def cleaner(site):
    return factories.make_user(Role.CLEANER, sites=[site], display_name="Cleaner Sun")


@pytest.fixture
def boss(site):
    return factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site])


@pytest.fixture
def plan(site):
    return make_plan(site, times="07:30")


def scan(client, point):
    return client.get(f"/q/{places.label_token(point.current_label)}")


def ticket_of(page: str) -> str:
    return page.split('name="ticket" value="', 1)[1].split('"', 1)[0]


def client_id_of(page: str) -> str:
    return page.split('name="client_id" value="', 1)[1].split('"', 1)[0]


def form_for(plan, page, *, fail_first=False, note="Overflowing bin"):
    data = {"ticket": ticket_of(page), "client_id": client_id_of(page)}
    for index, item in enumerate(plan.template.active_items):
        data[f"result-{item.id}"] = "fail" if fail_first and index == 0 else "pass"
    if fail_first:
        data[f"note-{plan.template.active_items[0].id}"] = note
    return data


def test_a_cleaner_scanning_an_area_gets_its_checklist_and_nothing_is_written(
    client, login_as, cleaner, plan
):
    login_as(cleaner)
    response = scan(client, plan.point)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert plan.point.code in page and "Criterion 1" in page and 'name="ticket"' in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert count(ChecklistSubmission) == 0


def test_submitting_with_a_failed_item_and_its_photo(client, login_as, cleaner, plan):
    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    first = plan.template.active_items[0]
    data = form_for(plan, page, fail_first=True)
    data[f"photo-{first.id}"] = (io.BytesIO(jpeg()), "IMG_0001.jpg")
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    assert "Checklist submitted" in body and "1 item failed" in body and "Needs repair" in body
    submission = db.session.scalar(select(ChecklistSubmission))
    assert submission.user_id == cleaner.id
    failed = submission.results[0]
    assert failed.result == "fail" and failed.note == "Overflowing bin"
    photo = db.session.get(Photo, failed.photo_id)
    assert photo.owner_kind == "checklist_result" and photo.content_type == "image/jpeg"
    assert f"/photos/{photo.id}" in body


def test_a_failed_item_without_photo_comes_back_with_every_answer_kept(
    client, login_as, cleaner, plan
):
    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    first, second = plan.template.active_items[:2]
    data = form_for(plan, page, fail_first=True)
    data[f"result-{second.id}"] = "na"
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Take a photo of what failed." in body
    assert "Overflowing bin" in body  # the note is kept
    assert f'name="result-{second.id}" value="na" checked' in body
    assert f'name="result-{first.id}" value="fail" checked' in body
    assert count(ChecklistSubmission) == 0 and count(ItemResult) == 0


def test_a_photo_sent_with_a_form_that_comes_back_is_kept(client, login_as, cleaner, plan):
    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    first = plan.template.active_items[0]
    data = form_for(plan, page, fail_first=True, note="")
    data[f"photo-{first.id}"] = (io.BytesIO(jpeg()), "IMG_0001.jpg")
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Say what is wrong." in body
    photo = db.session.scalar(select(Photo))
    assert f'name="photo_id-{first.id}" value="{photo.id}"' in body
    data = form_for(plan, page, fail_first=True) | {f"photo_id-{first.id}": str(photo.id)}
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 201
    assert db.session.scalar(select(ItemResult.photo_id).where(ItemResult.result == "fail")) == (
        photo.id
    )
    assert count(Photo) == 1


def test_someone_elses_photo_cannot_be_kept_for_an_answer(client, login_as, cleaner, plan, site):
    other = factories.make_user(Role.CLEANER, sites=[site])
    from tests.checklists.factories import photo_of

    theirs = photo_of(other, site)
    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    first = plan.template.active_items[0]
    data = form_for(plan, page, fail_first=True) | {f"photo_id-{first.id}": str(theirs.id)}
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert count(ChecklistSubmission) == 0


@pytest.mark.parametrize(
    ("payload", "name", "message"),
    [
        (b"just some text, not a picture", "photo.jpg", "not a photo"),
        (b"<html><script>alert(1)</script></html>", "photo.jpg", "not a photo"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg",
         "not a photo"),
        (jpeg()[:200], "cut.jpg", "damaged"),
    ],
)
def test_hostile_uploads_are_refused_with_a_message_and_nothing_is_stored(
    client, login_as, cleaner, plan, payload, name, message
):
    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    first = plan.template.active_items[0]
    data = form_for(plan, page, fail_first=True)
    data[f"photo-{first.id}"] = (io.BytesIO(payload), name)
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).lower()
    assert count(ChecklistSubmission) == 0 and count(Photo) == 0


def test_a_forged_ticket_records_nothing(client, login_as, cleaner, plan):
    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    data = form_for(plan, page) | {"ticket": "forged"}
    response = client.post("/cleaning/submit", data=data)
    assert response.status_code == 422
    assert "opened too long ago or elsewhere" in response.get_data(as_text=True)
    assert count(ChecklistSubmission) == 0


def test_a_double_tap_records_once(client, login_as, cleaner, plan):
    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    data = form_for(plan, page)
    assert client.post("/cleaning/submit", data=data).status_code == 201
    assert client.post("/cleaning/submit", data=dict(data)).status_code == 201
    assert count(ChecklistSubmission) == 1


def test_a_guard_cannot_submit_a_checklist_and_sees_the_point_page(client, login_as, site, plan):
    guard = factories.make_user(Role.GUARD, sites=[site])
    login_as(guard)
    response = scan(client, plan.point)
    assert response.status_code == 200 and 'name="ticket"' not in response.get_data(as_text=True)
    assert client.post("/cleaning/submit", data={"ticket": "x"}).status_code == 403
    assert count(ChecklistSubmission) == 0


def test_a_cleaner_of_another_site_cannot_open_this_sites_area(client, login_as, other_site,
                                                              plan):
    login_as(factories.make_user(Role.CLEANER, sites=[other_site]))
    assert scan(client, plan.point).status_code == 403


def test_the_cleaners_home_lists_the_areas_due(client, login_as, cleaner, plan):
    login_as(cleaner)
    body = client.get("/").get_data(as_text=True)
    assert "Today's areas" in body
    assert plan.point.code in body


def test_needs_repair_from_the_result_page(client, login_as, cleaner, plan):
    from tests.checklists.factories import submit

    with client.application.test_request_context():
        submission = submit(cleaner, plan.point, fail=1)
    login_as(cleaner)
    failed = submission.results[0]
    url = f"/cleaning/submissions/{submission.id}/results/{failed.id}/repair"
    response = client.post(url, headers=HX)
    assert response.status_code == 200
    assert "Repair request JOB-" in response.get_data(as_text=True)
    again = client.post(url, headers=HX)
    assert again.status_code == 422
    assert "already has a repair request" in again.get_data(as_text=True)


def test_a_cleaner_cannot_read_a_colleagues_submission(client, login_as, site, cleaner, plan):
    from tests.checklists.factories import submit

    colleague = factories.make_user(Role.CLEANER, sites=[site])
    with client.application.test_request_context():
        submission = submit(colleague, plan.point)
    login_as(cleaner)
    assert client.get(f"/cleaning/submissions/{submission.id}").status_code == 404


# --------------------------------------------------------------------------- planning


def test_the_supervisor_plans_an_area(client, login_as, boss, site):
    from tests.checklists.factories import make_template

    area = factories.make_point(site, kind="cleaning_area", code="ROAD-1")
    template = make_template(site)
    login_as(boss)
    assert client.get("/cleaning/plans/new").status_code == 200
    response = client.post("/cleaning/plans/new", data={
        "point_id": area.id, "template_id": template.id, "frequency": "times",
        "times": "07:30，12:00", "weekdays": ["1", "2", "3", "4", "5"], "lead_minutes": "90",
    })
    assert response.status_code == 303
    plan = db.session.scalar(select(CleaningPlan))
    assert (plan.times, plan.weekdays, plan.lead_minutes) == ("07:30,12:00", "12345", 90)
    assert "ROAD-1" in client.get("/cleaning/plans").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"times": "7.30"}, "times", "Enter times as HH:MM"),
        ({"weekdays": []}, "weekdays", "Choose at least one day of the week."),
        ({"lead_minutes": "99999"}, "lead_minutes", "Enter 0 to 1440 minutes."),
        ({"frequency": "per_term", "per_term": ""}, "per_term", "Enter a number."),
        ({"frequency": "monthly", "month_day": "31"}, "month_day", "Enter a day from 1 to 28."),
        ({"template_id": "999"}, "template_id", "Choose a checklist."),
    ],
)
def test_a_bad_plan_gets_a_clear_message_and_nothing_is_saved(client, login_as, boss, site,
                                                             change, field, message):
    from tests.checklists.factories import make_template

    area = factories.make_point(site, kind="cleaning_area")
    form = {"point_id": area.id, "template_id": make_template(site).id, "frequency": "times",
            "times": "07:30", "weekdays": ["1"], "lead_minutes": "60"} | change
    login_as(boss)
    response = client.post("/cleaning/plans/new", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(CleaningPlan) == 0


def test_a_no_cleaning_time_must_end_after_it_starts(client, login_as, boss):
    login_as(boss)
    response = client.post("/cleaning/timetable/blackouts", data={
        "name_zh": "第一节课", "weekdays": ["1"], "starts": "09:40", "ends": "08:00",
    })
    assert response.status_code == 422
    assert "The end must be after the start" in response.get_data(as_text=True)
    response = client.post("/cleaning/timetable/blackouts", data={
        "name_zh": "第一节课", "weekdays": ["1"], "starts": "08:00", "ends": "09:40",
    })
    assert response.status_code == 303
    assert "08:00–09:40" in client.get("/cleaning/timetable").get_data(as_text=True)


def test_terms_may_not_overlap(client, login_as, boss):
    login_as(boss)
    term = {"term_name_zh": "秋季", "starts_on": "2026-09-01", "ends_on": "2027-01-15"}
    assert client.post("/cleaning/timetable/terms", data=term).status_code == 303
    again = client.post("/cleaning/timetable/terms", data=term | {"starts_on": "2026-12-01",
                                                                  "ends_on": "2027-02-01"})
    assert again.status_code == 422
    assert "overlaps another term" in again.get_data(as_text=True)



def test_a_decompression_bomb_and_a_30_mb_upload_are_refused_and_nothing_is_stored(
    client, login_as, cleaner, plan
):
    from tests.photos import images

    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    first = plan.template.active_items[0]
    data = form_for(plan, page, fail_first=True)
    data[f"photo-{first.id}"] = (io.BytesIO(images.png_claiming(30_000, 30_000)), "bomb.png")
    response = client.post("/cleaning/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "too big to process" in response.get_data(as_text=True)
    data = form_for(plan, page, fail_first=True)
    data[f"photo-{first.id}"] = (io.BytesIO(b"\xff\xd8" + b"\0" * (30 * 1024 * 1024)), "big.jpg")
    # The body is spooled to a temporary file; close it, the server never reads it.
    builder = EnvironBuilder(path="/cleaning/submit", method="POST", data=data)
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    assert "The upload is too large (max 20 MB)." in response.get_data(as_text=True)
    assert count(ChecklistSubmission) == 0 and count(Photo) == 0


def test_a_phone_photo_is_stored_upright_without_its_gps(client, login_as, cleaner, plan, app):
    from PIL import Image

    from pmfield.photos import services as photo_services
    from tests.photos import images

    login_as(cleaner)
    page = scan(client, plan.point).get_data(as_text=True)
    first = plan.template.active_items[0]
    data = form_for(plan, page, fail_first=True)
    data[f"photo-{first.id}"] = (io.BytesIO(images.phone_jpeg(400, 300, orientation=6)),
                                 "IMG_0001.jpg")
    assert client.post("/cleaning/submit", data=data,
                       content_type="multipart/form-data").status_code == 201
    photo = db.session.scalar(select(Photo))
    stored = Image.open(io.BytesIO(photo_services.read_photo(photo)))
    assert stored.size == (300, 400)  # turned upright
    assert dict(stored.getexif()) == {}  # no GPS, camera or orientation left
