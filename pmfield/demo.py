"""The demo campus (site DEMO): a school from the practice, with one user per role."""

from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth import services as auth_services
from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.places import services as places
from pmfield.places.models import Site

DEMO_SITE = "DEMO"
DEMO_PASSWORD = "pmfield-demo"
DEMO_USERS = (
    ("admin", Role.ADMIN),
    ("manager", Role.MANAGER),
    ("desk", Role.DESK),
    ("sec-lead", Role.SECURITY_SUPERVISOR),
    ("guard1", Role.GUARD),
    ("guard2", Role.GUARD),
    ("clean-lead", Role.CLEANING_SUPERVISOR),
    ("cleaner1", Role.CLEANER),
    ("eng-lead", Role.ENGINEERING_SUPERVISOR),
    ("tech1", Role.TECHNICIAN),
    ("tech2", Role.TECHNICIAN),
)
DEMO_NAMES = {
    "admin": "系统管理员 Admin",
    "manager": "王经理 Manager Wang",
    "desk": "李客服 Desk Li",
    "sec-lead": "张主管 Security Lead Zhang",
    "guard1": "刘保安 Guard Liu",
    "guard2": "陈保安 Guard Chen",
    "clean-lead": "赵主管 Cleaning Lead Zhao",
    "cleaner1": "孙阿姨 Cleaner Sun",
    "eng-lead": "周工 Engineering Lead Zhou",
    "tech1": "吴师傅 Technician Wu",
    "tech2": "郑师傅 Technician Zheng",
}

# (level, zh, en, children) — zone → building → floor → room/area
TREE = [
    ("zone", "校门区", "Gate zone", [
        ("area", "南大门", "South gate", []),
        ("area", "东侧门", "East side gate", []),
    ]),
    ("zone", "教学区", "Teaching zone", [
        ("building", "教学楼A", "Teaching building A", [
            ("floor", "A栋1层", "A 1F", [("area", "A栋一楼大厅", "A ground-floor lobby", [])]),
            ("floor", "A栋2层", "A 2F", [
                ("area", "A栋2层男卫生间", "A 2F men's toilet", []),
                ("area", "A栋2层女卫生间", "A 2F women's toilet", []),
                ("area", "A栋2层走廊", "A 2F corridor", []),
            ]),
            ("floor", "A栋3层", "A 3F", [("area", "A栋3层走廊", "A 3F corridor", [])]),
        ]),
        ("building", "教学楼B", "Teaching building B", [
            ("floor", "B栋1层", "B 1F", [("area", "B栋1层卫生间", "B 1F toilets", [])]),
        ]),
        ("area", "贵重物品库房", "Valuables storage", []),
    ]),
    ("zone", "学生公寓区", "Student apartments", [
        ("building", "3号公寓", "Apartment building 3", [
            ("floor", "3号楼1层", "Bldg 3 1F", [("area", "3号楼大堂", "Bldg 3 lobby", [])]),
        ]),
        ("building", "4号公寓", "Apartment building 4", [
            ("floor", "4号楼1层", "Bldg 4 1F", [("area", "4号楼大堂", "Bldg 4 lobby", [])]),
        ]),
        ("building", "8号公寓", "Apartment building 8", [
            ("floor", "8号楼1层", "Bldg 8 1F", [("area", "8号楼大堂", "Bldg 8 lobby", [])]),
        ]),
    ]),
    ("zone", "道路与公共区", "Roads and grounds", [
        ("area", "主干道", "Main road", []),
        ("area", "运动场", "Sports ground", []),
        ("area", "垃圾收集点", "Refuse points", []),
    ]),
    ("zone", "设备区", "Plant zone", [
        ("area", "水泵房", "Pump room", []),
        ("area", "配电房", "Distribution room", []),
    ]),
]

# (location en name, kind, code, zh, en, asset, certificates[(name, number, days to expiry)])
POINTS = [
    ("South gate", "checkpoint", "GATE-S", "南大门岗亭", "South gate post", None, []),
    ("East side gate", "checkpoint", "GATE-E", "东侧门", "East side gate", None, []),
    ("A ground-floor lobby", "checkpoint", "A-1F-LOBBY", "A栋一楼大厅", "Building A lobby", None, []),
    ("A 3F corridor", "checkpoint", "A-3F-CORR", "A栋3层走廊巡更点", "Building A 3F corridor", None, []),
    ("Valuables storage", "checkpoint", "VAULT", "贵重物品库房门", "Valuables storage door", None, []),
    ("Bldg 3 lobby", "checkpoint", "D3-GATE", "3号公寓门岗", "Apartment 3 entrance", None, []),
    ("Bldg 4 lobby", "checkpoint", "D4-GATE", "4号公寓门岗", "Apartment 4 entrance", None, []),
    ("Bldg 8 lobby", "checkpoint", "D8-GATE", "8号公寓门岗", "Apartment 8 entrance", None, []),
    ("Sports ground", "checkpoint", "SPORTS", "运动场看台", "Sports ground stand", None, []),
    ("A 2F men's toilet", "cleaning_area", "A-2F-WC-M", "A栋2层男卫生间", "A 2F men's toilet", None, []),
    ("A 2F women's toilet", "cleaning_area", "A-2F-WC-F", "A栋2层女卫生间", "A 2F women's toilet",
     None, []),
    ("A 2F corridor", "cleaning_area", "A-2F-CORR", "A栋2层走廊及楼梯", "A 2F corridor and stairs",
     None, []),
    ("B 1F toilets", "cleaning_area", "B-1F-WC", "B栋1层卫生间", "B 1F toilets", None, []),
    ("Bldg 3 lobby", "cleaning_area", "D3-LOBBY", "3号公寓大堂", "Apartment 3 lobby", None, []),
    ("Main road", "cleaning_area", "ROAD-MAIN", "主干道（07:30前清扫）", "Main road (swept by 07:30)",
     None, []),
    ("Refuse points", "cleaning_area", "RP-1", "1号垃圾收集点", "Refuse point 1", None, []),
    ("Refuse points", "cleaning_area", "RP-2", "2号垃圾收集点", "Refuse point 2", None, []),
    ("A ground-floor lobby", "elevator", "A-EL-1", "A栋1号电梯", "Building A elevator 1",
     {"make": "奥的斯 Otis", "model": "GeN2-MR", "serial_number": "OT-2019-55821",
      "installed_on": date(2019, 8, 20)},
     [("电梯使用标志（年检）", "TSX-2025-0831", 21)]),
    ("Bldg 8 lobby", "elevator", "D8-EL-1", "8号公寓电梯", "Apartment 8 elevator",
     {"make": "三菱 Mitsubishi", "model": "LEHY-III", "serial_number": "MS-2016-10477",
      "installed_on": date(2016, 6, 2)},
     [("电梯使用标志（年检）", "TSX-2025-1102", 250)]),
    ("A 2F corridor", "hydrant", "A-2F-HYD", "A栋2层消火栓", "Building A 2F fire hydrant", None, []),
    ("A 3F corridor", "extinguisher", "A-3F-EXT", "A栋3层灭火器", "Building A 3F extinguisher",
     {"make": "淮海 Huaihai", "model": "MFZ/ABC4", "serial_number": "HH-ABC4-88213",
      "installed_on": date(2023, 3, 15)},
     [("灭火器年检", "FE-2025-3391", -5)]),
    ("Pump room", "water_tank", "WT-1", "二次供水水箱", "Drinking-water tank",
     {"make": "不锈钢 Stainless", "model": "SUS304 36m³", "serial_number": "WT-2018-01",
      "installed_on": date(2018, 7, 1)},
     [("水箱清洗消毒合格证", "SW-2025-118", 95)]),
    ("Pump room", "pump", "PUMP-1", "生活给水泵", "Domestic water pump",
     {"make": "格兰富 Grundfos", "model": "CR 10-6", "serial_number": "GF-CR10-77310",
      "installed_on": date(2018, 7, 1)}, []),
    ("Distribution room", "distribution_board", "DB-1", "低压配电柜1", "Low-voltage board 1",
     {"make": "施耐德 Schneider", "model": "Blokset", "serial_number": "SE-BK-40912",
      "installed_on": date(2017, 9, 1)}, []),
]


class DemoRefused(Exception):
    """The database holds real data; seeding demo users into it would be a security hole."""


def database_is_empty() -> bool:
    """True when the database has no sites and no users."""
    users = db.session.scalar(select(func.count()).select_from(User))
    sites = db.session.scalar(select(func.count()).select_from(Site))
    return not users and not sites


def _holds_real_data() -> bool:
    real_users = db.session.scalar(select(func.count()).where(User.is_demo.is_(False)))
    real_sites = db.session.scalar(select(func.count()).where(Site.is_demo.is_(False)))
    return bool(real_users or real_sites)


def seed_demo() -> bool:
    """Seed the demo campus; return False when it is already there.

    :raises DemoRefused: when the database holds non-demo data.
    """
    if _holds_real_data():
        raise DemoRefused(
            "This database holds non-demo data; refusing to add demo accounts with a known "
            "password to it."
        )
    if db.session.scalar(select(Site).where(Site.code == DEMO_SITE)) is not None:
        return False
    site = places.create_site(
        DEMO_SITE, "示范学校（主校区）", "Demo School (main campus)", "Asia/Shanghai",
        address="示范市学府路1号 1 Xuefu Road", is_demo=True,
    )
    by_name = {}

    def add(nodes, parent=None):
        for level, zh, en, children in nodes:
            location = places.create_location(site, level, zh, en, parent)
            by_name[en] = location
            add(children, location)

    add(TREE)
    today = datetime.now(ZoneInfo(site.timezone)).date()
    for location_en, kind, code, zh, en, asset, certificates in POINTS:
        point = places.create_point(site, by_name[location_en], kind, code, zh, en, asset=asset)
        for name, number, days in certificates:
            places.add_certificate(
                point, name=name, number=number, issued_on=today + timedelta(days=days - 365),
                expires_on=today + timedelta(days=days), actor=None,
            )
    for username, role in DEMO_USERS:
        auth_services.create_user(
            username, DEMO_PASSWORD, role, display_name=DEMO_NAMES[username],
            sites=[] if role == Role.ADMIN else [site], is_demo=True,
        )
    from pmfield.patrol.demo import seed_patrol  # patrol's demo data: post, routes, schedules

    demo_users = db.session.scalars(select(User).where(User.is_demo.is_(True))).all()
    seed_patrol(site, demo_users)
    from pmfield.checklists.demo import seed_cleaning  # cleaning's: checklists, plans, timetable

    seed_cleaning(site, demo_users)
    from pmfield.jobs.demo import seed_jobs  # repairs': materials catalogue, maintenance plans

    seed_jobs(site, demo_users)
    from pmfield.jobs.demo_requests import seed_requests  # requests in each stage of their life

    seed_requests(site)
    return True
