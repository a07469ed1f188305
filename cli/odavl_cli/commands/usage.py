"""``odavl usage`` and ``odavl usage history``."""
from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress_bar import ProgressBar
from rich.table import Table

from odavl_cli.ui import JsonFlag, api, console, human_bytes, print_json, table

app = typer.Typer(help="Usage of the current period against the plan's quotas.", invoke_without_command=True)


def _fmt(metric: str, value: int | None) -> str:
    if value is None:
        return "unlimited"
    return human_bytes(value) if metric.endswith("bytes") else f"{value:,}"


def _colour(percent: float | None) -> str:
    if percent is None:
        return "green"
    if percent >= 100:
        return "bold red"
    if percent >= 90:
        return "red"
    if percent >= 80:
        return "yellow"
    return "green"


def render_usage(view: dict[str, Any]) -> None:
    console.print(f"[bold]{view.get('organizationId')}[/] on plan [bold]{view.get('plan')}[/], "
                  f"period {view.get('period')} (resets {view.get('resetsAt')})")
    grid = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("metric", "usage", "", "%", ""):
        grid.add_column(col)
    for metric, m in sorted((view.get("metrics") or {}).items()):
        percent = m.get("percent")
        colour = _colour(percent)
        limit = m.get("limit")
        bar = ProgressBar(total=100, completed=min(percent or 0.0, 100.0), width=30,
                          complete_style=colour, finished_style=colour)
        warning = ""
        if m.get("warning") == 100 or (percent is not None and percent >= 100):
            warning = "[bold red]quota reached[/]"
        elif m.get("warning") in (80, 90):
            warning = f"[{colour}]over {m['warning']} %[/]"
        grid.add_row(metric, f"{_fmt(metric, m.get('used'))} / {_fmt(metric, limit)}", bar,
                     f"[{colour}]{percent:.1f}[/]" if percent is not None else "-", warning)
    console.print(grid)


@app.callback()
def usage(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Show this period's usage: a bar per metric, warnings at 80/90/100 %, and the reset date."""
    if ctx.invoked_subcommand is not None:
        return
    with api() as client:
        view = client.get("/v1/usage")
    if as_json:
        print_json(view)
    else:
        render_usage(view)


@app.command("history")
def history(
    months: Annotated[int, typer.Option("--months", help="how many periods (1..24), the current one included")] = 6,
    as_json: JsonFlag = False,
) -> None:
    """Usage of past periods, newest first."""
    with api() as client:
        data = client.get("/v1/usage/history", params={"months": months})
    if as_json:
        print_json(data)
        return
    items = data.get("items", [])
    metrics = sorted({k for i in items for k in (i.get("metrics") or {})})
    table("Usage history", ["period", "plan", *metrics], [
        [i.get("period") + (" (current)" if i.get("current") else ""), i.get("plan"),
         *[_fmt(k, (i.get("metrics") or {}).get(k)) for k in metrics]] for i in items])
