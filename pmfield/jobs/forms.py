"""Reading the jobs' forms into service arguments; the services check the business rules."""

from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from pmfield.errors import DomainError
from pmfield.places import services as places

INTAKE_FIELDS = ("requester_name", "requester_phone", "point_code", "location_text",
                 "description", "channel", "priority", "requested_by", "out_of_scope_reason")


def local_datetime(raw: str, site, field: str) -> datetime | None:
    """A datetime-local value ("2026-11-20T14:30") in the site's time, as UTC; None if empty.

    :raises DomainError: a value that is not a date and time.
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("Enter a date and time."), field) from None
    if moment.tzinfo is not None:
        raise DomainError(_("Enter a date and time."), field)
    return moment.replace(tzinfo=ZoneInfo(site.timezone)).astimezone(UTC)


def point_code(raw: str) -> str:
    """The code from a point field: the datalist offers "CODE · name"."""
    return (raw or "").split("·")[0].strip().upper()


def parse_intake(form, user, site) -> tuple[dict, dict]:
    """Read the desk's intake form; return (data as typed, create_job keyword arguments).

    :raises DomainError: an unknown point code or a bad deadline (the rest is the service's).
    """
    data = {name: (form.get(name) or "").strip() for name in INTAKE_FIELDS}
    data["out_of_scope"] = form.get("out_of_scope") == "1"
    point = None
    if data["point_code"]:
        point = places.find_point_by_code(user, site, point_code(data["point_code"]))
        if point is None:
            raise DomainError(_("No point with this code on this site."), "point_code")
    kwargs = {
        "point": point,
        "description": data["description"],
        "requester_name": data["requester_name"],
        "requester_phone": data["requester_phone"],
        "location_text": data["location_text"],
        "channel": data["channel"],
        "priority": data["priority"],
        "requested_by": local_datetime(data["requested_by"], site, "requested_by"),
        "out_of_scope": data["out_of_scope"],
        "out_of_scope_reason": data["out_of_scope_reason"],
    }
    return data, kwargs
