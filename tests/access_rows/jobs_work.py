"""Access rows for the technician's phone: my jobs and each step of a job.

The steps serve only the job's own technicians (JOB_WORKERS by role, then the service: a job
not assigned to them is 404 when they cannot see it, 403 when they can). So that the matrix
checks the allowed roles really get through, the steps act on `work_job`, a job assigned to
every technician and engineering supervisor of its site: on the own site that includes the
matrix users (POST data={} gives 200 for accept, 422 for the rest); on the other site nobody
of the matrix, so they get 404.
"""

from decimal import Decimal

from pmfield.auth.roles import JOB_WORKERS
from pmfield.extensions import db
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import JobAssignment
from pmfield.jobs.models import JobMaterial
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import Material
from tests.access_common import Route

STEP = {"job_id": "work_job"}


def _step(args=STEP):
    return Route("POST", args, allowed=JOB_WORKERS, site_scoped=True)


ROWS = {
    "jobs.my_jobs": Route("GET", allowed=JOB_WORKERS),
    "jobs.accept_job": _step(),
    "jobs.depart_job": _step(),
    "jobs.arrive_job": _step(),
    "jobs.hold_job": _step(),
    "jobs.resume_job": _step(),
    "jobs.add_note": _step(),
    "jobs.add_material": _step(),
    "jobs.remove_material": _step({"job_id": "work_job", "used_id": "work_material"}),
    "jobs.add_photo": _step(),
    "jobs.set_category": _step(),
    "jobs.accept_price": _step(),
    "jobs.sign_job": _step(),
    "jobs.close_job": _step(),
}


def objects(site, objects):
    """A job assigned to the site's technicians and engineering supervisors, with a
    material on it (for the remove route)."""
    job = services.create_job(site=site, description="Door sensor dirty",
                              source=JobSource.DESK, point=objects["point"])
    for n, user in enumerate(work.technicians_of(site)):
        job.assignments.append(JobAssignment(user_id=user.id, is_lead=n == 0))
    job.status = JobStatus.ASSIGNED.value
    material = Material(site_id=site.id, code="WASHER", name_zh="垫圈", name_en="Washer",
                        unit_zh="个", unit_en="pcs")
    used = JobMaterial(material=material, quantity=Decimal("1"))
    job.materials.append(used)
    db.session.commit()
    return {"work_job": job, "work_material": used}
