"""Patrol test data: routes over fresh checkpoints, schedules, and scans at chosen times."""

from datetime import UTC
from datetime import datetime
from datetime import time

from pmfield.extensions import db
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolSchedule
from pmfield.patrol.models import RouteCheckpoint
from pmfield.places import services as places
from tests import factories

#: Schedules made by these factories take effect from here, so tests can place runs freely.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def make_route(site, n_points=4, *, points=None, strict=False, min_walk=None, **kw):
    points = points or [
        factories.make_point(site, code=f"CP-{site.code}-{i}") for i in range(1, n_points + 1)
    ]
    route = PatrolRoute(
        site=site,
        name_zh=kw.pop("name_zh", "夜间巡逻"),
        name_en=kw.pop("name_en", "Night round"),
        strict_order=strict,
        min_walk_seconds=min_walk,
        **kw,
    )
    route.checkpoints = [
        RouteCheckpoint(point_id=p.id, position=i) for i, p in enumerate(points, start=1)
    ]
    db.session.add(route)
    db.session.commit()
    return route


def make_schedule(route, *, times="22:00,00:00,02:00,04:00", run_minutes=30, grace_minutes=10,
                  weekdays="1234567", **kw):
    schedule = PatrolSchedule(
        route=route,
        kind=kw.pop("kind", "fixed"),
        times=times,
        run_minutes=run_minutes,
        grace_minutes=grace_minutes,
        weekdays=weekdays,
        effective_from=kw.pop("effective_from", EPOCH),
        **kw,
    )
    db.session.add(schedule)
    db.session.commit()
    return schedule


def make_interval_schedule(route, *, every=60, start=time(8), end=time(18), **kw):
    return make_schedule(
        route, kind="interval", times=None, interval_minutes=every, window_start=start,
        window_end=end, **kw,
    )


def token_of(point) -> str:
    return places.label_token(point.current_label)


def local(site, *args) -> datetime:
    """A site-local wall time as an aware UTC datetime: local(site, 2026, 11, 20, 22, 0)."""
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(site.timezone)).astimezone(UTC)
