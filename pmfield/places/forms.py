"""Form parsing for the places pages: each parse_* returns (data, errors).

Parsing only reads and converts what the user typed; the rules (codes taken, levels, sites)
live in services and come back as DomainError, which the views show the same way.
"""

from flask_babel import gettext as _

from pmfield.places.models import LocationLevel
from pmfield.places.models import PointKind
from pmfield.places.services import parse_date


def _text(form, name: str) -> str:
    return (form.get(name) or "").strip()


def _date(form, name: str, data: dict, errors: dict, *, required: bool = False) -> None:
    raw = _text(form, name)
    data[name] = raw
    try:
        value = parse_date(raw)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return
    if value is None and required:
        errors[name] = _("Enter the date.")
    data[name + "_date"] = value


def _names(form, data: dict, errors: dict) -> None:
    data["name_zh"] = _text(form, "name_zh")
    data["name_en"] = _text(form, "name_en")
    if not data["name_zh"] and not data["name_en"]:
        errors["name_zh"] = _("Enter a name in Chinese or English.")


def parse_site_form(form, *, new: bool) -> tuple[dict, dict]:
    """Read the site form."""
    data, errors = {}, {}
    if new:
        data["code"] = _text(form, "code").upper()
        if not data["code"]:
            errors["code"] = _("Enter a short code, e.g. NORTH-CAMPUS.")
    _names(form, data, errors)
    data["timezone"] = _text(form, "timezone")
    if not data["timezone"]:
        errors["timezone"] = _("Enter the timezone, e.g. Asia/Shanghai.")
    data["address"] = _text(form, "address")
    return data, errors


def parse_location_form(form, *, new: bool) -> tuple[dict, dict]:
    """Read the location form (level and parent only when creating)."""
    data, errors = {}, {}
    if new:
        data["level"] = _text(form, "level")
        if data["level"] not in {level.value for level in LocationLevel}:
            errors["level"] = _("Choose a level.")
        data["parent_id"] = form.get("parent_id", type=int)
    _names(form, data, errors)
    return data, errors


def parse_move_location_form(form) -> tuple[dict, dict]:
    """Read the new parent of a location (empty: top level)."""
    return {"parent_id": form.get("parent_id", type=int)}, {}


def parse_point_form(form, *, new: bool) -> tuple[dict, dict]:
    """Read the point form (location and asset only when creating)."""
    data, errors = {}, {}
    data["code"] = _text(form, "code").upper()
    if not data["code"]:
        errors["code"] = _("Enter the point's code, e.g. A3-2F-WC-M.")
    data["kind"] = _text(form, "kind")
    if data["kind"] not in {kind.value for kind in PointKind}:
        errors["kind"] = _("Choose a kind of point.")
    _names(form, data, errors)
    data["description"] = _text(form, "description")
    if new:
        data["location_id"] = form.get("location_id", type=int)
        if not data["location_id"]:
            errors["location_id"] = _("Choose a location.")
        asset, asset_errors = parse_asset_form(form)
        data["asset"] = asset
        errors |= asset_errors
    return data, errors


def parse_move_point_form(form) -> tuple[dict, dict]:
    """Read the point's new location."""
    data = {"location_id": form.get("location_id", type=int)}
    errors = {} if data["location_id"] else {"location_id": _("Choose a location.")}
    return data, errors


def parse_asset_form(form) -> tuple[dict, dict]:
    """Read the asset form."""
    data, errors = {}, {}
    for name in ("make", "model", "serial_number"):
        data[name] = _text(form, name)
    _date(form, "installed_on", data, errors)
    return data, errors


def parse_certificate_form(form) -> tuple[dict, dict]:
    """Read the add-certificate form."""
    data, errors = {}, {}
    data["name"] = _text(form, "name")
    if not data["name"]:
        errors["name"] = _("Enter the certificate's name.")
    data["number"] = _text(form, "number")
    _date(form, "issued_on", data, errors)
    _date(form, "expires_on", data, errors, required=True)
    return data, errors


def parse_reason_form(form) -> tuple[dict, dict]:
    """Read why a label is withdrawn or replaced."""
    data = {"reason": _text(form, "reason")}
    errors = {}
    if not data["reason"]:
        errors["reason"] = _("Say why, e.g. “label lost” or “label damaged”.")
    return data, errors
