"""``odavl runs list|show``."""
from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

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
    kind: str = typer.Option(None, "--type", help="only this upload type (e.g. ledger, snapshot)"),
    environment: str = typer.Option(None, "--environment", help="guardian: only this environment"),
    since: str = typer.Option(None, "--from", help="ISO-8601 start"),
    until: str = typer.Option(None, "--to", help="ISO-8601 end"),
    limit: int = typer.Option(20, "--limit"),
    cursor: str = typer.Option(None, "--cursor"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List runs newest first, with the stats of the filtered set."""
    params = {"projectId": project, "status": status, "type": kind, "environment": environment, "from": since, "to": until,
              "limit": limit, "cursor": cursor}
    with api() as client:
        page = client.get(f"/v1/runs/{product}", params=params)
    if as_json:
        print_json(page)
        return
    items = page.get("items", [])
    table(f"{product} runs", ["id", "type", "project", "status", "created", "summary"], [
        [_run_id(r), r.get("type"), r.get("projectId"), r.get("status"), r.get("createdAt"),
         ", ".join(f"{k}={v}" for k, v in (r.get("summary") or {}).items() if not isinstance(v, (dict, list)))]
        for r in items])
    if page.get("stats"):
        console.print("Stats: " + ", ".join(f"{k}={v}" for k, v in page["stats"].items()))
    if page.get("nextCursor"):
        console.print(f"More: --cursor {page['nextCursor']}")


@app.command("show")
@handle_errors
def show(
    product: str = typer.Argument(..., help=PRODUCT_HELP),
    run_id: str = typer.Argument(...),
    page: int = typer.Option(1, "--page"),
    page_size: int = typer.Option(50, "--page-size"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Show one run: its summary, a page of its issues or tests, its attachments and reports."""
    with api() as client:
        detail = client.get(f"/v1/runs/{product}/{run_id}", params={"page": page, "pageSize": page_size})
    if as_json:
        print_json(detail)
        return
    run = detail.get("run", detail)
    for key in ("runId", "type", "projectId", "status", "environment", "passed", "createdAt", "url"):
        if run.get(key) is not None:
            console.print(f"{key:>10}: {escape(str(run[key]))}")
    if isinstance(run.get("summary"), dict) and run["summary"]:
        console.print("   summary: " + ", ".join(f"{k}={v}" for k, v in run["summary"].items()), soft_wrap=True)
    rows = detail.get("items") or []
    kind = detail.get("itemKind", "items")
    if rows:
        console.print(f"{kind} {detail.get('page', 1)}/{-(-detail.get('total', len(rows)) // max(1, detail.get('pageSize', 50)))}"
                      f" ({detail.get('total', len(rows))} in all):")
        for row in rows:
            if isinstance(row, dict):
                console.print(escape("  " + ", ".join(f"{k}={v}" for k, v in row.items() if not isinstance(v, (dict, list)))),
                              soft_wrap=True)
            else:
                console.print(escape(f"  {row}"), soft_wrap=True)
    for att in detail.get("attachments") or []:
        console.print(escape(f"  [{att.get('type')}] {att.get('fileName')} ({att.get('size')} B): {att.get('url')}"),
                      soft_wrap=True)
    for report in detail.get("reports") or []:
        console.print(escape(f"  [{report.get('type')}] run {report.get('runId')}: {report.get('url')}"), soft_wrap=True)
