"""Reading form fields the same way in every feature: what was typed is kept for showing the
form again, the parsed value goes beside it, and each problem is a message on its field."""

from flask_babel import gettext as _

#: Longest number accepted in a number field (anything longer is a typo, not a duration).
NUMBER_DIGITS = 6


def text(form, name: str) -> str:
    return (form.get(name) or "").strip()


def number(form, name: str, data: dict, errors: dict, *, required: bool) -> None:
    """Read a whole number: data[name] keeps what was typed, data[name + "_int"] the value."""
    raw = text(form, name)
    data[name] = raw
    data[name + "_int"] = None
    if not raw:
        if required:
            errors[name] = _("Enter a number.")
        return
    if not (raw.isascii() and raw.isdigit()) or len(raw) > NUMBER_DIGITS:
        errors[name] = _("Enter a whole number, e.g. 30.")
        return
    data[name + "_int"] = int(raw)


def clock(form, name: str, data: dict, errors: dict) -> None:
    """Read a local time HH:MM into data[name + "_time"] (None when empty)."""
    raw = text(form, name)
    data[name] = raw
    data[name + "_time"] = None
    if not raw:
        return
    if len(raw) == len("HH:MM:SS") and raw.count(":") == 2:  # some browsers send seconds
        raw = raw[:5]
    try:
        # Imported here: importing the patrol package loads every feature's views,
        # which import this module.
        from pmfield.patrol.schedules import parse_times

        parsed = parse_times(raw)
    except ValueError:
        parsed = []
    if len(parsed) != 1:
        errors[name] = _("Enter a time as HH:MM, e.g. 08:00.")
        return
    data[name + "_time"] = parsed[0]
