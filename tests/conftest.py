"""Fixtures: a fresh app and database per test, users per role, and sign-in helpers."""

import os

import pytest
from flask import g
from flask import request_started
from jinja2 import StrictUndefined
from sqlalchemy import inspect
from sqlalchemy import text

from pmfield import create_app
from pmfield.extensions import db
from tests import factories

TEST_DATABASE_URL = os.environ.get("PMFIELD_TEST_DATABASE_URL")


@pytest.fixture
def app_config(tmp_path):
    """Settings for the test app; tests may change them before `app` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": TEST_DATABASE_URL or "sqlite://",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "BASE_URL": "https://pm.example.test",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Assertions read English; tests of the Chinese text send Accept-Language: zh-CN.
        "BABEL_DEFAULT_LOCALE": "en",
    }


@pytest.fixture
def app(app_config):
    """A fresh app with an empty database."""
    app = create_app(app_config)
    app.jinja_env.undefined = StrictUndefined
    # The test keeps one app context open, so requests would share `g` (flask-login's cached
    # user, the current site, Babel's locale). Start each request with a clean `g`, as in
    # production where every request gets its own app context.
    request_started.connect(_clear_g, app)
    with app.app_context():
        if TEST_DATABASE_URL:
            _empty_shared_database()
        else:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _empty_shared_database() -> None:
    """Give the test an empty PostgreSQL database: the tables are made once (or again when a
    test dropped some), then emptied, children first, with every id sequence back at 1.
    Dropping and creating every table for each test costs far more than the tests themselves,
    and so does TRUNCATE (0.23 s a test against 0.07 s here)."""
    missing = set(db.metadata.tables) - set(inspect(db.engine).get_table_names())
    if missing:
        db.drop_all()
        db.create_all()
        return
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(text(RESTART_SEQUENCES))


#: Every sequence of the schema starts again at 1, as in a new database.
RESTART_SEQUENCES = """
    SELECT setval(c.oid, 1, false)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND n.nspname = current_schema()
"""


def _clear_g(sender, **_extra):
    g.__dict__.clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def site(app):
    return factories.make_site()


@pytest.fixture
def other_site(app):
    return factories.make_site(code="OTHER", name_zh="另一校区", name_en="Other campus")


@pytest.fixture
def login_as(client):
    """Sign a user in by writing flask-login's session key (one test per role uses the form)."""

    def _login(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return _login


HX = {"HX-Request": "true"}
