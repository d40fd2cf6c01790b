"""Shift handovers (交接班): who writes, who acknowledges, the searchable log, site scoping."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from flask import template_rendered
from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth.roles import Role
from pmfield.errors import DomainError
from pmfield.extensions import db
from pmfield.patrol.handovers import PAGE_SIZE
from pmfield.patrol.handovers import TEXT_MAX
from pmfield.patrol.handovers import acknowledge_handover
from pmfield.patrol.handovers import can_acknowledge
from pmfield.patrol.handovers import handover_defaults
from pmfield.patrol.handovers import incoming_choices
from pmfield.patrol.handovers import pending_handovers_for
from pmfield.patrol.handovers import search_handovers
from pmfield.patrol.handovers import write_handover
from pmfield.patrol.models import Handover
from pmfield.patrol.models import Incident
from pmfield.timeutil import utcnow
from tests import factories
from tests.conftest import HX

EMPTY = {"keys": "", "doors_windows": "", "open_incidents": "", "notes": ""}


def count_handovers() -> int:
    return db.session.scalar(select(func.count()).select_from(Handover))


def write(user, site, incoming=None, **texts):
    return write_handover(user, site, incoming=incoming, **(EMPTY | texts))


@pytest.fixture
def templates(app):
    """Record the names of the templates each request renders."""
    names = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


@pytest.fixture
def outgoing(site):
    return factories.make_user(Role.GUARD, sites=[site], display_name="Wang Outgoing")


@pytest.fixture
def incoming(site):
    return factories.make_user(Role.GUARD, sites=[site], display_name="Li Incoming")


@pytest.fixture
def third_guard(site):
    return factories.make_user(Role.GUARD, sites=[site], display_name="Zhao Third")


@pytest.fixture
def handover(outgoing, site):
    return write(outgoing, site, keys="Gate B key, store room key", notes="Quiet night")


def at_utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def set_written_at(handover, moment):
    handover.written_at = moment
    db.session.commit()


# --------------------------------------------------------------------------- writing


def test_a_guard_writes_a_handover(outgoing, incoming, site):
    before = utcnow()
    handover = write(
        outgoing,
        site,
        incoming,
        keys="  Gate B key\r\nStore room key ",
        doors_windows="Library windows locked",
    )
    row = db.session.get(Handover, handover.id)
    assert (row.site_id, row.outgoing_id, row.incoming_id) == (site.id, outgoing.id, incoming.id)
    assert row.keys == "Gate B key\nStore room key"
    assert row.doors_windows == "Library windows locked"
    assert row.notes == ""
    assert before <= row.written_at <= utcnow()
    assert row.acknowledged_at is None
    assert row.acknowledged_by_id is None


def test_a_security_supervisor_may_write_and_be_named(site, outgoing):
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site])
    handover = write(outgoing, site, supervisor, notes="Over to the supervisor")
    assert handover.incoming_id == supervisor.id
    assert write(supervisor, site, notes="Back to the guards").outgoing_id == supervisor.id


@pytest.mark.parametrize("role", [Role.CLEANER, Role.MANAGER, Role.DESK, Role.ADMIN])
def test_only_guards_of_the_site_write(site, role):
    user = factories.make_user(role, sites=[] if role == Role.ADMIN else [site])
    with pytest.raises(DomainError, match="guards"):
        write(user, site, notes="Hello")
    assert count_handovers() == 0


def test_a_guard_of_another_site_cannot_write_here(site, other_site):
    stranger = factories.make_user(Role.GUARD, sites=[other_site])
    with pytest.raises(DomainError):
        write(stranger, site, notes="Hello")
    assert count_handovers() == 0


def test_an_empty_handover_is_refused(outgoing, site):
    with pytest.raises(DomainError, match="empty") as refused:
        write(outgoing, site, keys="   ", notes="\r\n\t")
    assert refused.value.field == "keys"
    assert count_handovers() == 0


@pytest.mark.parametrize("field", ["keys", "doors_windows", "open_incidents", "notes"])
def test_too_long_text_is_refused_with_its_field(outgoing, site, field):
    with pytest.raises(DomainError, match="4000") as refused:
        write(outgoing, site, **{field: "x" * (TEXT_MAX + 1)})
    assert refused.value.field == field
    assert count_handovers() == 0
    assert write(outgoing, site, **{field: "x" * TEXT_MAX}).id


def test_the_incoming_guard_must_be_another_guard_of_the_site(outgoing, site, other_site):
    cleaner = factories.make_user(Role.CLEANER, sites=[site], display_name="Chen Cleaner")
    elsewhere = factories.make_user(Role.GUARD, sites=[other_site], display_name="Far Guard")
    gone = factories.make_user(Role.GUARD, sites=[site], active=False)
    for person, message in (
        (outgoing, "not yourself"),
        (cleaner, "Chen Cleaner is not a guard of this site"),
        (elsewhere, "Far Guard is not a guard of this site"),
        (gone, "not a guard of this site"),
    ):
        with pytest.raises(DomainError, match=message) as refused:
            write(outgoing, site, person, notes="Hello")
        assert refused.value.field == "incoming"
    assert count_handovers() == 0


def test_incoming_choices_are_the_other_active_guards(outgoing, incoming, site, other_site):
    supervisor = factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site], display_name="A Sup")
    factories.make_user(Role.CLEANER, sites=[site])
    factories.make_user(Role.GUARD, sites=[other_site])
    factories.make_user(Role.GUARD, sites=[site], active=False)
    assert incoming_choices(site, outgoing) == [supervisor, incoming]


def test_defaults_list_the_unresolved_incidents(site, outgoing):
    point = factories.make_point(site, code="GATE-S", name_en="South gate")
    open_one = Incident(
        site_id=site.id,
        point_id=point.id,
        kind="unlocked",
        note="Side door\nwould not lock",
        reported_by_id=outgoing.id,
        reported_at=at_utc(2025, 3, 1, 15, 30),
    )
    resolved = Incident(
        site_id=site.id,
        point_id=point.id,
        kind="leak",
        note="Dripping tap",
        reported_by_id=outgoing.id,
        resolved_at=utcnow(),
    )
    elsewhere_site = factories.make_site(code="ELSE")
    elsewhere_point = factories.make_point(elsewhere_site, code="FAR")
    elsewhere = Incident(
        site_id=elsewhere_site.id,
        point_id=elsewhere_point.id,
        kind="damage",
        reported_by_id=outgoing.id,
    )
    db.session.add_all([open_one, resolved, elsewhere])
    db.session.commit()
    defaults = handover_defaults(site)
    assert defaults["keys"] == defaults["doors_windows"] == defaults["notes"] == ""
    text = defaults["open_incidents"]
    assert "2025-03-01 23:30" in text  # the site's time (Asia/Shanghai)
    assert "GATE-S" in text
    assert "Door or window unlocked" in text
    assert "Side door would not lock" in text
    assert "Dripping tap" not in text
    assert "FAR" not in text


# --------------------------------------------------------------------------- acknowledging


def test_any_other_guard_acknowledges_when_none_is_named(handover, incoming):
    before = utcnow()
    acknowledge_handover(incoming, handover)
    row = db.session.get(Handover, handover.id)
    assert row.acknowledged_by_id == incoming.id
    assert before <= row.acknowledged_at <= utcnow()


def test_the_writer_cannot_acknowledge(handover, outgoing):
    assert not can_acknowledge(outgoing, handover)
    with pytest.raises(DomainError, match="You wrote this handover"):
        acknowledge_handover(outgoing, handover)
    row = db.session.get(Handover, handover.id)
    assert row.acknowledged_at is None
    assert row.acknowledged_by_id is None


def test_only_the_named_incoming_guard_acknowledges(outgoing, incoming, third_guard, site):
    handover = write(outgoing, site, incoming, notes="For Li only")
    assert not can_acknowledge(third_guard, handover)
    with pytest.raises(DomainError, match="addressed to Li Incoming"):
        acknowledge_handover(third_guard, handover)
    assert db.session.get(Handover, handover.id).acknowledged_at is None
    assert can_acknowledge(incoming, handover)
    acknowledge_handover(incoming, handover)
    assert db.session.get(Handover, handover.id).acknowledged_by_id == incoming.id


@pytest.mark.parametrize("role", [Role.CLEANER, Role.MANAGER])
def test_other_roles_of_the_site_cannot_acknowledge(handover, site, role):
    user = factories.make_user(role, sites=[site])
    with pytest.raises(DomainError, match="Only the site's guards"):
        acknowledge_handover(user, handover)
    assert db.session.get(Handover, handover.id).acknowledged_at is None


def test_a_guard_of_another_site_cannot_acknowledge(handover, other_site):
    stranger = factories.make_user(Role.GUARD, sites=[other_site])
    with pytest.raises(DomainError):
        acknowledge_handover(stranger, handover)
    assert db.session.get(Handover, handover.id).acknowledged_at is None


def test_a_second_acknowledgement_is_refused_and_changes_nothing(handover, incoming, third_guard):
    acknowledge_handover(incoming, handover)
    first_at = db.session.get(Handover, handover.id).acknowledged_at
    for user in (third_guard, incoming):
        with pytest.raises(DomainError, match="already acknowledged by Li Incoming"):
            acknowledge_handover(user, handover)
    row = db.session.get(Handover, handover.id)
    assert (row.acknowledged_by_id, row.acknowledged_at) == (incoming.id, first_at)


def test_a_lost_race_is_refused(handover, incoming, third_guard):
    """Two guards press at once: the second one's stale object still gets a clear refusal."""
    db.session.execute(
        Handover.__table__.update()
        .where(Handover.__table__.c.id == handover.id)
        .values(acknowledged_by_id=incoming.id, acknowledged_at=utcnow())
    )
    db.session.commit()
    stale = db.session.get(Handover, handover.id)
    # Pretend the object was loaded before the other guard's write.
    stale.__dict__["acknowledged_at"] = None
    with pytest.raises(DomainError, match="already acknowledged by Li Incoming"):
        acknowledge_handover(third_guard, stale)
    assert db.session.get(Handover, handover.id).acknowledged_by_id == incoming.id


def test_pending_handovers_are_those_the_user_may_acknowledge(
    outgoing, incoming, third_guard, site, other_site
):
    older = write(outgoing, site, notes="Older, for anyone")
    set_written_at(older, utcnow() - timedelta(hours=8))
    newer = write(outgoing, site, incoming, notes="Newer, for Li")
    write(outgoing, site, third_guard, notes="For Zhao")
    done = write(outgoing, site, notes="Done")
    acknowledge_handover(third_guard, done)
    write(incoming, site, notes="Li's own")
    far_guard = factories.make_user(Role.GUARD, sites=[other_site])
    write(far_guard, other_site, notes="Elsewhere")
    assert pending_handovers_for(incoming, site) == [newer, older]
    assert pending_handovers_for(outgoing, site)[0].notes == "Li's own"
    cleaner = factories.make_user(Role.CLEANER, sites=[site])
    assert pending_handovers_for(cleaner, site) == []


# --------------------------------------------------------------------------- search


def test_search_matches_text_and_names_ignoring_case(outgoing, incoming, site):
    keys = write(outgoing, site, keys="Gate B KEY")
    doors = write(outgoing, site, doors_windows="Library windows left open")
    acknowledged = write(outgoing, site, notes="Nothing special")
    acknowledge_handover(incoming, acknowledged)
    manager = factories.make_user(Role.MANAGER, sites=[site])

    def found(**kw):
        items, total = search_handovers(manager, site, **kw)
        assert total == len(items)
        return {h.id for h in items}

    assert found(q="gate b key") == {keys.id}
    assert found(q="WINDOWS") == {doors.id}
    assert found(q="li incoming") == {acknowledged.id}
    assert found(q="wang") == {keys.id, doors.id, acknowledged.id}
    assert found(q="100%") == set()  # wildcards are text, not patterns
    assert found(q="") == {keys.id, doors.id, acknowledged.id}


def test_search_dates_are_the_sites_local_dates(outgoing, site):
    late_evening = write(outgoing, site, notes="Late evening")
    set_written_at(late_evening, at_utc(2025, 3, 1, 15, 30))  # 23:30 on 1 March in Shanghai
    after_midnight = write(outgoing, site, notes="After midnight")
    set_written_at(after_midnight, at_utc(2025, 3, 1, 16, 30))  # 00:30 on 2 March in Shanghai
    early = write(outgoing, site, notes="Early")
    set_written_at(early, at_utc(2025, 2, 28, 16, 0))  # 00:00 on 1 March in Shanghai

    def found(date_from, date_to):
        items, _total = search_handovers(outgoing, site, date_from=date_from, date_to=date_to)
        return [h.notes for h in items]

    assert found(date(2025, 3, 1), date(2025, 3, 1)) == ["Late evening", "Early"]
    assert found(date(2025, 3, 2), None) == ["After midnight"]
    assert found(None, date(2025, 2, 28)) == []
    assert found(date(2025, 3, 1), date(2025, 3, 2)) == ["After midnight", "Late evening", "Early"]
    with pytest.raises(DomainError, match="before the start") as refused:
        found(date(2025, 3, 2), date(2025, 3, 1))
    assert refused.value.field == "to"


def test_search_pages_by_fifty_newest_first(outgoing, site):
    start = at_utc(2025, 1, 1)
    for n in range(PAGE_SIZE + 3):
        set_written_at(write(outgoing, site, notes=f"Night {n}"), start + timedelta(hours=n))
    first, total = search_handovers(outgoing, site)
    assert total == PAGE_SIZE + 3
    assert len(first) == PAGE_SIZE
    assert first[0].notes == f"Night {PAGE_SIZE + 2}"
    second, _total = search_handovers(outgoing, site, page=2)
    assert [h.notes for h in second] == ["Night 2", "Night 1", "Night 0"]


def test_search_never_shows_another_sites_handovers(outgoing, site, other_site):
    far_guard = factories.make_user(Role.GUARD, sites=[other_site], display_name="Wang Far")
    write(far_guard, other_site, notes="Secret of the other site")
    mine = write(outgoing, site, notes="Mine")
    items, total = search_handovers(outgoing, site, q="")
    assert (items, total) == ([mine], 1)
    assert search_handovers(outgoing, site, q="secret") == ([], 0)
    # Asking for the other site directly gives nothing either.
    assert search_handovers(outgoing, other_site) == ([], 0)


# --------------------------------------------------------------------------- pages


def test_write_page_prefills_incidents_and_saves(client, login_as, outgoing, incoming, site):
    point = factories.make_point(site, code="GATE-S")
    db.session.add(
        Incident(site_id=site.id, point_id=point.id, kind="leak", reported_by_id=outgoing.id)
    )
    db.session.commit()
    login_as(outgoing)
    page = client.get("/patrol/handovers/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "GATE-S" in html
    assert "Li Incoming" in html
    response = client.post(
        "/patrol/handovers/new",
        data=EMPTY | {"keys": "Gate B key", "incoming_id": str(incoming.id)},
    )
    assert response.status_code == 303
    handover = db.session.scalars(select(Handover)).one()
    assert (handover.outgoing_id, handover.incoming_id, handover.keys) == (
        outgoing.id,
        incoming.id,
        "Gate B key",
    )
    assert response.headers["Location"].endswith(f"/patrol/handovers/{handover.id}")


def test_an_empty_handover_keeps_the_form(client, login_as, outgoing, incoming):
    login_as(outgoing)
    response = client.post(
        "/patrol/handovers/new", data=EMPTY | {"notes": "   ", "incoming_id": str(incoming.id)}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The handover is empty" in html
    assert f'<option value="{incoming.id}" selected>' in html
    assert count_handovers() == 0


def test_a_too_long_part_keeps_what_was_typed(client, login_as, outgoing):
    login_as(outgoing)
    response = client.post(
        "/patrol/handovers/new",
        data=EMPTY | {"keys": "Gate B key", "notes": "x" * (TEXT_MAX + 1)},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Notes: use at most 4000 characters" in html
    assert "Gate B key</textarea>" in html
    assert count_handovers() == 0


def test_naming_somebody_not_on_the_list_is_refused(client, login_as, outgoing, other_site):
    elsewhere = factories.make_user(Role.GUARD, sites=[other_site])
    login_as(outgoing)
    for value in (str(elsewhere.id), "abc", "99999999999999"):
        response = client.post(
            "/patrol/handovers/new", data=EMPTY | {"notes": "Hi", "incoming_id": value}
        )
        assert response.status_code == 422, value
        assert "Choose who takes over from the list" in response.get_data(as_text=True)
    assert count_handovers() == 0


def test_detail_shows_times_in_the_site_timezone_and_the_waiting_state(
    client, login_as, handover, incoming, outgoing
):
    set_written_at(handover, at_utc(2025, 3, 1, 15, 30))
    login_as(incoming)
    html = client.get(f"/patrol/handovers/{handover.id}").get_data(as_text=True)
    assert "2025-03-01 23:30" in html
    assert "Wang Outgoing" in html
    assert "Waiting for acknowledgement" in html
    assert "Gate B key, store room key" in html
    assert f'action="/patrol/handovers/{handover.id}/acknowledge"' in html
    login_as(outgoing)
    writer_view = client.get(f"/patrol/handovers/{handover.id}").get_data(as_text=True)
    assert f'action="/patrol/handovers/{handover.id}/acknowledge"' not in writer_view


def test_acknowledge_through_the_page(client, login_as, handover, incoming):
    login_as(incoming)
    response = client.post(f"/patrol/handovers/{handover.id}/acknowledge")
    assert response.status_code == 303
    row = db.session.get(Handover, handover.id)
    assert row.acknowledged_by_id == incoming.id
    html = client.get(f"/patrol/handovers/{handover.id}").get_data(as_text=True)
    assert "Acknowledged by Li Incoming" in html
    assert "Waiting for acknowledgement" not in html
    assert "/acknowledge" not in html


def test_double_acknowledgement_through_the_page_changes_nothing(
    client, login_as, handover, incoming, third_guard
):
    acknowledge_handover(incoming, handover)
    first_at = db.session.get(Handover, handover.id).acknowledged_at
    login_as(third_guard)
    response = client.post(f"/patrol/handovers/{handover.id}/acknowledge")
    assert response.status_code == 422
    assert "already acknowledged by Li Incoming" in response.get_data(as_text=True)
    row = db.session.get(Handover, handover.id)
    assert (row.acknowledged_by_id, row.acknowledged_at) == (incoming.id, first_at)


def test_the_writer_is_refused_through_the_page(client, login_as, handover, outgoing):
    login_as(outgoing)
    response = client.post(f"/patrol/handovers/{handover.id}/acknowledge")
    assert response.status_code == 422
    assert "You wrote this handover" in response.get_data(as_text=True)
    assert db.session.get(Handover, handover.id).acknowledged_at is None


def test_a_named_handover_refuses_another_guard_through_the_page(
    client, login_as, outgoing, incoming, third_guard, site
):
    handover = write(outgoing, site, incoming, notes="For Li")
    login_as(third_guard)
    response = client.post(f"/patrol/handovers/{handover.id}/acknowledge")
    assert response.status_code == 422
    assert "addressed to Li Incoming" in response.get_data(as_text=True)
    assert db.session.get(Handover, handover.id).acknowledged_at is None


def test_a_cleaner_of_the_site_is_refused_every_page(client, login_as, handover, site):
    login_as(factories.make_user(Role.CLEANER, sites=[site]))
    assert client.get("/patrol/handovers/new").status_code == 403
    assert client.post("/patrol/handovers/new", data=EMPTY | {"notes": "x"}).status_code == 403
    assert client.get("/patrol/handovers").status_code == 403
    assert client.get(f"/patrol/handovers/{handover.id}").status_code == 403
    assert client.post(f"/patrol/handovers/{handover.id}/acknowledge").status_code == 403
    assert count_handovers() == 1
    assert db.session.get(Handover, handover.id).acknowledged_at is None


def test_a_guard_of_another_site_gets_404(client, login_as, handover, other_site):
    login_as(factories.make_user(Role.GUARD, sites=[other_site]))
    assert client.get(f"/patrol/handovers/{handover.id}").status_code == 404
    assert client.post(f"/patrol/handovers/{handover.id}/acknowledge").status_code == 404
    assert db.session.get(Handover, handover.id).acknowledged_at is None


def test_log_page_and_fragment(client, login_as, templates, outgoing, site):
    write(outgoing, site, keys="Gate B key")
    write(outgoing, site, doors_windows="Library windows left open")
    login_as(factories.make_user(Role.SECURITY_SUPERVISOR, sites=[site]))
    page = client.get("/patrol/handovers")
    assert page.status_code == 200
    assert templates[0] == "patrol/handovers.html"
    assert "HX-Request" in page.headers["Vary"]
    html = page.get_data(as_text=True)
    assert "Gate B key" in html
    assert "Waiting for acknowledgement" in html
    assert 'hx-push-url="true"' in html
    templates.clear()
    rows = client.get("/patrol/handovers?q=LIBRARY", headers=HX)
    assert templates == ["patrol/_handover_rows.html"]
    fragment = rows.get_data(as_text=True)
    assert "Library windows" in fragment
    assert "Gate B key" not in fragment
    assert "<html" not in fragment
    templates.clear()
    client.get("/patrol/handovers?q=library", headers=HX | {"HX-Boosted": "true"})
    assert templates[0] == "patrol/handovers.html"


def test_log_filters_by_local_date(client, login_as, outgoing, site):
    late = write(outgoing, site, notes="Late evening round")
    set_written_at(late, at_utc(2025, 3, 1, 15, 30))
    login_as(outgoing)
    html = client.get("/patrol/handovers?from=2025-03-01&to=2025-03-01").get_data(as_text=True)
    assert "Late evening round" in html
    assert "2025-03-01 23:30" in html
    html = client.get("/patrol/handovers?from=2025-03-02").get_data(as_text=True)
    assert "Late evening round" not in html
    assert "No handovers match." in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2025-13-01", "Enter a date as YYYY-MM-DD."),
        ("from=2025-03-02&to=2025-03-01", "The end date is before the start date."),
        ("to=0001-01-01", "Enter a date between"),
    ],
)
def test_log_refuses_bad_dates(client, login_as, outgoing, handover, query, message):
    login_as(outgoing)
    response = client.get(f"/patrol/handovers?{query}", headers=HX)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_log_never_shows_another_sites_handovers(client, login_as, outgoing, site, other_site):
    far_guard = factories.make_user(Role.GUARD, sites=[other_site])
    far = write(far_guard, other_site, notes="Other site secret")
    write(outgoing, site, notes="Our night")
    login_as(factories.make_user(Role.MANAGER, sites=[site]))
    html = client.get("/patrol/handovers").get_data(as_text=True)
    assert "Our night" in html
    assert "Other site secret" not in html
    assert "Other site secret" not in client.get("/patrol/handovers?q=secret").get_data(
        as_text=True
    )
    assert client.get(f"/patrol/handovers/{far.id}").status_code == 404


def test_pending_card_lists_the_handovers_to_acknowledge(app, handover, incoming, outgoing):
    from flask import render_template

    with app.test_request_context():
        html = render_template(
            "patrol/_handover_pending.html",
            pending_handovers=pending_handovers_for(incoming, handover.site),
        )
        assert "Wang Outgoing" in html
        assert f"/patrol/handovers/{handover.id}" in html
        empty = render_template(
            "patrol/_handover_pending.html",
            pending_handovers=pending_handovers_for(outgoing, handover.site),
        )
        assert "Handovers to acknowledge" not in empty
        assert f"/patrol/handovers/{handover.id}" not in empty
        assert "/patrol/handovers/new" in empty  # writing one is always offered
