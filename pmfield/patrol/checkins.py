"""Recording a check-in: verify the label, flag what is suspicious, chain it, match it to runs.

Check-ins are facts. The guard never "starts" a round: a scan of a route's checkpoint inside a
run's window (or its grace) counts for that run. Rules, in order:
- a scan counts for the earliest run of each route that is open at the scan time and still
  needs that checkpoint; on time inside the window, late inside the grace period;
- windows are half-open: a run of 22:00–22:30 with 10 minutes' grace takes scans from 22:00:00
  (on time) to 22:29:59.999 (on time), 22:30:00 to 22:39:59.999 (late); 22:40:00 is too late;
- when every open run of a route already has the checkpoint, the scan is flagged "repeat".
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from pmfield.auth.roles import PATROL_WALKERS
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.patrol import chain
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import Flag
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import PatrolSettings
from pmfield.patrol.models import RouteCheckpoint
from pmfield.patrol.models import RunPoint
from pmfield.patrol.models import RunPointStatus
from pmfield.patrol.models import RunStatus
from pmfield.places import services as places
from pmfield.places.models import PointKind
from pmfield.timeutil import utcnow

#: A previous scan older than this is not compared for walking speed.
WALK_CHECK_WINDOW = timedelta(hours=2)
#: Scans of the in-app scanner, of the phone's camera app (/q/<token>) and of the offline outbox.
SOURCES = ("scanner", "link", "sync")
CLIENT_ID_MAX = 64


class CheckInRefused(DomainError):
    """The scan was not recorded. `reason` is "invalid", "revoked", "retired", "site",
    "role" or "not_patrol"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message, "token")
        self.reason = reason


@dataclass
class Match:
    run: PatrolRun
    run_point: RunPoint
    late: bool


@dataclass
class CheckInResult:
    check_in: CheckIn
    matches: list[Match] = field(default_factory=list)
    #: True when this was a retry of a scan already recorded (same client id).
    replay: bool = False

    @property
    def flags(self) -> list[Flag]:
        return self.check_in.flag_list


def settings_for(site) -> PatrolSettings:
    return db.session.get(PatrolSettings, site.id) or PatrolSettings(
        site_id=site.id, clock_tolerance_seconds=PatrolSettings.DEFAULT_CLOCK_TOLERANCE
    )


def _label_for(token: str, scanned_at: datetime):
    label, status = places.resolve_token(token)
    if status == "invalid":
        raise CheckInRefused(
            _("This is not a valid pmfield label. Nothing was recorded."), "invalid"
        )
    if status == "retired":
        raise CheckInRefused(
            _("This checkpoint has been retired. Nothing was recorded."), "retired"
        )
    revoked = status == "revoked"
    if revoked and scanned_at >= label.revoked_at:
        raise CheckInRefused(
            _(
                "This label was withdrawn. Nothing was recorded: tell your supervisor so the "
                "label can be replaced."
            ),
            "revoked",
        )
    return label, revoked


def _on_a_route(point) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(RouteCheckpoint.id))
            .join(PatrolRoute)
            .where(RouteCheckpoint.point_id == point.id, PatrolRoute.active.is_(True))
        )
    )


def is_patrol_point(point) -> bool:
    """True for checkpoints, and for any other point that is on an active route."""
    return point.kind == PointKind.CHECKPOINT or _on_a_route(point)


def _check_allowed(user, point) -> None:
    if user.role not in PATROL_WALKERS:
        raise CheckInRefused(_("Only guards can check in at patrol checkpoints."), "role")
    if not user.can_access_site(point.site):
        raise CheckInRefused(
            _("This label belongs to another site. Nothing was recorded."), "site"
        )
    if not is_patrol_point(point):
        raise CheckInRefused(_("This label is not a patrol checkpoint."), "not_patrol")


def _open_run_points(point, moment: datetime) -> list[tuple[PatrolRun, RunPoint]]:
    """Runs open at `moment` (window or grace) that include the point, earliest first."""
    rows = db.session.execute(
        select(PatrolRun, RunPoint)
        .join(RunPoint, RunPoint.run_id == PatrolRun.id)
        .where(
            PatrolRun.site_id == point.site_id,
            RunPoint.point_id == point.id,
            *PatrolRun.open_at(moment),
        )
        .options(joinedload(PatrolRun.route))
        .order_by(PatrolRun.starts_at, PatrolRun.id)
    ).all()
    return [(run, run_point) for run, run_point in rows]


def _choose_runs(candidates, moment: datetime) -> tuple[list[Match], list[int]]:
    """Pick, per route, the earliest open run still needing the checkpoint.

    Returns the matches and the ids of runs where the checkpoint was already scanned
    (a repeat) for routes with no run left needing it.
    """
    matches: dict[int, Match] = {}
    repeats: dict[int, int] = {}
    for run, run_point in candidates:
        if run.route_id in matches:
            continue
        if run_point.status in (RunPointStatus.PENDING, RunPointStatus.MISSED):
            matches[run.route_id] = Match(run, run_point, late=moment >= run.ends_at)
        else:
            repeats.setdefault(run.route_id, run.id)
    repeat_runs = [run_id for route_id, run_id in repeats.items() if route_id not in matches]
    return list(matches.values()), repeat_runs


def _out_of_order(match: Match) -> bool:
    if not match.run.route.strict_order:
        return False
    return any(
        rp.position < match.run_point.position
        and rp.status in (RunPointStatus.PENDING, RunPointStatus.MISSED)
        for rp in match.run.points
    )


def _walk_minimum(previous_point_id: int, point_id: int) -> int | None:
    """The minimum walking time between two checkpoints on the active routes holding both:
    the pair's own (kept on the later of two adjacent checkpoints), else the route's."""
    rows = db.session.execute(
        select(
            RouteCheckpoint.route_id,
            RouteCheckpoint.point_id,
            RouteCheckpoint.position,
            RouteCheckpoint.min_walk_seconds,
            PatrolRoute.min_walk_seconds,
        )
        .join(PatrolRoute)
        .where(
            RouteCheckpoint.point_id.in_((previous_point_id, point_id)),
            PatrolRoute.active.is_(True),
        )
    ).all()
    routes: dict[int, tuple[int | None, dict]] = {}
    for route_id, stop_id, position, pair_minimum, route_minimum in rows:
        routes.setdefault(route_id, (route_minimum, {}))[1][stop_id] = (position, pair_minimum)
    best = None
    for route_minimum, stops in routes.values():
        if previous_point_id not in stops or point_id not in stops:
            continue
        (here, here_minimum), (there, there_minimum) = stops[point_id], stops[previous_point_id]
        minimum = route_minimum
        if abs(here - there) == 1:
            minimum = (here_minimum if here > there else there_minimum) or minimum
        if minimum and (best is None or minimum > best):
            best = minimum
    return best


def _too_fast(user, point, moment: datetime) -> dict | None:
    previous = db.session.execute(
        select(CheckIn.point_id, CheckIn.scanned_at)
        .where(
            CheckIn.user_id == user.id,
            CheckIn.site_id == point.site_id,
            CheckIn.scanned_at <= moment,
            CheckIn.scanned_at > moment - WALK_CHECK_WINDOW,
        )
        .order_by(CheckIn.scanned_at.desc(), CheckIn.id.desc())
        .limit(1)
    ).first()
    if previous is None or previous.point_id == point.id:
        return None
    minimum = _walk_minimum(previous.point_id, point.id)
    seconds = (moment - previous.scanned_at).total_seconds()
    if minimum is None or seconds >= minimum:
        return None
    return {"seconds": round(seconds), "minimum": minimum, "previous_point_id": previous.point_id}


def _flags(*, user, point, label_revoked, device_time, received_at, scanned_at, matches, repeats):
    flags: dict[str, object] = {}
    if device_time is not None:
        offset = round((device_time - received_at).total_seconds())
        if abs(offset) > settings_for(point.site).clock_tolerance_seconds:
            flags[Flag.CLOCK_SKEW] = {"seconds": offset}
    walk = _too_fast(user, point, scanned_at)
    if walk:
        flags[Flag.TOO_FAST] = walk
    if label_revoked:
        flags[Flag.REVOKED_LABEL] = {}
    if repeats:
        flags[Flag.REPEAT] = {"runs": repeats}
    out_of_order = [m.run.id for m in matches if _out_of_order(m)]
    if out_of_order:
        flags[Flag.OUT_OF_ORDER] = {"runs": out_of_order}
    return flags


def _clean_client_id(client_id) -> str | None:
    client_id = (client_id or "").strip()
    if not client_id:
        return None
    if len(client_id) > CLIENT_ID_MAX:
        raise CheckInRefused(_("The scan's id is too long. Nothing was recorded."), "invalid")
    return client_id


def _replay(user, client_id) -> CheckInResult | None:
    if client_id is None:
        return None
    existing = db.session.scalar(
        select(CheckIn).where(CheckIn.user_id == user.id, CheckIn.client_id == client_id)
    )
    if existing is None:
        return None
    matched = db.session.execute(
        select(PatrolRun, RunPoint)
        .join(RunPoint, RunPoint.run_id == PatrolRun.id)
        .where(RunPoint.check_in_id == existing.id)
    ).all()
    return CheckInResult(
        existing,
        [Match(run, rp, late=rp.status == RunPointStatus.LATE) for run, rp in matched],
        replay=True,
    )


def record_check_in(
    user,
    token: str,
    *,
    source: str = "scanner",
    client_id: str | None = None,
    device_time: datetime | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy_m: float | None = None,
    scanned_at: datetime | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Record a guard's scan of a label and count it for the runs it belongs to. Commits.

    `scanned_at` is the moment of the scan; online it is the server's receipt time (the
    default). Raises CheckInRefused, recording nothing, for forged, withdrawn or retired labels,
    other sites' labels, users who are not guards and labels that are not checkpoints.
    """
    received_at = now or utcnow()
    scanned_at = scanned_at or received_at
    if source not in SOURCES:
        raise ValueError(source)
    client_id = _clean_client_id(client_id)
    replay = _replay(user, client_id)
    if replay is not None:
        return replay
    label, label_revoked = _label_for(token, scanned_at)
    point = label.point
    _check_allowed(user, point)

    matches, repeats = _choose_runs(_open_run_points(point, scanned_at), scanned_at)
    flags = _flags(
        user=user, point=point, label_revoked=label_revoked, device_time=device_time,
        received_at=received_at, scanned_at=scanned_at, matches=matches, repeats=repeats,
    )
    seq, prev_hash = chain.next_link(point.site_id)
    # The head is locked now: a retry that raced the first request sees its committed row.
    replay = _replay(user, client_id)
    if replay is not None:
        db.session.rollback()
        return _replay(user, client_id)
    values = {
        "site_id": point.site_id,
        "seq": seq,
        "point_id": point.id,
        "label_id": label.id,
        "label_version": label.version,
        "user_id": user.id,
        "client_id": client_id,
        "scanned_at": scanned_at,
        "received_at": received_at,
        "device_time": device_time,
        "latitude": latitude,
        "longitude": longitude,
        "accuracy_m": accuracy_m,
        "source": source,
        "flags": " ".join(str(flag) for flag in flags),
        "flag_details": {str(flag): detail for flag, detail in flags.items()},
    }
    chain_hash = chain.link_hash(values, prev_hash)
    check_in = CheckIn(**values, prev_hash=prev_hash, chain_hash=chain_hash)
    db.session.add(check_in)
    db.session.flush()
    chain.advance_head(point.site_id, chain_hash)
    matches = [m for m in matches if _claim(m, check_in)]
    for match in matches:
        _rescore(match.run)
    _commit_keeping_loaded()
    return CheckInResult(check_in, matches)


def _commit_keeping_loaded() -> None:
    """Commit without expiring what was loaded: the confirmation is rendered from these rows
    (as just written), so reloading each of them would only cost queries on the hot path."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _claim(match: Match, check_in: CheckIn) -> bool:
    """Mark the run's checkpoint scanned, unless a concurrent scan got there first."""
    status = RunPointStatus.LATE if match.late else RunPointStatus.DONE
    # Lock the run before its checkpoint, in the order tick takes them: a scan completing a
    # run while tick closes it must wait, not deadlock (PostgreSQL; SQLite has one writer).
    db.session.execute(
        select(PatrolRun.id).where(PatrolRun.id == match.run.id).with_for_update()
    )
    claimed = db.session.execute(
        update(RunPoint)
        .where(
            RunPoint.id == match.run_point.id,
            RunPoint.status.in_([RunPointStatus.PENDING, RunPointStatus.MISSED]),
        )
        .values(status=status, check_in_id=check_in.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        set_committed_value(match.run_point, "status", status)
        set_committed_value(match.run_point, "check_in_id", check_in.id)
    return bool(claimed)


def _rescore(run: PatrolRun) -> None:
    """Complete a run as soon as its last checkpoint is scanned; re-score an evaluated run
    when a late-arriving (offline) scan fills one of its missed checkpoints."""
    statuses = list(db.session.scalars(select(RunPoint.status).where(RunPoint.run_id == run.id)))
    if RunPointStatus.PENDING in statuses and run.status == RunStatus.PENDING:
        return
    new = score(statuses)
    if run.status == RunStatus.PENDING and new != RunStatus.COMPLETE:
        return
    db.session.execute(
        update(PatrolRun)
        .where(PatrolRun.id == run.id)
        .values(status=new, evaluated_at=run.evaluated_at or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(run)


def score(statuses: list[str]) -> RunStatus:
    """Score a finished run from its checkpoints' statuses (pending counts as missed)."""
    scanned = sum(s in (RunPointStatus.DONE, RunPointStatus.LATE) for s in statuses)
    if statuses and scanned == len(statuses):
        return RunStatus.COMPLETE
    return RunStatus.PARTIAL if scanned else RunStatus.MISSED
