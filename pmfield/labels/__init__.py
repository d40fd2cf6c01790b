"""QR label sheets: pick points, print an A4 page or download a PDF."""

from flask import Blueprint

bp = Blueprint("labels", __name__, url_prefix="/labels")

from pmfield.labels import views  # noqa: E402,F401
