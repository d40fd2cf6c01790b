"""Audit log: who changed what and when, for every admin change."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from pmfield.audit import views  # noqa: E402,F401
