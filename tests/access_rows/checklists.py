"""Access rows for cleaning: the cleaner's checklist submission and the planning pages.

Checklists are submitted by cleaners (their shift's) and by the cleaning supervisor and the
manager (spot checks); the matrix posts an empty form: no start ticket, a 422. A submission
is seen by its cleaner, the cleaning supervisor, the manager and admins; the world's
submission at each site is made by that site's cleaner.
"""

from datetime import time
from datetime import timedelta

from sqlalchemy import select

from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.checklists import planning
from pmfield.checklists.models import CorrectiveTask
from pmfield.checklists.models import ItemResultValue
from pmfield.extensions import db
from pmfield.timeutil import utcnow
from tests import factories
from tests.access_common import CS
from tests.access_common import A
from tests.access_common import C
from tests.access_common import M
from tests.access_common import Route
from tests.checklists.factories import make_plan
from tests.checklists.factories import submit

MANAGERS = frozenset({CS, M, A})
WORKERS = frozenset({C, CS, M})
INSPECTORS = frozenset({CS, M})
FIXERS = frozenset({C, CS})
SUBMISSION = {"submission_id": "submission"}
CORRECTION = {"correction_id": "correction"}
TEMPLATE = {"template_id": "template"}
ITEM = {"template_id": "template", "item_id": "template_item"}

ROWS = {
    "checklists.submit_checklist": Route("POST", allowed=WORKERS),
    "checklists.submission_detail": Route(
        "GET", SUBMISSION, allowed=WORKERS | MANAGERS, site_scoped=True
    ),
    "checklists.request_repair": Route(
        "POST", {"submission_id": "submission", "result_id": "failed_result"}, allowed=WORKERS,
        site_scoped=True,
    ),
    "checklists.list_plans": Route("GET", allowed=MANAGERS),
    "checklists.create_plan": Route("POST", allowed=MANAGERS),
    "checklists.edit_plan": Route("POST", {"plan_id": "plan"}, allowed=MANAGERS, site_scoped=True),
    "checklists.set_plan_active": Route(
        "POST", {"plan_id": "plan"}, allowed=MANAGERS, site_scoped=True
    ),
    "checklists.list_templates": Route("GET", allowed=MANAGERS),
    "checklists.create_template": Route("POST", allowed=MANAGERS),
    "checklists.template_detail": Route("GET", TEMPLATE, allowed=MANAGERS, site_scoped=True),
    "checklists.add_template_item": Route("POST", TEMPLATE, allowed=MANAGERS, site_scoped=True),
    "checklists.edit_template_item": Route("POST", ITEM, allowed=MANAGERS, site_scoped=True),
    "checklists.retire_template_item": Route("POST", ITEM, allowed=MANAGERS, site_scoped=True),
    "checklists.timetable": Route("GET", allowed=MANAGERS),
    "checklists.add_blackout": Route("POST", allowed=MANAGERS),
    "checklists.remove_blackout": Route(
        "POST", {"blackout_id": "blackout"}, allowed=MANAGERS, site_scoped=True
    ),
    "checklists.add_term": Route("POST", allowed=MANAGERS),
    "checklists.add_team": Route("POST", allowed=MANAGERS),
    "checklists.board": Route("GET", allowed=MANAGERS),
    "checklists.month": Route("GET", allowed=MANAGERS),
    "checklists.export_csv": Route("GET", allowed=MANAGERS),
    "checklists.area_history": Route("GET", {"point_id": "area"}, allowed=MANAGERS,
                                     site_scoped=True),
    "checklists.list_corrections": Route("GET", allowed=WORKERS),
    "checklists.correction_detail": Route("GET", CORRECTION, allowed=WORKERS, site_scoped=True),
    "checklists.fix_correction": Route("POST", CORRECTION, allowed=FIXERS, site_scoped=True),
    "checklists.close_correction": Route("POST", CORRECTION, allowed=INSPECTORS,
                                         site_scoped=True),
    "checklists.reopen_correction": Route("POST", CORRECTION, allowed=INSPECTORS,
                                          site_scoped=True),
}


def _cleaner_of(site):
    found = db.session.scalar(
        select(User).where(User.role == Role.CLEANER, User.sites.any(id=site.id))
    )
    return found or factories.make_user(Role.CLEANER, sites=[site])


def objects(site, objects):
    """A plan, a no-cleaning time and a submission with one failed item, by the site's cleaner."""
    plan = make_plan(site)
    cleaner = _cleaner_of(site)
    submission = submit(cleaner, plan.point, fail=1)
    failed = next(r for r in submission.results if r.result == ItemResultValue.FAIL)
    inspector = factories.make_user(Role.CLEANING_SUPERVISOR, sites=[site])
    check = submit(inspector, plan.point, fail=1, deadline=utcnow() + timedelta(hours=4))
    correction = db.session.scalar(
        select(CorrectiveTask).where(CorrectiveTask.result_id == check.failed[0].id)
    )
    # Added after the submissions so that they never fall inside it, whatever the clock says.
    blackout = planning.add_blackout(
        site, name_zh="第一节课", name_en="Period 1", weekdays="12345", starts=time(8),
        ends=time(9), actor=None,
    )
    return {"plan": plan, "blackout": blackout, "submission": submission,
            "failed_result": failed, "correction": correction, "area": plan.point,
            "template": plan.template, "template_item": plan.template.items[-1]}
