"""``odavl sync queue`` and ``odavl sync process-queue``: the offline queue."""
from __future__ import annotations

import time
from typing import Any

import typer
from rich.markup import escape

from odavl_cli import config
from odavl_cli.client import ApiClient
from odavl_cli.queue import UploadQueue, process
from odavl_cli.transfer import Transfer, Upload
from odavl_cli.ui import console, err_console, handle_errors, print_json

app = typer.Typer(help="The offline upload queue.", no_args_is_help=True)


@app.command("queue")
@handle_errors
def show_queue(
    clear: bool = typer.Option(False, "--clear", "-c", help="empty the queue"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
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
def process_queue(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Send every queued upload: up to 3 attempts each with backoff 1 s, 5 s, 15 s (or Retry-After).
    Items that fail for a non-retryable reason are dropped (with the server's error); others stay.
    A refused API key stops the pass and drops nothing."""
    queue = UploadQueue()
    if not queue.status()["total"]:
        if as_json:
            print_json({"processed": 0, "succeeded": 0, "failed": 0, "dropped": 0, "halted": False, "remaining": 0,
                        "results": []})
        else:
            console.print("Queue is empty.")
        return
    results: list[dict[str, Any]] = []
    with ApiClient(config.load()) as client:
        transfer = Transfer(client, err_console, show_progress=not as_json)

        def send(item: dict[str, Any]) -> Any:
            return transfer.send(Upload.from_queue(item))

        def report(item: dict[str, Any], outcome: str, detail: Any) -> None:
            label = f"{item.get('product')} {item.get('type')} {item.get('filePath')}"
            if outcome == "succeeded":
                info = detail.to_dict()
                results.append({"id": item["id"], "outcome": outcome, **info})
                if not as_json:
                    target = f" → {detail.url}" if detail.url else ""
                    console.print(f"[green]✓[/] {escape(label)}{escape(target)}", soft_wrap=True)
            else:
                results.append({"id": item["id"], "outcome": outcome, "error": getattr(detail, "message", str(detail))})
                if not as_json:
                    what = "dropped" if outcome == "dropped" else "still queued"
                    err_console.print(f"[red]✗[/] {escape(label)}: {escape(str(getattr(detail, 'message', detail)))} ({what})",
                                      soft_wrap=True)

        counts = process(queue, send, sleep=time.sleep, on_result=report)
    remaining = queue.status()["total"]
    if as_json:
        print_json({**counts, "remaining": remaining, "results": results})
    else:
        console.print(f"Processed {counts['processed']}: {counts['succeeded']} succeeded, {counts['failed']} failed"
                      f" ({counts['dropped']} dropped); {remaining} left in the queue.")
        if counts["halted"]:
            err_console.print("The API key was refused, so the rest of the queue was left as it is. "
                              "Check it with `odavl whoami` or log in again with `odavl login`.")
    if counts["failed"]:
        raise typer.Exit(1)
