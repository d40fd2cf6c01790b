"""Patrol views: the supervisor's board, timelines, history, daily report and CSV export."""

from flask import abort

from pmfield.auth.roles import PATROL_MANAGERS
from pmfield.patrol import bp
from pmfield.web.security import roles_required


@bp.route("/runs/<int:run_id>")
@roles_required(*PATROL_MANAGERS)
def run_detail(run_id):
    """One run: every checkpoint with its scan or its miss. (Placeholder until the board lands.)"""
    abort(404)
