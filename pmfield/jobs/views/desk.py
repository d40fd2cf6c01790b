"""Repair jobs for the desk and the engineering supervisor: intake, the list with its timers,
one job's page, dispatch, cancel, field fault reports and the site's response targets."""

from flask import Response
from flask import abort
from flask import current_app
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from pmfield.auth.roles import CALLBACK_RECORDERS
from pmfield.auth.roles import FAULT_REPORTERS
from pmfield.auth.roles import JOB_DISPATCHERS
from pmfield.auth.roles import JOB_INTAKE
from pmfield.auth.roles import JOB_MANAGERS
from pmfield.auth.roles import JOB_READERS
from pmfield.auth.roles import Role
from pmfield.core.services import register_home_panel
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs import bp
from pmfield.jobs import callbacks
from pmfield.jobs import catalogue
from pmfield.jobs import forms
from pmfield.jobs import reports
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import Callback
from pmfield.jobs.models import CallbackMethod
from pmfield.jobs.models import Channel
from pmfield.jobs.models import Discipline
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import Priority
from pmfield.jobs.models import Satisfaction
from pmfield.patrol.reports import parse_month
from pmfield.photos import services as photos
from pmfield.places import services as places
from pmfield.places.views import register_point_panel
from pmfield.timeutil import utcnow
from pmfield.web.context import current_site
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required
from pmfield.web.security import signed_in

job_readers_only = roles_required(*JOB_READERS)
#: The patrol incident page; linked only once the patrol feature serves it.
INCIDENT_ENDPOINT = "patrol.incident_detail"
LIST_VIEWS = ("open", "new", "late", "closed", "all")
#: Photos a request can carry from the desk's form or a field report.
INTAKE_PHOTOS = 3


def incident_url(job) -> str | None:
    """Return the link to the incident a job came from, when there is one and a page for it."""
    if job.incident_id is None or INCIDENT_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(INCIDENT_ENDPOINT, incident_id=job.incident_id)


@bp.app_template_filter("job_timer")
def job_timer(job, now) -> str:
    """"Due in 4 min" / "Late by 1 h 12 min" for a job not on site yet; "" otherwise."""
    left = job.time_left(now)
    if left is None:
        return ""
    minutes = int(abs(left.total_seconds()) // 60)
    hours, rest = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        span = _("%(d)d d %(h)d h", d=days, h=hours)
    elif hours:
        span = _("%(h)d h %(m)d min", h=hours, m=rest)
    else:
        span = _("%(m)d min", m=rest)
    return _("Late by %(span)s", span=span) if left.total_seconds() < 0 else _(
        "On site within %(span)s", span=span)


def _site_or_404():
    site = current_site()
    if site is None:
        abort(404)
    return site


def _job_or_404(job_id):
    job = services.get_job_for_user(current_user, job_id)
    if job is None:
        abort(404)
    return job


def _errors(error: DomainError) -> dict:
    return {error.field or "form": error.message}


# --------------------------------------------------------------------------- list


@bp.route("/")
@job_readers_only
def list_jobs():
    """The site's jobs by tab (open, to dispatch, late, closed, all), timers on each."""
    site = current_site()
    page = max(request.args.get("page", 1, type=int), 1)
    view = request.args.get("view", "")
    view = view if view in LIST_VIEWS else "open"
    # Kept for old links: ?status=new was the only filter before the tabs.
    if request.args.get("status") == JobStatus.NEW.value:
        view = "new"
    jobs, total = services.list_filtered(current_user, site, view, page=page)
    return render_page(
        "jobs/index.html",
        "jobs/_job_rows.html",
        site=site,
        jobs=jobs,
        total=total,
        view=view,
        views=LIST_VIEWS,
        page=page,
        has_more=page * services.PAGE_SIZE < total,
        incident_url=incident_url,
        now=utcnow(),
        can_take_in=current_user.role in JOB_INTAKE,
        can_call_back=current_user.role in CALLBACK_RECORDERS,
        can_manage=current_user.role in JOB_MANAGERS,
        callbacks_due=len(callbacks.open_callbacks(site)) if site is not None else 0,
    )


def _home_summary(user, site) -> dict:
    return {"job_summary": services.desk_summary(site), "job_can_take_in": user.role in JOB_INTAKE,
            "callbacks_due": len(callbacks.open_callbacks(site))
            if user.role in CALLBACK_RECORDERS else None}


register_home_panel(JOB_READERS - {Role.ADMIN}, "jobs/_home_summary.html", _home_summary)


# --------------------------------------------------------------------------- intake


def _intake_page(site, *, data=None, errors=None, status=200):
    return render_page(
        "jobs/new.html", "jobs/_intake_form.html", status=status, site=site,
        data=data or {"channel": Channel.PHONE.value, "priority": Priority.NORMAL.value},
        errors=errors or {}, channels=Channel.choices(), priorities=Priority.choices(),
        points=services.point_choices(site), max_photos=INTAKE_PHOTOS,
    )


def _request_photos(site, names) -> list:
    """Save the photos sent with a request form (each input named photo1..photoN)."""
    saved = []
    for name in names:
        photo = photos.photo_from_request_file(request.files.get(name), user=current_user,
                                               site=site)
        if photo is not None:
            saved.append(photo)
    return saved


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*JOB_INTAKE)
def create_job():
    """The desk's form: who called, where, what, how, by when; a job in state new."""
    site = _site_or_404()
    if request.method == "GET":
        data = {"channel": Channel.PHONE.value, "priority": Priority.NORMAL.value}
        point = places.get_point_for_user(current_user, request.args.get("point", type=int))
        if point is not None and point.site_id == site.id:
            data["point_code"] = f"{point.code} · {point.name}"
        return _intake_page(site, data=data)
    data = {}
    try:
        data, kwargs = forms.parse_intake(request.form, current_user, site)
        saved = _request_photos(site, [f"photo{n}" for n in range(1, INTAKE_PHOTOS + 1)])
        job = services.take_in(current_user, site, photos=saved, source=JobSource.DESK,
                               **kwargs)
    except DomainError as error:
        db.session.rollback()
        data = data or {name: request.form.get(name, "") for name in forms.INTAKE_FIELDS}
        if error.field == "point":
            error.field = "point_code"  # the form's name for the point
        return _intake_page(site, data=data, errors=_errors(error), status=422)
    return redirect_to("jobs.job_detail", job_id=job.id)


def _report_page(point, *, data=None, errors=None, status=200):
    return render_page(
        "jobs/report.html", "jobs/_report_form.html", status=status, point=point,
        data=data or {}, errors=errors or {},
    )


@bp.route("/report/<int:point_id>", methods=["GET", "POST"])
@roles_required(*FAULT_REPORTERS)
def report_fault(point_id):
    """"Report a fault" from a point's page: a staff report from the field, with a photo."""
    point = places.get_point_for_user(current_user, point_id)
    if point is None or point.is_retired:
        abort(404)
    if request.method == "GET":
        return _report_page(point)
    data = {"description": request.form.get("description", "")}
    try:
        saved = _request_photos(point.site, ["photo"])
        job = services.take_in(current_user, point.site, photos=saved, source=JobSource.FIELD,
                               channel=Channel.STAFF, point=point,
                               description=data["description"])
    except DomainError as error:
        db.session.rollback()
        return _report_page(point, data=data, errors=_errors(error), status=422)
    return render_page("jobs/reported.html", "jobs/_reported.html", status=201, job=job)


def _fault_panel(user, point) -> dict | None:
    """Every point's page offers "report a fault"; equipment shows its open jobs too."""
    if user.role not in FAULT_REPORTERS or point.is_retired:
        return None
    return {"point": point, "can_take_in": user.role in JOB_INTAKE}


register_point_panel("jobs/_report_panel.html", _fault_panel)


# --------------------------------------------------------------------------- one job


def render_job(job, *, errors=None, data=None, status=200):
    """The job's page (or its fragment) for whoever looks at it, with the actions they have."""
    now = utcnow()
    can_work = job.is_assigned_to(current_user)
    return render_page(
        "jobs/detail.html", "jobs/_job.html", status=status,
        job=job, now=now, errors=errors or {}, data=data or {},
        incident_url=incident_url(job),
        photos=work.photos_of_job(job),
        can_dispatch=current_user.role in JOB_DISPATCHERS
        and job.status_enum in work.TRANSITIONS["assign"][0],
        can_cancel=current_user.role in JOB_INTAKE
        and job.status_enum in work.TRANSITIONS["cancel"][0],
        can_work=can_work,
        can_call_back=current_user.role in CALLBACK_RECORDERS,
        technicians=work.technicians_of(job.site) if current_user.role in JOB_DISPATCHERS
        else [],
        disciplines=Discipline.choices(), priorities=Priority.choices(),
        materials=_materials(job) if can_work else [],
        close_problems=work.close_problems(job) if can_work
        and job.status_enum == JobStatus.ON_SITE else [],
        is_repeat=callbacks.is_repeat(job, now),
        callback_methods=CallbackMethod.choices(), satisfactions=Satisfaction.choices(),
    )


def _materials(job):
    return catalogue.list_materials(job.site)


@bp.route("/<int:job_id>")
@signed_in
def job_detail(job_id):
    """One job: the request, the dispatch, the work, the history and the callbacks."""
    return render_job(_job_or_404(job_id))


@bp.route("/<int:job_id>/assign", methods=["POST"])
@roles_required(*JOB_DISPATCHERS)
def assign_job(job_id):
    """The engineering supervisor's dispatch. The desk never gets here: 403 by role."""
    job = _job_or_404(job_id)
    data = {"discipline": request.form.get("discipline", ""),
            "priority": request.form.get("priority", ""),
            "technician": request.form.getlist("technician"),
            "lead": request.form.get("lead", "")}
    try:
        work.assign(current_user, job, work.parse_dispatch(job, request.form),
                    version=request.form.get("version"))
    except work.JobRefused:
        abort(403)
    except DomainError as error:
        db.session.rollback()
        return render_job(job, errors=_errors(error), data=data, status=422)
    return render_job(job)


@bp.route("/<int:job_id>/cancel", methods=["POST"])
@roles_required(*JOB_INTAKE)
def cancel_job(job_id):
    """Withdraw a request nobody started on (a duplicate, the caller fixed it)."""
    job = _job_or_404(job_id)
    data = {"reason": request.form.get("reason", "")}
    try:
        work.cancel(current_user, job, data["reason"])
    except work.JobRefused:
        abort(403)
    except DomainError as error:
        db.session.rollback()
        return render_job(job, errors=_errors(error), data=data, status=422)
    return render_job(job)


# --------------------------------------------------------------------------- callbacks


def _callbacks_page(site, **extra):
    return render_page(
        "jobs/callbacks.html", "jobs/_callbacks.html", site=site, now=utcnow(),
        due=callbacks.open_callbacks(site), done=callbacks.recent_callbacks(site), **extra,
    )


@bp.route("/callbacks")
@roles_required(*CALLBACK_RECORDERS)
def list_callbacks():
    """The callbacks the desk owes (most overdue first) and the last ones recorded."""
    return _callbacks_page(_site_or_404())


def _callback_or_404(callback_id) -> Callback:
    callback = callbacks.get_callback_for_user(current_user, callback_id)
    if callback is None:
        abort(404)
    return callback


def _callback_page(callback, *, errors=None, data=None, status=200):
    return render_page(
        "jobs/callback.html", "jobs/_callback.html", status=status, callback=callback,
        job=callback.job, now=utcnow(), errors=errors or {}, data=data or {},
        methods=CallbackMethod.choices(), satisfactions=Satisfaction.choices(),
    )


@bp.route("/callbacks/<int:callback_id>", methods=["GET", "POST"])
@roles_required(*CALLBACK_RECORDERS)
def record_callback(callback_id):
    """Call the customer back and record what they said; unsatisfied means rework."""
    callback = _callback_or_404(callback_id)
    if request.method == "GET":
        return _callback_page(callback)
    data = {name: request.form.get(name, "") for name in ("method", "satisfaction", "comments")}
    try:
        callbacks.record(current_user, callback, **callbacks.parse_outcome(request.form))
    except DomainError as error:
        db.session.rollback()
        return _callback_page(callback, errors=_errors(error), data=data, status=422)
    return _callback_page(callback)


# --------------------------------------------------------------------------- settings


SETTING_NAMES = tuple(services.SETTING_LIMITS)


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*JOB_MANAGERS)
def job_settings():
    """The site's response targets per priority and the callback rules."""
    site = _site_or_404()
    settings = services.settings_for(site)
    errors, status, saved = {}, 200, False
    data = {name: getattr(settings, name) for name in SETTING_NAMES}
    if request.method == "POST":
        data = {name: request.form.get(name, "") for name in SETTING_NAMES}
        try:
            services.update_settings(site, data, actor=current_user)
            saved = True
        except DomainError as error:
            db.session.rollback()
            errors, status = _errors(error), 422
    return render_page("jobs/settings.html", "jobs/_settings_form.html", status=status,
                       site=site, data=data, errors=errors, saved=saved)


# --------------------------------------------------------------------------- finance


@bp.route("/paid.csv")
@roles_required(*JOB_MANAGERS)
def export_paid():
    """The month's paid jobs with their prices, for finance (?month=YYYY-MM)."""
    site = _site_or_404()
    try:
        first = parse_month(request.args.get("month"), places.site_today(site))
    except DomainError as error:
        return Response(error.message + "\n", status=422, mimetype="text/plain")
    response = Response(reports.paid_jobs_csv(site, first), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="paid-jobs-{site.code}-{first:%Y-%m}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
