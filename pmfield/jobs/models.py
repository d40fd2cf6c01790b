"""Repair jobs. This first cut holds requests (state "new") for the desk; dispatch, the
technician's work and callbacks build on it in the jobs issue."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from pmfield.extensions import db
from pmfield.timeutil import UTCDateTime
from pmfield.timeutil import utcnow


class JobStatus(StrEnum):
    NEW = "new"

    @property
    def label(self) -> str:
        return str(JOB_STATUS_LABELS[self])


JOB_STATUS_LABELS = {JobStatus.NEW: _l("New")}


class JobSource(StrEnum):
    DESK = "desk"
    FIELD = "field"
    PATROL = "patrol"
    CHECKLIST = "checklist"

    @property
    def label(self) -> str:
        return str(JOB_SOURCE_LABELS[self])


JOB_SOURCE_LABELS = {
    JobSource.DESK: _l("Service desk"),
    JobSource.FIELD: _l("Staff report from the field"),
    JobSource.PATROL: _l("Patrol anomaly"),
    JobSource.CHECKLIST: _l("Failed checklist item"),
}


class JobCounter(db.Model):
    """The last job number used in a year; bumped with an UPDATE first so numbers never repeat."""

    __tablename__ = "job_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Job(db.Model):
    """A repair request / engineering service order (工程服务单), numbered JOB-YYYY-NNNNNN."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_site_status", "site_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    point_id: Mapped[int | None] = mapped_column(ForeignKey("points.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.NEW)
    source: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrol_incidents.id"), unique=True
    )
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site")
    point = relationship("Point")
    reported_by = relationship("User")
    incident = relationship("Incident", back_populates="job")

    @property
    def status_enum(self) -> JobStatus:
        return JobStatus(self.status)

    @property
    def source_enum(self) -> JobSource:
        return JobSource(self.source)
