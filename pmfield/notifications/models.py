"""In-app notifications: records first; delivery to chat webhooks comes later."""

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from pmfield.extensions import db
from pmfield.timeutil import UTCDateTime
from pmfield.timeutil import utcnow


class Notification(db.Model):
    """One message to one user. (user, kind, key) is unique: the same event never notifies twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "key"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    #: What happened, e.g. "patrol.missed"; the text is rendered from it at view time, so it
    #: appears in the reader's language.
    kind: Mapped[str] = mapped_column(String(64))
    #: What it is about, e.g. "run:42"; with kind and user it makes the notification unique.
    key: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    site = relationship("Site")
