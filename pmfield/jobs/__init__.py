"""Repair jobs: intake, dispatch, the technician's work, callbacks and maintenance."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

from pmfield.jobs.views import desk  # noqa: E402,F401
from pmfield.jobs.views import maintenance as maintenance_views  # noqa: E402,F401
from pmfield.jobs.views import sheet as sheet_views  # noqa: E402,F401

# Aliased: a bare `work` here would hide the service module pmfield.jobs.work.
from pmfield.jobs.views import work as work_views  # noqa: E402,F401
