"""Access rows for check-ins and incidents (patrol.check_in, patrol.*incident*).

The matrix posts an empty form: a check-in without a token is a 422 ("No label was scanned.")
for the roles that may check in, which the matrix counts as reaching the route. Whether a guard
may check in at another site's label is decided by the label, not the URL: see
tests/patrol/test_checkin_views.py.

Reporting a problem is for the guard who checked in only: the world's check-in belongs to the
site's own guard (objects["user"]), so every other walker gets 404 (owner_only).
"""

from pmfield.auth.roles import INCIDENT_READERS
from pmfield.auth.roles import PATROL_WALKERS
from pmfield.patrol import incidents
from pmfield.patrol.checkins import record_check_in
from pmfield.places import services as places
from tests import factories
from tests.access_common import Route

ROWS = {
    "patrol.check_in": Route("POST", allowed=PATROL_WALKERS),
    "patrol.report_incident": Route(
        "GET", {"check_in_id": "check_in"}, allowed=PATROL_WALKERS, owner_only=True
    ),
    "patrol.list_incidents": Route("GET", allowed=INCIDENT_READERS),
    "patrol.incident_detail": Route(
        "GET", {"incident_id": "incident"}, allowed=INCIDENT_READERS, site_scoped=True
    ),
    "patrol.resolve_incident": Route(
        "POST", {"incident_id": "incident"}, allowed=INCIDENT_READERS, site_scoped=True
    ),
    "patrol.make_repair_request": Route(
        "POST", {"incident_id": "incident"}, allowed=INCIDENT_READERS, site_scoped=True
    ),
}


def objects(site, objects):
    """A checkpoint, the site guard's check-in there, and an incident reported from it."""
    checkpoint = factories.make_point(site, objects["location"], kind="checkpoint")
    guard = objects["user"]
    token = places.label_token(checkpoint.current_label)
    check_in = record_check_in(guard, token).check_in
    incident = incidents.report_incident(guard, check_in, kind="leak", note="Water on the floor")
    return {
        "checkpoint": checkpoint,
        "checkpoint_token": token,
        "check_in": check_in,
        "incident": incident,
    }
