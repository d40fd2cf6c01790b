"""Repair requests for the demo campus, one in each stage, so every role finds work to do:
a call waiting for dispatch, an emergency on its way, a paid repair closed and waiting for its
callback, and one called back already.

Everything goes through the services (with times in the recent past), so the history, the
callbacks and the notifications are what real use would have left.
"""

import io
from datetime import timedelta

from PIL import Image
from PIL import ImageDraw
from sqlalchemy import select

from pmfield.auth.models import User
from pmfield.extensions import db
from pmfield.jobs import callbacks
from pmfield.jobs import services
from pmfield.jobs import work
from pmfield.jobs.models import CallbackMethod
from pmfield.jobs.models import Channel
from pmfield.jobs.models import JobSource
from pmfield.jobs.models import Material
from pmfield.jobs.models import Satisfaction
from pmfield.photos import services as photos
from pmfield.places.models import Point
from pmfield.timeutil import utcnow


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _point(site, code: str) -> Point | None:
    return db.session.scalar(select(Point).where(Point.site_id == site.id, Point.code == code))


def _picture(color: str) -> bytes:
    image = Image.new("RGB", (800, 600), color)
    ImageDraw.Draw(image).rectangle((200, 150, 600, 450), outline="white", width=12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _signature() -> bytes:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(40, 150), (110, 50), (170, 140), (250, 60), (330, 150), (420, 70), (540, 120)],
        fill=(10, 10, 10, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _photo(user, site, color: str):
    return photos.save_photo(_picture(color), user=user, site=site)


def _dispatch(supervisor, job, technicians, discipline: str, priority: str, now):
    form = {"discipline": discipline, "priority": priority,
            "technician": [str(t.id) for t in technicians]}
    return work.assign(supervisor, job, work.parse_dispatch(job, form), now=now)


def seed_requests(site) -> None:
    """Seed the four demo requests; skipped when the demo users are not there. Commits."""
    desk, supervisor = _user("desk"), _user("eng-lead")
    tech1, tech2 = _user("tech1"), _user("tech2")
    lift, pump, board = _point(site, "A-EL-1"), _point(site, "PUMP-1"), _point(site, "DB-1")
    if None in (desk, supervisor, tech1, tech2, lift, pump, board):
        return
    now = utcnow()

    # 1. A phone call the engineering supervisor has not dispatched yet.
    services.take_in(
        desk, site, source=JobSource.DESK, channel=Channel.PHONE,
        requester_name="王老师", requester_phone="138 0013 8000",
        location_text="3号公寓 302 卫生间 / Apartment 3, room 302 bathroom",
        description="洗手台水龙头一直滴水 / The washbasin tap keeps dripping",
        now=now - timedelta(minutes=25),
    )

    # 2. An emergency: someone stuck in the lift, the technician on the way.
    stuck = services.take_in(
        desk, site, source=JobSource.DESK, channel=Channel.HOTLINE, point=lift,
        requester_name="李同学", requester_phone="139 1234 5678",
        description="电梯停在2楼与3楼之间，有人被困 / Lift stopped between 2F and 3F, "
                    "a person trapped",
        priority="emergency", now=now - timedelta(minutes=3),
    )
    _dispatch(supervisor, stuck, [tech1, tech2], "elevator", "emergency",
              now - timedelta(minutes=2))
    work.accept(tech1, stuck, now=now - timedelta(minutes=2))
    work.depart(tech1, stuck, now=now - timedelta(minutes=1))

    # 3. A paid repair, closed yesterday, waiting for the desk's callback.
    breaker = services.take_in(
        desk, site, source=JobSource.DESK, channel=Channel.VISIT, point=board,
        requester_name="食堂 张经理", requester_phone="0571-8888 1234",
        description="食堂后厨插座回路跳闸 / Kitchen socket circuit keeps tripping",
        priority="urgent", now=now - timedelta(days=1, hours=3),
    )
    _close_paid(supervisor, tech2, breaker, now - timedelta(days=1, hours=2))

    # 4. The pump serviced last week and called back: satisfied.
    noisy = services.take_in(
        desk, site, source=JobSource.DESK, channel=Channel.PHONE, point=pump,
        requester_name="宿管 刘阿姨", requester_phone="137 0000 1111",
        description="水泵房噪音大 / The pump room is very noisy",
        now=now - timedelta(days=6, hours=4),
    )
    start = now - timedelta(days=6, hours=3)
    _dispatch(supervisor, noisy, [tech1], "plumbing", "normal", start)
    work.accept(tech1, noisy, now=start)
    work.arrive(tech1, noisy, pump.current_label, now=start + timedelta(minutes=40))
    work.add_photo(tech1, noisy, _photo(tech1, site, "slategray"), "before",
                   now=start + timedelta(minutes=41))
    work.add_note(tech1, noisy, "轴承磨损，已更换并加注润滑脂 / Worn bearing replaced, greased",
                  now=start + timedelta(hours=1))
    work.add_photo(tech1, noisy, _photo(tech1, site, "seagreen"), "after",
                   now=start + timedelta(hours=1, minutes=30))
    work.set_category(tech1, noisy, "public", now=start + timedelta(hours=1, minutes=31))
    work.sign(tech1, noisy, _signature(), "刘阿姨", now=start + timedelta(hours=1, minutes=32))
    work.close(tech1, noisy, customer_opinion="很好 / Good",
               now=start + timedelta(hours=1, minutes=33))
    callbacks.record(desk, noisy.callbacks[0], method=CallbackMethod.PHONE,
                     satisfaction=Satisfaction.SATISFIED,
                     comments="噪音已消除，态度好 / Noise gone, friendly technician",
                     now=start + timedelta(days=1))


def _close_paid(supervisor, tech, job, start) -> None:
    _dispatch(supervisor, job, [tech], "electrical", "urgent", start)
    work.accept(tech, job, now=start)
    work.depart(tech, job, now=start + timedelta(minutes=2))
    work.arrive(tech, job, job.point.current_label, now=start + timedelta(minutes=15))
    work.add_photo(tech, job, _photo(tech, job.site, "firebrick"), "before",
                   now=start + timedelta(minutes=16))
    work.set_category(tech, job, "paid", "85", now=start + timedelta(minutes=20))
    work.accept_price(tech, job, now=start + timedelta(minutes=21))
    breaker = db.session.scalar(select(Material).where(Material.site_id == job.site_id,
                                                       Material.code == "CB-16A"))
    if breaker is not None:
        work.add_material(tech, job, breaker.id, "1", now=start + timedelta(minutes=40))
    work.add_note(tech, job, "更换16A空气开关，检查回路绝缘正常 / Replaced the 16 A breaker, "
                  "circuit insulation checked", now=start + timedelta(minutes=45))
    work.add_photo(tech, job, _photo(tech, job.site, "darkolivegreen"), "after",
                   now=start + timedelta(minutes=50))
    work.sign(tech, job, _signature(), "张经理", now=start + timedelta(minutes=52))
    work.close(tech, job, customer_opinion="满意 / Satisfied",
               now=start + timedelta(minutes=53))
