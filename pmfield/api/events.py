"""The event types the phone's outbox sends, each a thin call into its feature's services.

Handlers take (user, data, context, key) and return (201, body); a refusal raises DomainError
(422, or 403 when it is about who acts) and is stored as the event's answer.
"""

from flask_babel import gettext as _

from pmfield.api.services import ApiError
from pmfield.api.services import EventType
from pmfield.api.services import parse_time
from pmfield.api.services import register_event_type
from pmfield.errors import DomainError
from pmfield.jobs import callbacks
from pmfield.jobs import services as job_services
from pmfield.jobs import work
from pmfield.patrol import checkins
from pmfield.places import services as places

STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time",
        "description": "ISO 8601 with offset, by the phone's clock"}
NUMBER = {"type": "number"}


def _forbidden_if_about_who(refusal: checkins.CheckInRefused) -> DomainError:
    if refusal.reason in ("site", "role"):
        refusal.status = 403
    return refusal


def patrol_checkin(user, data, context, key):
    """A guard's scan, maybe made offline hours ago: it counts at the phone's scan time,
    corrected by the clock offset measured at this sync, and is flagged when that offset is
    beyond the site's tolerance."""
    scanned_at = context.server_time(parse_time(data.get("scanned_at"), "scanned_at"))
    token = data.get("token")
    if not isinstance(token, str):
        raise ApiError(422, _("%(field)s is missing.", field="token"), "token")
    position = {}
    for name in ("latitude", "longitude", "accuracy_m"):
        value = data.get(name)
        if value is not None and not isinstance(value, int | float):
            raise ApiError(422, _("%(field)s must be a number.", field=name), name)
        position[name] = value
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


def _job(user, data):
    job_id = data.get("job")
    job = job_services.get_job_for_user(user, job_id) if isinstance(job_id, int) else None
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
    work.arrive(user, job, label, now=context.server_time(
        parse_time(data.get("scanned_at"), "scanned_at")) if "scanned_at" in data
        else context.received_at)


def _close(user, job, data, context):
    work.close(user, job, customer_opinion=data.get("customer_opinion") or "",
               no_signature_reason=data.get("no_signature_reason") or "",
               now=context.received_at)


def callback_record(user, data, context, key):
    callback_id = data.get("callback")
    callback = callbacks.get_callback_for_user(user, callback_id) if isinstance(
        callback_id, int) else None
    if callback is None:
        raise ApiError(404, _("No such callback."), "callback")
    outcome = callbacks.parse_outcome(data)
    callbacks.record(user, callback, now=context.received_at, **outcome)
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
    _job_step(lambda user, job, data, context: work.accept(user, job, now=context.received_at)),
    required=("job",),
))
register_event_type(EventType(
    "job.depart", "On the way to the job.", {"job": JOB},
    _job_step(lambda user, job, data, context: work.depart(user, job, now=context.received_at)),
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
        user, job, data.get("reason") or "", now=context.received_at)),
    required=("job", "reason"),
))
register_event_type(EventType(
    "job.resume", "Take the job up again.", {"job": JOB},
    _job_step(lambda user, job, data, context: work.resume(user, job, now=context.received_at)),
    required=("job",),
))
register_event_type(EventType(
    "job.note", "Add to the work notes.", {"job": JOB, "text": STRING},
    _job_step(lambda user, job, data, context: work.add_note(
        user, job, data.get("text") or "", now=context.received_at)),
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
