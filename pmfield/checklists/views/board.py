"""Cleaning views for the supervisor's reading: the day's board, an area's history with its
photos, a month's pass rates, and the day's CSV export."""

from flask import Response
from flask import abort
from flask import request
from flask_login import current_user

from pmfield.auth.roles import CLEANING_MANAGERS
from pmfield.checklists import bp
from pmfield.checklists import reports
from pmfield.checklists import services
from pmfield.errors import DomainError
from pmfield.patrol.reports import parse_day
from pmfield.patrol.reports import parse_month
from pmfield.web.context import current_site
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

readers_only = roles_required(*CLEANING_MANAGERS)


def _site_or_404():
    site = current_site()
    if site is None:
        abort(404)
    return site


@bp.route("/board")
@readers_only
def board():
    """Today's (or ?date=YYYY-MM-DD's) checklists: on time, late, missing; failures."""
    site = _site_or_404()
    services.bring_up_to_date(site)
    raw = request.args.get("date", "")
    try:
        day = parse_day(raw, default=reports.site_today(site))
    except DomainError as error:
        return render_page("checklists/board.html", "checklists/_board.html", status=422,
                           site=site, board=None, date_error=error.message, raw_date=raw[:20])
    return render_page("checklists/board.html", "checklists/_board.html", site=site,
                       board=reports.board_for(site, day), date_error=None,
                       raw_date=day.isoformat())


@bp.route("/areas/<int:point_id>/history")
@readers_only
def area_history(point_id):
    """An area's last 30 days: every checklist and spot check, failures with photos."""
    point = reports.get_area_for_user(current_user, point_id)
    if point is None:
        abort(404)
    return render_page(
        "checklists/area_history.html", "checklists/_area_history.html", point=point,
        submissions=reports.area_history(point, reports.site_today(point.site)),
        days=reports.HISTORY_DAYS,
    )


@bp.route("/month")
@readers_only
def month():
    """A month's pass rate per area and per cleaner (?month=YYYY-MM)."""
    site = _site_or_404()
    raw = request.args.get("month", "")
    try:
        first = parse_month(raw, reports.site_today(site))
    except DomainError as error:
        return render_page("checklists/month.html", "checklists/_month.html", status=422,
                           site=site, month=None, areas=[], cleaners=[],
                           month_error=error.message, raw_month=raw[:20])
    areas, cleaners = reports.month_rates(site, first)
    return render_page("checklists/month.html", "checklists/_month.html", site=site,
                       month=first, areas=areas, cleaners=cleaners, month_error=None,
                       raw_month=first.strftime("%Y-%m"))


@bp.route("/export.csv")
@readers_only
def export_csv():
    """A day's checklists and spot checks as CSV, one line per answer (?date=YYYY-MM-DD)."""
    site = _site_or_404()
    try:
        day = parse_day(request.args.get("date"))
    except DomainError as error:
        return Response(error.message + "\n", status=422, mimetype="text/plain")
    response = Response(reports.export_day_csv(site, day), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="cleaning-{site.code}-{day.isoformat()}.csv"'
    )
    return response
