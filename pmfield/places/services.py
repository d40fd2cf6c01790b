"""Business rules for sites, locations, points, assets and labels.

Every change goes through one function here, checks the rules, writes one audit entry per
change and commits once. Queries that take a user return only what that user may see.
"""

import csv
import io
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo
from zoneinfo import available_timezones

from flask import current_app
from flask import has_request_context
from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pmfield.audit import services as audit
from pmfield.auth.roles import PLACE_EDITORS
from pmfield.errors import DomainError
from pmfield.errors import raise_first as _raise_first
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import check_names as _check_names
from pmfield.places.models import CERTIFICATE_WARNING
from pmfield.places.models import Asset
from pmfield.places.models import Certificate
from pmfield.places.models import Label
from pmfield.places.models import Location
from pmfield.places.models import LocationLevel
from pmfield.places.models import Point
from pmfield.places.models import PointKind
from pmfield.places.models import Site
from pmfield.places.tokens import make_token
from pmfield.places.tokens import new_serial
from pmfield.places.tokens import verify_token
from pmfield.timeutil import utcnow

SITE_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,15}$")
#: Point codes are read aloud over the radio: capitals, digits and dashes, e.g. A3-2F-WC-M.
POINT_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,30}[A-Z0-9]$")
NAME_MAX = 120
TEXT_MAX = 120
REASON_MAX = 255
ADDRESS_MAX = 255
DESCRIPTION_MAX = 2000
#: Larger imports are refused: split the file (keeps one request and one transaction short).
IMPORT_MAX_ROWS = 5000
IMPORT_REQUIRED = ("code", "kind", "name_zh", "name_en", "location")
IMPORT_OPTIONAL = ("make", "model", "serial_number", "installed_on", "description")
ASSET_FIELDS = ("make", "model", "serial_number", "installed_on")
#: The separator between location names in a CSV path ("教学区 / 教学楼A / 2F").
PATH_SEPARATOR = "/"
FALLBACK_BASE_URL = "http://localhost:5000"


class ImportFailed(DomainError):
    """A CSV import was refused; `errors` lists (line number, message) for every problem."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(_("The file has errors; nothing was imported."), "file")
        self.errors = errors


# --------------------------------------------------------------------------- helpers


def _clean(value) -> str:
    return "" if value is None else str(value).strip()


def _optional(value) -> str | None:
    return _clean(value) or None


def normalize_code(code) -> str:
    """Return a point or site code as stored: trimmed and uppercase."""
    return _clean(code).upper()


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    """True when `name` is an IANA timezone this server knows, e.g. Asia/Shanghai."""
    return name in _timezones()


def site_today(site: Site) -> date:
    """Return today's date where the site is."""
    return datetime.now(ZoneInfo(site.timezone)).date()


def site_time(site: Site, moment: datetime | None) -> datetime | None:
    """Return a UTC moment in the site's local time."""
    return moment.astimezone(ZoneInfo(site.timezone)) if moment else None


def can_edit_places(user) -> bool:
    """True when the user may create, edit, move and retire places and manage labels."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in PLACE_EDITORS


def _commit(conflict_message, conflict_field: str) -> None:
    """Commit; a unique-constraint race becomes the same message as the upfront check.

    `conflict_message` is a callable so nothing is translated on the happy path (the CLI
    has no request to pick a language from).
    """
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DomainError(conflict_message(), conflict_field) from error


def audit_path(location: Location) -> str:
    """Return a location's path for audit entries: language-neutral, as in CSV files."""
    return " / ".join(loc.name_zh or loc.name_en for loc in location.ancestors())




# --------------------------------------------------------------------------- sites


def list_sites_for(user) -> list[Site]:
    """Return the sites a user may see: every site for admins, else their own."""
    if user.is_admin:
        return db.session.scalars(select(Site).order_by(Site.code)).all()
    return list(user.sites)


def get_site_for_user(user, site_id: int) -> Site | None:
    """Return the site if the user may see it, else None."""
    site = db.session.get(Site, site_id) if is_valid_id(site_id) else None
    if site is None or not user.can_access_site(site):
        return None
    return site


def _check_site_fields(name_zh, name_en, timezone, address) -> dict[str, str]:
    errors = _check_names(name_zh, name_en)
    if not is_valid_timezone(timezone):
        errors["timezone"] = _("Unknown timezone. Use a name such as Asia/Shanghai.")
    if address and len(address) > ADDRESS_MAX:
        errors["address"] = _("Use at most %(n)d characters.", n=ADDRESS_MAX)
    return errors


def create_site(
    code: str,
    name_zh: str,
    name_en: str,
    timezone: str = "Asia/Shanghai",
    address: str | None = None,
    *,
    actor=None,
    is_demo: bool = False,
) -> Site:
    """Create a site.

    :raises DomainError: for a bad or taken code, missing names or an unknown timezone.
    """
    code = normalize_code(code)
    name_zh, name_en, timezone = _clean(name_zh), _clean(name_en), _clean(timezone)
    address = _optional(address)
    errors = {}
    if not SITE_CODE_RE.match(code):
        errors["code"] = _("Use 2 to 16 capital letters, digits and dashes, e.g. NORTH-CAMPUS.")
    elif db.session.scalar(select(func.count()).where(Site.code == code)):
        errors["code"] = _("Another site already uses the code %(code)s.", code=code)
    errors |= _check_site_fields(name_zh, name_en, timezone, address)
    _raise_first(errors)
    site = Site(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        timezone=timezone,
        address=address,
        is_demo=is_demo,
    )
    db.session.add(site)
    db.session.flush()
    audit.record(
        actor,
        "site.create",
        site,
        site=site,
        label=code,
        changes={"name_zh": name_zh, "name_en": name_en, "timezone": timezone},
    )
    _commit(lambda: _("Another site already uses the code %(code)s.", code=code), "code")
    return site


def _site_values(site: Site) -> dict:
    return {
        "name_zh": site.name_zh,
        "name_en": site.name_en,
        "timezone": site.timezone,
        "address": site.address,
    }


def update_site(site: Site, *, name_zh: str, name_en: str, timezone: str, address, actor) -> Site:
    """Change a site's names, timezone and address (the code never changes)."""
    name_zh, name_en, timezone = _clean(name_zh), _clean(name_en), _clean(timezone)
    address = _optional(address)
    _raise_first(_check_site_fields(name_zh, name_en, timezone, address))
    before = _site_values(site)
    site.name_zh, site.name_en, site.timezone, site.address = name_zh, name_en, timezone, address
    changes = audit.diff(before, _site_values(site))
    if changes:
        audit.record(actor, "site.update", site, site=site, label=site.code, changes=changes)
    db.session.commit()
    return site


# --------------------------------------------------------------------------- locations


def _level(value) -> LocationLevel:
    try:
        return LocationLevel(_clean(value))
    except ValueError:
        raise DomainError(_("Choose a level."), "level") from None


def _check_parent(site: Site, level: LocationLevel, parent: Location | None) -> None:
    if parent is None:
        return
    if parent.site_id != site.id:
        raise DomainError(_("Choose a location on this site."), "parent")
    if parent.is_retired:
        raise DomainError(_("%(name)s is retired.", name=parent.name), "parent")
    if level.rank <= parent.level_enum.rank:
        raise DomainError(
            _(
                "A %(level)s cannot be inside a %(parent_level)s.",
                level=level.label.lower(),
                parent_level=parent.level_enum.label.lower(),
            ),
            "parent",
        )


def create_location(
    site: Site, level, name_zh: str, name_en: str, parent: Location | None = None, *, actor=None
) -> Location:
    """Add a location to a site's tree; a child is always a deeper level than its parent.

    :raises DomainError: for a bad level, missing names or a parent that cannot hold it.
    """
    level = _level(level)
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    _raise_first(_check_names(name_zh, name_en))
    _check_parent(site, level, parent)
    location = Location(
        site=site, parent=parent, level=level.value, name_zh=name_zh, name_en=name_en
    )
    db.session.add(location)
    db.session.flush()
    audit.record(
        actor,
        "location.create",
        location,
        site=site,
        label=audit_path(location),
        changes={
            "level": level.value,
            "name_zh": name_zh,
            "name_en": name_en,
            "parent_id": parent.id if parent else None,
        },
    )
    db.session.commit()
    return location


def update_location(location: Location, *, name_zh: str, name_en: str, actor) -> Location:
    """Rename a location."""
    if location.is_retired:
        raise DomainError(_("This location is retired."))
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    _raise_first(_check_names(name_zh, name_en))
    before = {"name_zh": location.name_zh, "name_en": location.name_en}
    location.name_zh, location.name_en = name_zh, name_en
    changes = audit.diff(before, {"name_zh": name_zh, "name_en": name_en})
    if changes:
        audit.record(
            actor,
            "location.update",
            location,
            site=location.site,
            label=audit_path(location),
            changes=changes,
        )
    db.session.commit()
    return location


def move_location(location: Location, new_parent: Location | None, *, actor) -> Location:
    """Move a location (and everything in it) under another parent, or to the top level.

    :raises DomainError: across sites, into itself or its own children, or against the levels.
    """
    if location.is_retired:
        raise DomainError(_("This location is retired."))
    if new_parent is not None and location in new_parent.ancestors():
        raise DomainError(
            _("A location cannot move into itself or into its own children."), "parent"
        )
    _check_parent(location.site, location.level_enum, new_parent)
    if new_parent is location.parent:
        return location
    before = {"parent": audit_path(location.parent) if location.parent else None}
    location.parent = new_parent
    audit.record(
        actor,
        "location.move",
        location,
        site=location.site,
        label=audit_path(location),
        changes=audit.diff(before, {"parent": audit_path(new_parent) if new_parent else None}),
    )
    db.session.commit()
    return location


def _active_points_in(location: Location) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Point)
        .where(Point.location_id == location.id, Point.retired_at.is_(None))
    )


def retire_location(location: Location, *, actor) -> Location:
    """Retire an empty location; it stays in history but takes no new points.

    :raises DomainError: while it still holds active locations or points.
    """
    if location.is_retired:
        raise DomainError(_("This location is already retired."))
    children = [child for child in location.children if not child.is_retired]
    if children:
        raise DomainError(
            ngettext(
                "%(name)s still contains %(num)d active location. Move or retire it first.",
                "%(name)s still contains %(num)d active locations. Move or retire them first.",
                len(children),
                name=location.name,
            )
        )
    points = _active_points_in(location)
    if points:
        raise DomainError(
            ngettext(
                "%(name)s still has %(num)d active point. Move or retire it first.",
                "%(name)s still has %(num)d active points. Move or retire them first.",
                points,
                name=location.name,
            )
        )
    location.retired_at = utcnow()
    audit.record(actor, "location.retire", location, site=location.site, label=audit_path(location))
    db.session.commit()
    return location


def _on_user_sites(user, model, object_id: int):
    """Return the row if it belongs to one of the user's sites, else None (never leak others)."""
    row = db.session.get(model, object_id) if is_valid_id(object_id) else None
    if row is None or not user.can_access_site(row.site):
        return None
    return row


def get_location_for_user(user, location_id: int) -> Location | None:
    """Return the location if it is on one of the user's sites, else None."""
    return _on_user_sites(user, Location, location_id)


@dataclass
class TreeNode:
    """One location of a site's tree, for templates."""

    location: Location
    depth: int
    point_count: int = 0
    children: list["TreeNode"] = dc_field(default_factory=list)


def _site_locations(site: Site, include_retired: bool) -> list[Location]:
    query = select(Location).where(Location.site_id == site.id)
    if not include_retired:
        query = query.where(Location.retired_at.is_(None))
    return db.session.scalars(query.order_by(Location.name_zh, Location.id)).all()


def location_tree(site: Site, include_retired: bool = False) -> list[TreeNode]:
    """Return the site's locations as nested TreeNodes (roots first, children by name)."""
    locations = _site_locations(site, include_retired)
    counts = dict(
        db.session.execute(
            select(Point.location_id, func.count())
            .where(Point.site_id == site.id, Point.retired_at.is_(None))
            .group_by(Point.location_id)
        ).all()
    )
    by_parent: dict[int | None, list[Location]] = {}
    ids = {loc.id for loc in locations}
    for loc in locations:
        parent_id = loc.parent_id if loc.parent_id in ids else None
        by_parent.setdefault(parent_id, []).append(loc)

    def build(parent_id, depth):
        return [
            TreeNode(loc, depth, counts.get(loc.id, 0), build(loc.id, depth + 1))
            for loc in by_parent.get(parent_id, [])
        ]

    return build(None, 0)


def flatten_tree(nodes: list[TreeNode]) -> list[TreeNode]:
    """Return the tree's nodes in display order (depth-first)."""
    flat = []
    for node in nodes:
        flat.append(node)
        flat.extend(flatten_tree(node.children))
    return flat


def location_choices(
    site: Site, *, exclude: Location | None = None, above: LocationLevel | None = None
) -> list[tuple[int, str]]:
    """Return [(id, path)] of the site's active locations, for select boxes.

    `exclude` leaves out a location and everything inside it (moving it there is a cycle);
    `above` keeps only levels shallower than the given one (possible parents).
    """
    choices = []
    for node in flatten_tree(location_tree(site)):
        loc = node.location
        if exclude is not None and exclude in loc.ancestors():
            continue
        if above is not None and loc.level_enum.rank >= above.rank:
            continue
        choices.append((loc.id, loc.path))
    return choices


def _children_by_parent(locations: list[Location]) -> dict[int | None, list[Location]]:
    by_parent: dict[int | None, list[Location]] = {}
    for loc in locations:
        by_parent.setdefault(loc.parent_id, []).append(loc)
    return by_parent


def _match_path(site: Site, parts: list[str], by_parent: dict) -> tuple[Location | None, str]:
    """Find the location at a path of names; return (location, error message or "")."""
    node = None
    for depth, part in enumerate(parts):
        name = part.casefold()
        pool = by_parent.get(node.id if node is not None else None, [])
        found = [loc for loc in pool if name in (loc.name_zh.casefold(), loc.name_en.casefold())]
        if not found:
            where = " / ".join(parts[:depth]) or site.code
            return None, _(
                "No active location named “%(name)s” in %(where)s.", name=part, where=where
            )
        if len(found) > 1:
            return None, _(
                "More than one location is named “%(name)s” there; rename one of them.", name=part
            )
        node = found[0]
    return node, ""


def find_location_by_path(site: Site, path: str) -> Location | None:
    """Return the active location at a path such as "教学区 / 教学楼A / 2F", or None."""
    parts = [p.strip() for p in (path or "").split(PATH_SEPARATOR) if p.strip()]
    if not parts:
        return None
    by_parent = _children_by_parent(_site_locations(site, False))
    location, _message = _match_path(site, parts, by_parent)
    return location


# --------------------------------------------------------------------------- points


def _kind(value) -> PointKind | None:
    try:
        return PointKind(_clean(value).lower())
    except ValueError:
        return None


def _code_taken(site: Site, code: str, *, ignore: Point | None = None) -> bool:
    query = select(func.count()).where(Point.site_id == site.id, Point.code == code)
    if ignore is not None:
        query = query.where(Point.id != ignore.id)
    return bool(db.session.scalar(query))


def _code_error(site: Site, code: str, *, ignore: Point | None = None) -> str | None:
    if not POINT_CODE_RE.match(code):
        return _(
            "Use 2 to 32 capital letters, digits and dashes, starting and ending with a letter "
            "or digit, e.g. A3-2F-WC-M."
        )
    if _code_taken(site, code, ignore=ignore):
        return _code_taken_message(code)
    return None


def _code_taken_message(code: str) -> str:
    return _("Another point on this site already uses the code %(code)s.", code=code)


def _check_location_for_point(site: Site, location: Location | None) -> str | None:
    if location is None or location.site_id != site.id:
        return _("Choose a location on this site.")
    if location.is_retired:
        return _("%(name)s is retired.", name=location.name)
    return None


def validate_point_fields(
    site: Site,
    *,
    code: str,
    kind,
    name_zh: str,
    name_en: str,
    location,
    description=None,
    ignore: Point | None = None,
) -> dict[str, str]:
    """Return {field: message} for every bad point field (values already cleaned)."""
    errors = {}
    message = _code_error(site, code, ignore=ignore)
    if message:
        errors["code"] = message
    if _kind(kind) is None:
        errors["kind"] = _("Choose a kind of point.")
    errors |= _check_names(name_zh, name_en)
    message = _check_location_for_point(site, location)
    if message:
        errors["location"] = message
    if description and len(description) > DESCRIPTION_MAX:
        errors["description"] = _("Use at most %(n)d characters.", n=DESCRIPTION_MAX)
    return errors


def _check_asset_values(values: dict) -> dict[str, str]:
    errors = {}
    for key in ("make", "model", "serial_number"):
        if values.get(key) and len(values[key]) > TEXT_MAX:
            errors[key] = _("Use at most %(n)d characters.", n=TEXT_MAX)
    installed_on = values.get("installed_on")
    if installed_on is not None and not isinstance(installed_on, date):
        errors["installed_on"] = _("Enter a date as YYYY-MM-DD.")
    return errors


def _clean_asset(asset: dict | None) -> dict:
    asset = asset or {}
    return {
        "make": _optional(asset.get("make")),
        "model": _optional(asset.get("model")),
        "serial_number": _optional(asset.get("serial_number")),
        "installed_on": asset.get("installed_on") or None,
    }


def _issue_label(point: Point) -> Label:
    """Add the next label version to a point (flush only)."""
    version = max((label.version for label in point.labels), default=0) + 1
    serial = new_serial()
    while db.session.scalar(select(func.count()).where(Label.serial == serial)):
        serial = new_serial()  # 50 random bits: practically never taken, but check anyway
    label = Label(point=point, serial=serial, version=version, issued_at=utcnow())
    db.session.add(label)
    return label


def _revoke(label: Label | None, reason: str) -> None:
    if label is not None and label.revoked_at is None:
        label.revoked_at = utcnow()
        label.revoke_reason = reason[:REASON_MAX]


def _point_values(point: Point) -> dict:
    return {
        "code": point.code,
        "kind": point.kind,
        "name_zh": point.name_zh,
        "name_en": point.name_en,
        "description": point.description,
    }


def _create_point(
    site,
    location,
    kind,
    code,
    name_zh,
    name_en,
    description,
    asset,
    actor,
    *,
    action="point.create",
) -> Point:
    """Create a point with its first label (flush only; values already checked)."""
    point = Point(
        site=site,
        location=location,
        kind=kind.value,
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        description=description,
    )
    db.session.add(point)
    if any(value for value in asset.values()):
        point.asset = Asset(**asset)
    label = _issue_label(point)
    db.session.flush()
    changes = _point_values(point) | {
        "location": audit_path(location),
        "label_version": label.version,
    }
    if point.asset is not None:
        changes |= {f"asset.{k}": v for k, v in asset.items() if v}
    audit.record(actor, action, point, site=site, label=code, changes=audit.diff({}, changes))
    return point


def create_point(
    site: Site,
    location: Location,
    kind,
    code: str,
    name_zh: str,
    name_en: str,
    *,
    description: str | None = None,
    asset: dict | None = None,
    actor=None,
) -> Point:
    """Create a point at a location and issue its first QR label.

    :raises DomainError: for a bad or taken code, an unknown kind, missing names, a location
        elsewhere or retired, or an asset on a point that is not equipment.
    """
    code = normalize_code(code)
    name_zh, name_en, description = _clean(name_zh), _clean(name_en), _optional(description)
    asset_values = _clean_asset(asset)
    errors = validate_point_fields(
        site,
        code=code,
        kind=kind,
        name_zh=name_zh,
        name_en=name_en,
        location=location,
        description=description,
    )
    errors |= _check_asset_values(asset_values)
    point_kind = _kind(kind)
    if point_kind and not point_kind.is_equipment and any(asset_values.values()):
        errors["kind"] = _("Only equipment has an asset record (make, model, serial number).")
    _raise_first(errors)
    point = _create_point(
        site, location, point_kind, code, name_zh, name_en, description, asset_values, actor
    )
    _commit(lambda: _code_taken_message(code), "code")
    return point


def _check_active(point: Point) -> None:
    if point.is_retired:
        raise DomainError(_("This point is retired."))


def update_point(
    point: Point, *, code: str, name_zh: str, name_en: str, kind, description, actor
) -> Point:
    """Change a point's code, names, kind and description (its label stays valid)."""
    _check_active(point)
    code = normalize_code(code)
    name_zh, name_en, description = _clean(name_zh), _clean(name_en), _optional(description)
    errors = validate_point_fields(
        point.site,
        code=code,
        kind=kind,
        name_zh=name_zh,
        name_en=name_en,
        location=point.location,
        description=description,
        ignore=point,
    )
    point_kind = _kind(kind)
    if point_kind and not point_kind.is_equipment and point.asset is not None:
        errors["kind"] = _("This point has an asset record, so it must stay a kind of equipment.")
    _raise_first(errors)
    before = _point_values(point)
    point.code, point.kind = code, point_kind.value
    point.name_zh, point.name_en, point.description = name_zh, name_en, description
    changes = audit.diff(before, _point_values(point))
    if changes:
        audit.record(actor, "point.update", point, site=point.site, label=code, changes=changes)
    _commit(lambda: _code_taken_message(code), "code")
    return point


def move_point(point: Point, location: Location, *, actor) -> Point:
    """Move a point to another location on the same site."""
    _check_active(point)
    message = _check_location_for_point(point.site, location)
    if message:
        raise DomainError(message, "location")
    if location is point.location:
        return point
    before = {"location": audit_path(point.location)}
    point.location = location
    audit.record(
        actor,
        "point.move",
        point,
        site=point.site,
        label=point.code,
        changes=audit.diff(before, {"location": audit_path(location)}),
    )
    db.session.commit()
    return point


def retire_point(point: Point, *, actor) -> Point:
    """Retire a point; its label stops working at once."""
    _check_active(point)
    label = point.current_label
    point.retired_at = utcnow()
    _revoke(label, "point retired")  # stored data, not shown translated
    audit.record(
        actor,
        "point.retire",
        point,
        site=point.site,
        label=point.code,
        changes={"label_version": label.version if label else None},
    )
    db.session.commit()
    return point


def _check_equipment(point: Point) -> None:
    _check_active(point)
    if not point.is_equipment:
        raise DomainError(
            _("Only equipment has an asset record (make, model, serial number)."), "kind"
        )


def _asset_values(asset: Asset | None) -> dict:
    return {key: getattr(asset, key, None) for key in ASSET_FIELDS}


def set_asset(point: Point, *, make, model, serial_number, installed_on, actor) -> Asset:
    """Create or change the asset record of an equipment point."""
    _check_equipment(point)
    values = _clean_asset(
        {"make": make, "model": model, "serial_number": serial_number, "installed_on": installed_on}
    )
    errors = _check_asset_values(values)
    if not errors and values["installed_on"] and values["installed_on"] > site_today(point.site):
        errors["installed_on"] = _("The installation date cannot be in the future.")
    _raise_first(errors)
    before = _asset_values(point.asset)
    if point.asset is None:
        point.asset = Asset()
    for key, value in values.items():
        setattr(point.asset, key, value)
    changes = audit.diff(before, values)
    if changes:
        audit.record(
            actor, "point.set_asset", point, site=point.site, label=point.code, changes=changes
        )
    db.session.commit()
    return point.asset


def add_certificate(
    point: Point,
    *,
    name: str,
    number=None,
    issued_on: date | None = None,
    expires_on: date | None,
    actor=None,
) -> Certificate:
    """Add an inspection certificate or permit to an equipment point.

    :raises DomainError: without a name or expiry date, or when it expires before it is issued.
    """
    _check_equipment(point)
    name, number = _clean(name), _optional(number)
    errors = {}
    if not name:
        errors["name"] = _("Enter the certificate's name.")
    elif len(name) > TEXT_MAX:
        errors["name"] = _("Use at most %(n)d characters.", n=TEXT_MAX)
    if number and len(number) > TEXT_MAX:
        errors["number"] = _("Use at most %(n)d characters.", n=TEXT_MAX)
    if issued_on is not None and not isinstance(issued_on, date):
        errors["issued_on"] = _("Enter a date as YYYY-MM-DD.")
    if not isinstance(expires_on, date):
        errors["expires_on"] = _("Enter the expiry date.")
    elif isinstance(issued_on, date) and expires_on < issued_on:
        errors["expires_on"] = _("The expiry date is before the issue date.")
    _raise_first(errors)
    if point.asset is None:
        point.asset = Asset()
    certificate = Certificate(name=name, number=number, issued_on=issued_on, expires_on=expires_on)
    point.asset.certificates.append(certificate)
    db.session.flush()
    audit.record(
        actor,
        "point.add_certificate",
        point,
        site=point.site,
        label=point.code,
        changes=audit.diff(
            {},
            {
                "certificate": name,
                "number": number,
                "issued_on": issued_on,
                "expires_on": expires_on,
            },
        ),
    )
    db.session.commit()
    return certificate


def remove_certificate(certificate: Certificate, *, actor) -> None:
    """Delete a certificate entered by mistake (renewals are added, not edited)."""
    point = certificate.asset.point
    _check_active(point)
    audit.record(
        actor,
        "point.remove_certificate",
        point,
        site=point.site,
        label=point.code,
        changes={
            "certificate": [certificate.name, None],
            "number": [certificate.number, None],
            "expires_on": [certificate.expires_on.isoformat(), None],
        },
    )
    certificate.asset.certificates.remove(certificate)
    db.session.delete(certificate)
    db.session.commit()


def certificate_statuses(point: Point, today: date) -> list[tuple[Certificate, str]]:
    """Return (certificate, status) for a point, newest expiry first.

    Status is "expired", "expiring", "valid", or "replaced" when a later certificate of the
    same name exists (a renewal), so old certificates do not raise alarms.
    """
    if point.asset is None:
        return []
    latest: dict[str, Certificate] = {}
    for certificate in point.asset.certificates:
        key = certificate.name.casefold()
        if key not in latest or certificate.expires_on >= latest[key].expires_on:
            latest[key] = certificate
    rows = []
    for certificate in sorted(point.asset.certificates, key=lambda c: c.expires_on, reverse=True):
        replaced = latest[certificate.name.casefold()] is not certificate
        rows.append((certificate, "replaced" if replaced else certificate.status(today)))
    return rows


def get_point_for_user(user, point_id: int) -> Point | None:
    """Return the point if it is on one of the user's sites, else None."""
    return _on_user_sites(user, Point, point_id)


def get_certificate(point: Point, certificate_id: int) -> Certificate | None:
    """Return one of the point's certificates, else None."""
    if point.asset is None:
        return None
    return next((c for c in point.asset.certificates if c.id == certificate_id), None)


def list_points(
    user, site: Site, *, kinds=None, q: str | None = None, include_retired: bool = False
) -> list[Point]:
    """Return the site's points the user may see, by code; `q` matches code and names."""
    if site is None or not user.can_access_site(site):
        return []
    # Load the site's locations once so each point's path needs no further queries.
    _site_locations(site, True)
    query = (
        select(Point)
        .where(Point.site_id == site.id)
        .options(selectinload(Point.labels))
        .order_by(Point.code)
    )
    if not include_retired:
        query = query.where(Point.retired_at.is_(None))
    if kinds:
        query = query.where(Point.kind.in_([str(k) for k in kinds]))
    q = _clean(q)
    if q:
        needle = q.lower()
        query = query.where(
            or_(
                func.lower(Point.code).contains(needle, autoescape=True),
                func.lower(Point.name_zh).contains(needle, autoescape=True),
                func.lower(Point.name_en).contains(needle, autoescape=True),
            )
        )
    return db.session.scalars(query).all()


def find_point_by_code(user, site: Site, code: str) -> Point | None:
    """Return the site's active point with this code (typed by hand), or None."""
    code = normalize_code(code)
    if site is None or not code or not user.can_access_site(site):
        return None
    return db.session.scalar(
        select(Point).where(
            Point.site_id == site.id, Point.code == code, Point.retired_at.is_(None)
        )
    )


def site_overview(user, site: Site) -> dict:
    """Summarise a site for the home pages.

    Returns {"counts": [(PointKind, n)], "certificates": [(Certificate, status)] expired or
    expiring within the warning window, "unlabelled": active points without a live label,
    "today": the site's date}.
    """
    overview = {"counts": [], "certificates": [], "unlabelled": 0, "today": None}
    if site is None or not user.can_access_site(site):
        return overview
    today = site_today(site)
    active = (Point.site_id == site.id, Point.retired_at.is_(None))
    counts = dict(
        db.session.execute(
            select(Point.kind, func.count()).where(*active).group_by(Point.kind)
        ).all()
    )
    overview["counts"] = [
        (kind, counts[kind.value]) for kind in PointKind if counts.get(kind.value)
    ]
    live_label = exists().where(Label.point_id == Point.id, Label.revoked_at.is_(None))
    overview["unlabelled"] = db.session.scalar(
        select(func.count()).select_from(Point).where(*active, ~live_label)
    )
    certificates = db.session.scalars(
        select(Certificate)
        .join(Asset, Certificate.asset_id == Asset.id)
        .join(Point, Asset.point_id == Point.id)
        .where(*active)
        .options(selectinload(Certificate.asset).selectinload(Asset.point))
        .order_by(Certificate.expires_on)
    ).all()
    latest: dict[tuple[int, str], Certificate] = {}
    for certificate in certificates:  # a renewal replaces older ones of the same name
        latest[(certificate.asset_id, certificate.name.casefold())] = certificate
    horizon = today + CERTIFICATE_WARNING
    overview["certificates"] = [
        (certificate, certificate.status(today))
        for certificate in sorted(latest.values(), key=lambda c: c.expires_on)
        if certificate.expires_on <= horizon
    ]
    overview["today"] = today
    return overview


# --------------------------------------------------------------------------- labels


def label_token(label: Label) -> str:
    """Return the signed token printed in a label's QR code."""
    return make_token(current_app.config["LABEL_SECRET"], label.serial)


def base_url() -> str:
    """Return the public origin for label URLs, without a trailing slash."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return FALLBACK_BASE_URL


def label_url(label: Label) -> str:
    """Return the https URL a label's QR code encodes: <BASE_URL>/q/<token>."""
    return f"{base_url()}/q/{label_token(label)}"


def resolve_token(token) -> tuple[Label | None, str]:
    """Find the label behind a scanned token. Never raises; writes nothing.

    Status is "ok", "invalid" (malformed, badly signed or unknown), "revoked" or "retired".
    """
    serial = verify_token(current_app.config["LABEL_SECRET"], token)
    if serial is None:
        return None, "invalid"
    label = db.session.scalar(select(Label).where(Label.serial == serial))
    if label is None:
        return None, "invalid"
    if label.point.is_retired:
        return label, "retired"
    if label.is_revoked:
        return label, "revoked"
    return label, "ok"


def _clean_reason(reason) -> str:
    reason = _clean(reason)
    if not reason:
        raise DomainError(_("Say why, e.g. “label lost” or “label damaged”."), "reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("Use at most %(n)d characters.", n=REASON_MAX), "reason")
    return reason


def reissue_label(point: Point, *, reason: str, actor) -> Label:
    """Revoke the point's current label and issue the next version with a new serial."""
    _check_active(point)
    reason = _clean_reason(reason)
    old = point.current_label
    _revoke(old, reason)
    label = _issue_label(point)
    db.session.flush()
    audit.record(
        actor,
        "label.reissue",
        point,
        site=point.site,
        label=point.code,
        changes={"version": [old.version if old else None, label.version], "reason": reason},
    )
    db.session.commit()
    return label


def revoke_label(point: Point, *, reason: str, actor) -> Label:
    """Withdraw the point's current label without a replacement.

    :raises DomainError: when the point has no valid label.
    """
    _check_active(point)
    reason = _clean_reason(reason)
    label = point.current_label
    if label is None:
        raise DomainError(_("This point has no valid label to withdraw."))
    _revoke(label, reason)
    audit.record(
        actor,
        "label.revoke",
        point,
        site=point.site,
        label=point.code,
        changes={"version": label.version, "reason": reason},
    )
    db.session.commit()
    return label


# --------------------------------------------------------------------------- CSV import


def parse_date(value) -> date | None:
    """Parse YYYY-MM-DD; raise ValueError for anything else, None for blank."""
    value = _clean(value)
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%d").date()


def _kind_names() -> str:
    return ", ".join(kind.value for kind in PointKind)


def import_points_csv(site: Site, text: str, *, actor=None) -> list[Point]:
    """Create points from CSV text, all or nothing.

    Columns: code, kind, name_zh, name_en, location (names joined by " / "), and optionally
    make, model, serial_number, installed_on (YYYY-MM-DD), description.

    :raises ImportFailed: listing (line, message) for every problem; nothing is created.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFailed(
                [(1, _("The file is not UTF-8 text. Save it as “CSV UTF-8”."))]
            ) from None
    text = (text or "").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[tuple[int, str]] = []
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ImportFailed([(1, _("Cannot read this line: %(error)s", error=str(error)))]) from None
    header = [_clean(name).lower() for name in (header or [])]
    if not any(header):
        raise ImportFailed([(1, _("The file is empty. The first line must name the columns."))])
    missing = [name for name in IMPORT_REQUIRED if name not in header]
    unknown = [name for name in header if name not in IMPORT_REQUIRED + IMPORT_OPTIONAL]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if missing:
        errors.append((1, _("Missing column(s): %(names)s.", names=", ".join(missing))))
    if unknown:
        errors.append((1, _("Unknown column(s): %(names)s.", names=", ".join(unknown))))
    if duplicated:
        errors.append((1, _("Repeated column(s): %(names)s.", names=", ".join(duplicated))))
    if errors:
        raise ImportFailed(errors)

    by_parent = _children_by_parent(_site_locations(site, False))
    existing = set(db.session.scalars(select(Point.code).where(Point.site_id == site.id)))
    seen: dict[str, int] = {}
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(_clean(v) for v in values):
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                errors.append(
                    (
                        line,
                        _(
                            "Too many lines: import at most %(n)d points per file.",
                            n=IMPORT_MAX_ROWS,
                        ),
                    )
                )
                break
            if len(values) != len(header):
                errors.append(
                    (
                        line,
                        _(
                            "This line has %(found)d fields; the header has %(expected)d. "
                            "Check for commas inside names (put such names in double quotes).",
                            found=len(values),
                            expected=len(header),
                        ),
                    )
                )
                rows.append(None)
                continue
            row = {name: _clean(value) for name, value in zip(header, values, strict=True)}
            row_errors, parsed = _check_import_row(site, row, by_parent, existing, seen, line)
            errors.extend((line, message) for message in row_errors)
            rows.append(parsed)
    except csv.Error as error:
        errors.append((reader.line_num, _("Cannot read this line: %(error)s", error=str(error))))
    if not rows and not errors:
        errors.append((2, _("The file has a header but no points.")))
    if errors:
        raise ImportFailed(errors)

    points = [
        _create_point(
            site,
            r["location"],
            r["kind"],
            r["code"],
            r["name_zh"],
            r["name_en"],
            r["description"],
            r["asset"],
            actor,
            action="point.import",
        )
        for r in rows
    ]
    audit.record(
        actor,
        "site.import_points",
        site,
        site=site,
        label=site.code,
        changes={"points": len(points)},
    )
    _commit(lambda: _("A point code in the file was taken meanwhile; try again."), "file")
    return points


def _check_import_row(site, row, by_parent, existing, seen, line):
    """Check one CSV row; return ([messages], parsed values or None)."""
    messages = []
    code = normalize_code(row.get("code"))
    if not POINT_CODE_RE.match(code):
        messages.append(
            _(
                "Code “%(code)s”: use 2 to 32 capital letters, digits and dashes.",
                code=row.get("code", ""),
            )
        )
    elif code in existing:
        messages.append(_code_taken_message(code))
    elif code in seen:
        messages.append(
            _("The code %(code)s is also on line %(line)d.", code=code, line=seen[code])
        )
    else:
        seen[code] = line
    kind = _kind(row.get("kind"))
    if kind is None:
        messages.append(
            _(
                "Kind “%(kind)s” is unknown; use one of: %(kinds)s.",
                kind=row.get("kind", ""),
                kinds=_kind_names(),
            )
        )
    name_zh, name_en = row.get("name_zh", ""), row.get("name_en", "")
    messages.extend(_check_names(name_zh, name_en).values())
    parts = [p.strip() for p in row.get("location", "").split(PATH_SEPARATOR) if p.strip()]
    location = None
    if not parts:
        messages.append(_("Enter the location, e.g. “Teaching zone / Building A / 2F”."))
    else:
        location, message = _match_path(site, parts, by_parent)
        if message:
            messages.append(message)
    asset = {key: _optional(row.get(key)) for key in ("make", "model", "serial_number")}
    try:
        asset["installed_on"] = parse_date(row.get("installed_on"))
    except ValueError:
        asset["installed_on"] = None
        messages.append(
            _(
                "installed_on “%(value)s”: enter a date as YYYY-MM-DD.",
                value=row.get("installed_on"),
            )
        )
    for key in ("make", "model", "serial_number"):
        if asset[key] and len(asset[key]) > TEXT_MAX:
            messages.append(_("%(column)s: use at most %(n)d characters.", column=key, n=TEXT_MAX))
    if kind is not None and not kind.is_equipment and any(row.get(key) for key in ASSET_FIELDS):
        messages.append(
            _(
                "Only equipment has make, model, serial number and installation "
                "date; leave them empty for a %(kind)s.",
                kind=kind.value,
            )
        )
    description = _optional(row.get("description"))
    if description and len(description) > DESCRIPTION_MAX:
        messages.append(_("description: use at most %(n)d characters.", n=DESCRIPTION_MAX))
    if messages:
        return messages, None
    return [], {
        "code": code,
        "kind": kind,
        "name_zh": name_zh,
        "name_en": name_en,
        "location": location,
        "asset": asset,
        "description": description,
    }


def example_csv(site: Site | None) -> str:
    """Return an example import file (with a BOM so spreadsheet programs read it as UTF-8)."""
    path = "教学区 / 教学楼A / A栋2层"
    nodes = flatten_tree(location_tree(site)) if site is not None else []
    if nodes:
        deepest = max(nodes, key=lambda node: node.depth).location
        path = " / ".join(loc.name_zh or loc.name_en for loc in deepest.ancestors())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(IMPORT_REQUIRED + IMPORT_OPTIONAL)
    writer.writerow(
        [
            "NEW-CP-1",
            "checkpoint",
            "新巡更点1",
            "New checkpoint 1",
            path,
            "",
            "",
            "",
            "",
            "Stair door, east end",
        ]
    )
    writer.writerow(
        ["NEW-WC-1", "cleaning_area", "新卫生间1", "New toilet 1", path, "", "", "", "", ""]
    )
    writer.writerow(
        [
            "NEW-EXT-1",
            "extinguisher",
            "新灭火器1",
            "New extinguisher 1",
            path,
            "淮海 Huaihai",
            "MFZ/ABC4",
            "HH-ABC4-00001",
            "2024-03-15",
            "",
        ]
    )
    return "\ufeff" + out.getvalue()
