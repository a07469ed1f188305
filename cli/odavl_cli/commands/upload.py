"""``odavl insight|autopilot|guardian upload``: every workspace file of a product, main result first.

A retryable failure (network, timeout, 5xx, 429) queues the upload with its idempotency key and the
command still succeeds (exit 0) unless ``--fail-on-queue``; a non-retryable one fails (exit 1).
Once the API is unreachable the remaining files are queued without another attempt."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from odavl_cli import build, config, linehash
from odavl_cli.client import ApiClient, CliError
from odavl_cli.exits import ExitStatus
from odavl_cli.queue import UploadQueue
from odavl_cli.transfer import Transfer, Upload
from odavl_cli.ui import JsonFlag, console, err_console, fail, print_json
from odavl_cli.workspace import WorkspaceError, discover, find_workspace



def project_from_folder(name: str) -> str:
    """A project id the server accepts, made from the workspace folder's name."""
    cleaned = re.sub(r"[^A-Za-z0-9._:/-]+", "-", name).lstrip("._:/-")[:128]
    return cleaned or "default"



def run_uploads(product: str, *, workspace: Path | None, run_id: str | None, test_run_id: str | None,
                project: str | None, silent: bool, fail_on_queue: bool, as_json: bool, wait: bool,
                gate: bool = False, summary_md: Path | None = None, base: str | None = None) -> int:
    root = workspace.resolve() if workspace else find_workspace()
    settings = config.load(project_id=project, workspace=root)
    try:
        items = discover(root, product, run_id=run_id, test_run_id=test_run_id)
    except WorkspaceError as exc:
        raise CliError(str(exc)) from None
    project_id = settings.project_id or project_from_folder(root.name)
    queue = UploadQueue()
    uploaded: list[dict[str, Any]] = []
    queued: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    offline: CliError | None = None
    operation_id = str(uuid.uuid4())  # every file of this command is one operation (one API call)
    context = build.detect(root, os.environ.get("ODAVL_BASE_BRANCH") or config.read_link(root).get("baseBranch") or "main")
    if not as_json and not silent:
        for note in context.notes:
            err_console.print(f"note: {escape(note)}", soft_wrap=True)
    with ApiClient(settings) as client:
        transfer = Transfer(client, err_console, wait_jobs=wait, show_progress=not as_json)
        for item in items:
            upload = Upload(product=item.product, type=item.type, path=item.path, project_id=project_id,
                            metadata=item.metadata, binary=item.binary, content_type=item.content_type,
                            operation_id=operation_id, build=context.payload(),
                            line_hashes=_line_hashes(root, item))
            quiet = silent and item.auxiliary
            if offline is None:
                transfer.show_progress = not (as_json or quiet)
                try:
                    result = transfer.send(upload)
                except CliError as exc:
                    if exc.status in (401, 403):
                        raise
                    if not exc.retryable:
                        failed.append({"file": str(item.path), "type": item.type, "error": exc.to_dict()})
                        err_console.print(f"[red]✗[/] {escape(item.label)}: {escape(exc.message)}", soft_wrap=True)
                        continue
                    if exc.code in ("network", "timeout"):
                        offline = exc
                    entry = queue.add(upload.to_queue())
                    queued.append({"file": str(item.path), "type": item.type, "queueId": entry["id"],
                                   "reason": exc.message})
                    if not quiet and not as_json:
                        err_console.print(f"[yellow]⏸[/] {escape(item.label)}: queued for later ({escape(exc.message)})", soft_wrap=True)
                    continue
                info = result.to_dict()
                if base and info.get("runId") and not item.binary:
                    info["gate"] = _against(client, item.product, info["runId"], base) or info.get("gate")
                uploaded.append(info)
                if not quiet and not as_json:
                    how = "unchanged, 0 bytes sent" if result.door == "exists" else f"{result.door}, {info['bytesSent']} bytes"
                    target = f" → {result.url}" if result.url else ""
                    console.print(f"[green]✓[/] {escape(item.label)} ({how}){escape(target)}", soft_wrap=True)
                    line = build.summary_line(info.get("gate"))
                    first = (info.get("gate") or {}).get("status") == "no_baseline"
                    if line and not item.auxiliary and not (silent and first):
                        console.print(f"  {escape(line)}", soft_wrap=True)
                    if info.get("jobId") and not wait:
                        console.print(f"  ingest job {info['jobId']} queued: follow it with `odavl jobs show {info['jobId']}`",
                                      soft_wrap=True)
            else:
                entry = queue.add(upload.to_queue())
                queued.append({"file": str(item.path), "type": item.type, "queueId": entry["id"], "reason": offline.message})
    if as_json:
        print_json({"uploaded": uploaded, "queued": queued, "failed": failed, "queuePath": str(queue.path)})
    else:
        if queued:
            err_console.print(
                f"[yellow]Queued {len(queued)} upload(s)[/] in {queue.path} — the cloud was unavailable"
                f" ({(offline or CliError(queued[0]['reason'])).message}). Run `odavl sync process-queue` later.",
                soft_wrap=True)
        if not silent or failed or queued:
            console.print(f"{product}: {len(uploaded)} uploaded, {len(queued)} queued, {len(failed)} failed")
    gates = [u for u in uploaded if u.get("gate")]
    write_summary(product, gates, summary_md)
    if failed:
        return ExitStatus.FAILED
    if gate and any(u["gate"].get("status") == "failed" for u in gates):
        if not as_json:
            err_console.print("[red]Quality gate failed.[/]")
        return ExitStatus.GATE_FAILED
    if queued and fail_on_queue:
        return ExitStatus.QUEUED
    return 0


Workspace = Annotated[Optional[Path], typer.Option("--workspace", "-w", help="directory holding .odavl/ (default: nearest to cwd)")]
Project = Annotated[Optional[str], typer.Option("--project", help="project id (default: ODAVL_PROJECT_ID, .odavl/cloud.json, or the folder name)")]
Silent = Annotated[bool, typer.Option("--silent", help="say nothing about auxiliary files unless they fail")]
FailOnQueue = Annotated[bool, typer.Option("--fail-on-queue", help="exit 3 when an upload is queued")]
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="wait for ingest jobs of large results (--no-wait prints the job id)")]


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


def _line_hashes(root: Path, item: Any) -> dict[str, dict[str, str]] | None:
    """For an Insight export: the hash of each flagged line in the workspace's own sources."""
    if item.type != "analysis-results":
        return None
    try:
        return linehash.line_hashes(root, item.path.read_bytes()) or None
    except OSError:
        return None


def _against(client: ApiClient, product: str, run_id: str, base: str) -> dict[str, Any] | None:
    """The comparison with a chosen run (--base), as a gate line's data."""
    compared = client.get(f"/v1/runs/{product}/{run_id}/compare", params={"base": base, "pageSize": 1})
    return {**compared.get("gate", {}), "baseline": compared.get("baseline"), "counts": compared.get("counts")}


def write_summary(product: str, gates: list[dict[str, Any]], target: Path | None) -> None:
    """A Markdown summary of the comparisons: to --summary-md, else to $GITHUB_STEP_SUMMARY when set."""
    path = target or (Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None)
    if path is None or not gates:
        return
    lines = [f"### ODAVL {product.capitalize()}", "", "| file | comparison | gate |", "|---|---|---|"]
    for upload in gates:
        gate = upload["gate"]
        status = {"failed": "❌ failed", "passed": "✅ passed"}.get(gate.get("status"), "— no baseline")
        reasons = "; ".join(gate.get("reasons") or [])
        name = Path(str(upload.get("file"))).name
        line = (build.summary_line(gate) or "").split(" — ")[0]
        lines.append(f"| [{name}]({upload.get('url')}) | {line} | {status}{': ' + reasons if reasons else ''} |")
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n\n")


GateFlag = Annotated[bool, typer.Option("--gate", help="exit 4 when the quality gate fails against the baseline")]
SummaryMd = Annotated[Optional[Path], typer.Option("--summary-md", help="append a Markdown summary here (default: $GITHUB_STEP_SUMMARY)")]
Base = Annotated[Optional[str], typer.Option("--base", help="compare with this run id instead of the automatic baseline")]


def insight_upload(workspace: Workspace = None, project: Project = None, silent: Silent = False,
                   fail_on_queue: FailOnQueue = False, wait: Wait = True, as_json: JsonFlag = False,
                   gate: GateFlag = False, summary_md: SummaryMd = None, base: Base = None) -> None:
    """Upload the workspace's Insight analysis (and its auxiliary files) to ODAVL Cloud."""
    _exit(run_uploads("insight", workspace=workspace, run_id=None, test_run_id=None, project=project,
                      silent=silent, fail_on_queue=fail_on_queue, as_json=as_json, wait=wait, gate=gate,
                      summary_md=summary_md, base=base))


def autopilot_upload(
    workspace: Workspace = None,
    run_id: Annotated[Optional[str], typer.Option("--run-id", help="the ledger run-<id>.json to send (default: newest)")] = None,
    project: Project = None, silent: Silent = False, fail_on_queue: FailOnQueue = False, wait: Wait = True,
    as_json: JsonFlag = False, gate: GateFlag = False, summary_md: SummaryMd = None, base: Base = None,
) -> None:
    """Upload the workspace's newest Autopilot ledger (and its snapshot, trust and history) to ODAVL Cloud."""
    _exit(run_uploads("autopilot", workspace=workspace, run_id=run_id, test_run_id=None, project=project,
                      silent=silent, fail_on_queue=fail_on_queue, as_json=as_json, wait=wait, gate=gate,
                      summary_md=summary_md, base=base))


def guardian_upload(
    workspace: Workspace = None,
    test_run_id: Annotated[Optional[str], typer.Option("--test-run-id", help="the test-<id>.json to send (default: newest)")] = None,
    project: Project = None, silent: Silent = False, fail_on_queue: FailOnQueue = False, wait: Wait = True,
    as_json: JsonFlag = False, gate: GateFlag = False, summary_md: SummaryMd = None, base: Base = None,
) -> None:
    """Upload the workspace's newest Guardian test run (its reports and screenshots too) to ODAVL Cloud."""
    _exit(run_uploads("guardian", workspace=workspace, run_id=None, test_run_id=test_run_id, project=project,
                      silent=silent, fail_on_queue=fail_on_queue, as_json=as_json, wait=wait, gate=gate,
                      summary_md=summary_md, base=base))


COMMANDS = {"insight": insight_upload, "autopilot": autopilot_upload, "guardian": guardian_upload}


def register(app: typer.Typer) -> None:
    for product, command in COMMANDS.items():
        sub = typer.Typer(help=f"ODAVL {product.capitalize()} results.", no_args_is_help=True)
        sub.command("upload")(command)
        app.add_typer(sub, name=product)


__all__ = ["register", "fail"]
