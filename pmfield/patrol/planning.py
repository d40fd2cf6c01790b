"""Planning patrols: routes (ordered checkpoints), schedules, posts and per-site settings.

Every change goes through one function here, checks the rules, writes one audit entry and
commits once. A change that affects runs replans them first (pmfield.patrol.schedules): runs
already started, or already scanned, stay as they were planned. Times of schedules are the
site's local wall-clock times.
"""

from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pmfield.audit import services as audit
from pmfield.auth.models import User
from pmfield.auth.roles import PATROL_WALKERS
from pmfield.errors import DomainError
from pmfield.errors import raise_first as _raise_first
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import check_names as _check_names
from pmfield.patrol import schedules
from pmfield.patrol.models import GRACE_MINUTES_MAX
from pmfield.patrol.models import RUN_MINUTES_MAX
from pmfield.patrol.models import PatrolPost
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolSchedule
from pmfield.patrol.models import PatrolSettings
from pmfield.patrol.models import RouteCheckpoint
from pmfield.patrol.models import ScheduleKind
from pmfield.places import services as places
from pmfield.places.models import Point
from pmfield.places.models import PointKind
from pmfield.places.models import Site
from pmfield.timeutil import utcnow

NAME_MAX = 120
#: Longest minimum walking time, in seconds (a longer walk is a different route).
WALK_MAX_SECONDS = 3600
#: How long a run may stay open, and its grace after that, in minutes.
RUN_MINUTES_MIN, GRACE_MINUTES_MIN = 1, 0
#: The step of an interval schedule, in minutes.
INTERVAL_MIN, INTERVAL_MAX = 5, 720
#: Most fixed times in one night (the stored text must fit its column).
TIMES_MAX = 48
#: Device clock tolerance, in seconds.
CLOCK_TOLERANCE_MIN, CLOCK_TOLERANCE_MAX = 10, 3600
#: How many upcoming runs a schedule's page previews.
PREVIEW_RUNS = 6
#: How far ahead the preview looks for runs (a schedule on one weekday still shows some).
PREVIEW_DAYS = 22
DAY_MINUTES = 24 * 60
ALL_WEEKDAYS = "1234567"
#: ISO weekday numbers and their short names, Monday first.
WEEKDAYS = (
    (1, _l("Mon")),
    (2, _l("Tue")),
    (3, _l("Wed")),
    (4, _l("Thu")),
    (5, _l("Fri")),
    (6, _l("Sat")),
    (7, _l("Sun")),
)


# --------------------------------------------------------------------------- helpers


def _clean(value) -> str:
    return "" if value is None else str(value).strip()




def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole_number(value, low: int, high: int, field: str, message: str) -> int:
    """Return `value` when it is an int within [low, high], else raise `message` on `field`."""
    if not _is_int(value) or not low <= value <= high:
        raise DomainError(message, field)
    return value


def _walk_seconds(value, field: str) -> int | None:
    """Check a minimum walking time: None (or 0) for none, else 1..WALK_MAX_SECONDS."""
    if value is None:
        return None
    value = _whole_number(
        value,
        0,
        WALK_MAX_SECONDS,
        field,
        _("Enter 0 to %(n)d seconds, or leave it empty.", n=WALK_MAX_SECONDS),
    )
    return value or None


def _commit(conflict_message, field: str) -> None:
    """Commit; a unique-constraint race becomes the same message as the upfront check."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DomainError(conflict_message(), field) from error


def _clock(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _on_user_sites(user, model, object_id, site_of):
    row = db.session.get(model, object_id) if is_valid_id(object_id) else None
    if row is None or not user.can_access_site(site_of(row)):
        return None
    return row


def list_site_guards(site: Site) -> list[User]:
    """Return the active guards and security supervisors of the site, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_([str(r) for r in PATROL_WALKERS]))
            .where(User.sites.any(Site.id == site.id))
            .order_by(User.display_name, User.id)
        )
    )


def _check_guards(site: Site, guards, field: str) -> list[User]:
    """Return the guards without repeats; each must be an active walker of the site."""
    allowed = {user.id for user in list_site_guards(site)}
    result = []
    for user in guards or ():
        if user is None or user.id not in allowed:
            name = user.display_name if user is not None else "?"
            raise DomainError(_("%(name)s is not an active guard of this site.", name=name), field)
        if user not in result:
            result.append(user)
    return result


# --------------------------------------------------------------------------- routes


def list_routes(site: Site, include_inactive: bool = False) -> list[PatrolRoute]:
    """Return the site's routes with their checkpoints and schedules: active first, by name."""
    query = (
        select(PatrolRoute)
        .where(PatrolRoute.site_id == site.id)
        .options(
            selectinload(PatrolRoute.checkpoints).selectinload(RouteCheckpoint.point),
            selectinload(PatrolRoute.schedules),
        )
    )
    if not include_inactive:
        query = query.where(PatrolRoute.active.is_(True))
    routes = db.session.scalars(query).all()
    return sorted(routes, key=lambda r: (not r.active, r.name.casefold(), r.id))


def get_route_for_user(user, route_id) -> PatrolRoute | None:
    """Return the route if the user may see its site, else None."""
    return _on_user_sites(user, PatrolRoute, route_id, lambda route: route.site)


def _route_values(route: PatrolRoute) -> dict:
    return {
        "name_zh": route.name_zh,
        "name_en": route.name_en,
        "strict_order": route.strict_order,
        "min_walk_seconds": route.min_walk_seconds,
    }


def _check_route(site: Site, name_zh, name_en, min_walk_seconds, route=None) -> tuple:
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    errors = _check_names(name_zh, name_en)
    if not errors:
        for other in list_routes(site, include_inactive=True):
            if other is route:
                continue
            for key, mine, theirs in (
                ("name_zh", name_zh, other.name_zh),
                ("name_en", name_en, other.name_en),
            ):
                if mine and mine.casefold() == (theirs or "").casefold():
                    errors.setdefault(
                        key, _("Another route is already called %(name)s.", name=mine)
                    )
    _raise_first(errors)
    return name_zh, name_en, _walk_seconds(min_walk_seconds, "min_walk_seconds")


def create_route(
    site: Site,
    *,
    name_zh: str,
    name_en: str,
    strict_order: bool = False,
    min_walk_seconds: int | None = None,
    actor,
) -> PatrolRoute:
    """Create an empty route on the site; add its checkpoints next.

    :raises DomainError: for missing or taken names or a bad walking time.
    """
    name_zh, name_en, min_walk = _check_route(site, name_zh, name_en, min_walk_seconds)
    route = PatrolRoute(
        site=site,
        name_zh=name_zh,
        name_en=name_en,
        strict_order=bool(strict_order),
        min_walk_seconds=min_walk,
    )
    db.session.add(route)
    db.session.flush()
    audit.record(
        actor,
        "patrol_route.create",
        route,
        site=site,
        label=route.name,
        changes=_route_values(route),
    )
    db.session.commit()
    return route


def update_route(
    route: PatrolRoute,
    *,
    name_zh: str,
    name_en: str,
    strict_order: bool,
    min_walk_seconds: int | None,
    actor,
) -> PatrolRoute:
    """Rename a route, change its order rule and its minimum walking time between checkpoints."""
    name_zh, name_en, min_walk = _check_route(route.site, name_zh, name_en, min_walk_seconds, route)
    before = _route_values(route)
    route.name_zh, route.name_en = name_zh, name_en
    route.strict_order, route.min_walk_seconds = bool(strict_order), min_walk
    changes = audit.diff(before, _route_values(route))
    if changes:
        audit.record(
            actor, "patrol_route.update", route, site=route.site, label=route.name, changes=changes
        )
    db.session.commit()
    return route


def _start_fresh(route: PatrolRoute, now: datetime) -> None:
    """Make the route's schedules start from now: no already-missed runs for the past."""
    for schedule in route.schedules:
        if schedule.effective_from < now:
            schedule.effective_from = now


def set_route_active(route: PatrolRoute, active: bool, *, actor, now=None) -> PatrolRoute:
    """Take a route out of use (its future runs are dropped) or back into use."""
    now = now or utcnow()
    active = bool(active)
    if route.active == active:
        return route
    route.active = active
    if active:
        _start_fresh(route, now)
    audit.record(
        actor,
        "patrol_route.activate" if active else "patrol_route.deactivate",
        route,
        site=route.site,
        label=route.name,
    )
    schedules.replan_route(route, now)
    db.session.commit()
    return route


# --------------------------------------------------------------------------- checkpoints


def checkpoint_choices(route: PatrolRoute) -> list[Point]:
    """Return the site's active points not on the route yet: checkpoints first, then by code."""
    taken = {checkpoint.point_id for checkpoint in route.checkpoints}
    points = db.session.scalars(
        select(Point).where(Point.site_id == route.site_id, Point.retired_at.is_(None))
    ).all()
    return sorted(
        (point for point in points if point.id not in taken),
        key=lambda p: (p.kind != PointKind.CHECKPOINT, p.code),
    )


def get_point_for_route(route: PatrolRoute, point_id) -> Point | None:
    """Return the point with this id if it is on the route's site, else None."""
    point = db.session.get(Point, point_id) if is_valid_id(point_id) else None
    if point is None or point.site_id != route.site_id:
        return None
    return point


def get_checkpoint(route: PatrolRoute, checkpoint_id) -> RouteCheckpoint | None:
    """Return the route's checkpoint with this id, else None."""
    return next((c for c in route.checkpoints if c.id == checkpoint_id), None)


def _renumber(ordered: list[RouteCheckpoint], before: dict[int, int | None]) -> list[str]:
    """Number checkpoints 1..n in `ordered`; clear minimums whose previous checkpoint changed.

    `before` maps checkpoint id to its previous point id before the change. A minimum is "from
    the previous checkpoint", so it means nothing once another point comes before it. Returns
    the codes whose minimum was cleared.
    """
    cleared = []
    previous = None
    for position, checkpoint in enumerate(ordered, start=1):
        checkpoint.position = position
        if checkpoint.min_walk_seconds and before.get(checkpoint.id) != previous:
            checkpoint.min_walk_seconds = None
            cleared.append(checkpoint.point.code)
        previous = checkpoint.point_id
    return cleared


def _previous_points(route: PatrolRoute) -> dict[int, int | None]:
    ordered = sorted(route.checkpoints, key=lambda c: c.position)
    return {c.id: (ordered[i - 1].point_id if i else None) for i, c in enumerate(ordered)}


def add_checkpoint(route: PatrolRoute, point: Point | None, *, actor, now=None) -> RouteCheckpoint:
    """Add a point of the route's site at the end of the route; future runs include it.

    :raises DomainError: for a point of another site, a retired point, or one already there.
    """
    now = now or utcnow()
    if point is None:
        raise DomainError(_("Choose a point of this site."), "point")
    if point.site_id != route.site_id:
        raise DomainError(_("%(code)s belongs to another site.", code=point.code), "point")
    if point.is_retired:
        raise DomainError(_("%(code)s is retired.", code=point.code), "point")
    if any(c.point_id == point.id for c in route.checkpoints):
        raise DomainError(_("%(code)s is already on this route.", code=point.code), "point")
    first = not route.checkpoints
    position = max((c.position for c in route.checkpoints), default=0) + 1
    checkpoint = RouteCheckpoint(point=point, position=position)
    route.checkpoints.append(checkpoint)
    db.session.flush()
    if first:
        _start_fresh(route, now)
    audit.record(
        actor,
        "patrol_route.add_checkpoint",
        route,
        site=route.site,
        label=route.name,
        changes={"point": point.code, "position": position},
    )
    schedules.replan_route(route, now)
    _commit(lambda: _("%(code)s is already on this route.", code=point.code), "point")
    return checkpoint


def _token_from(text: str) -> str:
    """Accept a bare token or a whole label URL (…/q/<token>)."""
    text = _clean(text)
    if "/q/" in text.lower():
        text = text[text.lower().rindex("/q/") + 3 :]
    return text.strip("/").upper()


def add_checkpoint_by_token(route: PatrolRoute, token, *, actor, now=None) -> RouteCheckpoint:
    """Add the point of a scanned label to the end of the route.

    :raises DomainError: for a forged, withdrawn or other-site label, or a retired point.
    """
    token = _token_from(token)
    if not token:
        raise DomainError(_("Scan a label, or choose a point from the list."), "token")
    label, status = places.resolve_token(token)
    if status == "invalid":
        raise DomainError(_("This is not a valid pmfield label. Nothing was added."), "token")
    if status == "revoked":
        raise DomainError(_("This label was withdrawn. Scan the point's current label."), "token")
    if status == "retired":
        raise DomainError(_("This label's point is retired. Nothing was added."), "token")
    if label.point.site_id != route.site_id:
        raise DomainError(_("This label belongs to another site. Nothing was added."), "token")
    try:
        return add_checkpoint(route, label.point, actor=actor, now=now)
    except DomainError as error:
        raise DomainError(error.message, "token") from None


def move_checkpoint(
    route: PatrolRoute, checkpoint: RouteCheckpoint, direction: str, *, actor, now=None
) -> RouteCheckpoint:
    """Move a checkpoint one place "up" (earlier) or "down" (later) in the route."""
    now = now or utcnow()
    if checkpoint.route_id != route.id:
        raise DomainError(_("This checkpoint is not on this route."))
    ordered = sorted(route.checkpoints, key=lambda c: c.position)
    index = ordered.index(checkpoint)
    if direction == "up":
        other = index - 1
        if other < 0:
            raise DomainError(
                _("%(code)s is already first.", code=checkpoint.point.code), "direction"
            )
    elif direction == "down":
        other = index + 1
        if other >= len(ordered):
            raise DomainError(
                _("%(code)s is already last.", code=checkpoint.point.code), "direction"
            )
    else:
        raise DomainError(_("Choose to move up or down."), "direction")
    before = _previous_points(route)
    old_position = checkpoint.position
    ordered[index], ordered[other] = ordered[other], ordered[index]
    cleared = _renumber(ordered, before)
    changes = {
        "point": checkpoint.point.code,
        "position": [old_position, checkpoint.position],
    }
    if cleared:
        changes["walk_minimums_cleared"] = cleared
    audit.record(
        actor,
        "patrol_route.move_checkpoint",
        route,
        site=route.site,
        label=route.name,
        changes=changes,
    )
    schedules.replan_route(route, now)
    db.session.commit()
    return checkpoint


def remove_checkpoint(route: PatrolRoute, checkpoint: RouteCheckpoint, *, actor, now=None) -> None:
    """Take a checkpoint off the route; runs not started yet no longer include it."""
    now = now or utcnow()
    if checkpoint.route_id != route.id:
        raise DomainError(_("This checkpoint is not on this route."))
    before = _previous_points(route)
    code, position = checkpoint.point.code, checkpoint.position
    ordered = sorted(
        (c for c in route.checkpoints if c is not checkpoint), key=lambda c: c.position
    )
    route.checkpoints.remove(checkpoint)
    cleared = _renumber(ordered, before)
    changes = {"point": code, "position": position}
    if cleared:
        changes["walk_minimums_cleared"] = cleared
    audit.record(
        actor,
        "patrol_route.remove_checkpoint",
        route,
        site=route.site,
        label=route.name,
        changes=changes,
    )
    db.session.flush()
    schedules.replan_route(route, now)
    db.session.commit()


def set_walk_minimum(checkpoint: RouteCheckpoint, seconds: int | None, *, actor) -> RouteCheckpoint:
    """Set the minimum walking time from the previous checkpoint (None: the route's minimum).

    Scans faster than this are flagged; nothing about runs changes.
    """
    if checkpoint.position == 1:
        raise DomainError(_("The first checkpoint has no previous one."), "seconds")
    seconds = _walk_seconds(seconds, "seconds")
    before = checkpoint.min_walk_seconds
    if before == seconds:
        return checkpoint
    checkpoint.min_walk_seconds = seconds
    route = checkpoint.route
    audit.record(
        actor,
        "patrol_route.set_walk_minimum",
        route,
        site=route.site,
        label=route.name,
        changes={"point": checkpoint.point.code, "min_walk_seconds": [before, seconds]},
    )
    db.session.commit()
    return checkpoint


# --------------------------------------------------------------------------- schedules


def get_schedule_for_user(user, schedule_id) -> PatrolSchedule | None:
    """Return the schedule if the user may see its route's site, else None."""
    return _on_user_sites(user, PatrolSchedule, schedule_id, lambda s: s.route.site)


def normalize_weekdays(value) -> str:
    """Normalise "135", ["1", "3"] or [1, 3] into sorted ISO weekday digits."""
    if value is None:
        value = ""
    items = list(value) if not isinstance(value, str) else list(value.replace(",", ""))
    digits = set()
    for item in items:
        text = _clean(item)
        if text not in ALL_WEEKDAYS or len(text) != 1:
            raise DomainError(_("Choose days of the week from the list."), "weekdays")
        digits.add(text)
    if not digits:
        raise DomainError(_("Choose at least one day of the week."), "weekdays")
    return "".join(sorted(digits))


def _bad_time(text) -> str:
    """Return the first part of `text` that is not a time (for the error message)."""
    for part in _clean(text).replace("，", ",").replace(" ", ",").split(","):
        try:
            schedules.parse_times(part)
        except ValueError:
            return part
    return _clean(text)


def _check_fixed_times(text, run_minutes: int) -> str:
    """Check fixed times in night order; return them as stored ("22:00,00:00,02:00")."""
    try:
        times = schedules.parse_times(text)
    except ValueError:
        raise DomainError(
            _(
                "“%(value)s” is not a time. Write times as HH:MM, e.g. 22:00, 00:00.",
                value=_bad_time(text),
            ),
            "times",
        ) from None
    if not times:
        raise DomainError(_("Enter at least one time, e.g. 22:00."), "times")
    if len(times) > TIMES_MAX:
        raise DomainError(_("Enter at most %(n)d times.", n=TIMES_MAX), "times")
    seen = set()
    for at in times:
        if at in seen:
            raise DomainError(_("%(time)s is listed twice.", time=_clock(at)), "times")
        seen.add(at)
    first = _minutes(times[0])
    # Minutes since the night's first time: a time earlier than the first is after midnight.
    offsets = [_minutes(at) + (DAY_MINUTES if _minutes(at) < first else 0) for at in times]
    for i in range(1, len(times)):
        if offsets[i] < offsets[i - 1]:
            raise DomainError(
                _(
                    "List the times in the order of the night: %(time)s comes before %(previous)s.",
                    time=_clock(times[i]),
                    previous=_clock(times[i - 1]),
                ),
                "times",
            )
        if offsets[i] < offsets[i - 1] + run_minutes:
            raise DomainError(
                _(
                    "The %(previous)s round is still open at %(time)s (rounds last %(run)d "
                    "minutes). Leave at least %(run)d minutes between times, or shorten "
                    "the rounds.",
                    previous=_clock(times[i - 1]),
                    time=_clock(times[i]),
                    run=run_minutes,
                ),
                "times",
            )
    if offsets[-1] + run_minutes > first + DAY_MINUTES:
        raise DomainError(
            _(
                "The %(last)s round would still be open when the next night starts at "
                "%(first)s. Shorten the rounds or drop a time.",
                last=_clock(times[-1]),
                first=_clock(times[0]),
            ),
            "times",
        )
    return ",".join(_clock(at) for at in times)


def _check_interval(interval_minutes, window_start, window_end, run_minutes: int) -> None:
    interval = _whole_number(
        interval_minutes,
        INTERVAL_MIN,
        INTERVAL_MAX,
        "interval_minutes",
        _("Enter %(low)d to %(high)d minutes.", low=INTERVAL_MIN, high=INTERVAL_MAX),
    )
    if not isinstance(window_start, time):
        raise DomainError(_("Enter when the daily window starts, e.g. 08:00."), "window_start")
    if not isinstance(window_end, time):
        raise DomainError(_("Enter when the daily window ends, e.g. 20:00."), "window_end")
    start, end = _minutes(window_start), _minutes(window_end)
    if start == end:
        raise DomainError(
            _("The window is empty: the end must differ from the start."), "window_end"
        )
    if run_minutes > interval:
        raise DomainError(
            _(
                "Rounds would overlap: with a round every %(n)d minutes, each may last at "
                "most %(n)d minutes.",
                n=interval,
            ),
            "run_minutes",
        )
    if end < start:  # the window runs past midnight
        end += DAY_MINUTES
    last = start + (end - start - 1) // interval * interval
    if last + run_minutes > start + DAY_MINUTES:
        raise DomainError(
            _(
                "The last round would still be open when the next day's window starts. "
                "Shorten the window or the rounds."
            ),
            "window_end",
        )


def _check_schedule(
    route: PatrolRoute,
    *,
    kind,
    times,
    interval_minutes,
    window_start,
    window_end,
    weekdays,
    run_minutes,
    grace_minutes,
    post,
    guards,
) -> dict:
    """Check a schedule's values; return them normalised, ready to store."""
    try:
        kind = ScheduleKind(_clean(kind))
    except ValueError:
        raise DomainError(_("Choose fixed times or an interval."), "kind") from None
    run_minutes = _whole_number(
        run_minutes,
        RUN_MINUTES_MIN,
        RUN_MINUTES_MAX,
        "run_minutes",
        _("Enter %(low)d to %(high)d minutes.", low=RUN_MINUTES_MIN, high=RUN_MINUTES_MAX),
    )
    grace_minutes = _whole_number(
        grace_minutes,
        GRACE_MINUTES_MIN,
        GRACE_MINUTES_MAX,
        "grace_minutes",
        _("Enter %(low)d to %(high)d minutes.", low=GRACE_MINUTES_MIN, high=GRACE_MINUTES_MAX),
    )
    values = {
        "kind": kind.value,
        "times": None,
        "interval_minutes": None,
        "window_start": None,
        "window_end": None,
        "run_minutes": run_minutes,
        "grace_minutes": grace_minutes,
    }
    if kind == ScheduleKind.FIXED:
        values["times"] = _check_fixed_times(times, run_minutes)
    else:
        _check_interval(interval_minutes, window_start, window_end, run_minutes)
        values["interval_minutes"] = interval_minutes
        values["window_start"] = window_start.replace(second=0, microsecond=0)
        values["window_end"] = window_end.replace(second=0, microsecond=0)
    values["weekdays"] = normalize_weekdays(weekdays)
    if post is not None:
        if post.site_id != route.site_id:
            raise DomainError(_("Choose a post of this site."), "post")
        if not post.active:
            raise DomainError(_("%(name)s is no longer in use.", name=post.name), "post")
    values["guards"] = _check_guards(route.site, guards, "guards")
    if post is not None and values["guards"]:
        raise DomainError(_("Assign the rounds to a post or to named guards, not both."), "guards")
    values["post"] = post
    return values


def _schedule_values(schedule: PatrolSchedule) -> dict:
    return {
        "kind": schedule.kind,
        "times": schedule.times,
        "interval_minutes": schedule.interval_minutes,
        "window_start": _clock(schedule.window_start),
        "window_end": _clock(schedule.window_end),
        "weekdays": schedule.weekdays,
        "run_minutes": schedule.run_minutes,
        "grace_minutes": schedule.grace_minutes,
        "post": schedule.post.name if schedule.post else None,
        "guards": ", ".join(sorted(user.username for user in schedule.guards)),
    }


def create_schedule(
    route: PatrolRoute,
    *,
    kind: str,
    times: str | None = None,
    interval_minutes: int | None = None,
    window_start: time | None = None,
    window_end: time | None = None,
    weekdays="1234567",
    run_minutes: int,
    grace_minutes: int = 0,
    post: PatrolPost | None = None,
    guards=(),
    actor,
    now=None,
) -> PatrolSchedule:
    """Schedule a route at fixed local times or every N minutes in a daily window.

    Runs start from now on: a schedule made at 15:00 has no already-missed 02:00 run.

    :raises DomainError: naming the field, for any value that breaks the rules.
    """
    now = now or utcnow()
    values = _check_schedule(
        route,
        kind=kind,
        times=times,
        interval_minutes=interval_minutes,
        window_start=window_start,
        window_end=window_end,
        weekdays=weekdays,
        run_minutes=run_minutes,
        grace_minutes=grace_minutes,
        post=post,
        guards=guards,
    )
    schedule = PatrolSchedule(route=route, effective_from=now, active=True, **values)
    db.session.add(schedule)
    db.session.flush()
    audit.record(
        actor,
        "patrol_schedule.create",
        schedule,
        site=route.site,
        label=route.name,
        changes=_schedule_values(schedule),
    )
    schedules.replan_schedule(schedule, now)
    db.session.commit()
    return schedule


def update_schedule(
    schedule: PatrolSchedule,
    *,
    kind: str,
    times: str | None = None,
    interval_minutes: int | None = None,
    window_start: time | None = None,
    window_end: time | None = None,
    weekdays="1234567",
    run_minutes: int,
    grace_minutes: int = 0,
    post: PatrolPost | None = None,
    guards=(),
    actor,
    now=None,
) -> PatrolSchedule:
    """Change a schedule; its runs not started yet follow the new values from now on."""
    now = now or utcnow()
    route = schedule.route
    values = _check_schedule(
        route,
        kind=kind,
        times=times,
        interval_minutes=interval_minutes,
        window_start=window_start,
        window_end=window_end,
        weekdays=weekdays,
        run_minutes=run_minutes,
        grace_minutes=grace_minutes,
        post=post,
        guards=guards,
    )
    before = _schedule_values(schedule)
    for key, value in values.items():
        setattr(schedule, key, value)
    changes = audit.diff(before, _schedule_values(schedule))
    if not changes:
        return schedule
    audit.record(
        actor,
        "patrol_schedule.update",
        schedule,
        site=route.site,
        label=route.name,
        changes=changes,
    )
    schedules.replan_schedule(schedule, now)
    db.session.commit()
    return schedule


def set_schedule_active(schedule: PatrolSchedule, active: bool, *, actor, now=None):
    """Pause a schedule (its future runs are dropped) or resume it from now on."""
    now = now or utcnow()
    active = bool(active)
    if schedule.active == active:
        return schedule
    schedule.active = active
    route = schedule.route
    audit.record(
        actor,
        "patrol_schedule.activate" if active else "patrol_schedule.deactivate",
        schedule,
        site=route.site,
        label=route.name,
    )
    schedules.replan_schedule(schedule, now)
    db.session.commit()
    return schedule


def upcoming_slots(
    schedule: PatrolSchedule, now: datetime | None = None, count: int = PREVIEW_RUNS
) -> list[schedules.Slot]:
    """Return the schedule's next `count` runs starting from now (as planned, site time)."""
    now = now or utcnow()
    tz = ZoneInfo(schedule.route.site.timezone)
    today = now.astimezone(tz).date()
    slots = []
    # Start a day early: last night's after-midnight times are still ahead this morning.
    # Nights do not overlap, so one more day after `count` runs cannot bring earlier ones.
    enough_on = None
    for offset in range(-1, PREVIEW_DAYS):
        if enough_on is not None and offset > enough_on + 1:
            break
        slots.extend(
            slot
            for slot in schedules.slots_for_day(schedule, today + timedelta(days=offset), tz)
            if slot.starts_at >= now
        )
        if enough_on is None and len(slots) >= count:
            enough_on = offset
    return sorted(slots, key=lambda slot: slot.starts_at)[:count]


def weekday_names(weekdays: str) -> list[str]:
    """Return the short names of the ISO weekday digits in `weekdays`, Monday first."""
    return [str(name) for number, name in WEEKDAYS if str(number) in (weekdays or "")]


# --------------------------------------------------------------------------- posts


def list_posts(site: Site, include_inactive: bool = True) -> list[PatrolPost]:
    """Return the site's posts: in use first, by name."""
    query = (
        select(PatrolPost)
        .where(PatrolPost.site_id == site.id)
        .options(selectinload(PatrolPost.guards))
    )
    if not include_inactive:
        query = query.where(PatrolPost.active.is_(True))
    posts = db.session.scalars(query).all()
    return sorted(posts, key=lambda p: (not p.active, p.name.casefold(), p.id))


def get_post_for_user(user, post_id) -> PatrolPost | None:
    """Return the post if the user may see its site, else None."""
    return _on_user_sites(user, PatrolPost, post_id, lambda post: post.site)


def _post_name_taken(site: Site, name_zh: str, post=None) -> bool:
    query = select(func.count()).where(PatrolPost.site_id == site.id, PatrolPost.name_zh == name_zh)
    if post is not None:
        query = query.where(PatrolPost.id != post.id)
    return bool(db.session.scalar(query))


def _post_name_message(name_zh: str) -> str:
    if name_zh:
        return _("Another post is already called %(name)s.", name=name_zh)
    return _("Another post has no Chinese name: enter one for this post.")


def _check_post(site: Site, name_zh, name_en, post=None) -> tuple[str, str]:
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    errors = _check_names(name_zh, name_en)
    if not errors and _post_name_taken(site, name_zh, post):
        errors["name_zh"] = _post_name_message(name_zh)
    _raise_first(errors)
    return name_zh, name_en


def _post_values(post: PatrolPost) -> dict:
    return {
        "name_zh": post.name_zh,
        "name_en": post.name_en,
        "guards": ", ".join(sorted(user.username for user in post.guards)),
    }


def create_post(site: Site, *, name_zh: str, name_en: str, guards=(), actor) -> PatrolPost:
    """Create a guard post (岗位) with the guards who stand it.

    :raises DomainError: for missing or taken names, or guards not of this site.
    """
    name_zh, name_en = _check_post(site, name_zh, name_en)
    guards = _check_guards(site, guards, "guards")
    post = PatrolPost(site=site, name_zh=name_zh, name_en=name_en, active=True, guards=guards)
    db.session.add(post)
    db.session.flush()
    audit.record(
        actor, "patrol_post.create", post, site=site, label=post.name, changes=_post_values(post)
    )
    _commit(lambda: _post_name_message(name_zh), "name_zh")
    return post


def update_post(post: PatrolPost, *, name_zh: str, name_en: str, guards=None, actor) -> PatrolPost:
    """Rename a post and, unless `guards` is None, set who stands it."""
    name_zh, name_en = _check_post(post.site, name_zh, name_en, post)
    if guards is not None:
        guards = _check_guards(post.site, guards, "guards")
    before = _post_values(post)
    post.name_zh, post.name_en = name_zh, name_en
    if guards is not None:
        post.guards = guards
    changes = audit.diff(before, _post_values(post))
    if changes:
        audit.record(
            actor, "patrol_post.update", post, site=post.site, label=post.name, changes=changes
        )
    _commit(lambda: _post_name_message(name_zh), "name_zh")
    return post


def set_post_guards(post: PatrolPost, guards, *, actor) -> PatrolPost:
    """Set the guards who stand a post (each an active guard of the post's site)."""
    guards = _check_guards(post.site, guards, "guards")
    before = _post_values(post)
    post.guards = guards
    changes = audit.diff(before, _post_values(post))
    if changes:
        audit.record(
            actor,
            "patrol_post.set_guards",
            post,
            site=post.site,
            label=post.name,
            changes=changes,
        )
    db.session.commit()
    return post


def set_post_active(post: PatrolPost, active: bool, *, actor) -> PatrolPost:
    """Take a post out of use, or back into use.

    :raises DomainError: when active schedules are still assigned to the post.
    """
    active = bool(active)
    if post.active == active:
        return post
    if not active:
        in_use = db.session.scalar(
            select(func.count()).where(
                PatrolSchedule.post_id == post.id, PatrolSchedule.active.is_(True)
            )
        )
        if in_use:
            raise DomainError(
                _(
                    "%(name)s still has active schedules. Assign them to another post or "
                    "pause them first.",
                    name=post.name,
                ),
                "active",
            )
    post.active = active
    audit.record(
        actor,
        "patrol_post.activate" if active else "patrol_post.deactivate",
        post,
        site=post.site,
        label=post.name,
    )
    db.session.commit()
    return post


# --------------------------------------------------------------------------- settings


def get_settings(site: Site) -> PatrolSettings:
    """Return the site's patrol settings (the defaults, unsaved, when never changed)."""
    return db.session.get(PatrolSettings, site.id) or PatrolSettings(
        site_id=site.id, clock_tolerance_seconds=PatrolSettings.DEFAULT_CLOCK_TOLERANCE
    )


def update_settings(site: Site, *, clock_tolerance_seconds: int, actor) -> PatrolSettings:
    """Set how far a phone's clock may be off before its check-ins are flagged."""
    tolerance = _whole_number(
        clock_tolerance_seconds,
        CLOCK_TOLERANCE_MIN,
        CLOCK_TOLERANCE_MAX,
        "clock_tolerance_seconds",
        _(
            "Enter %(low)d to %(high)d seconds.",
            low=CLOCK_TOLERANCE_MIN,
            high=CLOCK_TOLERANCE_MAX,
        ),
    )
    settings = db.session.get(PatrolSettings, site.id)
    before = settings.clock_tolerance_seconds if settings else None
    if settings is None:
        settings = PatrolSettings(site_id=site.id)
        db.session.add(settings)
    settings.clock_tolerance_seconds = tolerance
    if before != tolerance:
        audit.record(
            actor,
            "patrol_settings.update",
            site,
            site=site,
            label=site.code,
            changes={"clock_tolerance_seconds": [before, tolerance]},
        )
    db.session.commit()
    return settings
