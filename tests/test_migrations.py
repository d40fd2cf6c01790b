"""Migrations upgrade an empty database to the models, with no drift, and downgrade again.

Runs on a temporary SQLite file, or on the PMFIELD_TEST_DATABASE_URL database (PostgreSQL in CI)
after dropping everything in it. This is `pmfield db upgrade` + `pmfield db check` in-process
(canaille's test_alembic.py, Flask-Migrate's `check`).
"""

import re

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import MetaData
from sqlalchemy import inspect
from sqlalchemy import text

from pmfield import create_app
from pmfield import resource_dir
from pmfield.extensions import db
from tests.conftest import TEST_DATABASE_URL

VERSIONS = resource_dir("migrations") / "versions"


def _drop_everything() -> None:
    """Drop every table in the database, the models' and any other (alembic_version too)."""
    db.session.remove()
    everything = MetaData()
    everything.reflect(bind=db.engine)
    everything.drop_all(bind=db.engine)


def _table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _diffs() -> list:
    """Compare the migrated database with the models, as `pmfield db check` does."""
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("compare_type", True)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, db.metadata)


@pytest.fixture
def empty_db_app(app_config, tmp_path):
    """An app on an empty database with no tables at all (not even alembic_version)."""
    app_config["DATABASE_URL"] = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrate.db'}"
    app = create_app(app_config)
    with app.app_context():
        _drop_everything()
        yield app
        _drop_everything()
        db.engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_db_app):
    assert _table_names() == set()

    flask_migrate.upgrade()

    assert _table_names() == set(db.metadata.tables) | {"alembic_version"}
    assert _diffs() == []


def test_db_check_command_finds_no_drift(empty_db_app):
    runner = empty_db_app.test_cli_runner()
    flask_migrate.upgrade()

    assert runner.invoke(args=["db", "check"]).exit_code == 0

    # ... and the same command does catch drift.
    db.session.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    db.session.commit()
    assert runner.invoke(args=["db", "check"]).exit_code == 1


def test_head_is_recorded_and_downgrade_to_base_works(empty_db_app):
    script = ScriptDirectory(str(resource_dir("migrations")))
    flask_migrate.upgrade()
    version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    db.session.remove()
    assert version == script.get_current_head()

    flask_migrate.downgrade(revision="base")

    assert _table_names() == {"alembic_version"}
    flask_migrate.upgrade()
    assert _diffs() == []


def test_sqlite_foreign_keys_stay_on_after_migrating(empty_db_app):
    """env.py switches foreign keys off for batch migrations on SQLite, and on again."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    flask_migrate.upgrade()

    for _ in range(3):  # every pooled connection, not only a fresh one
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_one_head_and_tidy_revision_files():
    script = ScriptDirectory(str(resource_dir("migrations")))
    assert len(script.get_heads()) == 1, "merge the migration branches (pmfield db merge)"

    files = sorted(VERSIONS.glob("*.py"))
    assert files
    for path in files:
        body = path.read_text()
        assert re.fullmatch(r"\d{8}_[0-9a-f]{12}_\w+\.py", path.name), path.name
        assert "### commands auto generated" not in body, path.name
        assert not re.search(r"^\s*(import|from) pmfield", body, re.MULTILINE), path.name
