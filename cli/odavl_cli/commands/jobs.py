"""``odavl jobs list|show|retry|cancel``: background ingest jobs."""
from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from odavl_cli.ui import recall_cursor, remember_cursor, JsonFlag, api, console, handle_errors, print_json, table

app = typer.Typer(help="Background ingest jobs.", no_args_is_help=True)


def _describe(job: dict[str, Any]) -> None:
    for key in ("jobId", "type", "status", "attempts", "product", "uploadType", "projectId", "uploadId", "size",
                "createdAt", "startedAt", "finishedAt"):
        if job.get(key) is not None:
            console.print(f"{key:>11}: {job[key]}")
    if job.get("error"):
        console.print(f"[red]      error: {escape(str(job['error'].get('message')))} ({job['error'].get('code')})[/]")
    result = job.get("result") or {}
    if result.get("url"):
        console.print(f"        url: {result['url']}")


@app.command("list")
@handle_errors
def list_jobs(
    status: str = typer.Option(None, "--status", help="queued|running|succeeded|failed|cancelled"),
    limit: int = typer.Option(20, "--limit"),
    cursor: str = typer.Option(None, "--cursor"),
    next_page: bool = typer.Option(False, "--next", help="the page after the one this command showed last"),
    as_json: JsonFlag = False,
) -> None:
    """List jobs, newest first."""
    if next_page:
        cursor = recall_cursor("jobs list")
    with api() as client:
        page = client.get("/v1/jobs", params={"status": status, "limit": limit, "cursor": cursor})
    if as_json:
        print_json(page)
        return
    table("Jobs", ["id", "status", "product", "type", "attempts", "created", "error"], ids=1, rows=[
        [j["jobId"], j["status"], j.get("product"), j.get("uploadType"), j.get("attempts"), j.get("createdAt"),
         (j.get("error") or {}).get("code")] for j in page.get("items", [])])
    remember_cursor("jobs list", page.get("nextCursor"))
    if page.get("nextCursor"):
        console.print("More: odavl jobs list --next")


@app.command("show")
@handle_errors
def show(job_id: str, as_json: JsonFlag = False) -> None:
    """Show one job."""
    with api() as client:
        job = client.get(f"/v1/jobs/{job_id}")
    print_json(job) if as_json else _describe(job)


@app.command("retry")
@handle_errors
def retry(job_id: str, as_json: JsonFlag = False) -> None:
    """Queue a failed job again."""
    with api() as client:
        job = client.post(f"/v1/jobs/{job_id}/retry")
    print_json(job) if as_json else console.print(f"Job {job_id}: {(job or {}).get('status', 'retried')}")


@app.command("cancel")
@handle_errors
def cancel(job_id: str, as_json: JsonFlag = False) -> None:
    """Cancel a queued job."""
    with api() as client:
        job = client.post(f"/v1/jobs/{job_id}/cancel")
    print_json(job) if as_json else console.print(f"Job {job_id}: {(job or {}).get('status', 'cancelled')}")
