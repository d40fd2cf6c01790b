"""The standard checklists seeded from the practice, and the supervisor editing a checklist:
new checklist, items added, reworded with limits, and taken off without losing history."""

import pytest
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.checklists import planning
from pmfield.checklists.models import AreaKind
from pmfield.checklists.models import ChecklistTemplate
from pmfield.checklists.standard_templates import STANDARD_TEMPLATES
from pmfield.extensions import db
from tests import factories
from tests.checklists.factories import make_plan
from tests.checklists.factories import make_template
from tests.checklists.factories import submit


@pytest.fixture
def boss(site):
    return factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site])


def test_the_standard_checklists_cover_every_kind_of_area_in_both_languages(site):
    made = planning.seed_standard_templates(site)
    assert {t.area_kind for t in made} == set(AreaKind) - {AreaKind.OTHER}
    for template in made:
        assert 5 <= len(template.items) <= 9
        assert all(item.text_zh and item.text_en for item in template.items)
    tank = next(t for t in made if t.area_kind == AreaKind.WATER_TANK)
    chlorine = next(i for i in tank.items if i.code == "free_chlorine")
    assert (chlorine.kind, chlorine.unit, chlorine.min_value) == ("reading", "mg/L", 0.05)
    assert planning.seed_standard_templates(site) == []  # a second run adds nothing
    assert len(STANDARD_TEMPLATES) == len(made)


def test_the_road_checklist_quotes_the_standard(site):
    planning.seed_standard_templates(site)
    road = db.session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.area_kind == "main_road"))
    assert any("烟头" in item.text_zh for item in road.items)


def test_the_supervisor_builds_and_edits_a_checklist(client, login_as, boss, site):
    login_as(boss)
    response = client.post("/cleaning/templates", data={
        "area_kind": "classroom", "name_zh": "教室保洁检查", "name_en": "Classroom check"})
    assert response.status_code == 303
    template = db.session.scalar(select(ChecklistTemplate))
    url = f"/cleaning/templates/{template.id}/items"
    assert client.post(url, data={"kind": "check", "text_zh": "黑板干净",
                                  "text_en": "Blackboard clean"}).status_code == 303
    assert client.post(url, data={"kind": "reading", "text_en": "Light level", "unit": "lx",
                                  "min_value": "300"}).status_code == 303
    refused = client.post(url, data={"kind": "reading", "text_en": "pH", "min_value": "9",
                                     "max_value": "6"})
    assert refused.status_code == 422
    assert "must not be below the lowest" in refused.get_data(as_text=True)
    db.session.refresh(template)
    light = template.items[1]
    assert (light.text_zh, light.min_value, light.max_value) == ("Light level", 300.0, None)
    edit = f"/cleaning/templates/{template.id}/items/{light.id}"
    assert client.post(edit, data={"kind": "reading", "text_zh": "照度", "text_en": "Light level",
                                   "unit": "lx", "min_value": "300", "max_value": "750"}
                       ).status_code == 303
    db.session.refresh(light)
    assert (light.text_zh, light.max_value) == ("照度", 750.0)
    page = client.get(f"/cleaning/templates/{template.id}").get_data(as_text=True)
    assert "300–750 lx" in page


def test_an_item_taken_off_keeps_the_answers_given_to_it(app, site, boss):
    plan = make_plan(site, template=make_template(site, 2))
    cleaner = factories.make_user(Role.CLEANER, sites=[site])
    with app.test_request_context():
        submission = submit(cleaner, plan.point, fail=1)
    first = plan.template.items[0]
    planning.retire_item(first, actor=boss)
    assert [i.id for i in plan.template.active_items] == [plan.template.items[1].id]
    db.session.refresh(submission)
    assert submission.results[0].item_id == first.id
    with pytest.raises(Exception, match="at least one item"):
        planning.retire_item(plan.template.items[1], actor=boss)
