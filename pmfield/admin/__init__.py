"""Administration screens: users. They call the features' services; no models of their own."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from pmfield.admin import views  # noqa: E402,F401
