"""Repairs for the demo campus: the materials catalogue and the maintenance plans of its
equipment.

Called by pmfield.demo.seed_demo once the demo site, its equipment points and its users exist.
Elevators are serviced every 15 days (the most Chinese rules allow), extinguishers checked
monthly, the drinking-water tank cleaned every six months, the pump serviced monthly.
"""

from datetime import timedelta

from sqlalchemy import select

from pmfield.extensions import db
from pmfield.jobs import catalogue
from pmfield.jobs import maintenance
from pmfield.jobs.models import Discipline
from pmfield.jobs.models import IntervalUnit
from pmfield.places.models import Point
from pmfield.places.services import site_today

#: (code, zh, en, unit zh, unit en)
MATERIALS = (
    ("CB-16A", "空气开关 16A", "Circuit breaker 16 A", "个", "pc"),
    ("CB-32A", "空气开关 32A", "Circuit breaker 32 A", "个", "pc"),
    ("RCD-40A", "漏电保护器 40A", "Residual-current device 40 A", "个", "pc"),
    ("CABLE-2.5", "电缆 2.5mm²", "Cable 2.5 mm²", "米", "m"),
    ("CABLE-4", "电缆 4mm²", "Cable 4 mm²", "米", "m"),
    ("LED-T8-18W", "LED灯管 T8 18W", "LED tube T8 18 W", "根", "tube"),
    ("SOCKET-5H", "五孔插座", "Wall socket (5-hole)", "个", "pc"),
    ("TAP-15", "水龙头 DN15", "Tap DN15", "个", "pc"),
    ("SEAL-DN15", "密封圈 DN15", "Seal ring DN15", "个", "pc"),
    ("PTFE-TAPE", "生料带", "PTFE thread tape", "卷", "roll"),
    ("FLUSH-VALVE", "蹲便器冲洗阀", "Squat-toilet flush valve", "个", "pc"),
    ("EL-DOOR-SHOE", "电梯门滑块", "Elevator door shoe", "个", "pc"),
    ("EL-GREASE", "电梯导轨润滑脂", "Elevator guide-rail grease", "千克", "kg"),
    ("EXT-ABC4", "ABC干粉灭火器 4kg", "ABC powder extinguisher 4 kg", "具", "unit"),
)

#: (point code, zh, en, discipline, every, unit, days from today to the first due date)
PLANS = (
    ("A-EL-1", "电梯半月保养", "Elevator maintenance", Discipline.ELEVATOR, 15,
     IntervalUnit.DAYS, -12),
    ("D8-EL-1", "电梯半月保养", "Elevator maintenance", Discipline.ELEVATOR, 15,
     IntervalUnit.DAYS, -5),
    ("A-3F-EXT", "灭火器月检", "Extinguisher monthly check", Discipline.OTHER, 1,
     IntervalUnit.MONTHS, 2),
    ("WT-1", "二次供水水箱清洗消毒", "Drinking-water tank cleaning", Discipline.PLUMBING, 6,
     IntervalUnit.MONTHS, 20),
    ("PUMP-1", "生活给水泵月度保养", "Domestic water pump monthly service",
     Discipline.PLUMBING, 1, IntervalUnit.MONTHS, 8),
)


def seed_jobs(site, users) -> None:
    """Seed the demo site's materials catalogue and maintenance plans. Commits."""
    for code, name_zh, name_en, unit_zh, unit_en in MATERIALS:
        catalogue.create_material(site, actor=None, code=code, name_zh=name_zh,
                                  name_en=name_en, unit_zh=unit_zh, unit_en=unit_en)
    codes = [plan[0] for plan in PLANS]
    points = {
        p.code: p for p in db.session.scalars(
            select(Point).where(Point.site_id == site.id, Point.code.in_(codes))
        )
    }
    today = site_today(site)
    for code, name_zh, name_en, discipline, every, unit, offset in PLANS:
        if code not in points:
            continue
        maintenance.create_plan(
            site, actor=None, point=points[code], name_zh=name_zh, name_en=name_en,
            discipline=discipline, every=every, unit=unit,
            starts_on=today + timedelta(days=offset), lead_days=3,
        )
