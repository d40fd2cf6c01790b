"""Sites, locations, points and their QR labels."""

from flask import Blueprint

bp = Blueprint("places", __name__)

from pmfield.places import views  # noqa: E402,F401
