"""Places pages (being built)."""

from flask import render_template

from pmfield.places import bp
from pmfield.web.security import signed_in


@bp.route("/points")
@signed_in
def list_points():
    """List the points of the current site."""
    return render_template("places/index.html")
