"""``odavl jobs list|show|retry|cancel``: background ingest jobs."""
from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from odavl_cli.ui import recall_cursor, remember_cursor, JsonFlag, api, console, print_json, table

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
def list_jobs(
    status: Annotated[str | None, typer.Option("--status", help="queued|running|succeeded|failed|cancelled")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 20,
    cursor: Annotated[str | None, typer.Option("--cursor")] = None,
    next_page: Annotated[bool, typer.Option("--next", help="the page after the one this command showed last")] = False,
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
def show(job_id: str, as_json: JsonFlag = False) -> None:
    """Show one job."""
    with api() as client:
        job = client.get(f"/v1/jobs/{job_id}")
    print_json(job) if as_json else _describe(job)


@app.command("retry")
def retry(job_id: str, as_json: JsonFlag = False) -> None:
    """Queue a failed job again."""
    with api() as client:
        job = client.post(f"/v1/jobs/{job_id}/retry")
    print_json(job) if as_json else console.print(f"Job {job_id}: {(job or {}).get('status', 'retried')}")


@app.command("cancel")
def cancel(job_id: str, as_json: JsonFlag = False) -> None:
    """Cancel a queued job."""
    with api() as client:
        job = client.post(f"/v1/jobs/{job_id}/cancel")
    print_json(job) if as_json else console.print(f"Job {job_id}: {(job or {}).get('status', 'cancelled')}")
