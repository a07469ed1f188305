"""Output helpers shared by the commands: one console, JSON for scripts, one-line errors."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from odavl_cli.client import ApiClient, CliError
from odavl_cli.config import home, load, write_private_json

# The one --json option of every command that can print JSON.
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON (for scripts)")]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def api(api_url: str | None = None, api_key: str | None = None) -> ApiClient:
    return ApiClient(load(api_url=api_url, api_key=api_key))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def table(title: str, columns: list[str], rows: list[list[Any]], ids: int = 0) -> None:
    """A table whose first ``ids`` columns (identifiers) are never cut: a cut id is a 404 when pasted.
    Other columns wrap rather than end in an ellipsis."""
    t = Table(title=title, title_justify="left", header_style="bold")
    for index, col in enumerate(columns):
        if index < ids:
            t.add_column(col, no_wrap=True, min_width=max([len(str(r[index])) for r in rows] + [len(col)]))
        else:
            t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    console.print(t)


def human_bytes(n: float | int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def _cursors_path() -> Path:
    return home() / "cursors.json"


def remember_cursor(command: str, cursor: str | None) -> None:
    """Keep the next page's cursor of a listing, so ``--next`` can ask for it (no long token to paste)."""
    path = _cursors_path()
    try:
        saved = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        saved = {}
    if cursor:
        saved[command] = cursor
    else:
        saved.pop(command, None)
    write_private_json(path, saved)


def recall_cursor(command: str) -> str:
    """The cursor ``remember_cursor`` kept for ``command``; an error when there is no next page."""
    try:
        saved = json.loads(_cursors_path().read_text())
    except (OSError, ValueError):
        saved = {}
    if not saved.get(command):
        raise CliError(f"No next page: run `odavl {command}` first (the last page has no next one).")
    return str(saved[command])
