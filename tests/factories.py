"""Plain factory functions with overridable keyword arguments."""

import itertools

from pmfield.auth.models import User
from pmfield.auth.roles import Role
from pmfield.auth.services import hash_password
from pmfield.extensions import db
from pmfield.places.models import Label
from pmfield.places.models import Location
from pmfield.places.models import Point
from pmfield.places.models import Site
from pmfield.places.tokens import new_serial

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
#: Hashing is slow on purpose; tests share one hash of PASSWORD.
_HASH = None


def make_site(**kw) -> Site:
    n = next(_seq)
    site = Site(
        code=kw.pop("code", f"S{n}"),
        name_zh=kw.pop("name_zh", f"校区{n}"),
        name_en=kw.pop("name_en", f"Campus {n}"),
        timezone=kw.pop("timezone", "Asia/Shanghai"),
        **kw,
    )
    db.session.add(site)
    db.session.commit()
    return site


def make_user(role=Role.GUARD, sites=(), **kw) -> User:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    n = next(_seq)
    user = User(
        username=kw.pop("username", f"{str(role).replace('_', '-')}{n}"),
        display_name=kw.pop("display_name", f"User {n}"),
        role=str(role),
        password_hash=kw.pop("password_hash", _HASH),
        **kw,
    )
    user.sites = list(sites)
    db.session.add(user)
    db.session.commit()
    return user


def make_location(site, level="building", parent=None, **kw) -> Location:
    n = next(_seq)
    location = Location(
        site=site,
        parent=parent,
        level=level,
        name_zh=kw.pop("name_zh", f"楼{n}"),
        name_en=kw.pop("name_en", f"Building {n}"),
        **kw,
    )
    db.session.add(location)
    db.session.commit()
    return location


def make_point(site, location=None, kind="checkpoint", with_label=True, **kw) -> Point:
    n = next(_seq)
    location = location or make_location(site)
    point = Point(
        site=site,
        location=location,
        kind=kind,
        code=kw.pop("code", f"P{n}"),
        name_zh=kw.pop("name_zh", f"点位{n}"),
        name_en=kw.pop("name_en", f"Point {n}"),
        **kw,
    )
    db.session.add(point)
    if with_label:
        db.session.add(Label(point=point, serial=new_serial(), version=1))
    db.session.commit()
    return point
