"""``odavl runs list|show``."""
from __future__ import annotations

from typing import Any

import typer

from odavl_cli.ui import api, console, handle_errors, print_json, table

app = typer.Typer(help="Uploaded runs of Insight, Autopilot and Guardian.", no_args_is_help=True)

PRODUCT_HELP = "insight | autopilot | guardian"


def _run_id(run: dict[str, Any]) -> str:
    return str(run.get("runId") or run.get("testId") or run.get("id") or "")


@app.command("list")
@handle_errors
def list_runs(
    product: str = typer.Argument(..., help=PRODUCT_HELP),
    project: str = typer.Option(None, "--project", help="only this project id"),
    status: str = typer.Option(None, "--status"),
    environment: str = typer.Option(None, "--environment", help="guardian: only this environment"),
    since: str = typer.Option(None, "--from", help="ISO-8601 start"),
    until: str = typer.Option(None, "--to", help="ISO-8601 end"),
    limit: int = typer.Option(20, "--limit"),
    cursor: str = typer.Option(None, "--cursor"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List runs newest first, with the stats of the filtered set."""
    params = {"projectId": project, "status": status, "environment": environment, "from": since, "to": until,
              "limit": limit, "cursor": cursor}
    with api() as client:
        page = client.get(f"/v1/runs/{product}", params=params)
    if as_json:
        print_json(page)
        return
    items = page.get("items", [])
    columns = ["id", "project", "status", "created"]
    extra = {"insight": ["diagnosticsCount"], "autopilot": ["phase", "editsCount"],
             "guardian": ["environment", "passed", "failed"]}.get(product, [])
    table(f"{product} runs", columns + extra, [
        [_run_id(r), r.get("projectId"), r.get("status"), r.get("createdAt") or r.get("timestamp")]
        + [r.get(k) for k in extra] for r in items])
    if page.get("stats"):
        console.print("Stats: " + ", ".join(f"{k}={v}" for k, v in page["stats"].items()))
    if page.get("nextCursor"):
        console.print(f"More: --cursor {page['nextCursor']}")


@app.command("show")
@handle_errors
def show(
    product: str = typer.Argument(..., help=PRODUCT_HELP),
    run_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Show one run: its summary and its first issues or tests."""
    with api() as client:
        run = client.get(f"/v1/runs/{product}/{run_id}")
    if as_json:
        print_json(run)
        return
    for key, value in run.items():
        if not isinstance(value, (list, dict)):
            console.print(f"{key:>18}: {value}")
    for key in ("summary", "stats"):
        if isinstance(run.get(key), dict):
            console.print(f"{key:>18}: " + ", ".join(f"{k}={v}" for k, v in run[key].items()))
    for key in ("issues", "tests", "items"):
        rows = run.get(key)
        if isinstance(rows, list) and rows:
            console.print(f"{key} ({len(rows)} shown):")
            for row in rows[:50]:
                console.print("  " + ", ".join(f"{k}={v}" for k, v in row.items() if not isinstance(v, (dict, list))),
                              soft_wrap=True)
