"""`pmfield run` and `pmfield demo`."""

import threading

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("demo")
@with_appcontext
def demo():
    """Seed the demo campus (site DEMO) and one user per role."""
    from pmfield.demo import DemoRefused
    from pmfield.demo import seed_demo

    try:
        seed_demo()
    except DemoRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo("Demo campus seeded.")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Werkzeug's reloader and debugger (development only).")
@click.option("--no-demo", is_flag=True, help="Do not seed the demo campus into an empty database.")
@click.option(
    "--no-tick",
    is_flag=True,
    help="Do not run `pmfield tick` every minute in the background (use cron or a timer).",
)
@with_appcontext
def run(host, port, threads, debug, no_demo, no_tick):
    """Apply migrations, seed the demo when empty, and serve the app."""
    from flask_migrate import upgrade

    from pmfield.demo import DEMO_PASSWORD
    from pmfield.demo import DEMO_USERS
    from pmfield.demo import database_is_empty
    from pmfield.demo import seed_demo

    upgrade()
    if not no_demo and database_is_empty():
        seed_demo()
        click.echo("Empty database: seeded the demo campus (site DEMO).")
    app = current_app._get_current_object()
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"
    click.echo(f"\n  pmfield is running at {url}")
    if database_has_demo():
        click.echo(f"  Demo logins (password {DEMO_PASSWORD}):")
        for username, role in DEMO_USERS:
            click.echo(f"    {username:12} {role}")
    if not no_tick:
        start_ticker(app)
        click.echo("  Patrol tick runs every minute in the background (--no-tick to turn off).")
    click.echo("  Press Ctrl+C to stop.\n")
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    from waitress import serve

    serve(app, host=host, port=port, threads=threads, ident="pmfield")


def database_has_demo() -> bool:
    from pmfield.auth.services import demo_users_exist

    return demo_users_exist()


#: Seconds between two background ticks of `pmfield run`.
TICK_INTERVAL = 60


def start_ticker(app, interval: float = TICK_INTERVAL) -> threading.Event:
    """Run the patrol tick every `interval` seconds in a daemon thread of this process.

    The embedded server is one process, so nobody has to set up cron for missed checkpoints to
    be found. Tick is idempotent, so a cron job running as well does no harm. Setting the
    returned event stops the thread.
    """
    from pmfield.checklists.services import tick as cleaning_tick
    from pmfield.patrol.tick import tick

    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                with app.app_context():
                    tick()
                    cleaning_tick()
            except Exception:  # noqa: BLE001 - keep ticking; the next minute may succeed
                app.logger.exception("background patrol tick failed")
            stop.wait(interval)

    threading.Thread(target=loop, name="pmfield-tick", daemon=True).start()
    return stop
