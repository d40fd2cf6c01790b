"""The technician's phone: my jobs, and each step of a job from accept to close.

Every step is a POST that answers with the job's page (or its #job fragment for htmx): 200
when done, 422 with the form filled in when a rule refused it, 403 when the job is not the
user's. Arrival is proven by scanning the point's label: the scan handler shows a page that
sends the arrival itself, so opening a label (or a link preview of it) never writes anything.
"""

import base64
import binascii

from flask import abort
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.auth.roles import JOB_WORKERS
from pmfield.core.services import register_home_panel
from pmfield.core.services import register_offline_pages
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs import bp
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import Category
from pmfield.jobs.models import JobStatus
from pmfield.jobs.views.desk import render_job
from pmfield.photos import services as photos
from pmfield.places import services as places
from pmfield.places.views import register_scan_handler
from pmfield.timeutil import utcnow
from pmfield.web.context import current_site
from pmfield.web.htmx import is_partial
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

workers_only = roles_required(*JOB_WORKERS)
#: How the signature pad sends its drawing (canvas.toDataURL("image/png")).
SIGNATURE_DATA_URL = "data:image/png;base64,"
#: Longest data URL accepted: the largest PNG work.sign takes, base64-encoded.
SIGNATURE_MAX_CHARS = len(SIGNATURE_DATA_URL) + (work.SIGNATURE_MAX_BYTES + 2) // 3 * 4
#: Jobs shown on the technician's home card; the rest are on "My jobs".
HOME_JOBS = 3
#: States in which a scanned label records the arrival.
ARRIVING = (JobStatus.ACCEPTED, JobStatus.ON_THE_WAY)


def _job_or_404(job_id):
    job = services.get_job_for_user(current_user, job_id)
    if job is None:
        abort(404)
    return job


def _refused(refusal: DomainError):
    """403 with the service's reason (a page, or the error toast for htmx)."""
    template = "errors/_toast.html" if is_partial() else "errors/error.html"
    return render_template(template, status=403, title=_("Not allowed"),
                           message=refusal.message), 403


def _step(job_id, step: str, action, fields=()):
    """Run one technician step on a job and answer with the job again.

    `action(job)` calls the service. A refusal rolls everything back; the form comes back
    with what was typed (`fields`) and the message, marked with `step` so the page shows the
    error beside the form that sent it.
    """
    job = _job_or_404(job_id)
    try:
        action(job)
    except work.JobRefused as refusal:
        db.session.rollback()
        return _refused(refusal)
    except DomainError as error:
        db.session.rollback()
        data = {name: request.form.get(name, "") for name in fields}
        data["step"] = step
        return render_job(job, errors={error.field or "form": error.message}, data=data,
                          status=422)
    return render_job(job)


def _version():
    """The job version the form was rendered with (stale forms are refused)."""
    return request.form.get("version")


# --------------------------------------------------------------------------- my jobs


@bp.route("/mine")
@workers_only
def my_jobs():
    """The technician's open jobs, most urgent first, each with its response timer."""
    site = current_site()
    return render_page("jobs/mine.html", "jobs/_my_jobs.html", site=site,
                       jobs=work.my_jobs(current_user, site), now=utcnow())


def _home_jobs(user, site) -> dict:
    """The home card: the few most urgent jobs (names kept apart from other cards')."""
    jobs = work.my_jobs(user, site)
    return {"tech_jobs": jobs[:HOME_JOBS], "tech_jobs_total": len(jobs),
            "tech_jobs_now": utcnow()}


# --------------------------------------------------------------------------- the steps


@bp.route("/<int:job_id>/accept", methods=["POST"])
@workers_only
def accept_job(job_id):
    """The technician takes the job."""
    return _step(job_id, "accept", lambda job: work.accept(current_user, job, version=_version()))


@bp.route("/<int:job_id>/depart", methods=["POST"])
@workers_only
def depart_job(job_id):
    """On the way to the job."""
    return _step(job_id, "depart", lambda job: work.depart(current_user, job, version=_version()))


def _arrive(job):
    """Resolve the scanned token to its label and record the arrival with it."""
    label, _status = places.resolve_token(request.form.get("token", "").strip())
    if label is None:
        raise DomainError(_("This is not a pmfield label. Scan the label on the point."), "token")
    work.arrive(current_user, job, label)


@bp.route("/<int:job_id>/arrive", methods=["POST"])
@workers_only
def arrive_job(job_id):
    """Record the arrival with the token of the label scanned at the point."""
    return _step(job_id, "arrive", _arrive)


@bp.route("/<int:job_id>/hold", methods=["POST"])
@workers_only
def hold_job(job_id):
    """Put the job on hold (waiting for parts...) with a reason."""
    return _step(job_id, "hold", lambda job: work.hold(
        current_user, job, request.form.get("reason", ""), version=_version()), ("reason",))


@bp.route("/<int:job_id>/resume", methods=["POST"])
@workers_only
def resume_job(job_id):
    """Take the job up again where it was put on hold."""
    return _step(job_id, "resume", lambda job: work.resume(current_user, job, version=_version()))


@bp.route("/<int:job_id>/note", methods=["POST"])
@workers_only
def add_note(job_id):
    """Add to the work notes."""
    return _step(job_id, "note", lambda job: work.add_note(
        current_user, job, request.form.get("work_notes", "")), ("work_notes",))


@bp.route("/<int:job_id>/materials", methods=["POST"])
@workers_only
def add_material(job_id):
    """Record a material from the site's catalogue and its quantity."""
    return _step(job_id, "material", lambda job: work.add_material(
        current_user, job, request.form.get("material"), request.form.get("quantity", "")),
        ("material", "quantity"))


@bp.route("/<int:job_id>/materials/<int:used_id>/remove", methods=["POST"])
@workers_only
def remove_material(job_id, used_id):
    """Take back a material entered by mistake."""
    return _step(job_id, "material_remove",
                 lambda job: work.remove_material(current_user, job, used_id))


def _add_photo(job):
    """Save the uploaded photo and attach it as a before or after photo."""
    phase = request.form.get("phase", "")
    if phase not in ("before", "after"):
        raise DomainError(_("Say whether the photo is from before or after the work."), "phase")
    # Refuse before storing the upload: someone else's job gets no stray photo.
    if not job.is_assigned_to(current_user):
        raise work.JobRefused(_("This job is not assigned to you."), "job")
    photo = photos.photo_from_request_file(request.files.get("photo"), user=current_user,
                                           site=job.site)
    work.add_photo(current_user, job, photo, phase)


@bp.route("/<int:job_id>/photos", methods=["POST"])
@workers_only
def add_photo(job_id):
    """Attach a before or after photo (field "phase")."""
    return _step(job_id, "photo", _add_photo, ("phase",))


@bp.route("/<int:job_id>/category", methods=["POST"])
@workers_only
def set_category(job_id):
    """Tick public / paid / free / other; paid work with its price."""
    return _step(job_id, "category", lambda job: work.set_category(
        current_user, job, request.form.get("category", ""), request.form.get("price", ""),
        version=_version()), ("category", "price"))


@bp.route("/<int:job_id>/price/accept", methods=["POST"])
@workers_only
def accept_price(job_id):
    """The customer accepted the price shown on the phone."""
    return _step(job_id, "price",
                 lambda job: work.accept_price(current_user, job, version=_version()))


def signature_bytes(form, files) -> bytes:
    """The PNG of the signature: the pad's data URL (field "signature"), else an uploaded file.

    Only the size and the data URL's form are checked here; work.sign checks the picture.

    :raises DomainError: a data URL that is not a base64 PNG, or too large.
    """
    text = (form.get("signature") or "").strip()
    if text:
        if len(text) > SIGNATURE_MAX_CHARS:
            raise DomainError(_("The signature image is too large."), "signature")
        if not text.startswith(SIGNATURE_DATA_URL):
            raise DomainError(_("The signature must be a PNG image."), "signature")
        try:
            return base64.b64decode(text[len(SIGNATURE_DATA_URL):], validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(_("The signature image could not be read."), "signature") \
                from None
    upload = files.get("signature")
    if upload is None or not upload.filename:
        return b""
    try:
        data = upload.stream.read(work.SIGNATURE_MAX_BYTES + 1)
    finally:
        upload.close()  # a large upload sits in a temporary file
    if len(data) > work.SIGNATURE_MAX_BYTES:
        raise DomainError(_("The signature image is too large."), "signature")
    return data


def _sign(job):
    """Store the customer's signature from the pad (or the uploaded PNG)."""
    # Someone else's job: refuse before reading the picture.
    if not job.is_assigned_to(current_user):
        raise work.JobRefused(_("This job is not assigned to you."), "job")
    work.sign(current_user, job, signature_bytes(request.form, request.files),
              request.form.get("signer_name", ""))


@bp.route("/<int:job_id>/signature", methods=["POST"])
@workers_only
def sign_job(job_id):
    """The customer's signature drawn on the screen (a PNG data URL) or uploaded."""
    return _step(job_id, "signature", _sign, ("signer_name",))


@bp.route("/<int:job_id>/close", methods=["POST"])
@workers_only
def close_job(job_id):
    """Close the job: after photos, category, price accepted, signature or why none."""
    return _step(job_id, "close", lambda job: work.close(
        current_user, job, customer_opinion=request.form.get("customer_opinion", ""),
        no_signature_reason=request.form.get("no_signature_reason", ""), version=_version()),
        ("customer_opinion", "no_signature_reason"))


# --------------------------------------------------------------------------- templates


@bp.app_template_global("job_categories")
def job_categories() -> list[tuple[str, str]]:
    """The category choices the technician ticks (公共/有偿/无偿/其他)."""
    return Category.choices()


# --------------------------------------------------------------------------- scanning


def _arrivals_at(user, label) -> list:
    """The user's jobs a scan of `label` can record the arrival of: the job at the label's
    point, else their jobs on the way that name no point (the scan tells where they are)."""
    # An assigned job too: its label page is kept for offline use before the technician
    # accepts, and accepted offline (queued on the phone) the page records the arrival.
    job = work.open_job_at(user, label) or work.open_job_at(user, label, (JobStatus.ASSIGNED,))
    if job is not None:
        return [job]
    return [job for job in work.my_jobs(user, label.point.site)
            if job.point_id is None and job.status_enum in ARRIVING]


def _scan_handler(user, label):
    """A technician opening the label of their job's point: record the arrival from the page."""
    if user.role not in JOB_WORKERS:
        return None
    jobs = _arrivals_at(user, label)
    if not jobs:
        return None
    return render_template("jobs/arrive.html", jobs=jobs, point=label.point,
                           token=places.label_token(label),
                           auto=len(jobs) == 1 and jobs[0].point_id == label.point_id)


def _offline_pages(user, site) -> list[str]:
    """With no signal a technician still has their jobs, and the labels of the jobs' points
    to scan on arrival."""
    urls = [url_for("jobs.my_jobs")]
    for job in work.my_jobs(user, site):
        urls.append(url_for("jobs.job_detail", job_id=job.id))
        label = job.point.current_label if job.point else None
        if label is not None:
            urls.append(url_for("places.scan_label", token=places.label_token(label)))
    return urls


register_scan_handler(_scan_handler)
register_home_panel(JOB_WORKERS, "jobs/_home_jobs.html", _home_jobs)
register_offline_pages(JOB_WORKERS, _offline_pages)
