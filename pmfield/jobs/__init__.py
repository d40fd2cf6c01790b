"""Repair jobs: intake, dispatch, the technician's work, callbacks and maintenance."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

from pmfield.jobs.views import desk  # noqa: E402,F401
