"""The printable job sheet (工程服务单): the print page, its PDF and the customer's signature.

Anyone signed in may ask; `get_job_for_user` decides who sees which job, and everybody else
gets 404 so that job numbers of other sites and other technicians do not leak.
"""

import hashlib
import io

from flask import abort
from flask import make_response
from flask import render_template
from flask import send_file
from flask_login import current_user

from pmfield.jobs import bp
from pmfield.jobs import services
from pmfield.jobs import sheet as job_sheets
from pmfield.web.security import signed_in


def _job_or_404(job_id: int):
    job = services.get_job_for_user(current_user, job_id)
    if job is None:
        abort(404)
    return job


def _private(response, *, store: bool):
    """Personal data (names, phones, signatures): never in a shared cache."""
    response.cache_control.public = False
    response.cache_control.private = True
    if store:
        response.cache_control.no_cache = True
    else:
        response.cache_control.no_store = True
    response.expires = None
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<int:job_id>/sheet")
@signed_in
def job_sheet(job_id):
    """The service order as a page to print."""
    job = _job_or_404(job_id)
    response = make_response(
        render_template("jobs/sheet.html", sheet=job_sheets.build_sheet(job))
    )
    return _private(response, store=False)


@bp.route("/<int:job_id>/sheet.pdf")
@signed_in
def job_sheet_pdf(job_id):
    """The service order as a PDF download."""
    job = _job_or_404(job_id)
    response = send_file(
        io.BytesIO(job_sheets.render_pdf(job)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=job_sheets.filename(job),
    )
    return _private(response, store=False)


@bp.route("/<int:job_id>/signature.png")
@signed_in
def job_signature(job_id):
    """The customer's signature; it is replaced under the same URL when signed again."""
    job = _job_or_404(job_id)
    if job.signature is None:
        abort(404)
    png = bytes(job.signature.png)
    response = send_file(
        io.BytesIO(png),
        mimetype="image/png",
        etag=hashlib.sha256(png).hexdigest(),
        conditional=True,
    )
    return _private(response, store=True)
