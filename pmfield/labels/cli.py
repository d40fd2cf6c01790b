"""`pmfield labels` (being built)."""

import click


@click.command("labels")
def labels():
    """Write a PDF sheet of QR labels."""
