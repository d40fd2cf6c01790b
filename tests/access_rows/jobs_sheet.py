"""Access rows for the printable job sheet (工程服务单), its PDF and the signature image.

Any signed-in user may ask; the job's visibility rule (jobs.services.can_view_job) answers.
The world's job was reported by nobody and is assigned to nobody, so only the job readers
see it, and every other role (technicians included) gets 404, never 403: hidden_from.
"""

from pmfield.auth.roles import JOB_READERS
from pmfield.extensions import db
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import JobSignature
from pmfield.jobs.models import JobSource
from tests.access_common import EVERYONE
from tests.access_common import Route
from tests.jobs.factories import signature_png

_SHEET = {"job_id": "signed_job"}
_NOT_READERS = EVERYONE - JOB_READERS

ROWS = {
    endpoint: Route("GET", _SHEET, allowed=EVERYONE, site_scoped=True, hidden_from=_NOT_READERS)
    for endpoint in ("jobs.job_sheet", "jobs.job_sheet_pdf", "jobs.job_signature")
}


def objects(site, objects):
    """A request on the site's elevator with the customer's signature (the signature route
    answers 404 for a job without one)."""
    job = services.create_job(
        site=site, description="Lift stuck", source=JobSource.DESK, point=objects["point"]
    )
    png, width, height = work.verify_signature(signature_png())
    job.signature = JobSignature(png=png, width=width, height=height, signer_name="Ms Li")
    db.session.commit()
    return {"signed_job": job}
