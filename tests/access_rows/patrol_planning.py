"""Access rows for patrol planning: routes, checkpoints, schedules, posts and settings.

Only PATROL_MANAGERS (security supervisor, manager, admin) reach these pages. The matrix posts
empty forms: a move without a direction or an on/off button without a value is a 422 for the
allowed roles, which the matrix counts as reaching the route.
"""

from pmfield.patrol import planning
from tests import factories
from tests.access_common import SS
from tests.access_common import A
from tests.access_common import M
from tests.access_common import Route
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule

MANAGERS = frozenset({SS, M, A})
ROUTE = {"route_id": "planning_route"}
CHECKPOINT = {"route_id": "planning_route", "checkpoint_id": "planning_checkpoint"}
SCHEDULE = {"schedule_id": "planning_schedule"}
POST = {"post_id": "planning_post"}

ROWS = {
    "patrol.list_routes": Route("GET", allowed=MANAGERS),
    "patrol.create_route": Route("POST", allowed=MANAGERS),
    "patrol.route_detail": Route("GET", ROUTE, allowed=MANAGERS, site_scoped=True),
    "patrol.edit_route": Route("POST", ROUTE, allowed=MANAGERS, site_scoped=True),
    "patrol.set_route_active": Route("POST", ROUTE, allowed=MANAGERS, site_scoped=True),
    "patrol.scan_route_checkpoint": Route("GET", ROUTE, allowed=MANAGERS, site_scoped=True),
    "patrol.add_route_checkpoint": Route("POST", ROUTE, allowed=MANAGERS, site_scoped=True),
    "patrol.move_route_checkpoint": Route("POST", CHECKPOINT, allowed=MANAGERS, site_scoped=True),
    "patrol.remove_route_checkpoint": Route("POST", CHECKPOINT, allowed=MANAGERS, site_scoped=True),
    "patrol.set_walk_minimum": Route("POST", CHECKPOINT, allowed=MANAGERS, site_scoped=True),
    "patrol.create_schedule": Route("POST", ROUTE, allowed=MANAGERS, site_scoped=True),
    "patrol.edit_schedule": Route("POST", SCHEDULE, allowed=MANAGERS, site_scoped=True),
    "patrol.set_schedule_active": Route("POST", SCHEDULE, allowed=MANAGERS, site_scoped=True),
    "patrol.list_posts": Route("GET", allowed=MANAGERS),
    "patrol.create_post": Route("POST", allowed=MANAGERS),
    "patrol.edit_post": Route("POST", POST, allowed=MANAGERS, site_scoped=True),
    "patrol.set_post_active": Route("POST", POST, allowed=MANAGERS, site_scoped=True),
    "patrol.edit_settings": Route("POST", allowed=MANAGERS),
}


def objects(site, objects):
    """Return a scheduled route of the site (its second checkpoint), and a post."""
    points = [factories.make_point(site, objects["location"]) for _ in range(3)]
    route = make_route(site, points=points, name_zh=f"规划{site.code}", name_en=f"Plan {site.code}")
    schedule = make_schedule(route, times="22:00")
    post = planning.create_post(
        site, name_zh=f"岗位{site.code}", name_en=f"Post {site.code}", actor=None
    )
    return {
        "planning_route": route,
        "planning_checkpoint": route.checkpoints[1],
        "planning_schedule": schedule,
        "planning_post": post,
    }
