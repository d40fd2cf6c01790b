"""Patrol planning for the demo campus: a guard post, a night route and a day route.

Called by pmfield.demo.seed_demo once the demo site, its checkpoints and its users exist. The
teaching area, the student apartments and the valuables storage are the priority areas of the
practice; the night round walks them in a fixed order, the day round checks gates and grounds.
"""

from datetime import time

from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.patrol import planning
from pmfield.patrol.models import PatrolRoute
from pmfield.places.models import Point

NIGHT_POST = ("夜班巡逻A", "Night patrol A")
#: (zh, en, strict order, route minimum walk in seconds, [(point code, walk from previous)])
NIGHT_ROUTE = (
    "教学区及学生公寓夜间巡逻",
    "Night round: teaching area and student apartments",
    True,
    30,
    [
        ("A-1F-LOBBY", None),
        ("A-3F-CORR", 60),
        ("VAULT", 45),
        ("D3-GATE", 120),
        ("D4-GATE", 60),
        ("D8-GATE", 90),
    ],
)
DAY_ROUTE = (
    "日间校门及公共区巡查",
    "Day round: gates, valuables storage and grounds",
    False,
    30,
    [("GATE-S", None), ("GATE-E", None), ("VAULT", None), ("SPORTS", None)],
)


def _route(site, spec, points: dict[str, Point]):
    name_zh, name_en, strict, min_walk, stops = spec
    route = planning.create_route(
        site,
        name_zh=name_zh,
        name_en=name_en,
        strict_order=strict,
        min_walk_seconds=min_walk,
        actor=None,
    )
    for code, walk in stops:
        checkpoint = planning.add_checkpoint(route, points[code], actor=None)
        if walk:
            planning.set_walk_minimum(checkpoint, walk, actor=None)
    return route


def seed_patrol(site, users) -> bool:
    """Add the demo post, routes and schedules to the demo site; False when already there."""
    has_routes = db.session.scalar(
        select(func.count()).where(PatrolRoute.site_id == site.id)
    )
    if has_routes:
        return False
    points = {
        point.code: point
        for point in db.session.scalars(select(Point).where(Point.site_id == site.id))
    }
    guards = sorted(
        (user for user in users if user.role == Role.GUARD and user.active),
        key=lambda user: user.username,
    )
    post = planning.create_post(
        site, name_zh=NIGHT_POST[0], name_en=NIGHT_POST[1], guards=guards, actor=None
    )
    night = _route(site, NIGHT_ROUTE, points)
    planning.create_schedule(
        night,
        kind="fixed",
        times="22:00,00:00,02:00,04:00",
        weekdays="1234567",
        run_minutes=40,
        grace_minutes=10,
        post=post,
        actor=None,
    )
    day = _route(site, DAY_ROUTE, points)
    planning.create_schedule(
        day,
        kind="interval",
        interval_minutes=120,
        window_start=time(8, 0),
        window_end=time(20, 0),
        weekdays="1234567",
        run_minutes=60,
        grace_minutes=15,
        guards=guards,
        actor=None,
    )
    return True
