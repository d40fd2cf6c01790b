"""The audit log page."""

from flask import request
from flask_login import current_user

from pmfield.audit import bp
from pmfield.audit import services
from pmfield.auth.roles import AUDIT_READERS
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required


@bp.route("/")
@roles_required(*AUDIT_READERS)
def list_entries():
    """Show who changed what and when, newest first."""
    page = max(request.args.get("page", 1, type=int), 1)
    site_id = request.args.get("site", type=int)
    entries, has_more = services.list_entries(current_user, site_id=site_id, page=page)
    return render_page(
        "audit/index.html", "audit/_entries.html", entries=entries, page=page, has_more=has_more
    )
