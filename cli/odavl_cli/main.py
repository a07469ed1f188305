"""Entry point of the ``odavl`` command."""
from __future__ import annotations

import typer

from odavl_cli import __version__

app = typer.Typer(name="odavl", help="Send ODAVL results to ODAVL Cloud and read them back.", no_args_is_help=True)


@app.command()
def version() -> None:
    """Print the CLI version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
