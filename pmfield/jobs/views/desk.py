"""Repair requests: the desk's list and one request's page."""

from flask import abort
from flask import current_app
from flask import request
from flask import url_for
from flask_login import current_user

from pmfield.auth.roles import JOB_READERS
from pmfield.jobs import bp
from pmfield.jobs import services
from pmfield.jobs.models import JobStatus
from pmfield.web.context import current_site
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

job_readers_only = roles_required(*JOB_READERS)
#: The patrol incident page; linked only once the patrol feature serves it.
INCIDENT_ENDPOINT = "patrol.incident_detail"


def incident_url(job) -> str | None:
    """Return the link to the incident a job came from, when there is one and a page for it."""
    if job.incident_id is None or INCIDENT_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(INCIDENT_ENDPOINT, incident_id=job.incident_id)


@bp.route("/")
@job_readers_only
def list_jobs():
    """List the current site's repair requests, newest first."""
    site = current_site()
    page = max(request.args.get("page", 1, type=int), 1)
    status = request.args.get("status", "")
    status = status if status in set(JobStatus) else ""
    jobs, total = services.list_jobs(current_user, site, status=status or None, page=page)
    return render_page(
        "jobs/index.html",
        "jobs/_job_rows.html",
        site=site,
        jobs=jobs,
        total=total,
        status_filter=status,
        page=page,
        has_more=page * services.PAGE_SIZE < total,
        incident_url=incident_url,
    )


@bp.route("/<int:job_id>")
@job_readers_only
def job_detail(job_id):
    """Show one repair request."""
    job = services.get_job_for_user(current_user, job_id)
    if job is None:
        abort(404)
    return render_page(
        "jobs/detail.html", "jobs/_job.html", job=job, incident_url=incident_url(job)
    )
