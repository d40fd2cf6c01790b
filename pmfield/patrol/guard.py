"""What a guard's phone shows: the rounds due now and next, with their progress."""

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from pmfield.extensions import db
from pmfield.patrol.models import PatrolRun
from pmfield.patrol.models import PatrolSchedule
from pmfield.patrol.models import RunPoint
from pmfield.patrol.models import RunPointStatus
from pmfield.patrol.models import RunStatus
from pmfield.timeutil import utcnow

#: How far ahead "next" rounds are looked for.
NEXT_HORIZON = timedelta(hours=12)
NEXT_LIMIT = 3


@dataclass
class RunProgress:
    run: PatrolRun
    now: datetime

    @property
    def total(self) -> int:
        return len(self.run.points)

    @property
    def done(self) -> int:
        scanned = (RunPointStatus.DONE, RunPointStatus.LATE)
        return sum(rp.status in scanned for rp in self.run.points)

    @property
    def left(self) -> list[RunPoint]:
        return [rp for rp in self.run.points if rp.status == RunPointStatus.PENDING]

    @property
    def missed(self) -> list[RunPoint]:
        return [rp for rp in self.run.points if rp.status == RunPointStatus.MISSED]

    @property
    def phase(self) -> str:
        return self.run.phase(self.now)

    @property
    def minutes_left(self) -> int:
        """Minutes until the window closes (or, in grace, until grace ends)."""
        until = self.run.ends_at if self.phase in ("upcoming", "open") else self.run.grace_until
        return max(0, int((until - self.now).total_seconds() // 60))

    @property
    def minutes_to_start(self) -> int:
        return max(0, int((self.run.starts_at - self.now).total_seconds() // 60))


def is_assigned(schedule: PatrolSchedule, user) -> bool:
    """A schedule with neither post nor named guards is for every guard of the site."""
    if schedule.guards or schedule.post_id:
        named = any(g.id == user.id for g in schedule.guards)
        at_post = schedule.post is not None and any(g.id == user.id for g in schedule.post.guards)
        return named or at_post
    return True


def _runs(site, where) -> list[PatrolRun]:
    return list(
        db.session.scalars(
            select(PatrolRun)
            .where(PatrolRun.site_id == site.id, *where)
            .options(
                selectinload(PatrolRun.points).selectinload(RunPoint.point),
                selectinload(PatrolRun.route),
                selectinload(PatrolRun.schedule).selectinload(PatrolSchedule.guards),
            )
            .order_by(PatrolRun.starts_at, PatrolRun.id)
        )
    )


def rounds_for(user, site, now: datetime | None = None) -> dict:
    """Return {"now": [RunProgress...], "next": [RunProgress...]} for a guard's home page.

    "now" holds the runs open or in grace that still need scans (or were just completed);
    "next" the upcoming runs of the next hours. Supervisors see every run of the site.
    """
    now = now or utcnow()
    everyone = user.role != "guard"
    current = _runs(
        site,
        PatrolRun.open_at(now),
    )
    upcoming = _runs(
        site,
        [PatrolRun.starts_at > now, PatrolRun.starts_at <= now + NEXT_HORIZON,
         PatrolRun.status == RunStatus.PENDING],
    )
    mine = [r for r in current if everyone or is_assigned(r.schedule, user)]
    later = [r for r in upcoming if everyone or is_assigned(r.schedule, user)][:NEXT_LIMIT]
    return {
        "now": [RunProgress(r, now) for r in mine],
        "next": [RunProgress(r, now) for r in later],
    }


def progress_of(run: PatrolRun, now: datetime | None = None) -> RunProgress:
    """The run's progress as the database has it now (its points and their points in one go)."""
    points = db.session.scalars(
        select(RunPoint)
        .where(RunPoint.run_id == run.id)
        .options(joinedload(RunPoint.point))
        .order_by(RunPoint.position)
        .execution_options(populate_existing=True)
    ).all()
    set_committed_value(run, "points", list(points))
    return RunProgress(run, now or utcnow())
