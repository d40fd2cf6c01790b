"""Patrol rounds: routes, schedules, check-ins, missed checkpoints, incidents and handovers."""

from flask import Blueprint

bp = Blueprint("patrol", __name__, url_prefix="/patrol")

# Plain imports: `from pmfield.patrol.views import incidents` would bind the name `incidents`
# here and hide the services module pmfield.patrol.incidents.
import pmfield.patrol.views.board  # noqa: E402,F401
import pmfield.patrol.views.checkin  # noqa: E402,F401
import pmfield.patrol.views.handovers  # noqa: E402,F401
import pmfield.patrol.views.incidents  # noqa: E402,F401
import pmfield.patrol.views.planning  # noqa: E402,F401
