"""Patrol: posts, routes, schedules, runs, check-ins (hash-chained), incidents and handovers.

All times are stored in UTC; schedules are written in the site's local time and turned into runs
(with UTC windows) by `pmfield.patrol.schedules`.
"""

from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON
from sqlalchemy import Column
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import Time
from sqlalchemy import UniqueConstraint
from sqlalchemy import event
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from pmfield.extensions import db
from pmfield.i18n import localized
from pmfield.timeutil import UTCDateTime
from pmfield.timeutil import utcnow

post_guards = Table(
    "patrol_post_guards",
    db.metadata,
    Column("post_id", ForeignKey("patrol_posts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

schedule_guards = Table(
    "patrol_schedule_guards",
    db.metadata,
    Column("schedule_id", ForeignKey("patrol_schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class PatrolSettings(db.Model):
    """Per-site patrol settings. A site without a row uses the defaults below."""

    __tablename__ = "patrol_settings"

    DEFAULT_CLOCK_TOLERANCE = 120

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    #: Device clocks further than this from server time flag the check-in.
    clock_tolerance_seconds: Mapped[int] = mapped_column(default=DEFAULT_CLOCK_TOLERANCE)


class PatrolPost(db.Model):
    """A guard post (岗位), e.g. "Night patrol A"; schedules can be assigned to a post."""

    __tablename__ = "patrol_posts"
    __table_args__ = (UniqueConstraint("site_id", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    site = relationship("Site")
    guards = relationship("User", secondary=post_guards, order_by="User.display_name")

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)


class PatrolRoute(db.Model):
    """An ordered list of checkpoints, walked in strict order or in any order."""

    __tablename__ = "patrol_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    strict_order: Mapped[bool] = mapped_column(default=False)
    #: Fewer seconds than this between two checkpoints of the route flags the second scan.
    min_walk_seconds: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site")
    checkpoints: Mapped[list["RouteCheckpoint"]] = relationship(
        back_populates="route", order_by="RouteCheckpoint.position", cascade="all, delete-orphan"
    )
    schedules: Mapped[list["PatrolSchedule"]] = relationship(
        back_populates="route", order_by="PatrolSchedule.id"
    )

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)


class RouteCheckpoint(db.Model):
    """One checkpoint of a route, at a position (1-based)."""

    __tablename__ = "patrol_route_checkpoints"
    __table_args__ = (UniqueConstraint("route_id", "point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_routes.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    position: Mapped[int] = mapped_column()
    #: Minimum walking time from the previous checkpoint of the route (overrides the route's).
    min_walk_seconds: Mapped[int | None] = mapped_column()

    route: Mapped[PatrolRoute] = relationship(back_populates="checkpoints")
    point = relationship("Point")


class ScheduleKind(StrEnum):
    FIXED = "fixed"
    INTERVAL = "interval"

    @property
    def label(self) -> str:
        return str(SCHEDULE_KIND_LABELS[self])


SCHEDULE_KIND_LABELS = {
    ScheduleKind.FIXED: _l("At fixed times"),
    ScheduleKind.INTERVAL: _l("Every N minutes within a daily window"),
}


class PatrolSchedule(db.Model):
    """When a route is walked: fixed local times or every N minutes in a daily window.

    Fixed times are listed in the order of the night: a time earlier than the first one falls
    after midnight and belongs to the same night (22:00, 00:00, 02:00 is one night). Weekdays
    are those of the day the night (or the interval window) starts, as ISO numbers 1 = Monday.
    """

    __tablename__ = "patrol_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_routes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: Fixed kind: local times "HH:MM" separated by commas, in the order of the night.
    times: Mapped[str | None] = mapped_column(String(400))
    #: Interval kind: every N minutes from window_start while before window_end.
    interval_minutes: Mapped[int | None] = mapped_column()
    window_start: Mapped[time | None] = mapped_column(Time)
    window_end: Mapped[time | None] = mapped_column(Time)
    #: ISO weekdays the schedule runs on, e.g. "12345" for Monday to Friday.
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    #: How long each run is open, and the grace after it in which scans still count (late).
    run_minutes: Mapped[int] = mapped_column()
    grace_minutes: Mapped[int] = mapped_column(default=0)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_posts.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Runs starting before this are never generated: a schedule made (or changed) at 15:00
    #: does not produce an already-missed 02:00 run.
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    route: Mapped[PatrolRoute] = relationship(back_populates="schedules")
    post = relationship("PatrolPost")
    guards = relationship("User", secondary=schedule_guards, order_by="User.display_name")

    @property
    def kind_enum(self) -> ScheduleKind:
        return ScheduleKind(self.kind)


class RunStatus(StrEnum):
    #: Not evaluated yet: upcoming, open, or in grace.
    PENDING = "pending"
    COMPLETE = "complete"
    PARTIAL = "partial"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return str(RUN_STATUS_LABELS[self])


RUN_STATUS_LABELS = {
    RunStatus.PENDING: _l("Not finished"),
    RunStatus.COMPLETE: _l("Complete"),
    RunStatus.PARTIAL: _l("Partial"),
    RunStatus.MISSED: _l("Missed"),
}


#: How long a run may stay open, and its grace after that, in minutes (planning enforces both).
RUN_MINUTES_MAX = 720
GRACE_MINUTES_MAX = 240


class PatrolRun(db.Model):
    """One scheduled walk of a route: open [starts_at, ends_at), late scans until grace_until."""

    #: No run lasts longer than this from start to the end of its grace period.
    LONGEST = timedelta(minutes=RUN_MINUTES_MAX + GRACE_MINUTES_MAX)

    __tablename__ = "patrol_runs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "starts_at"),
        Index("ix_patrol_runs_site_starts", "site_id", "starts_at"),
        Index("ix_patrol_runs_status_grace", "status", "grace_until"),
        Index("ix_patrol_runs_route_starts", "route_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_routes.id"))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("patrol_schedules.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grace_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.PENDING)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    route: Mapped[PatrolRoute] = relationship()
    schedule: Mapped[PatrolSchedule] = relationship()
    points: Mapped[list["RunPoint"]] = relationship(
        back_populates="run", order_by="RunPoint.position", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> RunStatus:
        return RunStatus(self.status)

    def phase(self, now: datetime) -> str:
        """Return "upcoming", "open", "grace" or "closed" at `now`."""
        if now < self.starts_at:
            return "upcoming"
        if now < self.ends_at:
            return "open"
        if now < self.grace_until:
            return "grace"
        return "closed"

    @classmethod
    def open_at(cls, moment: datetime) -> tuple:
        """WHERE clauses for the runs that accept a scan at `moment`. The lower bound on
        starts_at keeps the index range to recent runs instead of the site's whole history."""
        return (
            cls.starts_at > moment - cls.LONGEST,
            cls.starts_at <= moment,
            cls.grace_until > moment,
        )

    def accepts(self, moment: datetime) -> bool:
        """True when a scan at `moment` counts for this run (window or grace; half-open)."""
        return self.starts_at <= moment < self.grace_until


class RunPointStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    LATE = "late"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return str(RUN_POINT_STATUS_LABELS[self])


RUN_POINT_STATUS_LABELS = {
    RunPointStatus.PENDING: _l("Left to scan"),
    RunPointStatus.DONE: _l("Scanned"),
    RunPointStatus.LATE: _l("Scanned late"),
    RunPointStatus.MISSED: _l("Missed"),
}


class RunPoint(db.Model):
    """A checkpoint of one run: left to scan, scanned (on time or late) or missed."""

    __tablename__ = "patrol_run_points"
    __table_args__ = (UniqueConstraint("run_id", "point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("patrol_runs.id", ondelete="CASCADE"))
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    position: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=RunPointStatus.PENDING)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_check_ins.id"), index=True)

    run: Mapped[PatrolRun] = relationship(back_populates="points")
    point = relationship("Point")
    check_in = relationship("CheckIn")

    @property
    def status_enum(self) -> RunPointStatus:
        return RunPointStatus(self.status)


class Flag(StrEnum):
    """Why a check-in is suspicious. Flagged check-ins still count; the reasons are shown."""

    CLOCK_SKEW = "clock_skew"
    TOO_FAST = "too_fast"
    REVOKED_LABEL = "revoked_label"
    REPEAT = "repeat"
    OUT_OF_ORDER = "out_of_order"

    @property
    def label(self) -> str:
        return str(FLAG_LABELS[self])


FLAG_LABELS = {
    Flag.CLOCK_SKEW: _l("Phone clock off from server time"),
    Flag.TOO_FAST: _l("Faster than a person can walk from the previous checkpoint"),
    Flag.REVOKED_LABEL: _l("Label revoked since the scan"),
    Flag.REPEAT: _l("Same checkpoint scanned again in this round"),
    Flag.OUT_OF_ORDER: _l("Out of the route's order"),
}


class CheckIn(db.Model):
    """A guard's scan of a checkpoint label: an append-only fact, chained per site.

    `seq` numbers the site's check-ins 1, 2, 3…; `chain_hash` covers this row's facts and the
    previous row's hash, so editing or deleting a row breaks the chain (see patrol.chain).
    """

    __tablename__ = "patrol_check_ins"
    __table_args__ = (
        UniqueConstraint("site_id", "seq"),
        UniqueConstraint("user_id", "client_id"),
        Index("ix_patrol_check_ins_site_scanned", "site_id", "scanned_at"),
        Index("ix_patrol_check_ins_user_scanned", "user_id", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    seq: Mapped[int] = mapped_column()
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"))
    label_version: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The idempotency key made on the phone; a retry of the same scan records nothing new.
    client_id: Mapped[str | None] = mapped_column(String(64))
    #: When the scan happened as far as the server can tell: server time when online.
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    accuracy_m: Mapped[float | None] = mapped_column()
    #: "scanner" (in-app), "link" (camera app opened /q/<token>) or "sync" (offline outbox).
    source: Mapped[str] = mapped_column(String(16))
    #: Space-separated Flag values, and their details (e.g. {"clock_skew": 300}).
    flags: Mapped[str] = mapped_column(String(200), default="")
    flag_details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))

    point = relationship("Point")
    label = relationship("Label")
    user = relationship("User")

    @property
    def flag_list(self) -> list[Flag]:
        return [Flag(name) for name in self.flags.split()]

    @property
    def clock_offset_seconds(self) -> int | None:
        if self.device_time is None:
            return None
        return round((self.device_time - self.received_at).total_seconds())


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a check-in."""


@event.listens_for(CheckIn, "before_update")
def _refuse_update(_mapper, _connection, target):
    raise AppendOnlyError(f"check-in {target.id} is append-only")


@event.listens_for(CheckIn, "before_delete")
def _refuse_delete(_mapper, _connection, target):
    raise AppendOnlyError(f"check-in {target.id} is append-only")


class ChainHead(db.Model):
    """The last link of a site's check-in chain; updating it first serialises writers per site."""

    __tablename__ = "patrol_chain_heads"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class ChainCheck(db.Model):
    """The result of the last verification of a site's chain (shown on the supervisor's board)."""

    __tablename__ = "patrol_chain_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column()
    rows_checked: Mapped[int] = mapped_column()
    #: [{"seq": 12, "problem": "edited"}, ...] (at most the first 100).
    problems: Mapped[list] = mapped_column(JSON, default=list)


class IncidentKind(StrEnum):
    UNLOCKED = "unlocked"
    LIGHT_OUT = "light_out"
    LEAK = "leak"
    SUSPICIOUS_PERSON = "suspicious_person"
    FIRE_HAZARD = "fire_hazard"
    DAMAGE = "damage"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(INCIDENT_KIND_LABELS[self])


INCIDENT_KIND_LABELS = {
    IncidentKind.UNLOCKED: _l("Door or window unlocked"),
    IncidentKind.LIGHT_OUT: _l("Light out"),
    IncidentKind.LEAK: _l("Leak"),
    IncidentKind.SUSPICIOUS_PERSON: _l("Suspicious person"),
    IncidentKind.FIRE_HAZARD: _l("Fire hazard"),
    IncidentKind.DAMAGE: _l("Damage"),
    IncidentKind.OTHER: _l("Other"),
}


class Incident(db.Model):
    """An anomaly reported by a guard at a checkpoint; the desk and the supervisor follow it up."""

    __tablename__ = "patrol_incidents"
    __table_args__ = (
        Index("ix_patrol_incidents_site_reported", "site_id", "reported_at"),
        UniqueConstraint("reported_by_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_check_ins.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)

    site = relationship("Site")
    point = relationship("Point")
    check_in = relationship("CheckIn")
    photo = relationship("Photo")
    reported_by = relationship("User", foreign_keys=[reported_by_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
    #: The repair job made from this incident, if any (Job.incident_id keeps the link).
    job = relationship("Job", back_populates="incident", uselist=False)

    @property
    def kind_enum(self) -> IncidentKind:
        return IncidentKind(self.kind)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Handover(db.Model):
    """A shift handover (交接班): written by the outgoing guard, acknowledged by the incoming."""

    __tablename__ = "patrol_handovers"
    __table_args__ = (Index("ix_patrol_handovers_site_written", "site_id", "written_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    outgoing_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The guard taking over, when the outgoing guard names one; else any other guard may sign.
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    keys: Mapped[str] = mapped_column(Text, default="")
    doors_windows: Mapped[str] = mapped_column(Text, default="")
    open_incidents: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site = relationship("Site")
    outgoing = relationship("User", foreign_keys=[outgoing_id])
    incoming = relationship("User", foreign_keys=[incoming_id])
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])
