"""Patrol views: the supervisor's board, timelines, history, daily report and CSV export."""

from flask import Response
from flask import abort
from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from pmfield.auth.roles import PATROL_MANAGERS
from pmfield.errors import DomainError
from pmfield.patrol import bp
from pmfield.patrol import chain
from pmfield.patrol import reports
from pmfield.patrol import tick
from pmfield.places.services import site_time
from pmfield.web.context import current_site
from pmfield.web.htmx import redirect_to
from pmfield.web.htmx import render_page
from pmfield.web.security import roles_required

managers_only = roles_required(*PATROL_MANAGERS)


@bp.app_template_filter("site_clock")
def site_clock_filter(moment, site, seconds=False) -> str:
    """Format a UTC moment as the site's wall-clock time: 22:05 (or 22:05:09)."""
    local = site_time(site, moment)
    if local is None:
        return ""
    return local.strftime("%H:%M:%S" if seconds else "%H:%M")


def _site_or_404():
    site = current_site()
    if site is None:
        abort(404)
    return site


def _day(site):
    """Return (day, error message): ?date=YYYY-MM-DD, by default today at the site."""
    try:
        return reports.parse_day(request.args.get("date"), reports.site_today(site)), None
    except DomainError as error:
        return None, error.message


@bp.route("/")
@managers_only
def board():
    """Today's runs per route: done, left, missed, by whom; refreshed every 30 s by htmx."""
    site = _site_or_404()
    tick.bring_up_to_date(site)
    day, date_error = _day(site)
    return render_page(
        "patrol/board.html",
        "patrol/_board.html",
        status=422 if date_error else 200,
        site=site,
        day=day,
        date_error=date_error,
        board=reports.board_for(site, day) if day else None,
        raw_date=request.args.get("date", ""),
    )


@bp.route("/chain/verify", methods=["POST"])
@managers_only
def verify_chain_now():
    """Verify the site's check-in chain now and store the result for the board."""
    site = _site_or_404()
    check = chain.record_chain_check(site)
    if check.ok:
        flash(
            ngettext(
                "Chain intact: %(num)d check-in verified.",
                "Chain intact: %(num)d check-ins verified.",
                check.rows_checked,
            ),
            "success",
        )
    else:
        flash(_("The check-in chain is BROKEN: check-ins were changed or deleted."), "error")
    return redirect_to("patrol.board")


@bp.route("/runs/<int:run_id>")
@managers_only
def run_detail(run_id):
    """One run: every checkpoint with its scan (guard, time, flags, GPS) or its miss."""
    run = reports.get_run_for_user(current_user, run_id)
    if run is None:
        abort(404)
    site = run.route.site
    tick.bring_up_to_date(site)
    summary = reports.run_detail(run)
    return render_page(
        "patrol/run.html",
        "patrol/_run.html",
        site=site,
        summary=summary,
        notes=reports.flag_notes(rp.check_in for rp in summary.run.points),
    )


@bp.route("/guards/<int:user_id>/day")
@managers_only
def guard_day(user_id):
    """One guard's check-ins of a day, the runs they counted for, and their incidents."""
    found = reports.get_walker_for_user(current_user, user_id, current_site())
    if found is None:
        abort(404)
    guard, site = found
    tick.bring_up_to_date(site)
    day, date_error = _day(site)
    return render_page(
        "patrol/guard_day.html",
        "patrol/_guard_day.html",
        status=422 if date_error else 200,
        site=site,
        guard=guard,
        day=day,
        date_error=date_error,
        timeline=reports.guard_day(site, guard, day) if day else None,
        raw_date=request.args.get("date", ""),
    )


@bp.route("/routes/<int:route_id>/history")
@managers_only
def route_history(route_id):
    """A route's last 30 days: runs complete, partial and missed per day."""
    route = reports.get_route_for_user(current_user, route_id)
    if route is None:
        abort(404)
    site = route.site
    tick.bring_up_to_date(site)
    return render_page(
        "patrol/route_history.html",
        "patrol/_route_history.html",
        site=site,
        history=reports.route_history(route, reports.site_today(site)),
    )


@bp.route("/report")
@managers_only
def daily_report():
    """The printable daily patrol report: runs, missed checkpoints, flags, incidents, chain."""
    site = _site_or_404()
    tick.bring_up_to_date(site)
    day, date_error = _day(site)
    return render_page(
        "patrol/report.html",
        "patrol/_report.html",
        status=422 if date_error else 200,
        site=site,
        day=day,
        date_error=date_error,
        report=reports.daily_report(site, day) if day else None,
        raw_date=request.args.get("date", ""),
    )


@bp.route("/export.csv")
@managers_only
def export_csv():
    """A day's check-ins and runs as CSV (?date=YYYY-MM-DD is required)."""
    site = _site_or_404()
    try:
        day = reports.parse_day(request.args.get("date"))
    except DomainError as error:
        return Response(error.message + "\n", status=422, mimetype="text/plain")
    tick.bring_up_to_date(site)
    response = Response(reports.export_day_csv(site, day), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{reports.export_filename(site, day)}"'
    )
    return response
