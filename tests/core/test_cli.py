"""The pmfield command: users and demo."""

from sqlalchemy import func
from sqlalchemy import select

from pmfield.auth import services
from pmfield.auth.models import User
from pmfield.demo import DEMO_PASSWORD
from pmfield.demo import DEMO_USERS
from pmfield.extensions import db
from pmfield.places.models import Label
from pmfield.places.models import Point
from pmfield.places.models import Site
from tests import factories


def test_users_create_set_password_deactivate(runner, site):
    result = runner.invoke(
        args=["users", "create", "guard9", "--role", "guard", "--site", site.code.lower(),
              "--password", "long enough pw"],
    )
    assert result.exit_code == 0, result.output
    user = services.get_user_by_username("guard9")
    assert [s.code for s in user.sites] == [site.code]
    result = runner.invoke(args=["users", "set-password", "guard9", "--password", "another pw 1"])
    assert result.exit_code == 0
    assert services.authenticate("guard9", "another pw 1") == user
    result = runner.invoke(args=["users", "deactivate", "guard9"])
    assert result.exit_code == 0
    assert services.authenticate("guard9", "another pw 1") is None


def test_users_create_reports_bad_input(runner, site):
    result = runner.invoke(
        args=["users", "create", "guard9", "--role", "guard", "--site", "NOPE", "--password", "x" * 9]
    )
    assert result.exit_code != 0
    assert "Unknown site code(s): NOPE" in result.output
    result = runner.invoke(
        args=["users", "create", "guard9", "--role", "guard", "--site", site.code, "--password", "x"]
    )
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    assert services.get_user_by_username("guard9") is None


def test_users_prompt_for_the_password(runner, site):
    result = runner.invoke(
        args=["users", "create", "tech9", "--role", "technician", "--site", site.code],
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    assert services.authenticate("tech9", "long enough pw") is not None


def test_demo_seeds_the_campus_once(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    site = db.session.scalars(select(Site).where(Site.code == "DEMO")).one()
    codes = set(db.session.scalars(select(Point.code).where(Point.site_id == site.id)))
    assert {"GATE-S", "A-2F-WC-M", "A-EL-1", "WT-1", "PUMP-1", "DB-1", "D3-GATE", "D8-GATE",
            "RP-1", "ROAD-MAIN"} <= codes
    # Every point carries a live label; every demo user can sign in with the demo password.
    labelled = db.session.scalar(select(func.count(func.distinct(Label.point_id))))
    assert labelled == len(codes)
    for username, role in DEMO_USERS:
        user = services.authenticate(username, DEMO_PASSWORD)
        assert user is not None and user.role == role
    # Running it again adds nothing.
    users_before = db.session.scalar(select(func.count()).select_from(User))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before


def test_demo_refuses_a_database_with_real_data(runner):
    factories.make_site(code="REAL")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "non-demo data" in result.output
    assert db.session.scalars(select(Site).where(Site.code == "DEMO")).first() is None
