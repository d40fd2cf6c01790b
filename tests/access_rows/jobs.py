"""Access rows for the repair jobs: intake, field reports, the list, one job, dispatch,
cancel, callbacks and the response targets.

A job's page is open to every signed-in role, and the service decides who sees which job: the
desk, engineering and managers see all of the site's, technicians those assigned to them,
anyone the jobs they reported. The world's job is reported by nobody and assigned to nobody,
so the other roles get 404.
"""

from pmfield.auth.roles import CALLBACK_RECORDERS
from pmfield.auth.roles import FAULT_REPORTERS
from pmfield.auth.roles import JOB_DISPATCHERS
from pmfield.auth.roles import JOB_INTAKE
from pmfield.auth.roles import JOB_MANAGERS
from pmfield.auth.roles import JOB_READERS
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import JobSource
from tests import factories
from tests.access_common import EVERYONE
from tests.access_common import Route
from tests.jobs.factories import dispatch_form
from tests.jobs.factories import photo_of
from tests.jobs.factories import signature_png

NOT_READERS = EVERYONE - JOB_READERS

ROWS = {
    "jobs.list_jobs": Route("GET", allowed=JOB_READERS),
    "jobs.job_detail": Route("GET", {"job_id": "job"}, site_scoped=True,
                             hidden_from=NOT_READERS),
    "jobs.create_job": Route("GET", allowed=JOB_INTAKE),
    "jobs.report_fault": Route("GET", {"point_id": "point"}, allowed=FAULT_REPORTERS,
                               site_scoped=True),
    "jobs.assign_job": Route("POST", {"job_id": "job"}, allowed=JOB_DISPATCHERS,
                             site_scoped=True),
    "jobs.cancel_job": Route("POST", {"job_id": "job"}, allowed=JOB_INTAKE, site_scoped=True),
    "jobs.list_callbacks": Route("GET", allowed=CALLBACK_RECORDERS),
    "jobs.record_callback": Route("GET", {"callback_id": "callback"},
                                  allowed=CALLBACK_RECORDERS, site_scoped=True),
    "jobs.job_settings": Route("GET", allowed=JOB_MANAGERS),
    "jobs.export_paid": Route("GET", allowed=JOB_MANAGERS),
}


def _closed_job(site, point):
    """A job taken through to its close, so that it has a callback."""
    tech = factories.make_user(Role.TECHNICIAN, sites=[site])
    supervisor = factories.make_user(Role.ENGINEERING_SUPERVISOR, sites=[site])
    job = services.create_job(site=site, description="Tap dripping", source=JobSource.FIELD,
                              point=point)
    db.session.commit()
    work.assign(supervisor, job, work.parse_dispatch(job, dispatch_form(tech)))
    work.accept(tech, job)
    work.arrive(tech, job, point.current_label)
    work.add_photo(tech, job, photo_of(tech, site), "after")
    work.set_category(tech, job, "free")
    work.sign(tech, job, signature_png())
    return work.close(tech, job)


def objects(site, objects):
    """A new request on the site's elevator, and a closed one with its callback."""
    job = services.create_job(
        site=site, description="Lift stuck", source=JobSource.DESK, point=objects["point"],
        location_text="",
    )
    db.session.commit()
    closed = _closed_job(site, objects["point"])
    return {"job": job, "closed_job": closed, "callback": closed.callbacks[0]}
