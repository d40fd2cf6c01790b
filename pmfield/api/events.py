"""The event types the phone's outbox sends, each a thin call into its feature's services.

Handlers take (user, data, context, key) and return (201, body); a refusal raises DomainError
(422, or 403 when it is about who acts) and is stored as the event's answer.
"""

import base64
import binascii
import math

from flask_babel import gettext as _
from sqlalchemy import select

from pmfield.api.models import IdempotencyKey
from pmfield.api.services import ApiError
from pmfield.api.services import EventType
from pmfield.api.services import parse_time
from pmfield.api.services import register_event_type
from pmfield.auth.roles import Role
from pmfield.checklists import inspections
from pmfield.checklists import services as checklists
from pmfield.checklists.models import ItemResultValue
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.jobs import callbacks
from pmfield.jobs import services as job_services
from pmfield.jobs import work
from pmfield.patrol import checkins
from pmfield.patrol import handovers
from pmfield.patrol import incidents
from pmfield.patrol.models import IncidentKind
from pmfield.photos import services as photos
from pmfield.places import services as places

STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time",
        "description": "ISO 8601 with offset, by the phone's clock"}
NUMBER = {"type": "number"}


def _phone_time(context, data, name: str):
    """The event's time `name`, by the phone's clock, corrected to the server's."""
    return context.server_time(parse_time(data.get(name), name), name)


def _forbidden_if_about_who(refusal: checkins.CheckInRefused) -> DomainError:
    if refusal.reason in ("site", "role"):
        refusal.status = 403
    return refusal


def _position(data, name: str) -> float | None:
    """A coordinate or accuracy, as the float the check-in stores (and hashes into the chain:
    an int would hash as 31 and verify as 31.0). NaN, infinity and true/false are no number."""
    value = data.get(name)
    if value is None:
        return None
    number = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            number = None
    if number is None or not math.isfinite(number):
        raise ApiError(422, _("%(field)s must be a number.", field=name), name)
    return number


def patrol_checkin(user, data, context, key):
    """A guard's scan, maybe made offline hours ago: it counts at the phone's scan time,
    corrected by the clock offset measured at this sync, and is flagged when that offset is
    beyond the site's tolerance."""
    scanned_at = _phone_time(context, data, "scanned_at")
    token = data.get("token")
    if not isinstance(token, str):
        raise ApiError(422, _("%(field)s must be text.", field="token"), "token")
    position = {name: _position(data, name) for name in ("latitude", "longitude", "accuracy_m")}
    try:
        result = checkins.record_check_in(
            user, token, source="sync", client_id=key, device_time=context.device_now,
            scanned_at=scanned_at, now=context.received_at, **position)
    except checkins.CheckInRefused as refusal:
        raise _forbidden_if_about_who(refusal) from None
    check_in = result.check_in
    return 201, {
        "checkin": {
            "id": check_in.id,
            "point": check_in.point.code,
            "scanned_at": check_in.scanned_at.isoformat(),
            "flags": [str(flag) for flag in result.flags],
            "runs": [match.run.id for match in result.matches],
        }
    }


def _id(data, name: str) -> int | None:
    """The id of a record the event names (None when it names none): a whole number; a text,
    a fraction or true/false is refused rather than looked up."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, _("%(field)s must be a whole number.", field=name), name)
    return value


def _text(data, name: str) -> str:
    """A text field of the event: "" when not given; a number or a list is refused."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(422, _("%(field)s must be text.", field=name), name)
    return value


def _job(user, data):
    job_id = _id(data, "job")
    job = job_services.get_job_for_user(user, job_id) if job_id is not None else None
    if job is None:
        raise ApiError(404, _("No such job."), "job")
    return job


def _job_answer(job):
    return 201, {"job": {"id": job.id, "number": job.number, "status": job.status,
                         "version": job.version}}


def _job_step(step):
    def handler(user, data, context, key):
        job = _job(user, data)
        step(user, job, data, context)
        return _job_answer(job)
    return handler


def _arrive(user, job, data, context):
    label, status = places.resolve_token(data.get("token"))
    if label is None:
        raise DomainError(_("This is not one of our labels."), "token")
    work.arrive(user, job, label, now=_phone_time(context, data, "scanned_at")
                if "scanned_at" in data else context.done_at)


def _close(user, job, data, context):
    work.close(user, job, customer_opinion=_text(data, "customer_opinion"),
               no_signature_reason=_text(data, "no_signature_reason"),
               now=context.done_at)


def callback_record(user, data, context, key):
    callback_id = _id(data, "callback")
    callback = callbacks.get_callback_for_user(user, callback_id) if callback_id is not None \
        else None
    if callback is None:
        raise ApiError(404, _("No such callback."), "callback")
    outcome = callbacks.parse_outcome(data)
    callbacks.record(user, callback, now=context.done_at, **outcome)
    return 201, {"callback": {"id": callback.id, "job": callback.job_id,
                              "satisfaction": callback.satisfaction}}


JOB = {"type": "integer", "description": "The job's id"}

register_event_type(EventType(
    "patrol.checkin", "A patrol check-in: the label scanned and when.",
    {"token": STRING, "scanned_at": TIME, "latitude": NUMBER, "longitude": NUMBER,
     "accuracy_m": NUMBER},
    patrol_checkin, required=("token", "scanned_at"),
))
register_event_type(EventType(
    "job.accept", "The technician accepts the job.", {"job": JOB},
    _job_step(lambda user, job, data, context: work.accept(user, job, now=context.done_at)),
    required=("job",),
))
register_event_type(EventType(
    "job.depart", "On the way to the job.", {"job": JOB},
    _job_step(lambda user, job, data, context: work.depart(user, job, now=context.done_at)),
    required=("job",),
))
register_event_type(EventType(
    "job.arrive", "Arrival, proven by scanning the label of the job's point.",
    {"job": JOB, "token": STRING, "scanned_at": TIME}, _job_step(_arrive),
    required=("job", "token"),
))
register_event_type(EventType(
    "job.hold", "Put the job on hold with a reason.", {"job": JOB, "reason": STRING},
    _job_step(lambda user, job, data, context: work.hold(
        user, job, _text(data, "reason"), now=context.done_at)),
    required=("job", "reason"),
))
register_event_type(EventType(
    "job.resume", "Take the job up again.", {"job": JOB},
    _job_step(lambda user, job, data, context: work.resume(user, job, now=context.done_at)),
    required=("job",),
))
register_event_type(EventType(
    "job.note", "Add to the work notes.", {"job": JOB, "text": STRING},
    _job_step(lambda user, job, data, context: work.add_note(
        user, job, _text(data, "text"), now=context.done_at)),
    required=("job", "text"),
))
register_event_type(EventType(
    "job.close", "Close the job (after photos, category, signature or its reason first).",
    {"job": JOB, "customer_opinion": STRING, "no_signature_reason": STRING},
    _job_step(_close), required=("job",),
))
register_event_type(EventType(
    "callback.record", "The desk's callback: method, satisfaction, comments.",
    {"callback": {"type": "integer"}, "method": {"enum": ["phone", "visit"]},
     "satisfaction": {"enum": ["satisfied", "basically_satisfied", "unsatisfied"]},
     "comments": STRING},
    callback_record, required=("callback", "method", "satisfaction"),
))


# --------------------------------------------------------------------------- photos


def _photo(user, data, name: str = "photo"):
    """The server photo an event names (uploaded first through /api/v1/photos), or None when
    the event names none. A photo the user may not see is 404; attaching checks the rest."""
    if isinstance(data.get(name), str):  # the phone's UUID of a photo it never uploaded
        raise ApiError(404, _("No such photo."), name)
    photo_id = _id(data, name)
    if photo_id is None:
        return None
    photo = photos.get_photo_for_user(user, photo_id)
    if photo is None:
        raise ApiError(404, _("No such photo."), name)
    return photo


# --------------------------------------------------------------------------- patrol


def _anomaly_check_in(user, data):
    """The check-in an anomaly is about: its id, or the id of the patrol.checkin event that
    recorded it (all the phone knows when both were made offline)."""
    check_in_id = _id(data, "checkin")
    event_id = data.get("checkin_event")
    if check_in_id is None and isinstance(event_id, str):
        row = db.session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.user_id == user.id, IdempotencyKey.key == event_id.strip().lower(),
            IdempotencyKey.kind == "event", IdempotencyKey.status == "done",
            IdempotencyKey.response_status == 201))
        answer = (row.response_body or {}).get("checkin") if row is not None else None
        check_in_id = answer.get("id") if isinstance(answer, dict) else None
    check_in = incidents.get_own_check_in(user, check_in_id) if isinstance(
        check_in_id, int) else None
    if check_in is None:
        raise ApiError(404, _("No such check-in."),
                       "checkin" if "checkin" in data else "checkin_event")
    return check_in


def patrol_anomaly(user, data, context, key):
    """What is wrong at the checkpoint just checked in at: kind, note, maybe a photo."""
    check_in = _anomaly_check_in(user, data)
    photo = _photo(user, data)
    kind, note = data.get("kind"), data.get("note")
    incident = incidents.report_incident(
        user, check_in, kind=kind if isinstance(kind, str) else "",
        note=note if isinstance(note, str) else "",
        photo=photo, client_id=key)
    return 201, {"incident": {"id": incident.id, "checkin": check_in.id, "kind": incident.kind,
                              "photo": incident.photo_id}}


def patrol_handover(user, data, context, key):
    """The outgoing guard's handover for a site, maybe naming the guard taking over."""
    site_id = _id(data, "site")
    site = places.get_site_for_user(user, site_id) if site_id is not None else None
    if site is None:
        raise ApiError(404, _("No such site."), "site")
    incoming = None
    incoming_id = _id(data, "incoming")
    if incoming_id is not None:
        incoming = handovers.get_site_user(site, incoming_id)
        if incoming is None:
            raise DomainError(_("Choose who takes over from the list."), "incoming")
    texts = {name: data.get(name) if isinstance(data.get(name), str) else ""
             for name in handovers.TEXT_FIELDS}
    handover = handovers.write_handover(user, site, incoming=incoming, **texts)
    return 201, {"handover": {"id": handover.id, "site": site.id,
                              "incoming": handover.incoming_id,
                              "written_at": handover.written_at.isoformat()}}


# --------------------------------------------------------------------------- cleaning


def _forbidden_if_about_who_cleans(refusal: checklists.ChecklistRefused) -> DomainError:
    if refusal.field in ("role", "site"):
        refusal.status = 403
    return refusal


def _scanned_label(data, started_at):
    """The area's label scanned when the checklist was opened (proof of presence)."""
    label, status = places.resolve_token(data.get("token"))
    if label is None:
        raise DomainError(_("This is not one of our labels."), "token")
    if status == "retired" or (status == "revoked" and label.revoked_at <= started_at):
        raise DomainError(_("This area's label was withdrawn. Nothing was recorded."), "token")
    return label


def _answers_form(template, data) -> dict[str, str]:
    """The event's answers as the fields parse_answers reads from the checklist page."""
    answers, notes = data.get("answers"), data.get("notes") or {}
    if not isinstance(answers, dict):
        raise ApiError(422, _("%(field)s must be a JSON object.", field="answers"), "answers")
    if not isinstance(notes, dict):
        raise ApiError(422, _("%(field)s must be a JSON object.", field="notes"), "notes")
    form = {}
    for item in template.active_items:
        key = str(item.id)
        value = answers.get(key)
        value = "" if value is None or isinstance(value, bool) else str(value)
        if item.is_reading and value != ItemResultValue.NA:
            form[f"reading-{key}"] = value
        else:
            form[f"result-{key}"] = value
        note = notes.get(key)
        form[f"note-{key}"] = note if isinstance(note, str) else ""
    return form


def _put_in_photos(user, start, sheet, data) -> None:
    """Give each failed item the server photo the event names for it."""
    chosen = data.get("photos") or {}
    if not isinstance(chosen, dict):
        raise ApiError(422, _("%(field)s must be a JSON object.", field="photos"), "photos")
    site = start.point.site
    for item_id, answer in sheet.answers.items():
        photo_id = chosen.get(str(item_id))
        if not answer.failed or photo_id is None:
            continue
        answer.photo = checklists.kept_photo(user, site, photo_id) if isinstance(
            photo_id, int) else None
        if answer.photo is None:
            raise ApiError(404, _("No such photo."), f"photo-{item_id}")


def checklist_submit(user, data, context, key):
    """A cleaning checklist filled in at the area, maybe offline: it counts at the phone's
    times (opened, submitted), corrected by the clock offset measured at this sync."""
    started_at = _phone_time(context, data, "started_at")
    submitted_at = (_phone_time(context, data, "submitted_at")
                    if data.get("submitted_at") is not None else context.done_at)
    deadline = (parse_time(data.get("deadline"), "deadline")
                if data.get("deadline") is not None else None)
    label = _scanned_label(data, started_at)
    try:
        start = checklists.open_checklist(user, label, now=started_at)
    except checklists.ChecklistRefused as refusal:
        raise _forbidden_if_about_who_cleans(refusal) from None
    sheet = checklists.parse_answers(start.template, _answers_form(start.template, data))
    _put_in_photos(user, start, sheet, data)
    note = data.get("note")
    submission = checklists.submit_checklist(
        user, start, sheet, note=note if isinstance(note, str) else "", client_id=key,
        blackout_confirmed=data.get("blackout_confirmed") is True, deadline=deadline,
        now=submitted_at)
    return 201, {"submission": {
        "id": submission.id, "point": start.point.code, "kind": submission.kind,
        "task": submission.task_id, "score": submission.score,
        "started_at": submission.started_at.isoformat(),
        "submitted_at": submission.submitted_at.isoformat(),
        "failed": [result.id for result in submission.failed],
    }}


#: Who fixes a correction (as the corrections page allows).
CORRECTION_FIXERS = frozenset({Role.CLEANER, Role.CLEANING_SUPERVISOR})


def correction_fix(user, data, context, key):
    """A correction put right, with the photo that shows it."""
    correction_id = _id(data, "correction")
    correction = inspections.get_correction_for_user(user, correction_id) if (
        correction_id is not None) else None
    if correction is None:
        raise ApiError(404, _("No such correction."), "correction")
    if user.role not in CORRECTION_FIXERS:
        raise ApiError(403, _("Only cleaners and cleaning supervisors fix corrections."),
                       "correction")
    note = data.get("note")
    inspections.fix_correction(user, correction, note=note if isinstance(note, str) else "",
                               photo=_photo(user, data), now=context.done_at)
    return 201, {"correction": {"id": correction.id, "status": correction.status,
                                "photo": correction.fix_photo_id}}


# --------------------------------------------------------------------------- job work


def job_material(user, data, context, key):
    """A material used on the job, from the site's catalogue."""
    job = _job(user, data)
    quantity = data.get("quantity")
    used = work.add_material(user, job, _id(data, "material"),
                             "" if isinstance(quantity, bool) else quantity,
                             now=context.done_at)
    status, body = _job_answer(job)
    return status, body | {"material": {"id": used.id, "material": used.material_id,
                                        "quantity": f"{used.quantity:.2f}"}}


def job_photo(user, data, context, key):
    """A before or after photo, uploaded first, attached to the job."""
    job = _job(user, data)
    phase = data.get("phase")
    if phase not in ("before", "after"):
        raise DomainError(_("Say whether the photo is from before or after the work."), "phase")
    photo = _photo(user, data)
    work.add_photo(user, job, photo, phase, now=context.done_at)
    status, body = _job_answer(job)
    return status, body | {"photo": {"id": photo.id, "phase": phase}}


def _set_category(user, job, data, context):
    """Tick the category; paid work with its price."""
    price = data.get("price")
    work.set_category(user, job, data.get("category") or "",
                      "" if price is None or isinstance(price, bool) else price,
                      now=context.done_at)


#: The longest base64 text of a signature work.sign takes (SIGNATURE_MAX_BYTES), with a
#: data URL's prefix.
SIGNATURE_DATA_URL = "data:image/png;base64,"
SIGNATURE_MAX_CHARS = len(SIGNATURE_DATA_URL) + (work.SIGNATURE_MAX_BYTES + 2) // 3 * 4


def decode_signature(raw) -> bytes:
    """The PNG bytes of a base64 signature (plain, or the pad's data URL)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if len(text) > SIGNATURE_MAX_CHARS:
        raise DomainError(_("The signature image is too large."), "png")
    text = text.removeprefix(SIGNATURE_DATA_URL)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        data = None
    if not data:
        raise DomainError(_("Send the signature as a base64-encoded PNG image."), "png")
    return data


def job_signature(user, data, context, key):
    """The customer's signature as a base64 PNG."""
    job = _job(user, data)
    signer_name = data.get("signer_name")
    signature = work.sign(user, job, decode_signature(data.get("png")),
                          signer_name if isinstance(signer_name, str) else "",
                          now=context.done_at)
    status, body = _job_answer(job)
    return status, body | {"signature": {"signer_name": signature.signer_name,
                                         "signed_at": signature.signed_at.isoformat()}}


PHOTO = {"type": "integer", "description": "A server photo id (from POST /api/v1/photos)"}
BY_ITEM = {"type": "object", "description": "By checklist item id"}

register_event_type(EventType(
    "patrol.anomaly", "An anomaly reported after a check-in: what is wrong, maybe a photo.",
    {"checkin": {"type": "integer", "description": "The check-in's id, if known"},
     "checkin_event": {"type": "string", "format": "uuid",
                       "description": "Else the id of the patrol.checkin event"},
     "kind": {"enum": [str(kind) for kind in IncidentKind]}, "note": STRING, "photo": PHOTO},
    patrol_anomaly, required=("kind",),
))
register_event_type(EventType(
    "patrol.handover", "The outgoing guard's shift handover.",
    {"site": {"type": "integer"}, "keys": STRING, "doors_windows": STRING,
     "open_incidents": STRING, "notes": STRING,
     "incoming": {"type": "integer", "description": "The user id of the guard taking over"}},
    patrol_handover, required=("site",),
))
register_event_type(EventType(
    "checklist.submit", "A cleaning checklist (or spot check) filled in at the area.",
    {"token": {"type": "string", "description": "The area's label, scanned"},
     "started_at": TIME, "submitted_at": TIME,
     "answers": BY_ITEM | {"additionalProperties": {"type": ["string", "number"]},
                           "description": "By item id: pass, fail, na, or a reading"},
     "notes": BY_ITEM | {"additionalProperties": STRING},
     "photos": BY_ITEM | {"additionalProperties": PHOTO},
     "note": STRING, "blackout_confirmed": {"type": "boolean"},
     "deadline": {"type": "string", "format": "date-time",
                  "description": "Spot checks with failures: when the corrections are due"}},
    checklist_submit, required=("token", "started_at", "answers"),
))
register_event_type(EventType(
    "correction.fix", "A correction put right, with a photo that shows it.",
    {"correction": {"type": "integer"}, "note": STRING, "photo": PHOTO},
    correction_fix, required=("correction", "photo"),
))
register_event_type(EventType(
    "job.material", "A material used, from the site's catalogue.",
    {"job": JOB, "material": {"type": "integer"}, "quantity": {"type": ["number", "string"]}},
    job_material, required=("job", "material", "quantity"),
))
register_event_type(EventType(
    "job.photo", "A before or after photo of the work.",
    {"job": JOB, "phase": {"enum": ["before", "after"]}, "photo": PHOTO},
    job_photo, required=("job", "phase", "photo"),
))
register_event_type(EventType(
    "job.category", "The category of the work; paid work with its price.",
    {"job": JOB, "category": {"enum": ["public", "paid", "free", "other"]},
     "price": {"type": ["number", "string"]}},
    _job_step(_set_category), required=("job", "category"),
))
register_event_type(EventType(
    "job.price_accept", "The customer accepted the price shown on the phone.", {"job": JOB},
    _job_step(lambda user, job, data, context: work.accept_price(
        user, job, now=context.done_at)),
    required=("job",),
))
register_event_type(EventType(
    "job.signature", "The customer's signature, drawn on the phone.",
    {"job": JOB, "png": {"type": "string", "contentEncoding": "base64",
                         "contentMediaType": "image/png"},
     "signer_name": STRING},
    job_signature, required=("job", "png"),
))
