"""``odavl runs list|show``."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from odavl_cli.ui import JsonFlag, api, console, print_json, recall_cursor, remember_cursor, table

app = typer.Typer(help="Uploaded runs of Insight, Autopilot and Guardian.", no_args_is_help=True)

PRODUCT_HELP = "insight | autopilot | guardian"


def _run_id(run: dict[str, Any]) -> str:
    return str(run.get("runId") or run.get("testId") or run.get("id") or "")


@app.command("list")
def list_runs(
    product: Annotated[str, typer.Argument(help=PRODUCT_HELP)],
    project: Annotated[str | None, typer.Option("--project", help="only this project id")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    kind: Annotated[str | None, typer.Option("--type", help="only this upload type (e.g. ledger, snapshot)")] = None,
    environment: Annotated[str | None, typer.Option("--environment", help="guardian: only this environment")] = None,
    since: Annotated[str | None, typer.Option("--from", help="ISO-8601 start")] = None,
    until: Annotated[str | None, typer.Option("--to", help="ISO-8601 end")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 20,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    next_page: Annotated[bool, typer.Option("--next", help="the page after the one this command showed last")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List runs newest first, with the stats of the filtered set."""
    if next_page:
        cursor = recall_cursor(f"runs list {product}")
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
        for r in items], ids=1)
    if page.get("stats"):
        stats_table(page["stats"])
    remember_cursor(f"runs list {product}", page.get("nextCursor"))
    if page.get("nextCursor"):
        console.print(f"More: odavl runs list {product} --next")


def stats_table(stats: dict[str, Any]) -> None:
    """The list's stats as a two-column table (nested counts as ``name.key``)."""
    rows: list[list[Any]] = []
    for name, value in stats.items():
        if isinstance(value, dict):
            rows.extend([f"{name}.{k}", v] for k, v in value.items() if not isinstance(v, (dict, list)))
        elif not isinstance(value, list):
            rows.append([name, value])
    table("Stats of the filtered runs", ["stat", "value"], rows)


@app.command("show")
def show(
    product: Annotated[str, typer.Argument(help=PRODUCT_HELP)],
    run_id: Annotated[str, typer.Argument(help="the run id (see `odavl runs list`)")],
    severity: Annotated[Optional[str], typer.Option("--severity", help="insight: only issues of this severity")] = None,
    file: Annotated[Optional[str], typer.Option("--file", help="insight: only issues of this file")] = None,
    rule: Annotated[Optional[str], typer.Option("--rule", help="insight: only issues of this rule")] = None,
    urls: Annotated[bool, typer.Option("--urls", help="print the download links of screenshots and reports")] = False,
    page: Annotated[int, typer.Option("--page")] = 1,
    page_size: Annotated[int, typer.Option("--page-size")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Show one run: its summary, its issues grouped by file or its tests, scores, screenshots."""
    params = {"page": page, "pageSize": page_size, "severity": severity, "file": file, "rule": rule}
    with api() as client:
        detail = client.get(f"/v1/runs/{product}/{run_id}", params=params)
        reports = [client.get(f"/v1/runs/guardian/{r['runId']}", params={"pageSize": 200})
                   for r in detail.get("reports") or [] if r.get("runId")] if product == "guardian" else []
    if as_json:
        print_json(detail)
        return
    run = detail.get("run", detail)
    for key in ("runId", "type", "projectId", "status", "environment", "passed", "createdAt", "url"):
        if run.get(key) is not None:
            console.print(f"{key:>10}: {escape(str(run[key]))}", soft_wrap=True)
    summary = run.get("summary") if isinstance(run.get("summary"), dict) else {}
    flat = {k: v for k, v in summary.items() if not isinstance(v, (dict, list))}
    if flat:
        console.print("   summary: " + escape(", ".join(f"{k}={v}" for k, v in flat.items())), soft_wrap=True)
    for name in ("bySeverity", "byImpact", "scores"):
        if isinstance(summary.get(name), dict) and summary[name]:
            console.print(f"{name:>10}: " + escape(", ".join(f"{k} {v}" for k, v in summary[name].items())))
    rows = [r for r in detail.get("items") or [] if isinstance(r, dict)]
    kind = detail.get("itemKind", "items")
    total = detail.get("total", len(rows))
    pages = -(-total // max(1, detail.get("pageSize", page_size)))
    if kind == "issues":
        _issues_by_file(rows, total, detail.get("page", page), pages)
    elif kind == "tests":
        table(f"Tests ({total}, page {detail.get('page', page)}/{pages})", ["name", "status", "duration ms", "error"], [
            [t.get("name"), t.get("status") or t.get("outcome"), t.get("duration"), _text(t.get("error"))] for t in rows])
    elif rows:
        keys = [k for k in rows[0] if not isinstance(rows[0][k], (dict, list))][:6]
        table(f"{kind} ({total}, page {detail.get('page', page)}/{pages})", keys, [[r.get(k) for k in keys] for r in rows])
    for report in reports:
        _report(report)
    shots = detail.get("attachments") or []
    if shots:
        console.print(f"Screenshots and files ({len(shots)}):" + ("" if urls else "  (--urls for download links)"))
        for att in shots:
            line = f"  {att.get('fileName') or att.get('sha256')} ({att.get('size')} B)"
            console.print(escape(line + (f": {att.get('url')}" if urls else "")), soft_wrap=True)
    if urls:
        for report in detail.get("reports") or []:
            console.print(escape(f"  [{report.get('type')}] run {report.get('runId')}: {report.get('url')}"), soft_wrap=True)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("message") or value
    return "" if value is None else str(value)[:200]


def _issues_by_file(rows: list[dict[str, Any]], total: int, page: int, pages: int) -> None:
    """Issues as one table per file: line, severity, rule, message."""
    if not rows:
        console.print("No issues match.")
        return
    console.print(f"Issues: {total} (page {page}/{pages})")
    by_file: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_file.setdefault(str(row.get("file") or "(no file)"), []).append(row)
    for path, issues in by_file.items():
        table(path, ["line", "severity", "rule", "message"], [
            [i.get("line"), i.get("severity"), i.get("code") or i.get("ruleId"), i.get("message")] for i in issues])


def _report(detail: dict[str, Any]) -> None:
    """A Guardian test run's Lighthouse scores or accessibility violations by impact."""
    run = detail.get("run", detail)
    summary = run.get("summary") or {}
    if run.get("type") == "lighthouse-report" and summary.get("scores"):
        table("Lighthouse", ["category", "score"], [[k, v] for k, v in summary["scores"].items()])
    if run.get("type") == "accessibility-report":
        violations = [v for v in detail.get("items") or [] if isinstance(v, dict)]
        table(f"Accessibility violations ({summary.get('violationsCount', len(violations))})",
              ["impact", "rule", "nodes", "help"],
              [[v.get("impact"), v.get("id"), len(v.get("nodes") or []), v.get("help")] for v in violations])
