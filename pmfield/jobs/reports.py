"""Reports of the repair jobs: the month's paid work for finance (the fee goes to finance,
seed 004), as CSV."""

import csv
import io
from datetime import date
from datetime import datetime
from datetime import time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from pmfield.extensions import db
from pmfield.jobs.models import Category
from pmfield.jobs.models import Job
from pmfield.patrol.reports import neutralize_cell
from pmfield.places.models import Site

PAID_COLUMNS = ("number", "closed_at", "requester", "phone", "point", "location",
                "description", "discipline", "technician", "price", "price_accepted_at",
                "materials")


def _month_bounds(site: Site, first: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(site.timezone)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return datetime.combine(first, time(0), zone), datetime.combine(following, time(0), zone)


def paid_jobs(site: Site, first: date) -> list[Job]:
    """The paid jobs closed in the month that starts on `first` (site time), by close."""
    starts, ends = _month_bounds(site, first)
    return list(db.session.scalars(
        select(Job).where(Job.site_id == site.id, Job.category == Category.PAID.value,
                          Job.closed_at >= starts, Job.closed_at < ends)
        .order_by(Job.closed_at, Job.id)
    ))


def paid_jobs_csv(site: Site, first: date) -> str:
    """One line per paid job closed in the month, then the total of the prices."""
    zone = ZoneInfo(site.timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PAID_COLUMNS)
    total = Decimal("0")
    for job in paid_jobs(site, first):
        total += job.price or 0
        row = {
            "number": job.number,
            "closed_at": job.closed_at.astimezone(zone).isoformat(timespec="minutes"),
            "requester": job.requester_name,
            "phone": job.requester_phone,
            "point": job.point.code if job.point else "",
            "location": job.location_text,
            "description": job.description,
            "discipline": job.discipline or "",
            "technician": job.lead.display_name if job.lead else "",
            "price": f"{job.price:.2f}" if job.price is not None else "",
            "price_accepted_at": job.price_accepted_at.astimezone(zone).isoformat(
                timespec="minutes") if job.price_accepted_at else "",
            "materials": "; ".join(f"{m.material.code} x {m.quantity.normalize():f}"
                                   for m in job.materials),
        }
        writer.writerow([neutralize_cell(row[name]) for name in PAID_COLUMNS])
    writer.writerow(["total", "", "", "", "", "", "", "", "", f"{total:.2f}", "", ""])
    return out.getvalue()
