"""The `pmfield` command: Flask's CLI plus pmfield's own commands."""

import click
from flask.cli import FlaskGroup

from pmfield import create_app


def register_commands(app) -> None:
    """Attach pmfield's commands to the app's CLI."""
    from pmfield.auth.cli import users
    from pmfield.core.cli import demo
    from pmfield.core.cli import run
    from pmfield.labels.cli import labels
    from pmfield.patrol.cli import tick
    from pmfield.patrol.cli import verify_chain

    for command in (users, demo, run, labels, tick, verify_chain):
        app.cli.add_command(command)


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main():
    """pmfield: property field app. Configure with PMFIELD_* environment variables."""


def _add_flask_defaults() -> None:
    from flask.cli import routes_command
    from flask.cli import shell_command

    main.add_command(shell_command)
    main.add_command(routes_command)


_add_flask_defaults()
