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
from datetime import datetime, timedelta, timezone
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

    @property
    def snapshots(self) -> Path:
        """Copies of the queued files' bytes, as they were when queued (0600, one per item)."""
        return self.path.parent / "snapshots"

    def add(self, item: dict[str, Any]) -> dict[str, Any]:
        """Append one upload with a snapshot of its file's bytes (what was queued is what is sent,
        even if the file changes or goes); fills id, attempts and createdAt. Returns the stored item."""
        entry = {"id": uuid.uuid4().hex, "attempts": 0, "createdAt": now_iso(), **item}
        source = entry.get("filePath")
        if source and not entry.get("snapshotPath") and Path(source).is_file():
            entry["snapshotPath"] = str(self._snapshot(Path(source), entry["id"]))
        with self.edit() as items:
            items.append(entry)
        return entry

    def _snapshot(self, source: Path, item_id: str) -> Path:
        self.snapshots.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.snapshots / item_id
        tmp = target.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                out.write(chunk)
        os.replace(tmp, target)
        return target

    def _drop_snapshots(self, removed: list[dict[str, Any]]) -> None:
        for item in removed:
            snapshot = item.get("snapshotPath")
            if snapshot:
                Path(snapshot).unlink(missing_ok=True)

    def remove(self, ids: set[str]) -> int:
        with self.edit() as items:
            gone = [i for i in items if i.get("id") in ids]
            items[:] = [i for i in items if i.get("id") not in ids]
        self._drop_snapshots(gone)
        return len(gone)

    def update(self, item_id: str, changes: dict[str, Any]) -> None:
        with self.edit() as items:
            for item in items:
                if item.get("id") == item_id:
                    item.update(changes)

    def clear(self) -> int:
        with self.edit() as items:
            gone = list(items)
            items.clear()
        self._drop_snapshots(gone)
        return len(gone)

    def status(self) -> dict[str, Any]:
        items = self.items()
        oldest = min((i.get("createdAt", "") for i in items), default=None)
        return {"total": len(items), "byProduct": dict(Counter(i.get("product", "?") for i in items)),
                "oldest": oldest or None, "path": str(self.path)}


# A Retry-After longer than this is not slept on: the item stays and says when it may go.
MAX_SLEEP = 60.0
NETWORK_CODES = ("network", "timeout")


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): 1 s, 5 s, 15 s, or Retry-After
    when the server asked for longer (callers never sleep past MAX_SLEEP)."""
    base = BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)]
    if retry_after is not None:
        return max(base, retry_after)
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


class Pass:
    """What one pass may still do: a bound on the seconds it sleeps (``--max-wait``), and whether it
    stopped (a refused key, the API unreachable, the bound reached)."""

    def __init__(self, max_wait: float | None, sleep: Callable[[float], None]) -> None:
        self.left = max_wait
        self._sleep = sleep
        self.stopped: str | None = None

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless that passes the bound (then stop the pass and say False)."""
        if self.left is not None and seconds > self.left:
            self.stopped = "max_wait"
            return False
        if seconds > 0:
            self._sleep(seconds)
            if self.left is not None:
                self.left -= seconds
        return True


def process(queue: UploadQueue, send: Callable[[dict[str, Any]], Any], *,
            sleep: Callable[[float], None], on_result: Callable[[dict[str, Any], str, Any], None] | None = None,
            now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), max_wait: float | None = None,
            on_start: Callable[[dict[str, Any], int, int], None] | None = None) -> dict[str, Any]:
    """Retry every queued item: up to MAX_ATTEMPTS retries, waiting 1 s, 5 s and 15 s before them (or
    a Retry-After of at most MAX_SLEEP); the first wait counts from the item's last attempt, so an
    item queued a while ago goes at once. ``send(item)`` returns a result or raises an exception with
    ``retryable`` (and optional ``retry_after``, ``status``, ``code``). Succeeded and non-retryable
    items leave the queue; retryable failures stay with their attempt count. An item whose server
    asked for a longer wait (a monthly quota) stays with ``notBefore`` and is skipped until then.
    The pass stops, every other item kept, at a refused key (401), at the first connection failure
    (the rest wait for the next pass), or when ``max_wait`` seconds of sleeping would be passed.
    The lock is not held while sending, so other processes can keep queueing; removal is by id."""
    counts: dict[str, Any] = {"processed": 0, "succeeded": 0, "failed": 0, "dropped": 0, "deferred": 0,
                              "halted": False, "stoppedBy": None}
    budget = Pass(max_wait, sleep)
    items = queue.items()
    for index, item in enumerate(items, start=1):
        if _not_before(item) > now():
            counts["deferred"] += 1
            if on_result:
                on_result(item, "waiting", item.get("notBefore"))
            continue
        if on_start:
            on_start(item, index, len(items))
        counts["processed"] += 1
        outcome = _retry(queue, item, send, budget, now, on_result)
        counts["succeeded" if outcome == "succeeded" else "failed"] += 1
        counts["dropped"] += outcome == "dropped"
        counts["deferred"] += outcome == "deferred"
        if outcome == "halted" or budget.stopped:
            counts["halted"] = outcome == "halted"
            counts["stoppedBy"] = "key_refused" if outcome == "halted" else budget.stopped
            break
    return counts


def _not_before(item: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(item.get("notBefore") or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)


def _retry(queue: UploadQueue, item: dict[str, Any], send: Callable[[dict[str, Any]], Any],
           budget: Pass, now: Callable[[], datetime],
           on_result: Callable[[dict[str, Any], str, Any], None] | None) -> str:
    """Up to MAX_ATTEMPTS tries of one item; its outcome: succeeded, dropped, kept, deferred or halted."""
    retry_after: float | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        wait = backoff_delay(attempt, retry_after)
        if attempt == 1:
            wait = max(0.0, wait - _since_last_attempt(item, now()))
        if wait > MAX_SLEEP:  # the server asked for longer than a pass waits: say when it may go
            when = (now() + timedelta(seconds=wait)).strftime("%Y-%m-%dT%H:%M:%SZ")
            queue.update(item["id"], {"notBefore": when, "lastAttemptAt": now_iso()})
            if on_result:
                on_result(item, "deferred", when)
            return "deferred"
        if not budget.wait(wait):
            if on_result:
                on_result(item, "kept", "--max-wait reached")
            return "kept"
        try:
            result = send(item)
        except Exception as exc:  # noqa: BLE001 - classified below
            status = getattr(exc, "status", None)
            message = getattr(exc, "message", str(exc))
            offline = getattr(exc, "code", None) in NETWORK_CODES
            if (status in (KEY_REFUSED, SCOPE_MISSING) or offline
                    or (getattr(exc, "retryable", False) and attempt == MAX_ATTEMPTS)):
                outcome = "halted" if status == KEY_REFUSED else "kept"
                if offline:
                    budget.stopped = "offline"
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
