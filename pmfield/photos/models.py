"""Photos: verified, re-encoded images kept in media storage under content-addressed names."""

from datetime import datetime

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


class Photo(db.Model):
    """One stored photo. It belongs to a record (owner_kind + owner_id) once attached;
    until then only its uploader may see it."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("uploaded_by_id", "client_id"),
        Index("ix_photos_owner", "owner_kind", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    #: SHA-256 of the stored (re-encoded) bytes: the storage key.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size_bytes: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Idempotency key made on the phone, so a retried upload stores nothing new.
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    owner_kind: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column()

    uploaded_by = relationship("User")
    site = relationship("Site")
