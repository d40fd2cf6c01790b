"""Repair jobs (工程服务单): intake, dispatch, the technician's work, callbacks (回访),
materials and preventive maintenance.

A job moves NEW → ASSIGNED → ACCEPTED → ON_THE_WAY → ON_SITE → CLOSED; ON_HOLD pauses a job
that was accepted, and an unsatisfied callback sends a closed job back to ASSIGNED as rework.
Every move is a JobEvent row, so the history of an order is never rewritten.
"""

from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from pmfield.extensions import db
from pmfield.i18n import localized
from pmfield.timeutil import UTCDateTime
from pmfield.timeutil import utcnow


class _Labelled(StrEnum):
    """A StrEnum whose members have a translated label in the class's LABELS mapping."""

    @property
    def label(self) -> str:
        return str(_LABELS[type(self)][self])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


class JobStatus(_Labelled):
    NEW = "new"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    ON_THE_WAY = "on_the_way"
    ON_SITE = "on_site"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    CANCELLED = "cancelled"


#: States in which the technician has not reached the job yet (the response timer runs).
NOT_ARRIVED = frozenset({JobStatus.NEW, JobStatus.ASSIGNED, JobStatus.ACCEPTED,
                         JobStatus.ON_THE_WAY})
#: States of a job that is still to be done.
OPEN_STATES = NOT_ARRIVED | {JobStatus.ON_SITE, JobStatus.ON_HOLD}


class JobSource(_Labelled):
    DESK = "desk"
    FIELD = "field"
    PATROL = "patrol"
    CHECKLIST = "checklist"
    MAINTENANCE = "maintenance"


class Channel(_Labelled):
    """How the request reached the desk (seed 004: phone, visit, letter, web, hotline)."""

    PHONE = "phone"
    VISIT = "visit"
    LETTER = "letter"
    WEB = "web"
    HOTLINE = "hotline"
    STAFF = "staff"


class Discipline(_Labelled):
    ELECTRICAL = "electrical"
    PLUMBING = "plumbing"
    HVAC = "hvac"
    ELEVATOR = "elevator"
    CIVIL = "civil"
    NETWORK = "network"
    OTHER = "other"


class Priority(_Labelled):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    NORMAL = "normal"
    PLANNED = "planned"


#: Most urgent first, for sorting.
PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.URGENT: 1, Priority.NORMAL: 2,
                 Priority.PLANNED: 3}
#: Minutes from the request to the technician on site, until the site sets its own.
DEFAULT_RESPONSE_MINUTES = {
    Priority.EMERGENCY: 5,
    Priority.URGENT: 30,
    Priority.NORMAL: 4 * 60,
    Priority.PLANNED: 7 * 24 * 60,
}


class Category(_Labelled):
    """The category the technician ticks (公共/有偿/无偿/其他)."""

    PUBLIC = "public"
    PAID = "paid"
    FREE = "free"
    OTHER = "other"


class CallbackKind(_Labelled):
    REGULAR = "regular"
    SPECIAL = "special"
    SAMPLE = "sample"


class CallbackMethod(_Labelled):
    PHONE = "phone"
    VISIT = "visit"


class Satisfaction(_Labelled):
    SATISFIED = "satisfied"
    BASICALLY = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


class IntervalUnit(_Labelled):
    DAYS = "days"
    MONTHS = "months"


_LABELS = {
    JobStatus: {
        JobStatus.NEW: _l("New"),
        JobStatus.ASSIGNED: _l("Assigned"),
        JobStatus.ACCEPTED: _l("Accepted"),
        JobStatus.ON_THE_WAY: _l("On the way"),
        JobStatus.ON_SITE: _l("On site"),
        JobStatus.ON_HOLD: _l("On hold"),
        JobStatus.CLOSED: _l("Closed"),
        JobStatus.CANCELLED: _l("Cancelled"),
    },
    JobSource: {
        JobSource.DESK: _l("Service desk"),
        JobSource.FIELD: _l("Staff report from the field"),
        JobSource.PATROL: _l("Patrol anomaly"),
        JobSource.CHECKLIST: _l("Failed checklist item"),
        JobSource.MAINTENANCE: _l("Preventive maintenance"),
    },
    Channel: {
        Channel.PHONE: _l("Phone"),
        Channel.VISIT: _l("Visit"),
        Channel.LETTER: _l("Letter"),
        Channel.WEB: _l("Web"),
        Channel.HOTLINE: _l("Hotline"),
        Channel.STAFF: _l("Staff report"),
    },
    Discipline: {
        Discipline.ELECTRICAL: _l("Electrical"),
        Discipline.PLUMBING: _l("Plumbing"),
        Discipline.HVAC: _l("HVAC"),
        Discipline.ELEVATOR: _l("Elevator"),
        Discipline.CIVIL: _l("Civil works"),
        Discipline.NETWORK: _l("Network"),
        Discipline.OTHER: _l("Other"),
    },
    Priority: {
        Priority.EMERGENCY: _l("Emergency"),
        Priority.URGENT: _l("Urgent"),
        Priority.NORMAL: _l("Normal"),
        Priority.PLANNED: _l("Planned"),
    },
    Category: {
        Category.PUBLIC: _l("Public"),
        Category.PAID: _l("Paid"),
        Category.FREE: _l("Free of charge"),
        Category.OTHER: _l("Other"),
    },
    CallbackKind: {
        CallbackKind.REGULAR: _l("Callback"),
        CallbackKind.SPECIAL: _l("Special callback after rework"),
        CallbackKind.SAMPLE: _l("Weekly quality sample"),
    },
    CallbackMethod: {CallbackMethod.PHONE: _l("Phone"), CallbackMethod.VISIT: _l("Visit")},
    Satisfaction: {
        Satisfaction.SATISFIED: _l("Satisfied"),
        Satisfaction.BASICALLY: _l("Basically satisfied"),
        Satisfaction.UNSATISFIED: _l("Unsatisfied"),
    },
    IntervalUnit: {IntervalUnit.DAYS: _l("days"), IntervalUnit.MONTHS: _l("months")},
}

# Kept for the callers written before the labels moved into _LABELS.
JOB_STATUS_LABELS = _LABELS[JobStatus]
JOB_SOURCE_LABELS = _LABELS[JobSource]


class JobCounter(db.Model):
    """The last job number used in a year; bumped with an UPDATE first so numbers never repeat."""

    __tablename__ = "job_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class JobSettings(db.Model):
    """A site's response targets and callback rules; a site without a row uses the defaults."""

    __tablename__ = "job_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True,
                                         autoincrement=False)
    emergency_minutes: Mapped[int] = mapped_column(default=5)
    urgent_minutes: Mapped[int] = mapped_column(default=30)
    normal_minutes: Mapped[int] = mapped_column(default=4 * 60)
    planned_minutes: Mapped[int] = mapped_column(default=7 * 24 * 60)
    #: Share of the week's closed jobs drawn for quality callbacks.
    sample_percent: Mapped[int] = mapped_column(default=20)
    #: The same point and discipline repaired this many times within repeat_days is flagged.
    repeat_count: Mapped[int] = mapped_column(default=3)
    repeat_days: Mapped[int] = mapped_column(default=90)

    def response_minutes(self, priority) -> int:
        return int(getattr(self, f"{Priority(priority).value}_minutes"))


class Job(db.Model):
    """A repair request / engineering service order (工程服务单), numbered JOB-YYYY-NNNNNN."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_site_status", "site_id", "status"),
        Index("ix_jobs_point_closed", "point_id", "closed_at"),
        UniqueConstraint("plan_id", "plan_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    point_id: Mapped[int | None] = mapped_column(ForeignKey("points.id"), index=True)
    #: Where, in the requester's words, when no point is chosen (or to add to it).
    location_text: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.NEW)
    source: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16), default=Channel.STAFF)
    requester_name: Mapped[str] = mapped_column(String(80), default="")
    requester_phone: Mapped[str] = mapped_column(String(32), default="")
    #: The deadline the requester asked for.
    requested_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    out_of_scope: Mapped[bool] = mapped_column(Boolean, default=False)
    out_of_scope_reason: Mapped[str] = mapped_column(String(500), default="")
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrol_incidents.id"), unique=True
    )
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    discipline: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16), default=Priority.NORMAL)
    #: When the technician must be on site (from the request and the site's target).
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrival_label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"))
    hold_reason: Mapped[str] = mapped_column(String(500), default="")
    work_notes: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(16))
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    price_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_opinion: Mapped[str] = mapped_column(String(500), default="")
    no_signature_reason: Mapped[str] = mapped_column(String(300), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: How many times an unsatisfied callback sent the job back (0: never).
    rework_count: Mapped[int] = mapped_column(default=0)
    #: Preventive maintenance: the plan and the due date this job was made for.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_plans.id"))
    plan_due_on: Mapped[date | None] = mapped_column(Date)
    #: Bumped on every change, so a form sent from a stale page is refused.
    version: Mapped[int] = mapped_column(default=1)

    site = relationship("Site")
    point = relationship("Point")
    reported_by = relationship("User", foreign_keys=[reported_by_id])
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    incident = relationship("Incident", back_populates="job")
    plan = relationship("MaintenancePlan")
    assignments: Mapped[list["JobAssignment"]] = relationship(
        back_populates="job", cascade="all, delete-orphan",
        order_by="(JobAssignment.is_lead.desc(), JobAssignment.id)",
    )
    events: Mapped[list["JobEvent"]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobEvent.id"
    )
    materials: Mapped[list["JobMaterial"]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobMaterial.id"
    )
    signature: Mapped["JobSignature | None"] = relationship(
        back_populates="job", cascade="all, delete-orphan", uselist=False
    )
    callbacks: Mapped[list["Callback"]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="Callback.id"
    )

    @property
    def status_enum(self) -> JobStatus:
        return JobStatus(self.status)

    @property
    def source_enum(self) -> JobSource:
        return JobSource(self.source)

    @property
    def priority_enum(self) -> Priority:
        return Priority(self.priority)

    @property
    def discipline_enum(self) -> Discipline | None:
        return Discipline(self.discipline) if self.discipline else None

    @property
    def category_enum(self) -> Category | None:
        return Category(self.category) if self.category else None

    @property
    def channel_enum(self) -> Channel:
        return Channel(self.channel)

    @property
    def is_open(self) -> bool:
        return self.status_enum in OPEN_STATES

    @property
    def lead(self):
        """The lead technician's user, or None before dispatch."""
        for assignment in self.assignments:
            if assignment.is_lead:
                return assignment.user
        return self.assignments[0].user if self.assignments else None

    @property
    def technicians(self) -> list:
        return [assignment.user for assignment in self.assignments]

    def is_assigned_to(self, user) -> bool:
        return any(assignment.user_id == user.id for assignment in self.assignments)

    def is_overdue(self, now: datetime) -> bool:
        """True when the technician is not on site and the response target has passed."""
        return (self.status_enum in NOT_ARRIVED and self.respond_by is not None
                and now > self.respond_by)

    def time_left(self, now: datetime) -> timedelta | None:
        """Time until the response target (negative when late); None once on site."""
        if self.status_enum not in NOT_ARRIVED or self.respond_by is None:
            return None
        return self.respond_by - now


class JobAssignment(db.Model):
    """A technician on a job; one of them leads."""

    __tablename__ = "job_assignments"
    __table_args__ = (UniqueConstraint("job_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    job: Mapped[Job] = relationship(back_populates="assignments")
    user = relationship("User")


class JobEvent(db.Model):
    """One step in a job's history: who moved it from which state to which, when, and why."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    job: Mapped[Job] = relationship(back_populates="events")
    actor = relationship("User")


class Material(db.Model):
    """An item of the site's materials catalogue (cable, fuse, tap washer...)."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    unit_zh: Mapped[str] = mapped_column(String(16))
    unit_en: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    site = relationship("Site")

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    @property
    def unit(self) -> str:
        return localized(self.unit_zh, self.unit_en)


class JobMaterial(db.Model):
    """A material used on a job, with its quantity."""

    __tablename__ = "job_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    job: Mapped[Job] = relationship(back_populates="materials")
    material = relationship("Material")
    added_by = relationship("User")


class JobSignature(db.Model):
    """The customer's signature, drawn on the technician's phone: a verified PNG."""

    __tablename__ = "job_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    signer_name: Mapped[str] = mapped_column(String(80), default="")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    job: Mapped[Job] = relationship(back_populates="signature")


class Callback(db.Model):
    """A call back to the customer (回访) the desk owes, and what the customer said.

    `round` is the job's rework_count when the callback was made, so each close of a job
    gets one callback of each kind however often the close is retried.
    """

    __tablename__ = "job_callbacks"
    __table_args__ = (
        UniqueConstraint("job_id", "kind", "round"),
        Index("ix_job_callbacks_site_open", "site_id", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str | None] = mapped_column(String(16))
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    comments: Mapped[str] = mapped_column(Text, default="")

    job: Mapped[Job] = relationship(back_populates="callbacks")
    site = relationship("Site")
    done_by = relationship("User")

    @property
    def kind_enum(self) -> CallbackKind:
        return CallbackKind(self.kind)

    @property
    def satisfaction_enum(self) -> Satisfaction | None:
        return Satisfaction(self.satisfaction) if self.satisfaction else None

    @property
    def method_enum(self) -> CallbackMethod | None:
        return CallbackMethod(self.method) if self.method else None

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and now > self.due_at


class SampleDraw(db.Model):
    """The weekly quality sample of a site, drawn once per week (the row makes it so)."""

    __tablename__ = "job_sample_draws"
    __table_args__ = (UniqueConstraint("site_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    #: The Monday (site time) of the week whose closed jobs were sampled.
    week_start: Mapped[date] = mapped_column(Date)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_jobs: Mapped[int] = mapped_column(default=0)
    sampled: Mapped[int] = mapped_column(default=0)


class MaintenancePlan(db.Model):
    """Preventive maintenance of an equipment point, e.g. elevator service every 15 days.

    `pmfield tick` makes a planned job for each due date `lead_days` ahead; the unique
    (plan_id, plan_due_on) on jobs keeps it to one job per due date.
    """

    __tablename__ = "maintenance_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    discipline: Mapped[str] = mapped_column(String(16))
    every: Mapped[int] = mapped_column()
    unit: Mapped[str] = mapped_column(String(8), default=IntervalUnit.DAYS)
    starts_on: Mapped[date] = mapped_column(Date)
    lead_days: Mapped[int] = mapped_column(default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site")
    point = relationship("Point")

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    @property
    def unit_enum(self) -> IntervalUnit:
        return IntervalUnit(self.unit)
