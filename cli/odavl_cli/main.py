"""Entry point of the ``odavl`` command: wires the command groups together."""
from __future__ import annotations

import typer

from odavl_cli import __version__
from odavl_cli.commands import auth, dashboard, jobs, keys, runs, storage, sync, upload, usage

app = typer.Typer(name="odavl", help="Send ODAVL results to ODAVL Cloud and read them back.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.command()
def version() -> None:
    """Print the CLI version."""
    typer.echo(__version__)


auth.register(app)
upload.register(app)
dashboard.register(app)
app.add_typer(sync.app, name="sync")
app.add_typer(runs.app, name="runs")
app.add_typer(usage.app, name="usage")
app.add_typer(storage.app, name="storage")
app.add_typer(keys.app, name="keys")
app.add_typer(jobs.app, name="jobs")


if __name__ == "__main__":
    app()
