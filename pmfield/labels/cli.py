"""`pmfield labels --site CODE --output FILE.pdf`: the label sheet PDF, from the command line."""

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from pmfield.errors import DomainError
from pmfield.places.services import FALLBACK_BASE_URL


@click.command("labels")
@click.option("--site", "site_code", required=True, metavar="CODE", help="Site code, e.g. DEMO.")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="PDF file to write.",
)
@click.option(
    "--point",
    "point_codes",
    multiple=True,
    metavar="CODE",
    help="Only this point (repeatable). Default: every live point of the site.",
)
@with_appcontext
def labels(site_code, output, point_codes):
    """Write a PDF sheet of QR labels (A4, 21 labels a page)."""
    from pmfield.labels import services

    if not current_app.config.get("BASE_URL"):
        click.echo(
            f"Warning: PMFIELD_BASE_URL is not set; the QR codes will point at "
            f"{FALLBACK_BASE_URL}, which phones cannot open.",
            err=True,
        )
    # Outside a request there is no user language to pick; commands speak English.
    with force_locale("en"):
        try:
            site = services.get_site_by_code(site_code)
            selection = services.select_site_points(site, point_codes)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        for note in selection.messages():
            click.echo(note, err=True)
        pdf = services.render_pdf(services.build_cells(selection.points))
    with open(output, "wb") as file:
        file.write(pdf)
    count = len(selection.points)
    click.echo(f"Wrote {count} label{'' if count == 1 else 's'} to {output}.")
