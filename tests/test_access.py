"""Every route × every role: the whole allowed/denied matrix, including other sites' data.

The table below is written by hand on purpose: it is the specification. A route added without a
row here fails `test_every_route_is_in_the_matrix`. Features add their rows in
tests/access_rows/<feature>.py (ROWS, and optionally objects(site, objects) -> dict that adds the
objects their routes need to each site of the world).
"""

import importlib
import pkgutil
from datetime import date

import pytest
from flask import url_for

from pmfield.auth.roles import Role
from pmfield.extensions import db
from pmfield.places import services as places
from tests import access_rows
from tests import factories
from tests.access_common import EDITORS
from tests.access_common import PRINTERS
from tests.access_common import PUBLIC
from tests.access_common import A
from tests.access_common import M
from tests.access_common import Route
from tests.conftest import TEST_DATABASE_URL
from tests.conftest import _empty_shared_database

# endpoint → Route. Values like "point" are replaced by the world's objects below.
MATRIX = {
    "core.home": Route("GET"),
    "core.menu": Route("GET"),
    "core.scan": Route("GET"),
    "core.offline_pages": Route("GET"),
    "core.set_locale": Route("POST", allowed=PUBLIC),
    "core.set_theme": Route("POST"),
    "core.set_site": Route("POST"),
    "core.healthz": Route("GET", allowed=PUBLIC),
    "core.manifest": Route("GET", allowed=PUBLIC),
    "core.service_worker": Route("GET", allowed=PUBLIC),
    "core.offline": Route("GET", allowed=PUBLIC),
    "auth.login": Route("GET", allowed=PUBLIC),
    "auth.logout": Route("POST"),
    "labels.choose": Route("GET", allowed=PRINTERS),
    "labels.sheet": Route("GET", {"point": "point"}, allowed=PRINTERS, site_scoped=True),
    "labels.sheet_pdf": Route("GET", {"point": "point"}, allowed=PRINTERS, site_scoped=True),
    "places.list_points": Route("GET"),
    "places.point_detail": Route("GET", {"point_id": "point"}, site_scoped=True),
    "places.scan_label": Route("GET", {"token": "token"}, allowed=PUBLIC, site_scoped=True),
    "places.create_point": Route("GET", allowed=EDITORS),
    "places.edit_point": Route("GET", {"point_id": "point"}, allowed=EDITORS, site_scoped=True),
    "places.move_point": Route("GET", {"point_id": "point"}, allowed=EDITORS, site_scoped=True),
    "places.retire_point": Route("POST", {"point_id": "point"}, allowed=EDITORS, site_scoped=True),
    "places.edit_asset": Route("GET", {"point_id": "point"}, allowed=EDITORS, site_scoped=True),
    "places.add_certificate": Route(
        "POST", {"point_id": "point"}, allowed=EDITORS, site_scoped=True
    ),
    "places.remove_certificate": Route(
        "POST",
        {"point_id": "point", "certificate_id": "certificate"},
        allowed=EDITORS,
        site_scoped=True,
    ),
    "places.revoke_label": Route("POST", {"point_id": "point"}, allowed=EDITORS, site_scoped=True),
    "places.reissue_label": Route("POST", {"point_id": "point"}, allowed=EDITORS, site_scoped=True),
    "places.import_points": Route("POST", allowed=EDITORS),
    "places.import_example": Route("GET", allowed=EDITORS),
    "places.list_locations": Route("GET", allowed=EDITORS),
    "places.create_location": Route("POST", allowed=EDITORS),
    "places.edit_location": Route(
        "GET", {"location_id": "location"}, allowed=EDITORS, site_scoped=True
    ),
    "places.move_location": Route(
        "POST", {"location_id": "location"}, allowed=EDITORS, site_scoped=True
    ),
    "places.retire_location": Route(
        "POST", {"location_id": "location"}, allowed=EDITORS, site_scoped=True
    ),
    "places.list_sites": Route("GET", allowed=frozenset({A})),
    "places.create_site": Route("POST", allowed=frozenset({A})),
    "places.edit_site": Route("GET", {"site_id": "site"}, allowed=frozenset({A})),
    "audit.list_entries": Route("GET", allowed=frozenset({A, M})),
    "admin.list_users": Route("GET", allowed=frozenset({A})),
    "admin.create_user": Route("GET", allowed=frozenset({A})),
    "admin.edit_user": Route("GET", {"user_id": "user"}, allowed=frozenset({A})),
    "admin.set_password": Route("POST", {"user_id": "user"}, allowed=frozenset({A})),
    "admin.set_active": Route("POST", {"user_id": "user"}, allowed=frozenset({A})),
}


FEATURE_ROWS = [
    importlib.import_module(f"{access_rows.__name__}.{info.name}")
    for info in pkgutil.iter_modules(access_rows.__path__)
]
for _module in FEATURE_ROWS:
    _duplicates = set(MATRIX) & set(_module.ROWS)
    assert not _duplicates, f"{_module.__name__} repeats rows: {_duplicates}"
    MATRIX.update(_module.ROWS)


def build_world():
    """Two sites with the same shape; every role works at site A only (admin sees both)."""
    own = factories.make_site(code="OWN")
    other = factories.make_site(code="OTHER")
    objects = {}
    for name, site in (("own", own), ("other", other)):
        location = factories.make_location(site)
        point = factories.make_point(site, location, kind="elevator")
        objects[name] = {
            "site": site,
            "location": location,
            "point": point,
            "label": point.current_label,
            "token": places.label_token(point.current_label),
            "certificate": places.add_certificate(
                point,
                name="Annual inspection",
                number="N1",
                issued_on=date(2026, 1, 1),
                expires_on=date(2027, 1, 1),
                actor=None,
            ),
            "user": factories.make_user(Role.GUARD, sites=[site]),
        }
    users = {role: factories.make_user(role, sites=[] if role == A else [own]) for role in Role}
    for module in FEATURE_ROWS:
        if hasattr(module, "objects"):
            for name in ("own", "other"):
                objects[name].update(module.objects(objects[name]["site"], objects[name]))
    return {"objects": objects, "users": users}


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def fresh_world(app):
    """Build the world again on an empty database (after a call that may have changed it)."""

    def rebuild():
        db.session.remove()
        if TEST_DATABASE_URL:
            _empty_shared_database()
        else:
            db.drop_all()
            db.create_all()
        return build_world()

    return rebuild


def _url(app, endpoint, route, objects):
    values = {}
    for key, ref in route.args.items():
        value = objects[ref]
        values[key] = getattr(value, "id", value)
    with app.test_request_context():
        return url_for(endpoint, **values)


def _call(client, method, url):
    return client.open(url, method=method, data={})


def test_every_route_is_in_the_matrix(app):
    endpoints = {e for e in app.view_functions if e != "static"}
    assert endpoints - set(MATRIX) == set(), "routes missing from the access matrix"
    assert set(MATRIX) - endpoints == set(), "matrix rows for routes that do not exist"


def _sign_in(client, user) -> None:
    """Sign `user` in on a clean session (no site chosen by the previous role)."""
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def _check_stranger(app, client, endpoint, route, objects) -> None:
    response = _call(client, route.method, _url(app, endpoint, route, objects))
    if route.allowed == PUBLIC:
        assert response.status_code not in (401, 403), endpoint
        return
    assert response.status_code == route.stranger_status, endpoint
    if route.stranger_status == 302:
        assert "/auth/login" in response.headers["Location"]


def _check_role(app, client, world, endpoint, route, role) -> None:
    _sign_in(client, world["users"][role])
    own = _call(client, route.method, _url(app, endpoint, route, world["objects"]["own"]))
    allowed = route.allowed == PUBLIC or role in route.allowed
    if not allowed:
        assert own.status_code == 403, f"{role} should be refused {endpoint}"
        return
    if route.owner_only:
        assert own.status_code == 404, f"{role} reached somebody else's object via {endpoint}"
        return
    if role in route.hidden_from:
        assert own.status_code == 404, f"{role} should not see the object of {endpoint}"
        return
    assert own.status_code < 400 or own.status_code in {422} | route.allowed_errors, (
        f"{role} should reach {endpoint}, got {own.status_code}"
    )
    if route.site_scoped:
        other = _call(client, route.method, _url(app, endpoint, route, world["objects"]["other"]))
        if role == A:
            assert other.status_code < 400 or other.status_code == 422
        else:
            assert other.status_code in (403, 404), f"{role} saw another site via {endpoint}"


def _may_change(route, role) -> bool:
    """True when the call may have changed the world: a write by a role let through."""
    allowed = route.allowed == PUBLIC or role in route.allowed
    return route.method != "GET" and allowed


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_matrix(app, client, fresh_world, endpoint):
    """A stranger, then every role, on one route.

    Refusals and reads change nothing, so they share one world; each write that a role is let
    through to gets a world of its own, built again on an empty database.
    """
    route = MATRIX[endpoint]
    world = fresh_world()
    _check_stranger(app, client, endpoint, route, world["objects"]["own"])
    # Refused roles first: their calls must leave the world as it is for the others.
    roles = sorted(Role, key=lambda role: _may_change(route, role))
    dirty = False
    for role in roles:
        if dirty and _may_change(route, role):
            world = fresh_world()
        _check_role(app, client, world, endpoint, route, role)
        dirty = dirty or _may_change(route, role)


def test_ids_too_large_for_the_database_are_404_not_500(app, client, login_as, world):
    """PostgreSQL raises on ids past its integer range; every route must answer 404.

    Each route is called by a role allowed to use it (an admin where admins may), so the id
    reaches the database lookup instead of being refused first.
    """
    huge = 2**40
    checked = 0
    for rule in app.url_map.iter_rules():
        int_args = [
            name
            for name, conv in rule._converters.items()
            if type(conv).__name__ == "IntegerConverter"
        ]
        if not int_args:
            continue
        allowed = MATRIX[rule.endpoint].allowed
        role = A if allowed == PUBLIC or A in allowed else sorted(allowed)[0]
        login_as(world["users"][role])
        values = dict.fromkeys(rule.arguments, huge)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(rule.build(values)[1], method=method, data={})
        assert response.status_code == 404, rule.rule
        checked += 1
    assert checked > 10
