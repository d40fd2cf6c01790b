"""Readable names of the audited actions (the stored action codes stay stable)."""

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "site.create": _l("Site created"),
    "site.update": _l("Site changed"),
    "site.import_points": _l("Points imported from CSV"),
    "location.create": _l("Location created"),
    "location.update": _l("Location changed"),
    "location.move": _l("Location moved"),
    "location.retire": _l("Location retired"),
    "point.create": _l("Point created"),
    "point.import": _l("Point imported"),
    "point.update": _l("Point changed"),
    "point.move": _l("Point moved"),
    "point.retire": _l("Point retired"),
    "point.set_asset": _l("Asset record changed"),
    "point.add_certificate": _l("Certificate added"),
    "point.remove_certificate": _l("Certificate removed"),
    "label.reissue": _l("Label reissued"),
    "label.revoke": _l("Label revoked"),
    "user.create": _l("User created"),
    "user.update": _l("User changed"),
    "user.set_password": _l("Password set"),
    "user.deactivate": _l("User deactivated"),
    "user.reactivate": _l("User reactivated"),
}


def action_label(action: str) -> str:
    """Return the readable name of an action code, or the code itself when unknown."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
