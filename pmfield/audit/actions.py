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
    "patrol_route.create": _l("Patrol route created"),
    "patrol_route.update": _l("Patrol route changed"),
    "patrol_route.activate": _l("Patrol route back in use"),
    "patrol_route.deactivate": _l("Patrol route taken out of use"),
    "patrol_route.add_checkpoint": _l("Checkpoint added to a route"),
    "patrol_route.move_checkpoint": _l("Checkpoint moved in a route"),
    "patrol_route.remove_checkpoint": _l("Checkpoint removed from a route"),
    "patrol_route.set_walk_minimum": _l("Minimum walking time changed"),
    "patrol_schedule.create": _l("Patrol schedule created"),
    "patrol_schedule.update": _l("Patrol schedule changed"),
    "patrol_schedule.activate": _l("Patrol schedule resumed"),
    "patrol_schedule.deactivate": _l("Patrol schedule paused"),
    "patrol_post.create": _l("Guard post created"),
    "patrol_post.update": _l("Guard post changed"),
    "patrol_post.set_guards": _l("Guards of a post changed"),
    "patrol_post.activate": _l("Guard post back in use"),
    "patrol_post.deactivate": _l("Guard post taken out of use"),
    "patrol_settings.update": _l("Patrol settings changed"),
    "checklist_template.create": _l("Cleaning checklist created"),
    "checklist_template.add_item": _l("Item added to a cleaning checklist"),
    "checklist_template.update_item": _l("Item of a cleaning checklist changed"),
    "checklist_template.retire_item": _l("Item taken off a cleaning checklist"),
    "cleaning_plan.create": _l("Cleaning plan created"),
    "cleaning_plan.update": _l("Cleaning plan changed"),
    "cleaning_plan.activate": _l("Cleaning plan back in use"),
    "cleaning_plan.deactivate": _l("Cleaning plan taken out of use"),
    "cleaning_team.create": _l("Cleaning team created"),
    "cleaning_blackout.create": _l("No-cleaning time added"),
    "cleaning_blackout.remove": _l("No-cleaning time removed"),
    "cleaning_term.create": _l("Term added"),
}


def action_label(action: str) -> str:
    """Return the readable name of an action code, or the code itself when unknown."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
