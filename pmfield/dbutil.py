"""Small portable SQL helpers for SQLite and PostgreSQL."""

from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from pmfield.extensions import db


def insert_ignoring_conflicts(model):
    """Return an INSERT for `model` that skips rows violating a unique constraint.

    Both SQLite and PostgreSQL spell it ON CONFLICT DO NOTHING; SQLAlchemy needs the dialect's
    own insert() to say it.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()
