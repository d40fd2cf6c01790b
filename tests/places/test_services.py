"""Business rules of sites, locations, points, assets, certificates and labels."""

import contextvars
from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from pmfield.audit.models import AuditEntry
from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.places import services
from pmfield.places.models import Label
from pmfield.places.models import Location
from pmfield.places.models import Point
from pmfield.places.models import Site
from tests import factories

pytestmark = pytest.mark.usefixtures("in_request")


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --------------------------------------------------------------------------- sites


def test_create_site_normalizes_the_code_and_audits(app):
    admin = factories.make_user(Role.ADMIN)
    site = services.create_site(" north-1 ", "北校区", "North campus", "Asia/Shanghai", actor=admin)
    assert site.code == "NORTH-1"
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.user_id, entry.site_id) == ("site.create", admin.id, site.id)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "x"}, "code"),
        ({"code": "BAD CODE"}, "code"),
        ({"code": "S1"}, "code"),  # taken by the `site` fixture
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"name_zh": "", "name_en": " "}, "name_zh"),
        ({"name_en": "x" * 121}, "name_en"),
    ],
)
def test_create_site_refuses_bad_input_and_changes_nothing(site, kwargs, field):
    site.code = "S1"
    db.session.commit()
    values = {"code": "NEW", "name_zh": "新校区", "name_en": "New", "timezone": "Asia/Shanghai"}
    values |= kwargs
    with pytest.raises(DomainError) as caught:
        services.create_site(values.pop("code"), **values)
    assert caught.value.field == field
    assert count(Site) == 1
    assert count(AuditEntry) == 0


def test_update_site_records_only_the_changes(site):
    services.update_site(
        site,
        name_zh=site.name_zh,
        name_en="Renamed",
        timezone="Asia/Urumqi",
        address=" 1 Road ",
        actor=None,
    )
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "site.update"
    assert set(entry.changes) == {"name_en", "timezone", "address"}
    assert site.address == "1 Road"


def test_update_site_refuses_an_unknown_timezone(site):
    with pytest.raises(DomainError) as caught:
        services.update_site(
            site, name_zh="x", name_en="y", timezone="Nowhere", address=None, actor=None
        )
    assert caught.value.field == "timezone"
    db.session.rollback()
    assert site.timezone == "Asia/Shanghai"


# --------------------------------------------------------------------------- locations


def test_location_levels_go_deeper_and_may_skip(site):
    zone = services.create_location(site, "zone", "教学区", "Teaching zone")
    building = services.create_location(site, "building", "教学楼A", "Building A", zone)
    floor = services.create_location(site, "floor", "2层", "2F", building)
    room = services.create_location(site, "area", "卫生间", "Toilet", floor)
    road = services.create_location(site, "area", "主干道", "Main road", zone)  # skips levels
    assert room.ancestors() == [zone, building, floor, room]
    assert road.parent is zone
    assert actions() == ["location.create"] * 5


@pytest.mark.parametrize(
    ("parent_level", "level"),
    [("floor", "floor"), ("floor", "building"), ("area", "area"), ("building", "zone")],
)
def test_a_child_must_be_deeper_than_its_parent(site, parent_level, level):
    parent = factories.make_location(site, parent_level)
    with pytest.raises(DomainError) as caught:
        services.create_location(site, level, "子", "Child", parent)
    assert caught.value.field == "parent"
    assert count(Location) == 1


def test_create_location_refuses_other_sites_retired_parents_bad_levels_and_no_name(
    site, other_site
):
    elsewhere = factories.make_location(other_site, "zone")
    retired = factories.make_location(site, "zone")
    services.retire_location(retired, actor=None)
    before = count(Location)
    for args, field in [
        (("floor", "x", "x", elsewhere), "parent"),
        (("floor", "x", "x", retired), "parent"),
        (("tower", "x", "x"), "level"),
        (("zone", " ", ""), "name_zh"),
    ]:
        with pytest.raises(DomainError) as caught:
            services.create_location(site, *args)
        assert caught.value.field == field
    assert count(Location) == before


def test_update_location_renames(site):
    location = factories.make_location(site)
    services.update_location(location, name_zh="新名", name_en="New name", actor=None)
    assert (location.name_zh, location.name_en) == ("新名", "New name")
    assert actions() == ["location.update"]


def test_move_location_carries_its_subtree(site):
    zone_a = factories.make_location(site, "zone")
    zone_b = factories.make_location(site, "zone")
    building = factories.make_location(site, "building", zone_a)
    floor = factories.make_location(site, "floor", building)
    services.move_location(building, zone_b, actor=None)
    assert floor.ancestors() == [zone_b, building, floor]
    services.move_location(building, None, actor=None)
    assert building.parent is None
    assert actions() == ["location.move", "location.move"]


def test_move_location_refuses_cycles_levels_and_other_sites(site, other_site):
    zone = factories.make_location(site, "zone")
    building = factories.make_location(site, "building", zone)
    floor = factories.make_location(site, "floor", building)
    area = factories.make_location(site, "area")
    elsewhere = factories.make_location(other_site, "zone")
    for location, parent in [
        (building, building),  # into itself
        (building, floor),  # into its own child
        (building, area),  # an area holds nothing
        (floor, factories.make_location(site, "floor")),  # same level
        (building, elsewhere),
    ]:
        with pytest.raises(DomainError):
            services.move_location(location, parent, actor=None)
    db.session.rollback()
    assert building.parent is zone
    assert floor.parent is building
    assert count(AuditEntry) == 0


def test_retire_location_refuses_while_it_holds_locations_or_points(site):
    zone = factories.make_location(site, "zone")
    building = factories.make_location(site, "building", zone)
    with pytest.raises(DomainError, match="active location"):
        services.retire_location(zone, actor=None)
    point = factories.make_point(site, building)
    with pytest.raises(DomainError, match="active point"):
        services.retire_location(building, actor=None)
    services.retire_point(point, actor=None)
    services.retire_location(building, actor=None)
    services.retire_location(zone, actor=None)
    assert zone.is_retired
    assert building.is_retired
    with pytest.raises(DomainError):
        services.retire_location(zone, actor=None)
    with pytest.raises(DomainError):
        services.update_location(zone, name_zh="x", name_en="x", actor=None)


def test_location_tree_nests_and_counts_active_points(site, other_site):
    zone = factories.make_location(site, "zone", name_zh="A区")
    building = factories.make_location(site, "building", zone)
    empty = factories.make_location(site, "zone", name_zh="B区")
    factories.make_point(site, building)
    factories.make_point(site, building)
    services.retire_point(factories.make_point(site, building), actor=None)
    services.retire_location(empty, actor=None)
    factories.make_location(other_site, "zone")
    tree = services.location_tree(site)
    assert [node.location for node in tree] == [zone]
    assert tree[0].children[0].location is building
    assert tree[0].children[0].point_count == 2
    assert tree[0].children[0].depth == 1
    with_retired = services.location_tree(site, include_retired=True)
    assert [node.location for node in with_retired] == [zone, empty]


def test_location_choices_exclude_subtrees_and_deeper_levels(site):
    zone = factories.make_location(site, "zone")
    building = factories.make_location(site, "building", zone)
    floor = factories.make_location(site, "floor", building)
    choices = services.location_choices(site, exclude=building, above=building.level_enum)
    ids = [i for i, _path in choices]
    assert ids == [zone.id]
    assert [i for i, _p in services.location_choices(site)] == [zone.id, building.id, floor.id]


# --------------------------------------------------------------------------- points


@pytest.fixture
def room(site):
    return factories.make_location(site, "area")


def test_create_point_normalizes_the_code_and_issues_label_one(site, room, manager):
    point = services.create_point(
        site, room, "cleaning_area", " a3-2f-wc-m ", "A3男卫", "Men's WC", actor=manager
    )
    assert point.code == "A3-2F-WC-M"
    label = point.current_label
    assert label.version == 1
    assert label.revoked_at is None
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.user_id, entry.target_id) == ("point.create", manager.id, point.id)


def test_create_point_with_an_asset(site, room):
    point = services.create_point(
        site,
        room,
        "elevator",
        "EL-1",
        "电梯",
        "Elevator",
        asset={
            "make": "Otis",
            "model": "GeN2",
            "serial_number": "X1",
            "installed_on": date(2019, 8, 20),
        },
    )
    assert point.asset.make == "Otis"
    assert point.asset.installed_on == date(2019, 8, 20)


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("A", "code"),
        ("A B", "code"),
        ("A_B", "code"),
        ("-AB", "code"),
        ("AB-", "code"),
        ("A" * 33, "code"),
        ("电梯", "code"),
        ("TAKEN", "code"),
    ],
)
def test_create_point_refuses_bad_codes(site, room, code, field):
    factories.make_point(site, room, code="TAKEN")
    with pytest.raises(DomainError) as caught:
        services.create_point(site, room, "checkpoint", code, "名", "Name")
    assert caught.value.field == field
    assert count(Point) == 1
    assert count(Label) == 1


def test_codes_are_unique_per_site_including_retired_points(site, other_site, room):
    old = factories.make_point(site, room, code="GATE")
    services.retire_point(old, actor=None)
    with pytest.raises(DomainError, match="GATE"):
        services.create_point(site, room, "checkpoint", "gate", "门", "Gate")
    there = factories.make_location(other_site)
    assert services.create_point(other_site, there, "checkpoint", "GATE", "门", "Gate").id


def test_create_point_refuses_bad_places_kinds_names_and_assets(site, other_site, room):
    elsewhere = factories.make_location(other_site)
    retired = factories.make_location(site)
    services.retire_location(retired, actor=None)
    cases = [
        ((elsewhere, "checkpoint"), {}, "location"),
        ((retired, "checkpoint"), {}, "location"),
        ((None, "checkpoint"), {}, "location"),
        ((room, "spaceship"), {}, "kind"),
        ((room, "checkpoint"), {"asset": {"make": "Otis"}}, "kind"),
        ((room, "elevator"), {"asset": {"installed_on": "2020-01-01"}}, "installed_on"),
        ((room, "elevator"), {"description": "x" * 2001}, "description"),
    ]
    for (location, kind), extra, field in cases:
        with pytest.raises(DomainError) as caught:
            services.create_point(site, location, kind, "P-1", "名", "Name", **extra)
        assert caught.value.field == field, (kind, extra)
    with pytest.raises(DomainError) as caught:
        services.create_point(site, room, "checkpoint", "P-1", "", "  ")
    assert caught.value.field == "name_zh"
    assert count(Point) == 0
    assert count(AuditEntry) == 1


def test_update_point(site, room):
    point = factories.make_point(site, room, code="OLD", kind="checkpoint")
    services.update_point(
        point,
        code="new-1",
        name_zh="新",
        name_en="New",
        kind="hydrant",
        description="  by the stairs ",
        actor=None,
    )
    assert (point.code, point.kind, point.description) == ("NEW-1", "hydrant", "by the stairs")
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.changes["code"] == ["OLD", "NEW-1"]
    assert point.current_label.version == 1  # the printed label stays valid


def test_update_point_refusals(site, room):
    factories.make_point(site, room, code="OTHER")
    point = factories.make_point(site, room, code="MINE", kind="elevator")
    services.set_asset(
        point, make="Otis", model=None, serial_number=None, installed_on=None, actor=None
    )
    values = {"name_zh": "名", "name_en": "Name", "description": None, "actor": None}
    with pytest.raises(DomainError) as caught:
        services.update_point(point, code="other", kind="elevator", **values)
    assert caught.value.field == "code"
    with pytest.raises(DomainError) as caught:
        services.update_point(point, code="MINE", kind="checkpoint", **values)
    assert caught.value.field == "kind"
    db.session.rollback()
    assert (point.code, point.kind) == ("MINE", "elevator")
    services.retire_point(point, actor=None)
    with pytest.raises(DomainError, match="retired"):
        services.update_point(point, code="MINE", kind="elevator", **values)


def test_move_point(site, other_site, room):
    point = factories.make_point(site, room)
    target = factories.make_location(site)
    services.move_point(point, target, actor=None)
    assert point.location is target
    with pytest.raises(DomainError):
        services.move_point(point, factories.make_location(other_site), actor=None)
    retired = factories.make_location(site)
    services.retire_location(retired, actor=None)
    with pytest.raises(DomainError):
        services.move_point(point, retired, actor=None)
    assert point.location is target
    assert actions().count("point.move") == 1


def test_retire_point_revokes_its_label(site, room):
    point = factories.make_point(site, room)
    label = point.current_label
    token = services.label_token(label)
    services.retire_point(point, actor=None)
    assert point.is_retired
    assert label.is_revoked
    assert services.resolve_token(token) == (label, "retired")
    with pytest.raises(DomainError):
        services.retire_point(point, actor=None)


# --------------------------------------------------------------------------- asset, certificates


def test_set_asset_creates_then_updates(site, room):
    point = factories.make_point(site, room, kind="pump")
    services.set_asset(
        point,
        make="Grundfos",
        model="CR 10",
        serial_number="1",
        installed_on=date(2018, 7, 1),
        actor=None,
    )
    services.set_asset(
        point,
        make="Grundfos",
        model="CR 15",
        serial_number="1",
        installed_on=date(2018, 7, 1),
        actor=None,
    )
    assert point.asset.model == "CR 15"
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["point.set_asset", "point.set_asset"]
    assert entries[1].changes == {"model": ["CR 10", "CR 15"]}


def test_set_asset_refusals(site, room):
    checkpoint = factories.make_point(site, room, kind="checkpoint")
    with pytest.raises(DomainError):
        services.set_asset(
            checkpoint, make="x", model=None, serial_number=None, installed_on=None, actor=None
        )
    pump = factories.make_point(site, room, kind="pump")
    with pytest.raises(DomainError) as caught:
        services.set_asset(
            pump,
            make="x",
            model=None,
            serial_number=None,
            installed_on=date.today() + timedelta(days=400),
            actor=None,
        )
    assert caught.value.field == "installed_on"
    assert pump.asset is None
    assert checkpoint.asset is None


def test_certificates_add_status_and_remove(site, room):
    point = factories.make_point(site, room, kind="elevator")
    today = services.site_today(site)
    old = services.add_certificate(
        point,
        name="年检",
        number="1",
        issued_on=today - timedelta(400),
        expires_on=today - timedelta(35),
        actor=None,
    )
    new = services.add_certificate(
        point,
        name="年检",
        number="2",
        issued_on=today,
        expires_on=today + timedelta(10),
        actor=None,
    )
    permit = services.add_certificate(
        point, name="Permit", expires_on=today + timedelta(90), actor=None
    )
    statuses = dict(services.certificate_statuses(point, today))
    assert statuses == {old: "replaced", new: "expiring", permit: "valid"}
    services.remove_certificate(new, actor=None)
    assert dict(services.certificate_statuses(point, today))[old] == "expired"
    assert actions().count("point.add_certificate") == 3
    assert actions().count("point.remove_certificate") == 1


def test_add_certificate_refusals(site, room):
    point = factories.make_point(site, room, kind="extinguisher")
    for kwargs, field in [
        ({"name": "", "expires_on": date(2030, 1, 1)}, "name"),
        ({"name": "x", "expires_on": None}, "expires_on"),
        (
            {"name": "x", "issued_on": date(2030, 1, 2), "expires_on": date(2030, 1, 1)},
            "expires_on",
        ),
    ]:
        with pytest.raises(DomainError) as caught:
            services.add_certificate(point, actor=None, **kwargs)
        assert caught.value.field == field
    with pytest.raises(DomainError):
        services.add_certificate(
            factories.make_point(site, room), name="x", expires_on=date(2030, 1, 1), actor=None
        )
    assert count(AuditEntry) == 0


# --------------------------------------------------------------------------- labels


def test_reissue_label_revokes_the_old_one(site, room, manager):
    point = factories.make_point(site, room)
    old = point.current_label
    old_token = services.label_token(old)
    new = services.reissue_label(point, reason=" lost ", actor=manager)
    assert (new.version, point.current_label) == (2, new)
    assert old.revoked_at is not None
    assert old.revoke_reason == "lost"
    assert new.serial != old.serial
    assert services.resolve_token(old_token) == (old, "revoked")
    assert services.resolve_token(services.label_token(new)) == (new, "ok")
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "label.reissue"
    assert entry.changes["version"] == [1, 2]


def test_revoke_label_then_issue_again(site, room):
    point = factories.make_point(site, room)
    label = services.revoke_label(point, reason="copied", actor=None)
    assert label.is_revoked
    assert point.current_label is None
    with pytest.raises(DomainError, match="no valid label"):
        services.revoke_label(point, reason="again", actor=None)
    assert services.reissue_label(point, reason="replacement", actor=None).version == 2


@pytest.mark.parametrize("reason", ["", "   ", "x" * 256])
def test_label_changes_need_a_reason(site, room, reason):
    point = factories.make_point(site, room)
    for change in (services.reissue_label, services.revoke_label):
        with pytest.raises(DomainError) as caught:
            change(point, reason=reason, actor=None)
        assert caught.value.field == "reason"
    assert point.current_label.version == 1
    assert count(Label) == 1


def test_label_url_uses_base_url(app, site, room):
    label = factories.make_point(site, room).current_label
    token = services.label_token(label)
    assert services.label_url(label) == f"https://pm.example.test/q/{token}"
    app.config["BASE_URL"] = None
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert services.label_url(label) == f"http://10.0.0.5:8000/q/{token}"


def test_label_url_outside_requests_falls_back_to_localhost(app, site):
    label = factories.make_point(site).current_label
    app.config["BASE_URL"] = None

    def from_the_cli():
        with app.app_context():
            return services.label_url(label)

    url = contextvars.Context().run(from_the_cli)  # a fresh context: no request at all
    assert url == f"http://localhost:5000/q/{services.label_token(label)}"


# --------------------------------------------------------------------------- queries


def test_list_points_searches_codes_and_names_case_insensitively(site, room, manager):
    factories.make_point(
        site,
        room,
        code="A3-2F-WC-M",
        name_zh="男卫生间",
        name_en="Men's toilet",
        kind="cleaning_area",
    )
    factories.make_point(
        site, room, code="GATE-S", name_zh="南大门", name_en="South gate", kind="checkpoint"
    )
    factories.make_point(site, room, code="EL-1", name_zh="电梯", name_en="Lift", kind="elevator")
    codes = lambda **kw: [p.code for p in services.list_points(manager, site, **kw)]  # noqa: E731
    assert codes() == ["A3-2F-WC-M", "EL-1", "GATE-S"]
    assert codes(q="a3-2f") == ["A3-2F-WC-M"]
    assert codes(q="TOILET") == ["A3-2F-WC-M"]
    assert codes(q="南大") == ["GATE-S"]
    assert codes(q="%") == []  # wildcards are literal
    assert codes(kinds=["elevator", "checkpoint"]) == ["EL-1", "GATE-S"]


def test_list_points_hides_retired_unless_asked(site, room, manager):
    point = factories.make_point(site, room, code="GONE")
    services.retire_point(point, actor=None)
    assert services.list_points(manager, site) == []
    assert services.list_points(manager, site, include_retired=True) == [point]


def test_users_see_only_their_sites(site, other_site, room):
    guard = factories.make_user(Role.GUARD, sites=[site])
    admin = factories.make_user(Role.ADMIN)
    there = factories.make_point(other_site, code="THERE")
    here = factories.make_point(site, room, code="HERE")
    assert services.get_point_for_user(guard, there.id) is None
    assert services.get_point_for_user(guard, here.id) is here
    assert services.get_point_for_user(guard, 9999) is None
    assert services.get_point_for_user(admin, there.id) is there
    assert services.list_points(guard, other_site) == []
    assert services.find_point_by_code(guard, other_site, "THERE") is None
    assert services.get_location_for_user(guard, there.location_id) is None
    assert services.site_overview(guard, other_site)["counts"] == []
    assert services.get_site_for_user(guard, other_site.id) is None


def test_find_point_by_code(site, room, guard):
    point = factories.make_point(site, room, code="A3-2F-WC-M")
    assert services.find_point_by_code(guard, site, " a3-2f-wc-m ") is point
    assert services.find_point_by_code(guard, site, "nope") is None
    assert services.find_point_by_code(guard, site, "") is None
    services.retire_point(point, actor=None)
    assert services.find_point_by_code(guard, site, "A3-2F-WC-M") is None


def test_site_overview(site, room, manager):
    today = services.site_today(site)
    elevator = factories.make_point(site, room, kind="elevator")
    factories.make_point(site, room, kind="elevator")
    factories.make_point(site, room, kind="checkpoint", with_label=False)
    gone = factories.make_point(site, room, kind="pump")
    expired = services.add_certificate(
        elevator, name="A", expires_on=today - timedelta(1), actor=None
    )
    expiring = services.add_certificate(
        elevator, name="B", expires_on=today + timedelta(30), actor=None
    )
    services.add_certificate(elevator, name="C", expires_on=today + timedelta(31), actor=None)
    services.add_certificate(elevator, name="D", expires_on=today - timedelta(300), actor=None)
    services.add_certificate(elevator, name="D", expires_on=today + timedelta(300), actor=None)
    services.add_certificate(gone, name="E", expires_on=today - timedelta(1), actor=None)
    services.retire_point(gone, actor=None)
    overview = services.site_overview(manager, site)
    assert [(kind.value, n) for kind, n in overview["counts"]] == [
        ("checkpoint", 1),
        ("elevator", 2),
    ]
    assert overview["certificates"] == [(expired, "expired"), (expiring, "expiring")]
    assert overview["unlabelled"] == 1
    assert overview["today"] == today


def test_site_today_follows_the_site_timezone(site):
    site.timezone = "Pacific/Kiritimati"  # UTC+14
    kiritimati = services.site_today(site)
    site.timezone = "Pacific/Pago_Pago"  # UTC-11
    assert (kiritimati - services.site_today(site)).days == 1
