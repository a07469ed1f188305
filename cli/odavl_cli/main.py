"""Entry point of the ``odavl`` command: wires the command groups together."""
from __future__ import annotations

import typer
from typer import core as typer_core

from odavl_cli import __version__
from odavl_cli.commands import auth, dashboard, jobs, keys, link, runs, storage, sync, upload, usage

_display_type_rich = typer_core.TyperOption.display_type_rich


def _no_type_for_flags(self: typer_core.TyperOption, ctx: object) -> str | None:
    """A flag takes no value: its help line shows none (typer would print ``<bool>``)."""
    return None if self.is_flag else _display_type_rich(self, ctx)  # type: ignore[arg-type]


typer_core.TyperOption.display_type_rich = _no_type_for_flags  # type: ignore[method-assign]

app = typer.Typer(name="odavl", help="Send ODAVL results to ODAVL Cloud and read them back.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.command()
def version() -> None:
    """Print the CLI version."""
    typer.echo(__version__)


auth.register(app)
upload.register(app)
dashboard.register(app)
link.register(app)
app.add_typer(sync.app, name="sync")
app.add_typer(runs.app, name="runs")
app.add_typer(usage.app, name="usage")
app.add_typer(storage.app, name="storage")
app.add_typer(keys.app, name="keys")
app.add_typer(jobs.app, name="jobs")


if __name__ == "__main__":
    app()
