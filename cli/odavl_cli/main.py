"""Entry point of the ``odavl`` command: wires the command groups together."""
from __future__ import annotations

import typer
from rich.markup import escape
from typer import core as typer_core
from typer import rich_utils

from odavl_cli import __version__
from odavl_cli.client import CliError
from odavl_cli.exits import ExitStatus
from odavl_cli.ui import err_console
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


def run(argv: list[str] | None = None) -> int:
    """The one error boundary of every command: a CliError is one line on stderr and its exit status,
    Ctrl-C is "Interrupted.", a wrong command line is click's usage message and 2; never a traceback."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="odavl", standalone_mode=False)
    except CliError as exc:
        err_console.print(f"[bold red]Error:[/] {escape(exc.message)}", soft_wrap=True)
        return int(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        err_console.print("Interrupted.")
        return int(ExitStatus.INTERRUPTED)
    except typer.TyperException as exc:  # click's usage errors (a wrong option, no command)
        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
        return int(getattr(exc, "exit_code", ExitStatus.USAGE))
    return result if isinstance(result, int) else int(ExitStatus.OK)


if __name__ == "__main__":
    raise SystemExit(run())
