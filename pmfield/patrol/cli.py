"""`pmfield tick` (every minute from cron or a systemd timer) and `pmfield verify-chain`."""

import sys

import click
from sqlalchemy import select

from pmfield.checklists import services as cleaning
from pmfield.extensions import db
from pmfield.patrol import chain
from pmfield.patrol import tick as ticking
from pmfield.places.models import Site


@click.command("tick")
def tick():
    """Create upcoming patrol runs and close ended ones (missed checkpoints, notifications);
    create the coming cleaning tasks; escalate late repair jobs, draw the weekly callback
    sample and create the planned maintenance jobs.

    Safe to run every minute, twice, or from two machines at once.
    """
    from pmfield.jobs import tick as jobs_tick

    report = ticking.tick()
    tasks = cleaning.tick()
    jobs = jobs_tick.tick()
    click.echo(
        f"runs created: {report.runs_created}, runs closed: {report.runs_closed}, "
        f"checkpoints missed: {report.checkpoints_missed}, "
        f"notifications: {report.notifications}, cleaning tasks created: {tasks}, "
        f"{jobs.summary()}"
    )


@click.command("verify-chain")
@click.option("--site", "site_code", help="Site code; default: every site.")
def verify_chain(site_code):
    """Check every site's patrol check-ins against their hash chain; exit 1 if any was altered."""
    query = select(Site).order_by(Site.code)
    if site_code:
        query = query.where(Site.code == site_code.upper())
    sites = list(db.session.scalars(query))
    if site_code and not sites:
        raise click.BadParameter(f"no site with code {site_code}", param_hint="--site")
    broken = False
    for site in sites:
        report = chain.verify_chain(site.id)
        chain.record_chain_check(site, report)
        if report.ok:
            click.echo(f"{site.code}: OK, {report.rows_checked} check-ins verified")
            continue
        broken = True
        click.echo(
            f"{site.code}: BROKEN, {report.problem_count} problem(s) in "
            f"{report.rows_checked} check-ins"
        )
        for problem in report.problems:
            click.echo(f"  #{problem['seq']}: {problem['problem']}")
    sys.exit(1 if broken else 0)
