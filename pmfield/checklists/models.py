"""Cleaning: checklist templates, plans (which area, how often, by when), the site's class
timetable and terms, the tasks plans produce, and the checklists cleaners submit.

Times are stored in UTC; plans are written in the site's local time and turned into tasks
(each with the moment it opens and the moment it is due) by `pmfield.checklists.schedules`.
"""

from datetime import date
from datetime import datetime
from datetime import time
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column
from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import Time
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from pmfield.extensions import db
from pmfield.i18n import localized
from pmfield.timeutil import UTCDateTime
from pmfield.timeutil import utcnow


class AreaKind(StrEnum):
    TOILET = "toilet"
    CORRIDOR_STAIRS = "corridor_stairs"
    CLASSROOM = "classroom"
    MAIN_ROAD = "main_road"
    REFUSE_POINT = "refuse_point"
    LOBBY = "lobby"
    DORM_PUBLIC = "dorm_public"
    WATER_TANK = "water_tank"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(AREA_KIND_LABELS[self])


AREA_KIND_LABELS = {
    AreaKind.TOILET: _l("Toilet"),
    AreaKind.CORRIDOR_STAIRS: _l("Corridor and stairs"),
    AreaKind.CLASSROOM: _l("Classroom"),
    AreaKind.MAIN_ROAD: _l("Main road"),
    AreaKind.REFUSE_POINT: _l("Refuse point"),
    AreaKind.LOBBY: _l("Lobby"),
    AreaKind.DORM_PUBLIC: _l("Dormitory public area"),
    AreaKind.WATER_TANK: _l("Drinking-water tank"),
    AreaKind.OTHER: _l("Other area"),
}


class ItemKind(StrEnum):
    #: Answered pass, fail or not applicable.
    CHECK = "check"
    #: A number (e.g. residual chlorine) that passes inside [min_value, max_value].
    READING = "reading"


class ChecklistTemplate(db.Model):
    """The checklist of one kind of area, e.g. "Toilet cleaning check"."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("site_id", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    area_kind: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site")
    items: Mapped[list["TemplateItem"]] = relationship(
        back_populates="template", order_by="TemplateItem.position", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    @property
    def area_kind_enum(self) -> AreaKind:
        return AreaKind(self.area_kind)

    @property
    def active_items(self) -> list["TemplateItem"]:
        return [item for item in self.items if item.active]


class TemplateItem(db.Model):
    """One criterion of a template, worded as the standard words it."""

    __tablename__ = "checklist_template_items"
    __table_args__ = (UniqueConstraint("template_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int] = mapped_column()
    #: Stable short name, e.g. "floor_dry"; results keep pointing at the item by id.
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16), default=ItemKind.CHECK)
    text_zh: Mapped[str] = mapped_column(String(200))
    text_en: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(16))
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    #: Retired items stay for the history of the checklists that answered them.
    active: Mapped[bool] = mapped_column(default=True)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")

    @property
    def text(self) -> str:
        return localized(self.text_zh, self.text_en)

    @property
    def is_reading(self) -> bool:
        return self.kind == ItemKind.READING

    def reading_passes(self, value: float) -> bool:
        """True when a reading lies within the item's limits (bounds included)."""
        if self.min_value is not None and value < self.min_value:
            return False
        return self.max_value is None or value <= self.max_value


team_members = Table(
    "cleaning_team_members",
    db.metadata,
    Column("team_id", ForeignKey("cleaning_teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class CleaningTeam(db.Model):
    """Cleaners who share a shift's areas, e.g. "Early shift, teaching area"."""

    __tablename__ = "cleaning_teams"
    __table_args__ = (UniqueConstraint("site_id", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    site = relationship("Site")
    members = relationship("User", secondary=team_members, order_by="User.display_name")

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)


class BlackoutWindow(db.Model):
    """A period of the site's timetable when cleaning must not be done (e.g. class periods)."""

    __tablename__ = "cleaning_blackouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    #: ISO weekdays, e.g. "12345" for Monday to Friday.
    weekdays: Mapped[str] = mapped_column(String(7), default="12345")
    #: Local times; the window is [starts, ends) on the same day.
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    site = relationship("Site")

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)


class Term(db.Model):
    """A school term, for plans that run N times per term."""

    __tablename__ = "cleaning_terms"
    __table_args__ = (UniqueConstraint("site_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    #: Local dates, both included.
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    site = relationship("Site")

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)


class Frequency(StrEnum):
    #: At the given local times, on the chosen weekdays (several times a day, daily, weekly).
    TIMES = "times"
    #: N times per term, spread evenly over each term.
    PER_TERM = "per_term"
    #: Once a month, due on a day of the month.
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        return str(FREQUENCY_LABELS[self])


FREQUENCY_LABELS = {
    Frequency.TIMES: _l("At set times on chosen weekdays"),
    Frequency.PER_TERM: _l("A number of times per term"),
    Frequency.MONTHLY: _l("Once a month"),
}


class CleaningPlan(db.Model):
    """Which area gets which checklist, how often and by when, and who does it."""

    __tablename__ = "cleaning_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    frequency: Mapped[str] = mapped_column(String(16), default=Frequency.TIMES)
    #: TIMES: local due times "HH:MM" separated by commas, e.g. "07:30" or "09:00,13:00,17:00".
    #: PER_TERM and MONTHLY: the first is the time of day the task is due.
    times: Mapped[str] = mapped_column(String(200))
    #: TIMES: ISO weekdays the plan runs on.
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    #: PER_TERM: how many times in each term.
    per_term: Mapped[int | None] = mapped_column()
    #: MONTHLY: the day of the month the task is due (1–28).
    month_day: Mapped[int | None] = mapped_column()
    #: TIMES: how long before its due time a task can be done (the main road from 05:30 for
    #: 07:30). PER_TERM and MONTHLY tasks are open from the start of their period.
    lead_minutes: Mapped[int] = mapped_column(default=120)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("cleaning_teams.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Tasks due before this are never generated (a plan made at 15:00 has no overdue 07:30).
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site")
    point = relationship("Point")
    template: Mapped[ChecklistTemplate] = relationship()
    assignee = relationship("User")
    team: Mapped[CleaningTeam | None] = relationship()

    @property
    def frequency_enum(self) -> Frequency:
        return Frequency(self.frequency)


class CleaningTask(db.Model):
    """One due checklist of a plan: open from `opens_at`, due at `due_at`."""

    __tablename__ = "cleaning_tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "due_at"),
        Index("ix_cleaning_tasks_site_due", "site_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("cleaning_plans.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Copied from the plan when the task is made, so a later change of plan keeps history.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("cleaning_teams.id"))

    plan: Mapped[CleaningPlan] = relationship()
    point = relationship("Point")
    template: Mapped[ChecklistTemplate] = relationship()
    assignee = relationship("User")
    team: Mapped[CleaningTeam | None] = relationship()
    submission: Mapped["ChecklistSubmission | None"] = relationship(
        back_populates="task", uselist=False
    )

    def state(self, now: datetime) -> str:
        """"upcoming", "open", "overdue", "on_time" or "late"."""
        if self.submission is not None:
            return "on_time" if self.submission.submitted_at <= self.due_at else "late"
        if now < self.opens_at:
            return "upcoming"
        return "open" if now < self.due_at else "overdue"


class SubmissionKind(StrEnum):
    #: A cleaner's own checklist of a task (or of an area, unplanned).
    SHIFT = "shift"
    #: A supervisor's or manager's spot check of an area.
    INSPECTION = "inspection"


class ChecklistSubmission(db.Model):
    """A checklist done at an area: started by scanning its label, submitted with answers."""

    __tablename__ = "checklist_submissions"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id"),
        Index("ix_checklist_submissions_site_submitted", "site_id", "submitted_at"),
        Index("ix_checklist_submissions_point_submitted", "point_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("cleaning_tasks.id"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(16), default=SubmissionKind.SHIFT)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The label scanned to open the checklist: the proof of presence.
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: True when the checklist was started inside a blackout window (the cleaner was warned).
    in_blackout: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str | None] = mapped_column(String(64))

    point = relationship("Point")
    template: Mapped[ChecklistTemplate] = relationship()
    user = relationship("User")
    task: Mapped[CleaningTask | None] = relationship(back_populates="submission")
    results: Mapped[list["ItemResult"]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="ItemResult.id"
    )

    @property
    def failed(self) -> list["ItemResult"]:
        return [r for r in self.results if r.result == ItemResultValue.FAIL]

    @property
    def score(self) -> int | None:
        """Percentage of answered items that passed (not applicable items do not count)."""
        answered = [r for r in self.results if r.result != ItemResultValue.NA]
        if not answered:
            return None
        return round(100 * sum(r.result == ItemResultValue.PASS for r in answered) / len(answered))


class ItemResultValue(StrEnum):
    PASS = "pass"  # noqa: S105 - an answer, not a password
    FAIL = "fail"
    NA = "na"


class ItemResult(db.Model):
    """The answer to one item; a failed item carries a note and a photo."""

    __tablename__ = "checklist_item_results"
    __table_args__ = (UniqueConstraint("submission_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("checklist_submissions.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_template_items.id"))
    result: Mapped[str] = mapped_column(String(8))
    reading: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    #: The repair request made from this failed item ("needs repair"), if any.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))

    submission: Mapped[ChecklistSubmission] = relationship(back_populates="results")
    item: Mapped[TemplateItem] = relationship()
    photo = relationship("Photo")
    job = relationship("Job")


class CorrectionStatus(StrEnum):
    #: Waiting for the cleaner to fix it.
    OPEN = "open"
    #: The cleaner says it is fixed (with a photo); waiting for the re-inspection.
    FIXED = "fixed"
    #: The supervisor re-inspected and accepted the fix.
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(CORRECTION_STATUS_LABELS[self])


CORRECTION_STATUS_LABELS = {
    CorrectionStatus.OPEN: _l("To correct"),
    CorrectionStatus.FIXED: _l("Fixed, to re-inspect"),
    CorrectionStatus.CLOSED: _l("Closed"),
}


class CorrectiveTask(db.Model):
    """A nonconformity found by a spot check, to be corrected by a deadline (限时纠正)."""

    __tablename__ = "cleaning_corrections"
    __table_args__ = (
        UniqueConstraint("result_id"),
        Index("ix_cleaning_corrections_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    #: The spot check's failed answer this correction is for.
    result_id: Mapped[int] = mapped_column(ForeignKey("checklist_item_results.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=CorrectionStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fix_note: Mapped[str] = mapped_column(Text, default="")
    fix_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fixed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why the last fix was not accepted (the task went back to open), if it was not.
    reopen_note: Mapped[str] = mapped_column(Text, default="")

    point = relationship("Point")
    result: Mapped[ItemResult] = relationship()
    assignee = relationship("User", foreign_keys=[assignee_id])
    fixed_by = relationship("User", foreign_keys=[fixed_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    fix_photo = relationship("Photo")

    @property
    def status_enum(self) -> CorrectionStatus:
        return CorrectionStatus(self.status)

    def is_overdue(self, now: datetime) -> bool:
        """Not fixed by its deadline (a fix sent late stays late: fixed_at is after it)."""
        if self.status == CorrectionStatus.OPEN:
            return now >= self.deadline
        return self.fixed_at is not None and self.fixed_at > self.deadline
