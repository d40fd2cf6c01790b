"""pmfield: the field app for property management."""

import os
import secrets
from pathlib import Path

from flask import Flask
from flask import has_request_context
from flask import request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.engine import Engine

from pmfield.config import Config

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Find templates/, static/ or migrations/: beside the package in a checkout, inside a wheel."""
    checkout = PACKAGE_DIR.parent / name
    return checkout if checkout.is_dir() else PACKAGE_DIR / "_bundled" / name


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over https."""

    def get_cookie_secure(self, app) -> bool:
        secure = super().get_cookie_secure(app)
        return secure or (has_request_context() and request.is_secure)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the pmfield application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=(test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("PMFIELD_INSTANCE_PATH")
        or None,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.from_object(Config)
    if test_config is None:
        app.config.from_prefixed_env("PMFIELD")
    else:
        app.config.update(test_config)
    _finish_config(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    return app


def _finish_config(app: Flask) -> None:
    """Fill the settings that depend on the instance folder or on other settings."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    app.config["LABEL_SECRET"] = app.config.get("LABEL_SECRET") or app.config["SECRET_KEY"]
    app.config["CHAIN_SECRET"] = app.config.get("CHAIN_SECRET") or app.config["SECRET_KEY"]
    db_url = app.config.get("DATABASE_URL") or f"sqlite:///{instance / 'pmfield.db'}"
    if db_url.startswith("postgres://"):
        db_url = "postgresql+psycopg://" + db_url.removeprefix("postgres://")
    elif db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = db_url
    app.config["MEDIA_DIR"] = app.config.get("MEDIA_DIR") or str(instance / "media")
    base_url = (app.config.get("BASE_URL") or "").rstrip("/")
    app.config["BASE_URL"] = base_url or None
    if base_url.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def _instance_secret(path: Path) -> str:
    """Generate the secret key once and keep it in the instance folder."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _init_extensions(app: Flask) -> None:
    from pmfield import models  # noqa: F401  (every model, for Alembic and relationships)
    from pmfield.extensions import babel
    from pmfield.extensions import csrf
    from pmfield.extensions import db
    from pmfield.extensions import htmx
    from pmfield.extensions import limiter
    from pmfield.extensions import login_manager
    from pmfield.extensions import migrate
    from pmfield.i18n import select_locale
    from pmfield.web.security import unauthorized

    app.session_interface = SessionInterface()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    login_manager.init_app(app)
    login_manager.session_protection = "basic"  # "strong" logs out phones that change networks
    login_manager.unauthorized_handler(unauthorized)

    from pmfield.auth.services import load_user

    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    from pmfield import admin
    from pmfield import api
    from pmfield import audit
    from pmfield import auth
    from pmfield import checklists
    from pmfield import core
    from pmfield import jobs
    from pmfield import labels
    from pmfield import notifications
    from pmfield import patrol
    from pmfield import photos
    from pmfield import places
    from pmfield.web.security import check_every_route_declares_access

    for blueprint in (
        core.bp,
        auth.bp,
        places.bp,
        labels.bp,
        audit.bp,
        admin.bp,
        patrol.bp,
        checklists.bp,
        photos.bp,
        jobs.bp,
        notifications.bp,
        api.bp,
    ):
        app.register_blueprint(blueprint)
    check_every_route_declares_access(app)

    from pmfield.cli import register_commands

    register_commands(app)


def _register_hooks(app: Flask) -> None:
    from pmfield.errors import register_error_handlers
    from pmfield.web.context import register_template_context
    from pmfield.web.htmx import add_vary_header
    from pmfield.web.security import add_security_headers

    register_error_handlers(app)
    register_template_context(app)
    app.after_request(add_vary_header)
    app.after_request(add_security_headers)
