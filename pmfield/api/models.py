"""Idempotency keys of the sync API: one row per (user, key), holding the stored answer."""

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from pmfield.extensions import db
from pmfield.timeutil import UTCDateTime
from pmfield.timeutil import utcnow


class IdempotencyKey(db.Model):
    """An event or photo a phone sent, by the UUID it made at capture time.

    The row is claimed ("pending") before the work starts, so a duplicate arriving meanwhile
    gets 409; it turns "done", with the answer, in the same transaction as the domain change,
    so the change and its key are written together or not at all.
    """

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(64))
    #: "event" or "photo".
    kind: Mapped[str] = mapped_column(String(8))
    #: SHA-256 of the request (canonical JSON, or the photo bytes): a reused key is told apart.
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[dict | None] = mapped_column(JSON)
