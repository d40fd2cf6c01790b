"""Access rows for the supervisor's patrol pages: board, run, timeline, history, report, CSV."""

from sqlalchemy import select

from pmfield.extensions import db
from pmfield.patrol import tick
from pmfield.patrol.models import PatrolRun
from tests.access_common import SS
from tests.access_common import A
from tests.access_common import M
from tests.access_common import Route
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule

MANAGERS = frozenset({SS, M, A})

ROWS = {
    "patrol.board": Route("GET", allowed=MANAGERS),
    "patrol.verify_chain_now": Route("POST", allowed=MANAGERS),
    "patrol.run_detail": Route("GET", {"run_id": "board_run"}, allowed=MANAGERS, site_scoped=True),
    "patrol.guard_day": Route("GET", {"user_id": "user"}, allowed=MANAGERS, site_scoped=True),
    "patrol.route_history": Route(
        "GET", {"route_id": "board_route"}, allowed=MANAGERS, site_scoped=True
    ),
    "patrol.daily_report": Route("GET", allowed=MANAGERS),
    "patrol.export_csv": Route("GET", {"date": "board_date"}, allowed=MANAGERS),
}


def objects(site, objects):
    """Return a route of the site with a schedule, one of its runs, and a day to export."""
    route = make_route(site, 2)
    make_schedule(route)
    tick.bring_up_to_date(site)
    run = db.session.scalar(
        select(PatrolRun).where(PatrolRun.route_id == route.id).order_by(PatrolRun.id).limit(1)
    )
    return {"board_route": route, "board_run": run, "board_date": "2026-03-01"}
