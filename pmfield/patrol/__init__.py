"""Patrol rounds: routes, schedules, check-ins, missed checkpoints, incidents and handovers."""

from flask import Blueprint

bp = Blueprint("patrol", __name__, url_prefix="/patrol")

from pmfield.patrol.views import board  # noqa: E402,F401
from pmfield.patrol.views import checkin  # noqa: E402,F401
from pmfield.patrol.views import handovers  # noqa: E402,F401
from pmfield.patrol.views import incidents  # noqa: E402,F401
from pmfield.patrol.views import planning  # noqa: E402,F401
