"""What the security supervisor reads: the day's board, a guard's day, a route's last 30 days,
the printable daily report and the CSV export.

A "day" is a local date at the site: a run belongs to the day its `starts_at` falls on in the
site's timezone, a check-in to the day of its `scanned_at`. Every query is bounded by the site
and a time range that an index covers (runs by site and start, check-ins by site or user and
scan time), so the pages stay fast however many check-ins the site has stored.
"""

import csv
import io
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pmfield.auth.models import User
from pmfield.auth.roles import PATROL_WALKERS
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.extensions import is_valid_id
from pmfield.i18n import localized
from pmfield.patrol.chain import last_chain_check
from pmfield.patrol.guard import RunProgress
from pmfield.patrol.models import CheckIn
from pmfield.patrol.models import Flag
from pmfield.patrol.models import Incident
from pmfield.patrol.models import PatrolRoute
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import RunPoint
from pmfield.patrol.models import RunPointStatus
from pmfield.patrol.models import RunStatus
from pmfield.places.models import Point
from pmfield.places.models import Site
from pmfield.timeutil import utcnow

#: Days a route's history covers, today included.
HISTORY_DAYS = 30
#: Dates outside these are refused (they would overflow when turned into UTC).
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2999, 12, 31)
#: The columns of the CSV export: one table, the first column says which record a row is.
CSV_COLUMNS = (
    "record",
    "seq",
    "scanned_at",
    "received_at",
    "device_time",
    "checkpoint_code",
    "checkpoint_name",
    "guard_username",
    "guard_name",
    "label_version",
    "source",
    "flags",
    "latitude",
    "longitude",
    "runs",
    "route",
    "starts_at",
    "ends_at",
    "grace_until",
    "status",
    "scanned",
    "late",
    "missed",
    "total",
)
#: A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: What a run is doing: its score once evaluated, else where it stands in time.
RUN_STATE_LABELS = {
    "complete": _l("Complete"),
    "partial": _l("Partial"),
    "missed": _l("Missed"),
    "upcoming": _l("Upcoming"),
    "open": _l("Open now"),
    "grace": _l("In grace: late scans still count"),
    "pending": _l("Being scored"),
}

_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCANNED = (RunPointStatus.DONE, RunPointStatus.LATE)


# --------------------------------------------------------------------------- days


def site_zone(site: Site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


def site_today(site: Site, now: datetime | None = None) -> date:
    """Return the local date at the site at `now` (default: now)."""
    return (now or utcnow()).astimezone(site_zone(site)).date()


def day_bounds(site: Site, day: date) -> tuple[datetime, datetime]:
    """Return the UTC moments a local date starts and the next one starts (DST-safe)."""
    zone = site_zone(site)
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def parse_day(raw: str | None, default: date | None = None) -> date:
    """Read a ?date=YYYY-MM-DD value; empty gives `default`.

    :raises DomainError: when the value is not a real date in that format, or is empty and
        there is no default.
    """
    raw = (raw or "").strip()
    if not raw:
        if default is None:
            raise DomainError(
                _("Give the date as date=YYYY-MM-DD, for example date=2026-03-01."), "date"
            )
        return default
    try:
        if not _DATE_PATTERN.fullmatch(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise DomainError(
            _("“%(value)s” is not a date. Use YYYY-MM-DD, for example 2026-03-01.", value=raw[:20]),
            "date",
        ) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise DomainError(
            _(
                "Choose a date between %(first)s and %(last)s.",
                first=DATE_MIN.isoformat(),
                last=DATE_MAX.isoformat(),
            ),
            "date",
        )
    return day


def parse_month(raw: str | None, default: date) -> date:
    """Read a ?month=YYYY-MM value as its first day; empty gives `default`'s month.

    :raises DomainError: when the value is not a month in that format.
    """
    raw = (raw or "").strip()
    if not raw:
        return default.replace(day=1)
    try:
        if len(raw) != len("2026-11"):
            raise ValueError(raw)
        return parse_day(f"{raw}-01")
    except (ValueError, DomainError):
        raise DomainError(
            _("“%(value)s” is not a month. Use YYYY-MM, for example 2026-11.", value=raw[:20]),
            "month",
        ) from None



# --------------------------------------------------------------------------- runs


class RunSummary(RunProgress):
    """A run as the supervisor reads it: state, who scanned, what is left, late and flagged."""

    @property
    def state(self) -> str:
        """complete, partial or missed once scored; else upcoming, open, grace or pending."""
        if self.run.status != RunStatus.PENDING:
            return self.run.status
        phase = self.phase
        return "pending" if phase == "closed" else phase

    @property
    def state_label(self) -> str:
        return str(RUN_STATE_LABELS[self.state])

    @property
    def scanned(self) -> list[RunPoint]:
        return [rp for rp in self.run.points if rp.status in _SCANNED]

    @property
    def late(self) -> list[RunPoint]:
        return [rp for rp in self.run.points if rp.status == RunPointStatus.LATE]

    @property
    def flagged(self) -> list[RunPoint]:
        return [rp for rp in self.run.points if rp.check_in is not None and rp.check_in.flags]

    @property
    def guards(self) -> list[str]:
        """Display names of whoever scanned for this run, in the order they first scanned."""
        names: list[str] = []
        scans = sorted(
            (rp.check_in for rp in self.run.points if rp.check_in is not None),
            key=lambda c: (c.scanned_at, c.seq),
        )
        for check_in in scans:
            if check_in.user.display_name not in names:
                names.append(check_in.user.display_name)
        return names


@dataclass
class RouteRuns:
    route: PatrolRoute
    runs: list[RunSummary]


@dataclass
class DaySummary:
    runs: int = 0
    complete: int = 0
    partial: int = 0
    missed: int = 0
    unfinished: int = 0
    checkpoints: int = 0
    scanned: int = 0
    late: int = 0
    missed_checkpoints: int = 0


def _run_options(*, summary_only: bool = False):
    """Eager loads for runs as lists show them. `summary_only` loads of each scan just what the
    board, the report and the export read (who, when, flags): a day has thousands of scans."""
    points = selectinload(PatrolRun.points)
    scans = points.selectinload(RunPoint.check_in)
    if summary_only:
        scans = scans.load_only(
            CheckIn.id, CheckIn.seq, CheckIn.point_id, CheckIn.user_id, CheckIn.scanned_at,
            CheckIn.flags,
        )
    return (
        selectinload(PatrolRun.route),
        points.selectinload(RunPoint.point),
        scans.selectinload(CheckIn.user),
    )


def list_day_runs(site: Site, day: date) -> list[PatrolRun]:
    """Return the runs starting on a local day, with checkpoints, scans and guards loaded."""
    start, end = day_bounds(site, day)
    return list(
        db.session.scalars(
            select(PatrolRun)
            .where(
                PatrolRun.site_id == site.id,
                PatrolRun.starts_at >= start,
                PatrolRun.starts_at < end,
            )
            .options(*_run_options(summary_only=True))
            .order_by(PatrolRun.starts_at, PatrolRun.id)
        )
    )


def group_by_route(runs: list[PatrolRun], now: datetime) -> list[RouteRuns]:
    """Group runs per route (routes by name), each route's runs by start time."""
    groups: dict[int, RouteRuns] = {}
    for run in runs:
        group = groups.setdefault(run.route_id, RouteRuns(run.route, []))
        group.runs.append(RunSummary(run, now))
    return sorted(groups.values(), key=lambda g: (g.route.name.casefold(), g.route.id))


def summarize(runs: list[PatrolRun]) -> DaySummary:
    """Count runs by score and checkpoints by outcome."""
    summary = DaySummary(runs=len(runs))
    for run in runs:
        if run.status == RunStatus.COMPLETE:
            summary.complete += 1
        elif run.status == RunStatus.PARTIAL:
            summary.partial += 1
        elif run.status == RunStatus.MISSED:
            summary.missed += 1
        else:
            summary.unfinished += 1
        for rp in run.points:
            summary.checkpoints += 1
            summary.scanned += rp.status in _SCANNED
            summary.late += rp.status == RunPointStatus.LATE
            summary.missed_checkpoints += rp.status == RunPointStatus.MISSED
    return summary


def list_site_walkers(site: Site) -> list[User]:
    """Return the active guards and security supervisors of a site, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_([str(r) for r in PATROL_WALKERS]))
            .where(User.sites.any(Site.id == site.id))
            .order_by(User.display_name, User.id)
        )
    )


def list_site_routes(site: Site) -> list[PatrolRoute]:
    """Return the site's active routes, by name."""
    routes = db.session.scalars(
        select(PatrolRoute).where(PatrolRoute.site_id == site.id, PatrolRoute.active.is_(True))
    ).all()
    return sorted(routes, key=lambda r: (r.name.casefold(), r.id))


@dataclass
class Board:
    site: Site
    day: date
    is_today: bool
    groups: list[RouteRuns]
    summary: DaySummary
    chain_check: object
    walkers: list[User]
    routes: list[PatrolRoute]


def board_for(site: Site, day: date, now: datetime | None = None) -> Board:
    """Gather the supervisor's board of a local day: runs per route and the chain status."""
    now = now or utcnow()
    runs = list_day_runs(site, day)
    return Board(
        site=site,
        day=day,
        is_today=day == site_today(site, now),
        groups=group_by_route(runs, now),
        summary=summarize(runs),
        chain_check=last_chain_check(site),
        walkers=list_site_walkers(site),
        routes=list_site_routes(site),
    )


def get_run_for_user(user, run_id) -> PatrolRun | None:
    """Return the run if the user may see its site, else None."""
    run = db.session.get(PatrolRun, run_id) if is_valid_id(run_id) else None
    if run is None or not user.can_access_site(run.route.site):
        return None
    return run


def run_detail(run: PatrolRun, now: datetime | None = None) -> RunSummary:
    """Reload a run with its checkpoints, scans and guards for the run page."""
    loaded = db.session.scalars(
        select(PatrolRun)
        .where(PatrolRun.id == run.id)
        .options(*_run_options())
        .execution_options(populate_existing=True)
    ).one()
    return RunSummary(loaded, now or utcnow())


# --------------------------------------------------------------------------- flags


@dataclass
class FlagNote:
    flag: Flag
    label: str
    detail: str


def _flag_detail(flag: Flag, details: dict, points: dict[int, Point]) -> str:
    if flag == Flag.CLOCK_SKEW and "seconds" in details:
        seconds = int(details["seconds"])
        if seconds >= 0:
            return _("%(seconds)s s ahead of server time.", seconds=seconds)
        return _("%(seconds)s s behind server time.", seconds=-seconds)
    if flag == Flag.TOO_FAST and "seconds" in details:
        previous = points.get(details.get("previous_point_id"))
        text = _(
            "%(seconds)s s after the previous checkpoint; at least %(minimum)s s expected.",
            seconds=details["seconds"],
            minimum=details.get("minimum", "?"),
        )
        if previous is not None:
            text += " " + _("Previous: %(code)s.", code=previous.code)
        return text
    return ""


def flag_notes(check_ins) -> dict[int, list[FlagNote]]:
    """Return, per check-in id, its flags with their human labels and details."""
    check_ins = [c for c in check_ins if c is not None and c.flags]
    previous_ids = {
        (c.flag_details or {}).get(Flag.TOO_FAST, {}).get("previous_point_id")
        for c in check_ins
    } - {None}
    points = {}
    if previous_ids:
        points = {
            p.id: p for p in db.session.scalars(select(Point).where(Point.id.in_(previous_ids)))
        }
    notes = {}
    for check_in in check_ins:
        details = check_in.flag_details or {}
        notes[check_in.id] = [
            FlagNote(flag, flag.label, _flag_detail(flag, details.get(flag) or {}, points))
            for flag in check_in.flag_list
        ]
    return notes


# --------------------------------------------------------------------------- a guard's day


def get_walker_for_user(viewer, user_id, site: Site | None):
    """Return (guard, site) for a guard or security supervisor the viewer may see, else None.

    The site is the viewer's current one when the guard works there, else the first of the
    guard's sites the viewer may see (administrators follow a guard to any site).
    """
    user = db.session.get(User, user_id) if is_valid_id(user_id) else None
    if user is None or user.role not in PATROL_WALKERS:
        return None
    if site is not None and any(s.id == site.id for s in user.sites):
        return user, site
    for candidate in user.sites:
        if viewer.can_access_site(candidate):
            return user, candidate
    return None


@dataclass
class GuardScan:
    check_in: CheckIn
    runs: list[PatrolRun]


@dataclass
class GuardDay:
    site: Site
    guard: User
    day: date
    scans: list[GuardScan]
    notes: dict[int, list[FlagNote]]
    incidents: list[Incident]

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)


def guard_day(site: Site, guard: User, day: date) -> GuardDay:
    """A guard's check-ins of a local day in time order, the runs each counted for, and the
    incidents they reported."""
    start, end = day_bounds(site, day)
    check_ins = list(
        db.session.scalars(
            select(CheckIn)
            .where(
                CheckIn.user_id == guard.id,
                CheckIn.site_id == site.id,
                CheckIn.scanned_at >= start,
                CheckIn.scanned_at < end,
            )
            .options(selectinload(CheckIn.point))
            .order_by(CheckIn.scanned_at, CheckIn.seq)
        )
    )
    counted: dict[int, list[PatrolRun]] = {}
    if check_ins:
        rows = db.session.execute(
            select(RunPoint.check_in_id, PatrolRun)
            .join(PatrolRun, RunPoint.run_id == PatrolRun.id)
            .join(CheckIn, RunPoint.check_in_id == CheckIn.id)
            .where(
                CheckIn.user_id == guard.id,
                CheckIn.site_id == site.id,
                CheckIn.scanned_at >= start,
                CheckIn.scanned_at < end,
            )
            .options(selectinload(PatrolRun.route))
            .order_by(PatrolRun.starts_at)
        ).all()
        for check_in_id, run in rows:
            counted.setdefault(check_in_id, []).append(run)
    incidents = list(
        db.session.scalars(
            select(Incident)
            .where(
                Incident.site_id == site.id,
                Incident.reported_by_id == guard.id,
                Incident.reported_at >= start,
                Incident.reported_at < end,
            )
            .options(selectinload(Incident.point), selectinload(Incident.job))
            .order_by(Incident.reported_at, Incident.id)
        )
    )
    return GuardDay(
        site=site,
        guard=guard,
        day=day,
        scans=[GuardScan(c, counted.get(c.id, [])) for c in check_ins],
        notes=flag_notes(check_ins),
        incidents=incidents,
    )


# --------------------------------------------------------------------------- route history


def get_route_for_user(user, route_id) -> PatrolRoute | None:
    """Return the route if the user may see its site, else None."""
    route = db.session.get(PatrolRoute, route_id) if is_valid_id(route_id) else None
    if route is None or not user.can_access_site(route.site):
        return None
    return route


@dataclass
class DayCounts:
    day: date | None = None
    complete: int = 0
    partial: int = 0
    missed: int = 0
    unfinished: int = 0

    @property
    def scored(self) -> int:
        return self.complete + self.partial + self.missed

    @property
    def rate(self) -> int | None:
        """Complete runs as a whole percentage of the scored ones (None when none is scored)."""
        if not self.scored:
            return None
        return round(100 * self.complete / self.scored)

    def add(self, status: str) -> None:
        if status == RunStatus.COMPLETE:
            self.complete += 1
        elif status == RunStatus.PARTIAL:
            self.partial += 1
        elif status == RunStatus.MISSED:
            self.missed += 1
        else:
            self.unfinished += 1


@dataclass
class RouteHistory:
    route: PatrolRoute
    days: list[DayCounts]
    total: DayCounts = field(default_factory=DayCounts)


def route_history(route: PatrolRoute, today: date, days: int = HISTORY_DAYS) -> RouteHistory:
    """Count a route's runs by score per local day over the last `days` days, newest first."""
    site = route.site
    first = today - timedelta(days=days - 1)
    start, _unused = day_bounds(site, first)
    _unused, end = day_bounds(site, today)
    # One small route over a month: fetch (start, status) and bucket by local date here, which
    # is portable where GROUP BY a timezone-shifted date is not.
    rows = db.session.execute(
        select(PatrolRun.starts_at, PatrolRun.status).where(
            PatrolRun.route_id == route.id,
            PatrolRun.starts_at >= start,
            PatrolRun.starts_at < end,
        )
    ).all()
    zone = site_zone(site)
    buckets = {first + timedelta(days=i): DayCounts(first + timedelta(days=i)) for i in range(days)}
    total = DayCounts()
    for starts_at, status in rows:
        bucket = buckets.get(starts_at.astimezone(zone).date())
        if bucket is not None:
            bucket.add(status)
            total.add(status)
    return RouteHistory(route, sorted(buckets.values(), key=lambda d: d.day, reverse=True), total)


# --------------------------------------------------------------------------- daily report


@dataclass
class MissedCheckpoint:
    run: PatrolRun
    run_point: RunPoint


@dataclass
class DailyReport:
    board: Board
    missed: list[MissedCheckpoint]
    flagged: list[CheckIn]
    notes: dict[int, list[FlagNote]]
    incidents: list[Incident]


def list_flagged_check_ins(site: Site, day: date) -> list[CheckIn]:
    """Return the day's check-ins that carry a flag, in time order."""
    start, end = day_bounds(site, day)
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(
                CheckIn.site_id == site.id,
                CheckIn.scanned_at >= start,
                CheckIn.scanned_at < end,
                CheckIn.flags != "",
            )
            .options(selectinload(CheckIn.point), selectinload(CheckIn.user))
            .order_by(CheckIn.scanned_at, CheckIn.seq)
        )
    )


def list_day_incidents(site: Site, day: date) -> list[Incident]:
    """Return the incidents reported on a local day, in time order."""
    start, end = day_bounds(site, day)
    return list(
        db.session.scalars(
            select(Incident)
            .where(
                Incident.site_id == site.id,
                Incident.reported_at >= start,
                Incident.reported_at < end,
            )
            .options(
                selectinload(Incident.point),
                selectinload(Incident.reported_by),
                selectinload(Incident.job),
            )
            .order_by(Incident.reported_at, Incident.id)
        )
    )


def daily_report(site: Site, day: date, now: datetime | None = None) -> DailyReport:
    """Gather the printable report of a local day: runs, misses, flags, incidents, chain."""
    board = board_for(site, day, now)
    missed = [
        MissedCheckpoint(summary.run, rp)
        for group in board.groups
        for summary in group.runs
        for rp in summary.missed
    ]
    flagged = list_flagged_check_ins(site, day)
    return DailyReport(
        board=board,
        missed=missed,
        flagged=flagged,
        notes=flag_notes(flagged),
        incidents=list_day_incidents(site, day),
    )


# --------------------------------------------------------------------------- CSV export


def neutralize_cell(value):
    """Return a CSV cell a spreadsheet will not run as a formula (text only; numbers stay)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _iso(site: Site, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(site_zone(site)).isoformat(timespec="seconds")


def _run_label(site: Site, run_starts_at: datetime, route_zh: str, route_en: str) -> str:
    local = run_starts_at.astimezone(site_zone(site))
    return f"{localized(route_zh, route_en)} {local:%Y-%m-%d %H:%M}"


def export_filename(site: Site, day: date) -> str:
    """patrol-<SITECODE>-<date>.csv, with anything unsafe in a file name replaced."""
    code = re.sub(r"[^A-Za-z0-9_-]", "_", site.code) or "site"
    return f"patrol-{code}-{day.isoformat()}.csv"


def export_day_csv(site: Site, day: date) -> str:
    """Return a local day's check-ins and runs as CSV text, starting with a UTF-8 BOM.

    One table: `record` is "check_in" or "run"; check-in rows fill the check-in columns,
    run rows the run columns. Times are ISO 8601 in the site's time with the UTC offset.
    """
    start, end = day_bounds(site, day)
    in_day = (
        CheckIn.site_id == site.id,
        CheckIn.scanned_at >= start,
        CheckIn.scanned_at < end,
    )
    check_ins = db.session.scalars(
        select(CheckIn)
        .where(*in_day)
        .options(selectinload(CheckIn.point), selectinload(CheckIn.user))
        .order_by(CheckIn.seq)
    ).all()
    counted: dict[int, list[str]] = {}
    for check_in_id, starts_at, route_zh, route_en in db.session.execute(
        select(RunPoint.check_in_id, PatrolRun.starts_at, PatrolRoute.name_zh, PatrolRoute.name_en)
        .join(PatrolRun, RunPoint.run_id == PatrolRun.id)
        .join(PatrolRoute, PatrolRun.route_id == PatrolRoute.id)
        .join(CheckIn, RunPoint.check_in_id == CheckIn.id)
        .where(*in_day)
        .order_by(PatrolRun.starts_at, PatrolRun.id)
    ):
        counted.setdefault(check_in_id, []).append(_run_label(site, starts_at, route_zh, route_en))

    out = io.StringIO()
    out.write("\ufeff")  # Excel reads the file as UTF-8 (Chinese names) only with a BOM
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    blank = dict.fromkeys(CSV_COLUMNS, "")
    for check_in in check_ins:
        row = blank | {
            "record": "check_in",
            "seq": check_in.seq,
            "scanned_at": _iso(site, check_in.scanned_at),
            "received_at": _iso(site, check_in.received_at),
            "device_time": _iso(site, check_in.device_time),
            "checkpoint_code": check_in.point.code,
            "checkpoint_name": check_in.point.name,
            "guard_username": check_in.user.username,
            "guard_name": check_in.user.display_name,
            "label_version": check_in.label_version,
            "source": check_in.source,
            "flags": check_in.flags,
            "latitude": "" if check_in.latitude is None else check_in.latitude,
            "longitude": "" if check_in.longitude is None else check_in.longitude,
            "runs": "; ".join(counted.get(check_in.id, [])),
        }
        writer.writerow([neutralize_cell(row[name]) for name in CSV_COLUMNS])
    for run in list_day_runs(site, day):
        statuses = [rp.status for rp in run.points]
        row = blank | {
            "record": "run",
            "route": run.route.name,
            "starts_at": _iso(site, run.starts_at),
            "ends_at": _iso(site, run.ends_at),
            "grace_until": _iso(site, run.grace_until),
            "status": run.status,
            "scanned": sum(s in _SCANNED for s in statuses),
            "late": statuses.count(RunPointStatus.LATE),
            "missed": statuses.count(RunPointStatus.MISSED),
            "total": len(statuses),
        }
        writer.writerow([neutralize_cell(row[name]) for name in CSV_COLUMNS])
    return out.getvalue()
