"""``odavl sync queue`` and ``odavl sync process-queue``: the offline queue."""
from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from odavl_cli import config
from odavl_cli.client import ApiClient
from odavl_cli.exits import ExitStatus
from odavl_cli.queue import UploadQueue, process
from odavl_cli.transfer import Transfer, Upload
from odavl_cli.ui import JsonFlag, console, err_console, handle_errors, print_json

app = typer.Typer(help="The offline upload queue.", no_args_is_help=True)


@app.command("queue")
@handle_errors
def show_queue(
    clear: bool = typer.Option(False, "--clear", "-c", help="empty the queue"),
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
@handle_errors
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
