"""Label sheet pages (being built)."""

from flask import render_template

from pmfield.auth.roles import LABEL_PRINTERS
from pmfield.labels import bp
from pmfield.web.security import roles_required


@bp.route("/")
@roles_required(*LABEL_PRINTERS)
def choose():
    """Pick the points to print labels for."""
    return render_template("labels/choose.html")
