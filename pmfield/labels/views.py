"""Label sheet pages: choose points, print an A4 sheet, download the PDF."""

import io

from flask import abort
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_login import current_user

from pmfield.auth.roles import LABEL_PRINTERS
from pmfield.extensions import is_valid_id
from pmfield.labels import bp
from pmfield.labels import services
from pmfield.labels.services import EmptySelectionError
from pmfield.places.models import PointKind
from pmfield.places.services import list_points
from pmfield.web.context import current_site
from pmfield.web.security import roles_required


def _parse_id(value: str) -> int:
    """Return a database id, or 404: a malformed id names nothing anybody can see."""
    if not value.isdigit() or not is_valid_id(int(value)):
        abort(404)
    return int(value)


def parse_selection(args) -> tuple[list[int], int | None]:
    """Read ?point=ID (repeatable) and ?site=ID."""
    point_ids = [_parse_id(value) for value in args.getlist("point")]
    site_id = _parse_id(args["site"]) if args.get("site") else None
    return point_ids, site_id


def _parse_kind(args) -> str | None:
    kind = args.get("kind") or None
    return kind if kind in set(PointKind) else None


def _render_choose(error: str | None = None, status: int = 200, selected=()):
    """Render the choose page for the current site (also after an empty selection)."""
    site = current_site()
    kind = _parse_kind(request.args)
    points = list_points(current_user, site, kinds=[kind] if kind else None) if site else []
    select_all = request.args.get("all") == "1"
    return render_template(
        "labels/choose.html",
        site=site,
        kind=kind,
        kind_options=[(choice.value, choice.label) for choice in PointKind],
        rows=[(point, services.skip_reason(point)) for point in points],
        selected=set(selected),
        select_all=select_all,
        error=error,
    ), status


def _select(point_ids, site_id):
    """Return the selection, or the choose page with the reason it is empty (422)."""
    try:
        return services.select_points(current_user, point_ids, site_id)
    except EmptySelectionError as error:
        return _render_choose(error.message, 422, point_ids)


@bp.route("/")
@roles_required(*LABEL_PRINTERS)
def choose():
    """Pick the points to print labels for."""
    return _render_choose()


@bp.route("/sheet")
@roles_required(*LABEL_PRINTERS)
def sheet():
    """The A4 print page of the chosen labels."""
    point_ids, site_id = parse_selection(request.args)
    selection = _select(point_ids, site_id)
    if not isinstance(selection, services.Selection):
        return selection
    cells = services.build_cells(selection.points)
    return render_template(
        "labels/sheet.html",
        pages=services.paginate(cells),
        label_count=len(cells),
        notes=selection.messages(),
        pdf_url=url_for("labels.sheet_pdf", point=point_ids, site=site_id),
    )


@bp.route("/sheet.pdf")
@roles_required(*LABEL_PRINTERS)
def sheet_pdf():
    """The same labels as a PDF download."""
    point_ids, site_id = parse_selection(request.args)
    selection = _select(point_ids, site_id)
    if not isinstance(selection, services.Selection):
        return selection
    pdf = services.render_pdf(services.build_cells(selection.points))
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=services.sheet_filename(selection.points),
    )
