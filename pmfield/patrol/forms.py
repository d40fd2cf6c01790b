"""Parse patrol form posts into plain values: (data, errors)."""

import math
from datetime import UTC
from datetime import datetime

from flask_babel import gettext as _

#: Device times further than this from now are taken as garbage, not as a skewed clock.
MAX_DEVICE_TIME_YEARS = 5


def parse_iso_time(value) -> datetime | None:
    """Parse an ISO 8601 time with an offset (or Z) into aware UTC; None when absent or bad."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or abs(moment.year - datetime.now(UTC).year) > MAX_DEVICE_TIME_YEARS:
        return None
    return moment.astimezone(UTC)


def _number(value, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def parse_check_in_form(form) -> tuple[dict, dict]:
    """Read a check-in post. Only the token is required; a bad optional value is dropped
    (a scan is never refused because the phone sent an odd GPS reading)."""
    token = (form.get("token") or "").strip().upper()
    errors = {} if token else {"token": _("No label was scanned.")}
    latitude = _number(form.get("latitude"), -90, 90)
    longitude = _number(form.get("longitude"), -180, 180)
    has_position = latitude is not None and longitude is not None
    data = {
        "token": token,
        "client_id": (form.get("client_id") or "").strip() or None,
        "device_time": parse_iso_time(form.get("device_time")),
        "latitude": latitude if has_position else None,
        "longitude": longitude if has_position else None,
        "accuracy_m": _number(form.get("accuracy"), 0, 100000) if has_position else None,
        "source": "link" if form.get("source") == "link" else "scanner",
    }
    return data, errors
