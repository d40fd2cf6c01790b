"""Cleaning: checklist templates, plans, a cleaner's shift checklists and their photos."""

from flask import Blueprint

bp = Blueprint("checklists", __name__, url_prefix="/cleaning")

# Plain imports: `from pmfield.checklists.views import planning` would hide the services module
# pmfield.checklists.planning behind the name `planning`.
import pmfield.checklists.views.board  # noqa: E402,F401
import pmfield.checklists.views.corrections  # noqa: E402,F401
import pmfield.checklists.views.field  # noqa: E402,F401
import pmfield.checklists.views.planning  # noqa: E402,F401
