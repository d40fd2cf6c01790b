"""The life of a repair job after intake: dispatch by the engineering supervisor, then the
technician's work on the phone up to the close.

Every change goes through `_move`, which checks the transition against TRANSITIONS, bumps the
job's version, and appends a JobEvent, so history is append-only and timestamped. Services
commit; a refused change raises DomainError (JobRefused for who-may-act problems, status 403)
and leaves the job as it was.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation

from flask_babel import gettext as _
from PIL import Image
from PIL import UnidentifiedImageError
from sqlalchemy import select

from pmfield.auth.models import User
from pmfield.auth.roles import JOB_DISPATCHERS
from pmfield.auth.roles import JOB_INTAKE
from pmfield.auth.roles import JOB_WORKERS
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.jobs.models import NOT_ARRIVED
from pmfield.jobs.models import Category
from pmfield.jobs.models import Discipline
from pmfield.jobs.models import Job
from pmfield.jobs.models import JobAssignment
from pmfield.jobs.models import JobEvent
from pmfield.jobs.models import JobMaterial
from pmfield.jobs.models import JobSignature
from pmfield.jobs.models import JobStatus
from pmfield.jobs.models import Material
from pmfield.jobs.models import Priority
from pmfield.jobs.services import settings_for
from pmfield.notifications import services as notifications
from pmfield.photos import services as photos
from pmfield.timeutil import utcnow

S = JobStatus
#: action → (states it may start from, state it ends in; None keeps the state).
TRANSITIONS: dict[str, tuple[frozenset, JobStatus | None]] = {
    "assign": (frozenset({S.NEW, S.ASSIGNED, S.ACCEPTED, S.ON_THE_WAY, S.ON_HOLD}), S.ASSIGNED),
    "accept": (frozenset({S.ASSIGNED}), S.ACCEPTED),
    "depart": (frozenset({S.ACCEPTED}), S.ON_THE_WAY),
    "arrive": (frozenset({S.ACCEPTED, S.ON_THE_WAY}), S.ON_SITE),
    "hold": (frozenset({S.ACCEPTED, S.ON_THE_WAY, S.ON_SITE}), S.ON_HOLD),
    "resume": (frozenset({S.ON_HOLD}), None),  # back to where it was put on hold
    "note": (frozenset({S.ON_SITE, S.ON_HOLD}), None),
    "material": (frozenset({S.ON_SITE, S.ON_HOLD}), None),
    "photo_before": (frozenset({S.ON_SITE}), None),
    "photo_after": (frozenset({S.ON_SITE}), None),
    "category": (frozenset({S.ON_SITE}), None),
    "price_accepted": (frozenset({S.ON_SITE}), None),
    "signature": (frozenset({S.ON_SITE}), None),
    "close": (frozenset({S.ON_SITE}), S.CLOSED),
    "cancel": (frozenset({S.NEW, S.ASSIGNED}), S.CANCELLED),
    "rework": (frozenset({S.CLOSED}), S.ASSIGNED),
}
#: Actions only the job's own technicians take.
TECHNICIAN_ACTIONS = frozenset(TRANSITIONS) - {"assign", "cancel", "rework"}
#: Photo owner kinds of a job's pictures.
BEFORE, AFTER, INTAKE = "job-before", "job-after", "job"
NOTE_MAX = 4000
REASON_MAX = 500
OPINION_MAX = 500
PRICE_MAX = Decimal("99999999.99")
QUANTITY_MAX = Decimal("99999.99")
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MIN_SIDE, SIGNATURE_MAX_SIDE = 100, 2000
#: A signature whose ink covers less than this share of the pad is taken as blank.
SIGNATURE_MIN_INK = 0.002


class JobRefused(DomainError):
    """The user may not act on this job (someone else's, or not their role)."""

    status = 403


# --------------------------------------------------------------------------- moving


def _refuse_transition(job: Job, action: str) -> DomainError:
    return DomainError(
        _("This cannot be done while the job is %(status)s.", status=job.status_enum.label),
        "status",
    )


def _move(job: Job, action: str, actor, now: datetime, *, note: str = "",
          details: dict | None = None, to: JobStatus | None = None) -> JobEvent:
    """Check `action` is allowed from the job's state; move it and record the event (flush)."""
    starts, ends = TRANSITIONS[action]
    if job.status_enum not in starts:
        raise _refuse_transition(job, action)
    before = job.status
    target = to or ends
    if target is not None:
        job.status = target.value
    job.version += 1
    event = JobEvent(at=now, actor=actor, action=action, from_status=before,
                     to_status=job.status if job.status != before else None, note=note,
                     details=details or {})
    job.events.append(event)
    db.session.flush()
    return event


def _check_version(job: Job, version) -> None:
    """Refuse a form sent from a page older than the job's last change."""
    if version in (None, ""):
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        version = -1
    if version != job.version:
        raise DomainError(
            _("Someone changed this job meanwhile. Look at it again and repeat if needed."),
            "version",
        )


def _technician_only(user, job: Job) -> None:
    if not job.is_assigned_to(user):
        raise JobRefused(_("This job is not assigned to you."), "job")


def _text(value, limit: int, field: str, *, required_message: str | None = None) -> str:
    value = (value or "").strip()
    if required_message and not value:
        raise DomainError(required_message, field)
    if len(value) > limit:
        raise DomainError(_("Use at most %(n)d characters.", n=limit), field)
    return value


# --------------------------------------------------------------------------- dispatch


def technicians_of(site) -> list[User]:
    """The active people of the site who can be sent to a job."""
    return notifications.users_with_roles(site, JOB_WORKERS)


@dataclass
class Dispatch:
    discipline: Discipline
    priority: Priority
    technicians: list[User]
    lead: User


def parse_dispatch(job: Job, form) -> Dispatch:
    """Read the dispatch form: discipline, priority, technicians (ids) and the lead's id.

    :raises DomainError: on the first missing or invalid value.
    """
    try:
        discipline = Discipline(form.get("discipline", ""))
    except ValueError:
        raise DomainError(_("Choose a discipline."), "discipline") from None
    try:
        priority = Priority(form.get("priority", ""))
    except ValueError:
        raise DomainError(_("Choose a priority."), "priority") from None
    known = {user.id: user for user in technicians_of(job.site)}
    chosen = []
    for raw in form.getlist("technician") if hasattr(form, "getlist") else form.get(
            "technician", []):
        try:
            user = known[int(raw)]
        except (TypeError, ValueError, KeyError):
            raise DomainError(_("Choose technicians of this site."), "technician") from None
        if user not in chosen:
            chosen.append(user)
    if not chosen:
        raise DomainError(_("Choose at least one technician."), "technician")
    lead_raw = form.get("lead") or chosen[0].id
    try:
        lead = known[int(lead_raw)]
    except (TypeError, ValueError, KeyError):
        raise DomainError(_("Choose the lead among the chosen technicians."), "lead") from None
    if lead not in chosen:
        raise DomainError(_("Choose the lead among the chosen technicians."), "lead")
    return Dispatch(discipline, priority, chosen, lead)


def assign(actor, job: Job, dispatch: Dispatch, *, version=None,
           now: datetime | None = None) -> Job:
    """The engineering supervisor sets discipline and priority and sends technicians. Commits.

    Re-assigning a job not yet on site replaces its team; the response target follows the
    priority, counted from the request.

    :raises JobRefused: the actor is not the site's engineering supervisor.
    :raises DomainError: the job is on site, closed or cancelled; a stale form.
    """
    if actor.role not in JOB_DISPATCHERS or not actor.can_access_site(job.site):
        raise JobRefused(_("Only the engineering supervisor assigns technicians."), "job")
    _check_version(job, version)
    now = now or utcnow()
    minutes = settings_for(job.site).response_minutes(dispatch.priority)
    job.discipline = dispatch.discipline.value
    job.priority = dispatch.priority.value
    job.respond_by = job.created_at + timedelta(minutes=minutes)
    job.assigned_at = now
    job.assigned_by = actor
    job.accepted_at = None
    job.departed_at = None
    wanted = {user.id for user in dispatch.technicians}
    for assignment in list(job.assignments):
        if assignment.user_id not in wanted:
            job.assignments.remove(assignment)
    have = {assignment.user_id for assignment in job.assignments}
    for user in dispatch.technicians:
        if user.id not in have:
            job.assignments.append(JobAssignment(user_id=user.id, assigned_at=now))
    db.session.flush()
    for assignment in job.assignments:
        assignment.is_lead = assignment.user_id == dispatch.lead.id
    _move(job, "assign", actor, now, details={
        "discipline": job.discipline, "priority": job.priority,
        "technicians": [user.id for user in dispatch.technicians], "lead": dispatch.lead.id,
    })
    _notify_assigned(job, dispatch.technicians)
    db.session.commit()
    return job


def _notify_assigned(job: Job, users) -> None:
    notifications.notify(users, kind="job.assigned", key=f"job-assigned:{job.id}:{job.version}",
           site=job.site, params={"number": job.number}, url=f"/jobs/{job.id}")


def cancel(actor, job: Job, reason: str, *, now: datetime | None = None) -> Job:
    """Cancel a request that was never started (a duplicate, withdrawn). Commits.

    :raises JobRefused: the actor is not one who takes in requests (desk, engineering, manager).
    """
    if actor.role not in JOB_INTAKE or not actor.can_access_site(job.site):
        raise JobRefused(_("Only the service desk, engineering or the manager cancel requests."),
                         "job")
    reason = _text(reason, REASON_MAX, "reason",
                   required_message=_("Say why the request is cancelled."))
    _move(job, "cancel", actor, now or utcnow(), note=reason)
    db.session.commit()
    return job


# --------------------------------------------------------------------------- technician


def _start(user, job: Job, version, now: datetime | None) -> datetime:
    """Checks every technician step makes first; returns the time of the step."""
    _technician_only(user, job)
    _check_version(job, version)
    return now or utcnow()


def accept(user, job: Job, *, version=None, now: datetime | None = None) -> Job:
    """The technician takes the job. Commits."""
    now = _start(user, job, version, now)
    job.accepted_at = now
    _move(job, "accept", user, now)
    db.session.commit()
    return job


def depart(user, job: Job, *, version=None, now: datetime | None = None) -> Job:
    """On the way to the job. Commits."""
    now = _start(user, job, version, now)
    job.departed_at = now
    _move(job, "depart", user, now)
    db.session.commit()
    return job


def arrive(user, job: Job, label, *, now: datetime | None = None) -> Job:
    """Arrival, proven by scanning the label of the job's point (or of its equipment). Commits.

    :raises DomainError: a label of another point, a revoked label, or a job not on its way.
    """
    _technician_only(user, job)
    now = now or utcnow()
    if job.status_enum == S.ON_SITE and job.arrival_label_id == label.id:
        return job  # the same scan sent twice
    if label.revoked_at is not None:
        raise DomainError(_("This label was revoked. Scan the label that is on it now."), "token")
    if job.point_id is not None and label.point_id != job.point_id:
        raise DomainError(
            _("This is the label of %(code)s; the job is at %(job_code)s.",
              code=label.point.code, job_code=job.point.code), "token")
    if job.point_id is None and label.point.site_id != job.site_id:
        raise DomainError(_("This label belongs to another site."), "token")
    job.arrived_at = now
    job.arrival_label_id = label.id
    if job.point_id is None:
        job.point_id = label.point_id
    _move(job, "arrive", user, now, details={"label": label.id})
    db.session.commit()
    return job


def hold(user, job: Job, reason: str, *, version=None, now: datetime | None = None) -> Job:
    """Put the job on hold (waiting for parts...) with a reason. Commits."""
    now = _start(user, job, version, now)
    reason = _text(reason, REASON_MAX, "reason",
                   required_message=_("Say why the job is on hold."))
    job.hold_reason = reason
    _move(job, "hold", user, now, note=reason, details={"was": job.status})
    db.session.commit()
    return job


def resume(user, job: Job, *, version=None, now: datetime | None = None) -> Job:
    """Take the job up again where it was put on hold. Commits."""
    now = _start(user, job, version, now)
    was = S.ON_SITE if job.arrived_at is not None else S.ACCEPTED
    job.hold_reason = ""
    _move(job, "resume", user, now, to=was)
    db.session.commit()
    return job


def _price_first(job: Job) -> None:
    """Paid work goes on only once the customer has accepted the price."""
    if price_blocks_work(job):
        raise DomainError(_("The customer must accept the price before the work goes on."),
                          "price")


def add_note(user, job: Job, text: str, *, now: datetime | None = None) -> Job:
    """Add to the work notes (what was found, what was done). Commits."""
    _technician_only(user, job)
    _price_first(job)
    text = _text(text, NOTE_MAX, "work_notes", required_message=_("Write the note first."))
    now = now or utcnow()
    _move(job, "note", user, now, note=text)
    combined = f"{job.work_notes}\n{text}".strip() if job.work_notes else text
    if len(combined) > NOTE_MAX * 4:
        raise DomainError(_("The work notes are full."), "work_notes")
    job.work_notes = combined
    db.session.commit()
    return job


def parse_quantity(raw) -> Decimal:
    try:
        quantity = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter the quantity as a number, e.g. 2 or 1.5."), "quantity") \
            from None
    if not quantity.is_finite() or quantity <= 0 or quantity > QUANTITY_MAX:
        raise DomainError(_("Enter a quantity above 0."), "quantity")
    if quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_("Use at most two decimals."), "quantity")
    return quantity


def add_material(user, job: Job, material_id, quantity, *, now: datetime | None = None
                 ) -> JobMaterial:
    """Record a material used, from the site's catalogue. Commits."""
    _technician_only(user, job)
    _price_first(job)
    try:
        material_id = int(material_id)
    except (TypeError, ValueError):
        material_id = 0
    material = db.session.get(Material, material_id) if is_valid_id(material_id) else None
    if material is None or material.site_id != job.site_id or not material.active:
        raise DomainError(_("Choose a material from the list."), "material")
    quantity = parse_quantity(quantity)
    now = now or utcnow()
    _move(job, "material", user, now,
          details={"material": material.id, "quantity": str(quantity)})
    used = JobMaterial(material=material, quantity=quantity, added_by=user, added_at=now)
    job.materials.append(used)
    db.session.commit()
    return used


def remove_material(user, job: Job, used_id, *, now: datetime | None = None) -> None:
    """Take back a material entered by mistake (the history keeps both). Commits."""
    _technician_only(user, job)
    used = next((m for m in job.materials if m.id == used_id), None)
    if used is None:
        raise DomainError(_("This material is not on the job."), "material")
    _move(job, "material", user, now or utcnow(),
          details={"removed": used.material_id, "quantity": str(used.quantity)})
    job.materials.remove(used)
    db.session.commit()


def add_photo(user, job: Job, photo, phase: str, *, now: datetime | None = None) -> None:
    """Attach a before or after photo the technician took. Commits."""
    _technician_only(user, job)
    if photo is None:
        raise DomainError(_("Take or choose a photo first."), "photo")
    kind = {"before": BEFORE, "after": AFTER}[phase]
    if phase == "after":
        _price_first(job)
    _move(job, f"photo_{phase}", user, now or utcnow(), details={"photo": photo.id})
    photos.attach_photo(photo, kind, job.id, user=user, site=job.site)
    db.session.commit()


def parse_price(raw) -> Decimal:
    text = str(raw or "").strip().replace(",", ".").lstrip("¥").strip()
    if not text:
        raise DomainError(_("Enter the price for paid work."), "price")
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("Enter the price as a number, e.g. 80 or 35.50."), "price") from None
    if not price.is_finite() or price <= 0 or price > PRICE_MAX:
        raise DomainError(_("Enter a price above 0."), "price")
    if price != price.quantize(Decimal("0.01")):
        raise DomainError(_("Use at most two decimals."), "price")
    return price


def set_category(user, job: Job, category, price=None, *, version=None,
                 now: datetime | None = None) -> Job:
    """Tick public / paid / free / other; paid work needs its price. Commits.

    A new price (or a change to paid) clears an earlier acceptance: the customer must accept
    the price that is on the job.
    """
    _technician_only(user, job)
    _check_version(job, version)
    try:
        category = Category(category)
    except ValueError:
        raise DomainError(_("Tick the category of the work."), "category") from None
    new_price = parse_price(price) if category == Category.PAID else None
    now = now or utcnow()
    _move(job, "category", user, now, details={
        "category": category.value, "price": str(new_price) if new_price else None})
    if job.category != category.value or job.price != new_price:
        job.price_accepted_at = None
    job.category = category.value
    job.price = new_price
    db.session.commit()
    return job


def accept_price(user, job: Job, *, version=None, now: datetime | None = None) -> Job:
    """The customer accepted the price shown on the technician's phone. Commits."""
    _technician_only(user, job)
    _check_version(job, version)
    if job.category != Category.PAID.value or job.price is None:
        raise DomainError(_("Only paid work has a price to accept."), "price")
    now = now or utcnow()
    _move(job, "price_accepted", user, now, details={"price": str(job.price)})
    job.price_accepted_at = now
    db.session.commit()
    return job


def price_blocks_work(job: Job) -> bool:
    """Paid work cannot go on until the customer accepted the price."""
    return job.category == Category.PAID.value and job.price_accepted_at is None


def verify_signature(data: bytes) -> tuple[bytes, int, int]:
    """Check a drawn signature is a real, non-blank PNG of sane size; return it re-encoded.

    :raises DomainError: not a PNG, too large, too small or too big a pad, or blank.
    """
    if not data:
        raise DomainError(_("Ask the customer to sign first."), "signature")
    if len(data) > SIGNATURE_MAX_BYTES:
        raise DomainError(_("The signature image is too large."), "signature")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise DomainError(_("The signature must be a PNG image."), "signature")
            width, height = image.size
            if not (SIGNATURE_MIN_SIDE <= width <= SIGNATURE_MAX_SIDE
                    and SIGNATURE_MIN_SIDE // 2 <= height <= SIGNATURE_MAX_SIDE):
                raise DomainError(_("The signature pad size is not valid."), "signature")
            image.load()
            gray = image.convert("RGBA")
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DomainError(_("The signature image could not be read."), "signature") from None
    # Ink: opaque pixels darker than mid-grey (the pad is white or transparent).
    background = Image.new("RGBA", gray.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(background, gray).convert("L")
    histogram = flat.histogram()
    ink = sum(histogram[:128])
    if ink < SIGNATURE_MIN_INK * width * height:
        raise DomainError(_("The signature is empty. Ask the customer to sign."), "signature")
    out = io.BytesIO()
    flat.point(lambda v: 0 if v < 128 else 255).convert("1").save(out, "PNG", optimize=True)
    return out.getvalue(), width, height


def sign(user, job: Job, data: bytes, signer_name: str = "", *,
         now: datetime | None = None) -> JobSignature:
    """Store the customer's signature (replacing one signed before on this visit). Commits."""
    _technician_only(user, job)
    signer_name = _text(signer_name, 80, "signer_name")
    png, width, height = verify_signature(data)
    now = now or utcnow()
    _move(job, "signature", user, now, details={"signer": signer_name})
    if job.signature is None:
        job.signature = JobSignature(png=png, width=width, height=height,
                                     signer_name=signer_name, signed_at=now)
    else:
        job.signature.png, job.signature.width, job.signature.height = png, width, height
        job.signature.signer_name, job.signature.signed_at = signer_name, now
    job.no_signature_reason = ""
    db.session.commit()
    return job.signature


def photos_of_job(job: Job) -> dict[str, list]:
    return {"intake": photos.photos_of(INTAKE, job.id), "before": photos.photos_of(BEFORE, job.id),
            "after": photos.photos_of(AFTER, job.id)}


def close_problems(job: Job, *, no_signature_reason: str = "") -> list[tuple[str, str]]:
    """What still stops the job from closing, as (field, message) pairs."""
    problems = []
    if not photos.photos_of(AFTER, job.id):
        problems.append(("photo", _("Add at least one after photo.")))
    if job.category is None:
        problems.append(("category", _("Tick the category of the work.")))
    elif price_blocks_work(job):
        problems.append(("price", _("The customer has not accepted the price.")))
    if job.signature is None and not (no_signature_reason or "").strip():
        problems.append(("signature",
                         _("Get the customer's signature or say why there is none.")))
    return problems


def close(user, job: Job, *, customer_opinion: str = "", no_signature_reason: str = "",
          version=None, now: datetime | None = None) -> Job:
    """Close the job: after photos, the category (and accepted price), a signature or the
    reason for none. Creates the desk's callback. Commits.

    :raises DomainError: the first thing missing (close_problems), or not on site.
    """
    _technician_only(user, job)
    _check_version(job, version)
    if job.status_enum != S.ON_SITE:
        raise _refuse_transition(job, "close")
    customer_opinion = _text(customer_opinion, OPINION_MAX, "customer_opinion")
    no_signature_reason = _text(no_signature_reason, 300, "no_signature_reason")
    problems = close_problems(job, no_signature_reason=no_signature_reason)
    if problems:
        field, message = problems[0]
        raise DomainError(message, field)
    now = now or utcnow()
    job.customer_opinion = customer_opinion
    job.no_signature_reason = "" if job.signature is not None else no_signature_reason
    job.closed_at = now
    job.closed_by = user
    _move(job, "close", user, now, note=customer_opinion)
    from pmfield.jobs import callbacks

    callbacks.on_job_closed(job, now)
    db.session.commit()
    return job


def reopen_as_rework(job: Job, actor, note: str, now: datetime) -> None:
    """An unsatisfied customer: the job goes back to its technicians as rework (flush only)."""
    job.rework_count += 1
    job.closed_at = None
    job.closed_by = None
    job.arrived_at = None
    job.accepted_at = None
    job.departed_at = None
    job.arrival_label_id = None
    job.respond_by = now + _rework_target(job)
    _move(job, "rework", actor, now, note=note)
    _notify_assigned(job, job.technicians)


def _rework_target(job):
    """A leftover defect is fixed at once: the urgent target from the complaint."""
    return timedelta(minutes=settings_for(job.site).response_minutes(Priority.URGENT))


def my_jobs(user, site) -> list[Job]:
    """A technician's open jobs, most urgent first, then the one due soonest."""
    from pmfield.jobs.models import OPEN_STATES
    from pmfield.jobs.models import PRIORITY_RANK

    if site is None:
        return []
    jobs = db.session.scalars(
        select(Job)
        .join(JobAssignment, JobAssignment.job_id == Job.id)
        .where(JobAssignment.user_id == user.id, Job.site_id == site.id,
               Job.status.in_([s.value for s in OPEN_STATES]))
    ).unique().all()
    far = datetime.max.replace(tzinfo=utcnow().tzinfo)
    return sorted(jobs, key=lambda j: (PRIORITY_RANK[j.priority_enum], j.respond_by or far,
                                       j.id))


def open_job_at(user, label, statuses=(S.ACCEPTED, S.ON_THE_WAY)) -> Job | None:
    """The user's job that is waiting for them at the label's point, if any."""
    return db.session.scalars(
        select(Job)
        .join(JobAssignment, JobAssignment.job_id == Job.id)
        .where(JobAssignment.user_id == user.id, Job.point_id == label.point_id,
               Job.status.in_([status.value for status in statuses]))
        .order_by(Job.respond_by, Job.id)
    ).first()


def escalate_overdue(now: datetime | None = None) -> int:
    """Notify the engineering supervisor and the manager of jobs past their response target
    with nobody on site; once per job and rework round. Flush; returns notifications made."""
    now = now or utcnow()
    late = db.session.scalars(
        select(Job).where(Job.status.in_([s.value for s in NOT_ARRIVED]),
                          Job.respond_by < now)
    ).all()
    made = 0
    for job in late:
        people = notifications.users_with_roles(
            job.site, [Role.ENGINEERING_SUPERVISOR, Role.MANAGER])
        made += notifications.notify(
            people, kind="job.overdue", key=f"job-overdue:{job.id}:{job.rework_count}",
            site=job.site, params={"number": job.number, "priority": job.priority},
            url=f"/jobs/{job.id}")
    return made


# --------------------------------------------------------------------------- registrations


def _can_view_job_photo(user, job_id: int) -> bool:
    from pmfield.jobs.services import can_view_job

    job = db.session.get(Job, job_id)
    return job is not None and can_view_job(user, job)


def render_assigned(params: dict) -> str:
    return _("Job %(number)s is assigned to you.", number=params.get("number", "?"))


def render_overdue(params: dict) -> str:
    return _("Job %(number)s is past its response target and nobody is on site.",
             number=params.get("number", "?"))


for _kind in (INTAKE, BEFORE, AFTER):
    photos.register_owner(_kind, _can_view_job_photo)
notifications.register_kind("job.assigned", render_assigned)
notifications.register_kind("job.overdue", render_overdue)
