"""`pmfield run` ticks in the background so missed checkpoints are found without cron."""

import time as clock

from sqlalchemy import select

from pmfield.core.cli import start_ticker
from pmfield.extensions import db
from pmfield.patrol.models import PatrolRun
from tests.patrol.factories import make_route
from tests.patrol.factories import make_schedule


def test_background_ticker_creates_runs_without_any_request(app_config, tmp_path):
    from pmfield import create_app

    app_config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'tick.db'}"
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
        from tests import factories

        site = factories.make_site()
        make_schedule(make_route(site, 2), times="06:00,18:00")
        assert db.session.scalar(select(PatrolRun.id)) is None
        db.session.remove()
    stop = start_ticker(app, interval=0.05)
    try:
        deadline = clock.monotonic() + 10
        with app.app_context():
            while clock.monotonic() < deadline:
                if db.session.scalar(select(PatrolRun.id)) is not None:
                    break
                db.session.remove()
                clock.sleep(0.05)
            assert db.session.scalar(select(PatrolRun.id)) is not None
            db.session.remove()
    finally:
        stop.set()
        clock.sleep(0.2)  # let the thread finish its last tick before the engine goes
        with app.app_context():
            db.engine.dispose()
