"""create_app: configuration from PMFIELD_* variables, the instance folder, the embedded default."""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

import pmfield
from pmfield import create_app
from pmfield import resource_dir
from pmfield.cli import main
from pmfield.extensions import db
from pmfield.web.security import public

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No PMFIELD_* variables but an instance folder under tmp_path (never the repo's)."""
    for name in list(os.environ):
        if name.startswith("PMFIELD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PMFIELD_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


@pytest.fixture
def make_app():
    """Build apps with create_app and close their database connections afterwards."""
    apps = []

    def _make(test_config=None):
        app = create_app(test_config)
        apps.append(app)
        return app

    yield _make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _add_session_route(app) -> None:
    """A route that writes the session, so the response sets the session cookie."""

    @public
    def touch():
        from flask import session

        session["touched"] = True
        return "ok"

    app.add_url_rule("/_test/touch", "test_touch", touch)


def test_env_is_read_when_there_is_no_test_config(env, make_app, tmp_path):
    env.setenv("PMFIELD_SECRET_KEY", "from-the-environment")
    env.setenv("PMFIELD_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    env.setenv("PMFIELD_BASE_URL", "https://pm.example.com/")
    env.setenv("PMFIELD_MEDIA_DIR", str(tmp_path / "media"))
    env.setenv("PMFIELD_LABEL_SECRET", "label-key")

    app = make_app()

    assert not app.testing
    assert app.instance_path == str(tmp_path / "instance")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'env.db'}"
    assert app.config["BASE_URL"] == "https://pm.example.com"
    assert app.config["MEDIA_DIR"] == str(tmp_path / "media")
    assert app.config["LABEL_SECRET"] == "label-key"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_test_config_replaces_the_environment(env, make_app, tmp_path):
    env.setenv("PMFIELD_SECRET_KEY", "from-the-environment")
    env.setenv("PMFIELD_BASE_URL", "https://pm.example.com")

    app = make_app({"TESTING": True, "SECRET_KEY": "from-the-test", "DATABASE_URL": "sqlite://"})

    assert app.testing
    assert app.config["SECRET_KEY"] == "from-the-test"
    assert app.config["BASE_URL"] is None
    assert app.config["LABEL_SECRET"] == "from-the-test"


def test_secret_key_is_generated_once_and_kept(env, make_app, tmp_path):
    key_file = tmp_path / "instance" / "secret_key"

    first = make_app().config["SECRET_KEY"]

    assert len(first) == 64
    assert key_file.read_text() == first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert make_app().config["SECRET_KEY"] == first


def test_default_database_is_sqlite_in_instance_with_wal_and_foreign_keys(env, make_app, tmp_path):
    database = tmp_path / "instance" / "pmfield.db"

    app = make_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
    assert app.config["MEDIA_DIR"] == str(tmp_path / "instance" / "media")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
    assert database.is_file()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://pm:pw@db.example/pmfield", "postgresql+psycopg://pm:pw@db.example/pmfield"),
        ("postgresql://pm:pw@db.example/pmfield", "postgresql+psycopg://pm:pw@db.example/pmfield"),
        ("postgresql+psycopg://pm@db/pmfield", "postgresql+psycopg://pm@db/pmfield"),
    ],
)
def test_postgres_urls_use_psycopg_3(env, make_app, given, used):
    env.setenv("PMFIELD_DATABASE_URL", given)

    app = make_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == used
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"


def test_https_base_url_makes_cookies_secure(env, make_app):
    env.setenv("PMFIELD_BASE_URL", "https://pm.example.com")
    env.setenv("PMFIELD_SECRET_KEY", "s")
    app = make_app()
    _add_session_route(app)

    response = app.test_client().get("/_test/touch")  # plain http behind a proxy

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert "Secure" in response.headers["Set-Cookie"]


def test_http_base_url_keeps_cookies_usable_over_http(env, make_app):
    env.setenv("PMFIELD_BASE_URL", "http://192.0.2.10:5000")
    env.setenv("PMFIELD_SECRET_KEY", "s")
    app = make_app()
    _add_session_route(app)
    client = app.test_client()

    assert "Secure" not in client.get("/_test/touch").headers["Set-Cookie"]
    # A request that did arrive over https still gets a Secure cookie.
    secure = client.get("/_test/touch", base_url="https://localhost")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_proxy_fix_trusts_one_proxy(env, make_app):
    env.setenv("PMFIELD_PROXY_FIX", "1")
    env.setenv("PMFIELD_SECRET_KEY", "s")
    app = make_app()
    _add_session_route(app)

    response = app.test_client().get("/_test/touch", headers={"X-Forwarded-Proto": "https"})

    assert isinstance(app.wsgi_app, ProxyFix)
    assert "Secure" in response.headers["Set-Cookie"]


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.is_json
    assert response.json["database"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(app_config, make_app, tmp_path):
    app_config["DATABASE_URL"] = f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    app = make_app(app_config)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_templates_static_and_migrations_are_found(app):
    templates, static = Path(app.template_folder), Path(app.static_folder)

    assert templates == resource_dir("templates")
    assert (templates / "base.html").is_file()
    assert static == resource_dir("static")
    assert Path(app.extensions["migrate"].directory) == resource_dir("migrations")
    assert (resource_dir("migrations") / "env.py").is_file()
    app.jinja_env.get_template("base.html")
    a_static_file = next(p for p in sorted(static.rglob("*")) if p.is_file())
    response = app.test_client().get(f"/static/{a_static_file.relative_to(static).as_posix()}")
    assert response.status_code == 200
    response.close()


def test_checkout_folders_win_and_a_wheel_falls_back_to_bundled(monkeypatch, tmp_path):
    assert resource_dir("templates") == REPO / "templates"

    installed = tmp_path / "site-packages" / "pmfield"
    (installed / "_bundled" / "templates").mkdir(parents=True)
    monkeypatch.setattr(pmfield, "PACKAGE_DIR", installed)

    assert resource_dir("templates") == installed / "_bundled" / "templates"


def test_pmfield_command_upgrades_a_fresh_instance(env, tmp_path):
    """`pmfield db upgrade` with only PMFIELD_INSTANCE_PATH set creates the SQLite database."""
    runner = CliRunner()

    help_text = runner.invoke(main, ["--help"]).output
    for command in ("run", "db", "demo", "users", "labels"):
        assert f"  {command} " in help_text
    result = runner.invoke(main, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    database = tmp_path / "instance" / "pmfield.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "s"})
    with app.app_context():
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
