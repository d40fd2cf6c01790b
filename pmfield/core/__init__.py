"""The app shell: home per role, menu, scanner, PWA files, health."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from pmfield.core import views  # noqa: E402,F401
