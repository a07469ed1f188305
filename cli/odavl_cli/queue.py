"""The offline upload queue: ``$ODAVL_HOME/queue/uploads.json``.

Every change is read-modify-write under an exclusive file lock (``uploads.json.lock``), and the
write is a temp file + fsync + rename, so two processes never lose each other's items and a process
killed mid-write leaves either the old or the new queue, never half a file. Mode 0600."""
from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock

from odavl_cli.config import home, write_private_json

BACKOFF_SECONDS = (1.0, 5.0, 15.0)
MAX_ATTEMPTS = 3


def queue_path() -> Path:
    return home() / "queue" / "uploads.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class UploadQueue:
    """A JSON list of pending uploads (dicts with id, product, type, filePath, metadata, idempotencyKey,
    projectId, attempts, createdAt, lastError)."""

    def __init__(self, path: Path | None = None, lock_timeout: float = 60.0) -> None:
        self.path = path or queue_path()
        self.lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout, mode=0o600, poll_interval=0.01)

    def _read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except ValueError:
            # Cannot happen with atomic writes; keep the damaged file for a human rather than overwrite it.
            broken = self.path.with_suffix(f".broken-{uuid.uuid4().hex[:8]}.json")
            os.replace(self.path, broken)
            return []
        items = data.get("items") if isinstance(data, dict) else data
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def _write(self, items: list[dict[str, Any]]) -> None:
        write_private_json(self.path, {"version": 1, "items": items})

    @contextmanager
    def edit(self) -> Iterator[list[dict[str, Any]]]:
        """Lock, yield the items for in-place changes, write them back atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.lock:
            items = self._read()
            yield items
            self._write(items)

    def items(self) -> list[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.lock:
            return self._read()

    def add(self, item: dict[str, Any]) -> dict[str, Any]:
        """Append one upload; fills id, attempts and createdAt. Returns the stored item."""
        entry = {"id": uuid.uuid4().hex, "attempts": 0, "createdAt": now_iso(), **item}
        with self.edit() as items:
            items.append(entry)
        return entry

    def remove(self, ids: set[str]) -> int:
        with self.edit() as items:
            before = len(items)
            items[:] = [i for i in items if i.get("id") not in ids]
            return before - len(items)

    def update(self, item_id: str, changes: dict[str, Any]) -> None:
        with self.edit() as items:
            for item in items:
                if item.get("id") == item_id:
                    item.update(changes)

    def clear(self) -> int:
        with self.edit() as items:
            count = len(items)
            items.clear()
            return count

    def status(self) -> dict[str, Any]:
        items = self.items()
        oldest = min((i.get("createdAt", "") for i in items), default=None)
        return {"total": len(items), "byProduct": dict(Counter(i.get("product", "?") for i in items)),
                "oldest": oldest or None, "path": str(self.path)}


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): 1 s, 5 s, 15 s, or Retry-After
    when the server asked for longer (capped at 5 minutes)."""
    base = BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)]
    if retry_after is not None:
        return min(max(base, retry_after), 300.0)
    return base


# Answers that speak of the credentials, not of the item: the item stays. 401 ends the whole pass
# (every other item would be refused the same way); 403 (a scope the key lacks) only this item.
KEY_REFUSED = 401
SCOPE_MISSING = 403


def _since_last_attempt(item: dict[str, Any], now: datetime) -> float:
    stamp = item.get("lastAttemptAt") or item.get("createdAt")
    try:
        then = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, (now - then).total_seconds())


def process(queue: UploadQueue, send: Callable[[dict[str, Any]], Any], *,
            sleep: Callable[[float], None], on_result: Callable[[dict[str, Any], str, Any], None] | None = None,
            now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> dict[str, Any]:
    """Retry every queued item: up to MAX_ATTEMPTS retries, waiting 1 s, 5 s and 15 s before them (or
    Retry-After); the first wait counts from the item's last attempt, so an item queued a while ago
    goes at once. ``send(item)`` returns a result or raises an exception with ``retryable`` (and
    optional ``retry_after``, ``status``). Succeeded and non-retryable items leave the queue;
    retryable failures stay with their attempt count; a refused key (401) stops the pass with every
    item kept. The lock is not held while sending, so other processes can keep queueing; removal is by id."""
    counts: dict[str, Any] = {"processed": 0, "succeeded": 0, "failed": 0, "dropped": 0, "halted": False}
    for item in queue.items():
        counts["processed"] += 1
        outcome = _retry(queue, item, send, sleep, now, on_result)
        counts["succeeded" if outcome == "succeeded" else "failed"] += 1
        counts["dropped"] += outcome == "dropped"
        if outcome == "halted":
            counts["halted"] = True
            break
    return counts


def _retry(queue: UploadQueue, item: dict[str, Any], send: Callable[[dict[str, Any]], Any],
           sleep: Callable[[float], None], now: Callable[[], datetime],
           on_result: Callable[[dict[str, Any], str, Any], None] | None) -> str:
    """Up to MAX_ATTEMPTS tries of one item; its outcome: succeeded, dropped, kept or halted."""
    retry_after: float | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        wait = backoff_delay(attempt, retry_after)
        if attempt == 1:
            wait = max(0.0, wait - _since_last_attempt(item, now()))
        if wait > 0:
            sleep(wait)
        try:
            result = send(item)
        except Exception as exc:  # noqa: BLE001 - classified below
            status = getattr(exc, "status", None)
            message = getattr(exc, "message", str(exc))
            if status in (KEY_REFUSED, SCOPE_MISSING) or (getattr(exc, "retryable", False) and attempt == MAX_ATTEMPTS):
                outcome = "halted" if status == KEY_REFUSED else "kept"
                queue.update(item["id"], {"attempts": int(item.get("attempts", 0)) + attempt,
                                          "lastError": message, "lastAttemptAt": now_iso()})
            elif getattr(exc, "retryable", False):
                retry_after = getattr(exc, "retry_after", None)
                continue
            else:
                outcome = "dropped"
                queue.remove({item["id"]})
            if on_result:
                on_result(item, outcome, exc)
            return outcome
        queue.remove({item["id"]})
        if on_result:
            on_result(item, "succeeded", result)
        return "succeeded"
    raise AssertionError("unreachable: the last attempt always returns")
