"""Applying the phone's events and photos exactly once.

Each request carries an Idempotency-Key equal to the UUID the phone made when the user acted.
`run_once` claims the key (a committed "pending" row: a duplicate arriving meanwhile gets 409),
runs the work with the feature services' own commits held back, then writes the answer on the
key and commits once: the domain change and the key's "done" state land in one transaction.
A replay gets the stored answer with 200; the same key with another payload gets 422.
"""

import hashlib
import json
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from pmfield.api.models import IdempotencyKey
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.timeutil import utcnow

#: The phone makes a UUID (crypto.randomUUID) for every action and photo.
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
#: A claim older than this belongs to a request that died before it finished: retake it.
#: The phone gives up on a request after 20 s and stops its pass at a 409, so a server killed
#: mid-request holds the whole queue this long: just over the longest request, no more.
STALE_CLAIM = timedelta(seconds=45)


class ApiError(Exception):
    """An answer other than success: HTTP status and a message for the phone to show."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def body(self) -> dict:
        return {"error": self.message, "field": self.field}


@dataclass
class Outcome:
    status: int
    body: dict
    replay: bool = False


def request_hash(payload) -> str:
    """SHA-256 of a JSON payload in canonical form, or of raw bytes."""
    if isinstance(payload, bytes | bytearray):
        data = bytes(payload)
    else:
        data = json.dumps(payload, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()


def check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise ApiError(400, _("The Idempotency-Key header is missing."), "Idempotency-Key")
    if not UUID_RE.match(key):
        raise ApiError(400, _("The Idempotency-Key must be a UUID."), "Idempotency-Key")
    return key.lower()


def _stored(row: IdempotencyKey) -> Outcome:
    return Outcome(200 if row.response_status == 201 else row.response_status,
                   dict(row.response_body or {}), replay=True)


def _claim(user, key: str, kind: str, digest: str, now: datetime) -> IdempotencyKey | Outcome:
    """Claim the key for this request, or say what an earlier request with it settled."""
    row = IdempotencyKey(user_id=user.id, key=key, kind=kind, request_hash=digest,
                         status="pending", claimed_at=now)
    db.session.add(row)
    try:
        db.session.commit()
        return row
    except IntegrityError:
        db.session.rollback()
    row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user.id,
                                                         IdempotencyKey.key == key))
    if row is None:  # claimed and given up in between: a retry will do
        raise ApiError(409, _("This item is being saved by another request. Try again."))
    if row.request_hash != digest or row.kind != kind:
        raise ApiError(422, _("This key was already used for different content."),
                       "Idempotency-Key")
    if row.status == "done":
        return _stored(row)
    # Pending: another request is at it, unless it died. Retake a stale claim atomically.
    retaken = db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row.id, IdempotencyKey.status == "pending",
               IdempotencyKey.claimed_at < now - STALE_CLAIM)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not retaken:
        raise ApiError(409, _("This item is being saved by another request. Try again."))
    db.session.refresh(row)
    return row


@contextmanager
def held_commits():
    """Within the block, the feature services' commits only flush: the caller commits once.

    The services commit their own work when called from the pages; an API event must write
    its key and its answer in the same transaction as that work.
    """
    session = db.session()
    session.commit = session.flush
    try:
        yield
    finally:
        del session.commit


def run_once(user, key: str, kind: str, payload, work: Callable[[], tuple[int, dict]],
             now: datetime | None = None) -> Outcome:
    """Apply `work` at most once for (user, key); return the answer to send.

    `work()` returns (status, body) on success and raises DomainError (or ApiError) when the
    content is refused: that answer is stored too, so a replay gets the same refusal.
    """
    now = now or utcnow()
    digest = request_hash(payload)
    claimed = _claim(user, key, kind, digest, now)
    if isinstance(claimed, Outcome):
        return claimed
    row_id = claimed.id
    try:
        with held_commits():
            status, body = work()
            row = db.session.get(IdempotencyKey, row_id)
            row.status, row.completed_at = "done", utcnow()
            row.response_status, row.response_body = status, body
            db.session.flush()
        db.session.commit()
        return Outcome(status, body)
    except (DomainError, ApiError) as error:
        db.session.rollback()
        if isinstance(error, DomainError):
            status = error.status if error.status in (403, 404, 413) else 422
            error = ApiError(status, error.message, error.field)
        row = db.session.get(IdempotencyKey, row_id)
        row.status, row.completed_at = "done", utcnow()
        row.response_status, row.response_body = error.status, error.body()
        db.session.commit()
        return Outcome(error.status, error.body())
    except Exception:
        # An unexpected failure: give the claim back so the phone's retry can do the work.
        db.session.rollback()
        db.session.execute(
            IdempotencyKey.__table__.delete().where(IdempotencyKey.__table__.c.id == row_id))
        db.session.commit()
        raise


# --------------------------------------------------------------------------- event types


@dataclass
class EventType:
    """A kind of field write the phone can send: its name, data schema and handler."""

    name: str
    summary: str
    schema: dict
    handler: Callable  # handler(user, data, context) -> (status, body)
    required: tuple = field(default_factory=tuple)


EVENT_TYPES: dict[str, EventType] = {}


def register_event_type(event_type: EventType) -> None:
    if event_type.name in EVENT_TYPES:
        raise ValueError(f"event type {event_type.name!r} is already registered")
    EVENT_TYPES[event_type.name] = event_type


@dataclass
class SyncContext:
    """What the server knows about the sending phone at this flush."""

    received_at: datetime
    #: The phone's clock when it sent the request (X-Device-Time); None if not sent.
    device_now: datetime | None
    #: The phone's clock when the user did what the event records (the event's captured_at),
    #: maybe hours before this sync; None if the event does not say.
    captured_at: datetime | None = None

    @property
    def done_at(self) -> datetime:
        """When the user did it, by the server's clock: the phone's capture time corrected by
        the offset measured now, never later than now (a job accepted in the basement at 02:10
        is accepted at 02:10, not when the phone found signal)."""
        if self.captured_at is None:
            return self.received_at
        return min(self.server_time(self.captured_at, "captured_at"), self.received_at)

    @property
    def clock_offset(self) -> timedelta:
        """Server time minus phone time, measured now: add it to the phone's times."""
        if self.device_now is None:
            return timedelta(0)
        return self.received_at - self.device_now

    def server_time(self, device_time: datetime, field_name: str) -> datetime:
        """A time taken by the phone's clock (the event's `field_name`), corrected to the
        server's."""
        try:
            return device_time + self.clock_offset
        except OverflowError:  # e.g. year 9999 from a phone whose clock is far behind
            raise ApiError(422, _("%(field)s is out of range: check the phone's clock.",
                                  field=field_name), field_name) from None


def parse_time(raw, field_name: str) -> datetime:
    """An ISO 8601 time with its offset, as the phone writes it."""
    if not isinstance(raw, str):
        raise ApiError(422, _("Give %(field)s as an ISO 8601 time with its offset.",
                              field=field_name), field_name)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(422, _("Give %(field)s as an ISO 8601 time with its offset.",
                              field=field_name), field_name)
    return moment


def parse_event(body) -> tuple[str, str, dict]:
    """Read {"id", "type", "data"} and check its shape; return (id, type, data)."""
    if not isinstance(body, dict):
        raise ApiError(400, _("Send the event as a JSON object."))
    event_id, kind, data = body.get("id"), body.get("type"), body.get("data")
    if not isinstance(event_id, str) or not UUID_RE.match(event_id):
        raise ApiError(422, _("The event id must be a UUID."), "id")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:  # a list or object is unhashable
        raise ApiError(422, _("Unknown event type."), "type")
    if not isinstance(data, dict):
        raise ApiError(422, _("The event data must be a JSON object."), "data")
    for name in EVENT_TYPES[kind].required:
        if name not in data:
            raise ApiError(422, _("%(field)s is missing.", field=name), name)
    return event_id.lower(), kind, data


def apply_event(user, key: str, body, context: SyncContext) -> Outcome:
    """Apply one event from the phone exactly once."""
    event_id, kind, data = parse_event(body)
    if event_id != key:
        raise ApiError(422, _("The Idempotency-Key must equal the event id."), "Idempotency-Key")
    event_type = EVENT_TYPES[kind]
    captured = body.get("captured_at")
    if captured is not None:
        context = replace(context, captured_at=parse_time(captured, "captured_at"))
    return run_once(user, key, "event", body,
                    lambda: event_type.handler(user, data, context, key),
                    now=context.received_at)
