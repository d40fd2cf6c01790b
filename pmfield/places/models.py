"""Sites, the location tree, points (things that carry a QR label), assets and labels."""

from datetime import date
from datetime import datetime
from datetime import timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date
from sqlalchemy import ForeignKey
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


class LocationLevel(StrEnum):
    ZONE = "zone"
    BUILDING = "building"
    FLOOR = "floor"
    AREA = "area"

    @property
    def rank(self) -> int:
        return list(LocationLevel).index(self)

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    LocationLevel.ZONE: _l("Zone"),
    LocationLevel.BUILDING: _l("Building"),
    LocationLevel.FLOOR: _l("Floor"),
    LocationLevel.AREA: _l("Room or area"),
}


class PointKind(StrEnum):
    CHECKPOINT = "checkpoint"
    CLEANING_AREA = "cleaning_area"
    ELEVATOR = "elevator"
    HYDRANT = "hydrant"
    EXTINGUISHER = "extinguisher"
    WATER_TANK = "water_tank"
    PUMP = "pump"
    DISTRIBUTION_BOARD = "distribution_board"
    EQUIPMENT = "equipment"

    @property
    def is_equipment(self) -> bool:
        return self not in (PointKind.CHECKPOINT, PointKind.CLEANING_AREA)

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    PointKind.CHECKPOINT: _l("Patrol checkpoint"),
    PointKind.CLEANING_AREA: _l("Cleaning area"),
    PointKind.ELEVATOR: _l("Elevator"),
    PointKind.HYDRANT: _l("Fire hydrant"),
    PointKind.EXTINGUISHER: _l("Fire extinguisher"),
    PointKind.WATER_TANK: _l("Drinking-water tank"),
    PointKind.PUMP: _l("Pump"),
    PointKind.DISTRIBUTION_BOARD: _l("Distribution board"),
    PointKind.EQUIPMENT: _l("Other equipment"),
}


class Site(db.Model):
    """A managed property (管理处), e.g. one school campus."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    address: Mapped[str | None] = mapped_column(String(255))
    is_demo: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    def __repr__(self) -> str:
        return f"<Site {self.code}>"


class Location(db.Model):
    """A node of a site's tree: zone → building → floor → room/area."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    parent: Mapped["Location | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Location"]] = relationship(back_populates="parent")

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    @property
    def level_enum(self) -> LocationLevel:
        return LocationLevel(self.level)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def ancestors(self) -> list["Location"]:
        """Return the chain from the root down to this location."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def path(self) -> str:
        return " › ".join(loc.name for loc in self.ancestors())

    def __repr__(self) -> str:
        return f"<Location {self.id} {self.name_en}>"


class Point(db.Model):
    """A thing that carries a QR label: a checkpoint, a cleaning area or a piece of equipment."""

    __tablename__ = "points"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: Human code that can be read aloud over a radio, e.g. A3-2F-WC-M.
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    location: Mapped[Location] = relationship()
    asset: Mapped["Asset | None"] = relationship(
        back_populates="point", uselist=False, cascade="all, delete-orphan"
    )
    labels: Mapped[list["Label"]] = relationship(
        back_populates="point", order_by="Label.version"
    )

    @property
    def name(self) -> str:
        return localized(self.name_zh, self.name_en)

    @property
    def kind_enum(self) -> PointKind:
        return PointKind(self.kind)

    @property
    def is_equipment(self) -> bool:
        return self.kind_enum.is_equipment

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def current_label(self) -> "Label | None":
        live = [label for label in self.labels if label.revoked_at is None]
        return live[-1] if live else None

    def __repr__(self) -> str:
        return f"<Point {self.code}>"


class Asset(db.Model):
    """The asset record of an equipment point."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), unique=True)
    make: Mapped[str | None] = mapped_column(String(120))
    model: Mapped[str | None] = mapped_column(String(120))
    serial_number: Mapped[str | None] = mapped_column(String(120))
    installed_on: Mapped[date | None] = mapped_column(Date)

    point: Mapped[Point] = relationship(back_populates="asset")
    certificates: Mapped[list["Certificate"]] = relationship(
        back_populates="asset", order_by="Certificate.expires_on", cascade="all, delete-orphan"
    )


#: Certificates expiring within this window are shown as due for renewal.
CERTIFICATE_WARNING = timedelta(days=30)


class Certificate(db.Model):
    """An inspection certificate or permit, e.g. an elevator's annual inspection."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    number: Mapped[str | None] = mapped_column(String(120))
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)

    asset: Mapped[Asset] = relationship(back_populates="certificates")

    def status(self, today: date) -> str:
        """Return "expired", "expiring" (within the warning window) or "valid"."""
        if self.expires_on < today:
            return "expired"
        if self.expires_on - today <= CERTIFICATE_WARNING:
            return "expiring"
        return "valid"


class Label(db.Model):
    """One printed QR label of a point. Reissuing revokes the previous one."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("point_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    #: Random public id (uppercase base32); the signed token is built from it.
    serial: Mapped[str] = mapped_column(String(16), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(255))

    point: Mapped[Point] = relationship(back_populates="labels")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
