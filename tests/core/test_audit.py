"""The audit log page: who may read what."""

from pmfield.audit import services as audit
from pmfield.audit.actions import ACTION_LABELS
from pmfield.auth.roles import Role
from pmfield.extensions import db
from tests import factories


def _entry(actor, site, label):
    entry = audit.record(actor, "point.create", site, site=site, label=label)
    db.session.commit()
    return entry


def test_managers_read_only_their_sites_entries(client, site, other_site, login_as):
    admin = factories.make_user(Role.ADMIN)
    _entry(admin, site, "own-site change")
    _entry(admin, other_site, "other-site change")
    login_as(factories.make_user(Role.MANAGER, sites=[site]))
    page = client.get("/audit/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "own-site change" in page
    assert "other-site change" not in page
    assert "Point created" in page


def test_admins_read_everything_and_page_through(client, site, other_site, login_as):
    admin = login_as(factories.make_user(Role.ADMIN))
    for n in range(audit.PAGE_SIZE + 3):
        _entry(admin, site if n % 2 else other_site, f"change-{n:03d}")
    first = client.get("/audit/").get_data(as_text=True)
    assert f"change-{audit.PAGE_SIZE + 2:03d}" in first  # newest first
    assert "change-000" not in first
    second = client.get("/audit/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "change-000" in second
    assert "<html" not in second  # a fragment for htmx


def test_every_recorded_action_has_a_readable_name():
    import pathlib
    import re

    source = "\n".join(p.read_text() for p in (pathlib.Path(__file__).parents[2] / "pmfield").rglob("*.py"))
    used = set(re.findall(r'"((?:site|location|point|label|user)\.[a-z_]+)"', source))
    assert used - set(ACTION_LABELS) == set()
