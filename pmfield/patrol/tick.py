"""Close runs whose window and grace have ended: mark missed checkpoints, score, notify.

`pmfield tick` runs this every minute (cron or a systemd timer); pages call `bring_up_to_date`
for their site. Each run is closed with a compare-and-set UPDATE (status still "pending"), so
running it twice, or two at once, closes each run once and notifies once.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy import update

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.i18n import localized
from pmfield.notifications import services as notifications
from pmfield.patrol.checkins import score
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import RunPoint
from pmfield.patrol.models import RunPointStatus
from pmfield.patrol.models import RunStatus
from pmfield.patrol.schedules import ensure_runs
from pmfield.places.models import Site
from pmfield.timeutil import utcnow
from pmfield.web.urls import path_for

MISSED_KIND = "patrol.missed"


@dataclass
class TickReport:
    runs_created: int = 0
    runs_closed: int = 0
    checkpoints_missed: int = 0
    notifications: int = 0

    def add(self, other: "TickReport") -> None:
        self.runs_created += other.runs_created
        self.runs_closed += other.runs_closed
        self.checkpoints_missed += other.checkpoints_missed
        self.notifications += other.notifications


def _close_run(run_id: int, now: datetime) -> TickReport:
    report = TickReport()
    # Claim the run first (compare-and-set on "pending"), then score it from its checkpoints as
    # they are once the run is locked: a scan synced a moment earlier is part of the score.
    closed = db.session.execute(
        update(PatrolRun)
        .where(PatrolRun.id == run_id, PatrolRun.status == RunStatus.PENDING)
        .values(status=RunStatus.MISSED, evaluated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not closed:  # another tick, or the last scan, closed it first
        db.session.rollback()
        return report
    report.runs_closed = 1
    report.checkpoints_missed = db.session.execute(
        update(RunPoint)
        .where(RunPoint.run_id == run_id, RunPoint.status == RunPointStatus.PENDING)
        .values(status=RunPointStatus.MISSED)
        .execution_options(synchronize_session=False)
    ).rowcount
    statuses = list(db.session.scalars(select(RunPoint.status).where(RunPoint.run_id == run_id)))
    db.session.execute(
        update(PatrolRun)
        .where(PatrolRun.id == run_id)
        .values(status=score(statuses))
        .execution_options(synchronize_session=False)
    )
    if report.checkpoints_missed:
        report.notifications = _notify_missed(db.session.get(PatrolRun, run_id), report)
    db.session.commit()
    return report


def _notify_missed(run: PatrolRun, report: TickReport) -> int:
    supervisors = notifications.users_with_roles(run.route.site, [Role.SECURITY_SUPERVISOR])
    url = path_for("patrol.run_detail", run_id=run.id)
    return notifications.notify(
        supervisors,
        kind=MISSED_KIND,
        key=f"run:{run.id}",
        site=run.route.site,
        params={
            "run_id": run.id,
            "route_zh": run.route.name_zh,
            "route_en": run.route.name_en,
            "starts_at": run.starts_at.isoformat(),
            "timezone": run.route.site.timezone,
            "missed": report.checkpoints_missed,
            "total": len(run.points),
        },
        url=url,
    )


def render_missed(params: dict) -> str:
    """The text of a missed-checkpoint notification, in the reader's language."""
    starts = datetime.fromisoformat(params["starts_at"]).astimezone(ZoneInfo(params["timezone"]))
    return _(
        "%(route)s, round of %(time)s: %(missed)s of %(total)s checkpoints missed.",
        route=localized(params["route_zh"], params["route_en"]),
        time=starts.strftime("%m-%d %H:%M"),
        missed=params["missed"],
        total=params["total"],
    )


notifications.register_kind(MISSED_KIND, render_missed)


def bring_up_to_date(site, now: datetime | None = None) -> TickReport:
    """Create the site's runs for yesterday to tomorrow and close those that have ended."""
    now = now or utcnow()
    report = TickReport()
    report.runs_created = ensure_runs(site, now)
    db.session.commit()
    due = list(
        db.session.scalars(
            select(PatrolRun.id)
            .where(
                PatrolRun.site_id == site.id,
                PatrolRun.status == RunStatus.PENDING,
                PatrolRun.grace_until <= now,
            )
            .order_by(PatrolRun.grace_until)
        )
    )
    for run_id in due:
        report.add(_close_run(run_id, now))
    return report


def tick(now: datetime | None = None) -> TickReport:
    """Bring every site up to date (what `pmfield tick` runs every minute)."""
    now = now or utcnow()
    report = TickReport()
    for site in db.session.scalars(select(Site).order_by(Site.id)).all():
        report.add(bring_up_to_date(site, now))
    return report
