"""``odavl sync queue`` and ``odavl sync process-queue``: the offline queue."""
from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import httpx

import typer
from rich.markup import escape

from odavl_cli import config
from odavl_cli.client import ApiClient, CliError, error_from_response
from odavl_cli.commands.upload import project_from_folder
from odavl_cli.exits import ExitStatus
from odavl_cli.queue import UploadQueue, process
from odavl_cli.transfer import Transfer, Upload
from odavl_cli.ui import JsonFlag, console, err_console, print_json
from odavl_cli.workspace import PULL_LAYOUT, REPORT_FILES, find_workspace, pull_path

app = typer.Typer(help="The offline upload queue.", no_args_is_help=True)


@app.command("queue")
def show_queue(
    clear: Annotated[bool, typer.Option("--clear", "-c", help="empty the queue")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show the queued uploads: total, by product, oldest."""
    queue = UploadQueue()
    if clear:
        removed = queue.clear()
        if as_json:
            print_json({"cleared": removed})
        else:
            console.print(f"Queue cleared ({removed} upload(s) removed).")
        return
    status = queue.status()
    if as_json:
        print_json({**status, "items": queue.items()})
        return
    if not status["total"]:
        console.print("Queue is empty.")
        return
    console.print(f"[bold]{status['total']}[/] queued upload(s) in {status['path']}")
    for product, count in sorted(status["byProduct"].items()):
        console.print(f"  {product}: {count}")
    console.print(f"Oldest: {status['oldest']}")
    console.print("Run `odavl sync process-queue` to send them.")


@app.command("process-queue")
def process_queue(
    max_wait: Annotated[Optional[float], typer.Option("--max-wait", help="seconds this pass may spend waiting between tries (for CI)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send every queued upload: up to 3 attempts each with backoff 1 s, 5 s, 15 s (or a Retry-After of
    at most a minute). An item the server asks to wait longer for (a monthly quota) stays and says when
    it may go. Items that fail for a non-retryable reason are dropped (with the server's error). The pass
    stops, keeping the rest, at a refused API key, at the first connection failure, or at --max-wait."""
    queue = UploadQueue()
    if not queue.status()["total"]:
        if as_json:
            print_json({"processed": 0, "succeeded": 0, "failed": 0, "dropped": 0, "deferred": 0, "halted": False,
                        "stoppedBy": None, "remaining": 0, "results": []})
        else:
            console.print("Queue is empty.")
        return
    results: list[dict[str, Any]] = []
    with ApiClient(config.load()) as client:
        transfer = Transfer(client, err_console, show_progress=not as_json)

        def send(item: dict[str, Any]) -> Any:
            return transfer.send(Upload.from_queue(item))

        def start(item: dict[str, Any], index: int, total: int) -> None:
            if not as_json:
                err_console.print(f"[{index}/{total}] sending {escape(_label(item))} ...", soft_wrap=True)

        def report(item: dict[str, Any], outcome: str, detail: Any) -> None:
            label = _label(item)
            if outcome == "succeeded":
                info = detail.to_dict()
                results.append({"id": item["id"], "outcome": outcome, **info})
                if not as_json:
                    target = f" → {detail.url}" if detail.url else ""
                    console.print(f"[green]✓[/] {escape(label)}{escape(target)}", soft_wrap=True)
            elif outcome in ("deferred", "waiting"):
                results.append({"id": item["id"], "outcome": outcome, "notBefore": detail})
                if not as_json:
                    err_console.print(f"[yellow]⏸[/] {escape(label)}: kept; it can go after {detail}", soft_wrap=True)
            else:
                message = str(getattr(detail, "message", detail))
                results.append({"id": item["id"], "outcome": outcome, "error": message})
                if not as_json:
                    what = "dropped" if outcome == "dropped" else "still queued"
                    err_console.print(f"[red]✗[/] {escape(label)}: {escape(message)} ({what})", soft_wrap=True)

        counts = process(queue, send, sleep=time.sleep, on_result=report, on_start=start, max_wait=max_wait)
    remaining = queue.status()["total"]
    if as_json:
        print_json({**counts, "remaining": remaining, "results": results})
    else:
        console.print(f"Processed {counts['processed']}: {counts['succeeded']} succeeded, {counts['failed']} failed"
                      f" ({counts['dropped']} dropped, {counts['deferred']} waiting); {remaining} left in the queue.")
        reason = STOP_REASONS.get(counts["stoppedBy"] or "")
        if reason:
            err_console.print(reason)
    if counts["failed"] - counts["deferred"] > 0:
        raise typer.Exit(ExitStatus.FAILED)


STOP_REASONS = {
    "key_refused": "The API key was refused, so the rest of the queue was left as it is. "
                   "Check it with `odavl whoami` or log in again with `odavl login`.",
    "offline": "The API is unreachable, so the rest of the queue waits for the next `odavl sync process-queue`.",
    "max_wait": "--max-wait was reached; the rest of the queue waits for the next pass.",
}


def _label(item: dict[str, Any]) -> str:
    return f"{item.get('product')} {item.get('type')} {item.get('filePath')}"


PRODUCTS = ("insight", "autopilot", "guardian")


@app.command("pull")
def pull(
    project: Annotated[Optional[str], typer.Option("--project", help="project id (default: the workspace's link or folder name)")] = None,
    run_id: Annotated[Optional[str], typer.Option("--run", help="pull this run (and its reports and screenshots) only")] = None,
    workspace: Annotated[Optional[Path], typer.Option("--workspace", "-w", help="directory holding .odavl/")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite local files that are newer than the run")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Write the latest run of each kind (or --run) back into .odavl/, byte for byte as uploaded,
    screenshots included; a local file newer than the run is kept unless --force."""
    root = workspace.resolve() if workspace else find_workspace()
    settings = config.load(project_id=project, workspace=root)
    project_id = settings.project_id or project_from_folder(root.name)
    written: list[dict[str, Any]] = []
    with ApiClient(settings) as client:
        puller = Puller(client, root / ".odavl", force)
        if run_id:
            product, detail = _find_run(client, run_id)
            puller.run(product, detail)
        else:
            for (product, upload_type) in PULL_LAYOUT:
                page = client.get(f"/v1/runs/{product}", params={"projectId": project_id, "type": upload_type, "limit": 1})
                if page.get("items"):
                    detail = client.get(f"/v1/runs/{product}/{page['items'][0]['runId']}", params={"pageSize": 1})
                    puller.run(product, detail)
        written = puller.done
    if as_json:
        print_json({"workspace": str(root), "projectId": project_id, "files": written})
        return
    for entry in written:
        mark = {"written": "[green]✓[/]", "unchanged": "=", "kept": "[yellow]⏸[/]"}[entry["outcome"]]
        note = " (local file is newer: --force to overwrite)" if entry["outcome"] == "kept" else ""
        console.print(f"{mark} {escape(entry['path'])}{note}", soft_wrap=True)
    if not written:
        console.print(f"Nothing to pull for project {escape(project_id)}.")


def _find_run(client: ApiClient, run_id: str) -> tuple[str, dict[str, Any]]:
    for product in PRODUCTS:
        try:
            return product, client.get(f"/v1/runs/{product}/{run_id}", params={"pageSize": 1})
        except CliError as exc:
            if exc.status not in (400, 404):
                raise
    raise CliError(f"No run {run_id} in any product.")


class Puller:
    """Writes runs' files into one .odavl/ folder, never over a newer local file unless forced."""

    def __init__(self, client: ApiClient, odavl: Path, force: bool) -> None:
        self.client, self.odavl, self.force = client, odavl, force
        self.done: list[dict[str, Any]] = []

    def run(self, product: str, detail: dict[str, Any]) -> None:
        run = detail.get("run", detail)
        relative = pull_path(product, run.get("type", ""), run)
        if relative is None and product == "guardian" and run.get("type") in REPORT_FILES:
            test_run = (run.get("metadata") or {}).get("testRunId")
            relative = f"guardian/{REPORT_FILES[run['type']]}-{test_run}.json" if test_run else None
        if relative is None or not detail.get("payloadUrl"):
            return
        self.write(relative, self.fetch(detail["payloadUrl"]), run.get("createdAt"))
        if product == "guardian" and run.get("type") == "test-results":
            test_run = run.get("externalId")
            for report in detail.get("reports") or []:
                kind = REPORT_FILES.get(report.get("type", ""))
                if kind and report.get("url"):
                    self.write(f"guardian/{kind}-{test_run}.json", self.fetch(report["url"]), report.get("createdAt"))
            for shot in detail.get("attachments") or []:
                name = Path(str(shot.get("fileName") or shot.get("sha256"))).name
                if shot.get("url") and name:
                    self.write(f"guardian/screenshots/{test_run}/{name}", self.fetch(shot["url"]), shot.get("attachedAt"))

    def fetch(self, url: str) -> bytes:
        try:
            response = self.client.raw.get(url)
        except httpx.HTTPError as exc:
            raise CliError(f"Download failed: {exc}", retryable=True, code="network") from None
        if response.status_code >= 300:
            raise error_from_response(response)
        return response.content

    def write(self, relative: str, data: bytes, stamp: str | None) -> None:
        target = self.odavl / relative
        outcome = "written"
        if target.exists():
            local = target.read_bytes()
            if local == data:
                outcome = "unchanged"
            elif not self.force and target.stat().st_mtime > _epoch(stamp):
                outcome = "kept"
        if outcome == "written":
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        self.done.append({"path": str(Path(".odavl") / relative), "outcome": outcome, "bytes": len(data)})


def _epoch(stamp: str | None) -> float:
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
