"""Cleaning for the demo campus: the standard checklists, the class timetable, this term, an
early-shift team and a plan for every cleaning area.

Called by pmfield.demo.seed_demo once the demo site, its areas and its users exist. Main roads
are swept before 07:30; toilets are done several times a day outside class periods; refuse
points are cleared the same day; the drinking-water tank is checked twice a term.
"""

from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.checklists import planning
from pmfield.checklists.models import AreaKind
from pmfield.extensions import db
from pmfield.places.models import Point
from pmfield.timeutil import utcnow

#: Class periods of a weekday (no cleaning that disturbs lessons).
PERIODS = (
    ("第一、二节课", "Periods 1–2", time(8, 0), time(9, 40)),
    ("第三、四节课", "Periods 3–4", time(10, 0), time(11, 40)),
    ("第五、六节课", "Periods 5–6", time(14, 0), time(15, 40)),
    ("第七、八节课", "Periods 7–8", time(16, 0), time(17, 40)),
)
#: Area code → (kind of checklist, due times, lead minutes, frequency extras).
PLANS = {
    "ROAD-MAIN": (AreaKind.MAIN_ROAD, "07:30", 120, {}),
    "A-2F-WC-M": (AreaKind.TOILET, "07:50, 12:00, 17:50", 20, {}),
    "A-2F-WC-F": (AreaKind.TOILET, "07:50, 12:00, 17:50", 20, {}),
    "B-1F-WC": (AreaKind.TOILET, "07:50, 12:00, 17:50", 20, {}),
    "A-2F-CORR": (AreaKind.CORRIDOR_STAIRS, "07:50, 18:30", 40, {}),
    "D3-LOBBY": (AreaKind.LOBBY, "07:00, 19:00", 60, {}),
    "RP-1": (AreaKind.REFUSE_POINT, "09:50, 20:00", 40, {}),
    "RP-2": (AreaKind.REFUSE_POINT, "09:50, 20:00", 40, {}),
    "WT-1": (AreaKind.WATER_TANK, "16:00", 0, {"frequency": "per_term", "per_term": 2}),
}


def seed_cleaning(site, users) -> None:
    """Seed the demo site's cleaning; `users` are the demo users. Commits."""
    templates = {t.area_kind: t for t in planning.seed_standard_templates(site)}
    for name_zh, name_en, starts, ends in PERIODS:
        planning.add_blackout(site, name_zh=name_zh, name_en=name_en, weekdays="12345",
                              starts=starts, ends=ends, actor=None)
    today = utcnow().astimezone(ZoneInfo(site.timezone)).date()
    planning.add_term(site, name_zh="本学期", name_en="This term",
                      starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=110),
                      actor=None)
    cleaners = [u for u in users if u.role == Role.CLEANER]
    team = planning.create_team(site, name_zh="早班保洁组", name_en="Early shift",
                                members=cleaners, actor=None) if cleaners else None
    points = {
        p.code: p for p in db.session.scalars(
            select(Point).where(Point.site_id == site.id, Point.code.in_(list(PLANS)))
        )
    }
    for code, (kind, times, lead, extra) in PLANS.items():
        if code not in points:
            continue
        planning.create_plan(
            site, actor=None, point=points[code], template=templates[kind],
            frequency=extra.get("frequency", "times"), times=times, weekdays="1234567",
            lead_minutes=lead, per_term=extra.get("per_term"), month_day=None,
            assignee=None, team=team,
        )
