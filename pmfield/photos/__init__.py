"""Photos."""

from flask import Blueprint

bp = Blueprint("photos", __name__, url_prefix="/photos")

from pmfield.photos import views  # noqa: E402,F401
