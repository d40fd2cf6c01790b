"""The baselines of checkin_throughput.py, served by gunicorn with the same settings as pmfield.

- `bare_app:app`: a bare Flask app with one POST endpoint answering a short text (the baseline
  the target is set against);
- `bare_app:db_app`: the same endpoint plus one ORM INSERT and commit in a SQLite file
  (BENCH_DB_PATH), to show what the smallest database write costs on this machine.
"""

import os

from flask import Flask
from flask import request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

app = Flask(__name__)


@app.post("/patrol/checkins")
def check_in():
    """Read the form like the real endpoint does, answer a short text."""
    token = request.form.get("token", "")
    return f"recorded {token[:8]}", 201


db_app = Flask(__name__)
_db_path = os.environ.get("BENCH_DB_PATH")
db_app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{_db_path}" if _db_path else "sqlite://"
db = SQLAlchemy(db_app)


class Scan(db.Model):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)


@db_app.post("/patrol/checkins")
def check_in_with_insert():
    """One INSERT and a commit per request (WAL, synchronous=NORMAL, as pmfield sets)."""
    db.session.add(Scan(token=request.form.get("token", ""),
                        client_id=request.form.get("client_id", "")))
    db.session.commit()
    return "recorded", 201


def create_baseline_db() -> None:
    """Create the baseline table (run once, before gunicorn starts)."""
    with db_app.app_context():
        db.create_all()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """The pragmas pmfield sets on every SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
