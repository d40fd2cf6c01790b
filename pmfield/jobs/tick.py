"""The jobs' part of `pmfield tick`: escalate late jobs, draw the weekly callback samples,
flag overdue callbacks, make the planned maintenance jobs, warn of expiring certificates.
Safe to run every minute, twice, or from two machines at once."""

from dataclasses import dataclass
from datetime import datetime

from pmfield.extensions import db
from pmfield.jobs import callbacks
from pmfield.jobs import maintenance
from pmfield.jobs import work
from pmfield.timeutil import utcnow


@dataclass
class JobsTick:
    overdue_notifications: int = 0
    samples_drawn: int = 0
    callbacks_overdue: int = 0
    maintenance_jobs: int = 0

    def summary(self) -> str:
        return (f"jobs escalated: {self.overdue_notifications}, "
                f"callback samples drawn: {self.samples_drawn}, "
                f"callbacks overdue: {self.callbacks_overdue}, "
                f"maintenance jobs created: {self.maintenance_jobs}")


def tick(now: datetime | None = None) -> JobsTick:
    """Run the jobs' periodic work. Commits."""
    now = now or utcnow()
    report = JobsTick()
    report.overdue_notifications = work.escalate_overdue(now)
    db.session.commit()
    done = callbacks.tick(now)
    report.samples_drawn = done["samples"]
    report.callbacks_overdue = done["callbacks_overdue"]
    report.maintenance_jobs = maintenance.generate(now)
    maintenance.warn_certificates(now)
    return report
