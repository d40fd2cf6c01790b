"""The sync API for the phone's outbox: events and photos, each applied exactly once."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from pmfield.api import views  # noqa: E402,F401
