"""Access rows for the repair requests (jobs)."""

from pmfield.auth.roles import JOB_READERS
from pmfield.extensions import db
from pmfield.jobs import services
from pmfield.jobs.models import JobSource
from tests.access_common import Route

ROWS = {
    "jobs.list_jobs": Route("GET", allowed=JOB_READERS),
    "jobs.job_detail": Route("GET", {"job_id": "job"}, allowed=JOB_READERS, site_scoped=True),
}


def objects(site, objects):
    """A repair request on the site's elevator."""
    job = services.create_job(
        site=site, description="Lift stuck", source=JobSource.DESK, point=objects["point"]
    )
    db.session.commit()
    return {"job": job}
