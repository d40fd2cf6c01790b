"""Alembic environment for pmfield, run through Flask-Migrate (`pmfield db ...`).

The database URL and the metadata come from the Flask app, so migrations run against whatever
PMFIELD_DATABASE_URL (or the default SQLite file under instance/) points at.
"""

import logging
import re
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from alembic.script import write_hooks
from flask import current_app
from sqlalchemy.types import TypeDecorator

config = context.config

# Configure logging from alembic.ini only when nobody else has (the CLI); under pytest or a
# server that set up logging, leave the handlers alone. Never disable the app's own loggers.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_db = migrate_ext.db
config.set_main_option(
    "sqlalchemy.url",
    target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


def get_metadata():
    """Return the models' metadata (every feature's models are imported by create_app)."""
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write pmfield's column types (UTCDateTime) as the plain SQLAlchemy type they store as.

    Migrations then never import application code, which may change after they ship.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def configure_args() -> dict:
    """Flask-Migrate's options, with pmfield's defaults made explicit."""
    args = dict(migrate_ext.configure_args)
    # Batch mode lets SQLite ALTER tables (copy and move); compare_type catches type changes.
    args.setdefault("render_as_batch", True)
    args.setdefault("compare_type", True)
    args.setdefault("render_item", render_item)
    return args


_NOISE = re.compile(r"^ *# ### (commands auto generated|end Alembic commands).*\n", re.MULTILINE)


@write_hooks.register("pmfield_tidy")
def tidy_revision(path, options):
    """Drop autogenerate's "### commands auto generated" comments from a new revision file."""
    file = Path(path)
    text = _NOISE.sub("", file.read_text())
    text = re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE)
    text = re.sub(r"\n{3,}(?=def )", "\n\n\n", text)
    file.write_text(text.rstrip() + "\n")


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`pmfield db upgrade --sql`) instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        **configure_args(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a connection from the app's engine."""

    def process_revision_directives(context, revision, directives):
        # `pmfield db migrate` with no model changes writes no empty revision file.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    args = configure_args()
    args.setdefault("process_revision_directives", process_revision_directives)

    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode recreates SQLite tables; with foreign keys enforced, dropping a
            # referenced table would fail or cascade. Alembic's docs advise switching them off.
            # The PRAGMA is a no-op inside a transaction, hence the commit around it.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **args)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.rollback()
                # The connection goes back to the app's pool: enforce foreign keys again.
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
