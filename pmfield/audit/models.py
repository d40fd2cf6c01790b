"""Audit entries are append-only records of admin changes."""

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from pmfield.extensions import db
from pmfield.timeutil import UTCDateTime
from pmfield.timeutil import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: None for changes made from the command line.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(255))
    #: {"field": [before, after]} for edits; the created values for creations.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")
    site = relationship("Site")

    @property
    def action_label(self) -> str:
        from pmfield.audit.actions import action_label

        return action_label(self.action)
