"""Cleaning test data: an area with a planned checklist, and submissions made through the
services as the views make them."""

import io
import itertools
from datetime import datetime

from pmfield.checklists import planning
from pmfield.checklists import services
from pmfield.checklists.models import ChecklistTemplate
from pmfield.checklists.models import TemplateItem
from pmfield.extensions import db
from pmfield.photos import services as photos
from tests import factories
from tests.patrol.factories import EPOCH
from tests.photos.images import jpeg

_made = itertools.count(1)


def make_template(site, n_items=3, *, reading=False, **kw) -> ChecklistTemplate:
    template = ChecklistTemplate(
        site=site,
        area_kind=kw.pop("area_kind", "toilet"),
        name_zh=kw.pop("name_zh", f"卫生间保洁检查{next(_made)}"),
        name_en=kw.pop("name_en", "Toilet check"),
    )
    template.items = [
        TemplateItem(position=i, code=f"item_{i}", kind="check", text_zh=f"标准{i}",
                     text_en=f"Criterion {i}")
        for i in range(1, n_items + 1)
    ]
    if reading:
        template.items.append(
            TemplateItem(position=n_items + 1, code="chlorine", kind="reading",
                         text_zh="游离余氯", text_en="Free chlorine", unit="mg/L",
                         min_value=0.05, max_value=2.0)
        )
    db.session.add(template)
    db.session.commit()
    return template


def make_plan(site, *, point=None, template=None, times="07:30", now: datetime = EPOCH, **kw):
    """A plan (through the service, as the supervisor makes one), effective from `now`."""
    point = point or factories.make_point(site, kind="cleaning_area")
    template = template or make_template(site)
    values = {
        "frequency": "times", "times": times, "weekdays": "1234567", "lead_minutes": 120,
        "per_term": None, "month_day": None, "assignee": None, "team": None,
    } | kw
    return planning.create_plan(site, actor=None, point=point, template=template, now=now,
                                **values)


def photo_of(user, site):
    return photos.save_photo(io.BytesIO(jpeg()), user=user, site=site)


def answers_form(template, *, fail=0, values=None):
    """A form answering every item pass, the first `fail` ones fail with a note."""
    form = {}
    for index, item in enumerate(template.active_items):
        key = str(item.id)
        if item.is_reading:
            form[f"reading-{key}"] = (values or {}).get(item.code, "0.5")
        else:
            form[f"result-{key}"] = "fail" if index < fail else "pass"
        if index < fail:
            form[f"note-{key}"] = "Dirty"
    return form


def submit(user, point, *, fail=0, now=None, form=None, **kw):
    """Scan the area's label and submit its checklist, failed items with a photo each."""
    start = services.open_checklist(user, point.current_label, now=now)
    sheet = services.parse_answers(start.template, form or answers_form(start.template, fail=fail))
    for answer in sheet.answers.values():
        if answer.failed:
            answer.photo = photo_of(user, point.site)
    return services.submit_checklist(user, start, sheet, now=now, **kw)
