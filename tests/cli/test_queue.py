"""The offline queue: atomic 0600 writes, a lock that loses nothing between processes, retry rules."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from odavl_cli.client import CliError
from odavl_cli.queue import MAX_ATTEMPTS, UploadQueue, backoff_delay, process, queue_path


def item(n: int = 0, product: str = "insight") -> dict:
    return {"product": product, "type": "analysis-results", "filePath": f"/w/{n}.json", "idempotencyKey": f"k{n}"}


def test_queue_file_lives_under_odavl_home_with_mode_0600(odavl_home: Path):
    queue = UploadQueue()
    queue.add(item())
    assert queue.path == odavl_home / "queue" / "uploads.json" == queue_path()
    assert stat.S_IMODE(queue.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(queue.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(str(queue.path) + ".lock").stat().st_mode) == 0o600


def test_add_status_remove_clear(odavl_home: Path):
    queue = UploadQueue()
    a = queue.add(item(1, "insight"))
    b = queue.add(item(2, "guardian"))
    queue.add(item(3, "guardian"))
    status = queue.status()
    assert status["total"] == 3
    assert status["byProduct"] == {"insight": 1, "guardian": 2}
    assert status["oldest"] == a["createdAt"]
    assert a["attempts"] == 0 and a["idempotencyKey"] == "k1"
    assert queue.remove({b["id"]}) == 1
    assert [i["id"] for i in queue.items()] == [a["id"], queue.items()[1]["id"]]
    assert queue.clear() == 2
    assert queue.items() == []
    assert json.loads(queue.path.read_text()) == {"version": 1, "items": []}


def test_write_replaces_the_file_instead_of_rewriting_it(odavl_home: Path):
    queue = UploadQueue()
    queue.add(item(1))
    inode = queue.path.stat().st_ino
    queue.add(item(2))
    assert queue.path.stat().st_ino != inode  # a new file renamed over the old one
    assert not [p for p in queue.path.parent.iterdir() if p.name.endswith(".tmp")]


WRITER = """
import sys, time
from pathlib import Path
from odavl_cli.queue import UploadQueue
go, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
queue = UploadQueue()
if go != "-":  # a barrier: say ready, wait for the go file, so both writers start together
    Path(go + "." + tag).touch()
    while not Path(go).exists():
        time.sleep(0.001)
started = time.time()
for n in range(count):
    queue.add({"product": "guardian", "type": "screenshot", "filePath": f"/w/{tag}-{n}.png",
               "idempotencyKey": f"{tag}-{n}", "metadata": {"pad": "x" * int(sys.argv[4])}})
print(started, time.time())
"""


def test_two_processes_queueing_100_items_each_at_once_leave_200(odavl_home: Path):
    go = odavl_home.parent / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(go), "100", tag, "10"], env=os.environ.copy(),
                              stdout=subprocess.PIPE, text=True) for tag in ("a", "b")]
    deadline = time.monotonic() + 60
    while not all(Path(f"{go}.{tag}").exists() for tag in "ab") and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    spans = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        spans.append(tuple(map(float, out.split())))
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < b_end and b_start < a_end  # both were queueing at the same time
    items = UploadQueue().items()
    assert len(items) == 200
    keys = {i["idempotencyKey"] for i in items}
    assert keys == {f"{tag}-{n}" for tag in "ab" for n in range(100)}
    assert len({i["id"] for i in items}) == 200


def test_a_process_killed_while_writing_leaves_a_readable_queue(odavl_home: Path):
    queue = UploadQueue()
    # Big items make each write take a while, so the kill lands in the middle of one.
    proc = subprocess.Popen([sys.executable, "-c", WRITER, "-", "100000", "k", "200000"], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if queue.path.exists() and queue.path.stat().st_size > 2_000_000:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    items = queue.items()  # parses: never half a file
    assert len(items) >= 10
    json.loads(queue.path.read_text())
    # The dead writer's lock is gone with it; the next add works and keeps everything.
    queue.add(item(99))
    assert len(queue.items()) == len(items) + 1


class Flaky:
    """send() that fails with the given errors in turn, then succeeds."""

    def __init__(self, errors: list[Exception | None]) -> None:
        self.errors = errors
        self.calls: list[str] = []

    def __call__(self, entry: dict) -> str:
        self.calls.append(entry["idempotencyKey"])
        err = self.errors.pop(0) if self.errors else None
        if err is not None:
            raise err
        return "ok"


QUEUED_AT = "2026-11-23T10:00:00.000000Z"


def at(seconds_after_queueing: float):
    """A clock that reads ``seconds_after_queueing`` after QUEUED_AT."""
    return lambda: datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc) + timedelta(seconds=seconds_after_queueing)


def test_a_fresh_item_waits_1_5_and_15_seconds_before_its_three_retries(odavl_home: Path):
    queue = UploadQueue()
    queue.add({**item(1), "createdAt": QUEUED_AT})
    sleeps: list[float] = []
    send = Flaky([CliError("down", retryable=True, status=502)] * 5)
    counts = process(queue, send, sleep=sleeps.append, now=at(0))
    assert counts == {"processed": 1, "succeeded": 0, "failed": 1, "dropped": 0, "halted": False, "deferred": 0, "stoppedBy": None}
    assert sleeps == [1.0, 5.0, 15.0]
    assert send.calls == ["k1"] * MAX_ATTEMPTS  # the same idempotency key every time
    [kept] = queue.items()
    assert kept["attempts"] == 3 and kept["lastError"] == "down"


def test_the_first_wait_counts_from_the_last_attempt(odavl_home: Path):
    queue = UploadQueue()
    queue.add({**item(1), "createdAt": QUEUED_AT})
    queue.add({**item(2), "createdAt": QUEUED_AT, "lastAttemptAt": "2026-11-23T10:09:59.600000Z"})
    sleeps: list[float] = []
    send = Flaky([CliError("boom", retryable=True, status=503), CliError("net", retryable=True), None, None])
    counts = process(queue, send, sleep=sleeps.append, now=at(600))
    assert counts == {"processed": 2, "succeeded": 2, "failed": 0, "dropped": 0, "halted": False, "deferred": 0, "stoppedBy": None}
    assert sleeps == [5.0, 15.0, pytest.approx(0.6)]  # k1 queued 10 min ago goes at once; k2 tried 0.4 s ago
    assert send.calls == ["k1", "k1", "k1", "k2"]
    assert queue.items() == []


def test_process_drops_only_non_retryable_failures(odavl_home: Path):
    queue = UploadQueue()
    for n in (1, 2, 3):
        queue.add({**item(n), "createdAt": QUEUED_AT})
    outcomes: dict[str, str] = {}
    send = Flaky([CliError("bad payload (400 validation_failed)", status=400, code="validation_failed"),
                  None,
                  CliError("slow down", retryable=True, status=429, retry_after=7), None])
    sleeps: list[float] = []
    counts = process(queue, send, sleep=sleeps.append, now=at(60),
                     on_result=lambda entry, outcome, _: outcomes.__setitem__(entry["idempotencyKey"], outcome))
    assert counts == {"processed": 3, "succeeded": 2, "failed": 1, "dropped": 1, "halted": False, "deferred": 0, "stoppedBy": None}
    assert outcomes == {"k1": "dropped", "k2": "succeeded", "k3": "succeeded"}
    assert sleeps == [7.0]  # Retry-After beats the 5 s step
    assert queue.items() == []


def test_a_refused_key_stops_the_pass_and_drops_nothing(odavl_home: Path):
    queue = UploadQueue()
    for n in (1, 2, 3):
        queue.add({**item(n), "createdAt": QUEUED_AT})
    send = Flaky([None, CliError("Invalid API key (401 invalid_api_key)", status=401, code="invalid_api_key")])
    counts = process(queue, send, sleep=lambda _: None, now=at(60))
    assert counts == {"processed": 2, "succeeded": 1, "failed": 1, "dropped": 0, "halted": True, "deferred": 0, "stoppedBy": "key_refused"}
    assert send.calls == ["k1", "k2"]  # k3 was not tried with a key the server refuses
    assert [i["idempotencyKey"] for i in queue.items()] == ["k2", "k3"]
    assert queue.items()[0]["lastError"].startswith("Invalid API key")


def test_a_missing_scope_keeps_the_item_and_goes_on(odavl_home: Path):
    queue = UploadQueue()
    queue.add({**item(1, "guardian"), "createdAt": QUEUED_AT})
    queue.add({**item(2), "createdAt": QUEUED_AT})
    send = Flaky([CliError("needs guardian:write (403 missing_scope)", status=403, code="missing_scope"), None])
    counts = process(queue, send, sleep=lambda _: None, now=at(60))
    assert counts == {"processed": 2, "succeeded": 1, "failed": 1, "dropped": 0, "halted": False, "deferred": 0, "stoppedBy": None}
    assert [i["idempotencyKey"] for i in queue.items()] == ["k1"]


def test_items_queued_while_processing_are_kept(odavl_home: Path):
    queue = UploadQueue()
    queue.add(item(1))

    def send(entry: dict) -> str:
        UploadQueue().add(item(2))  # another process queues meanwhile
        return "ok"

    process(queue, send, sleep=lambda s: None)
    assert [i["idempotencyKey"] for i in queue.items()] == ["k2"]


@pytest.mark.parametrize("attempt,retry_after,expected", [(1, None, 1.0), (2, None, 5.0), (3, None, 15.0),
                                                          (1, 30.0, 30.0), (2, 2.0, 5.0), (1, 9999.0, 9999.0)])
def test_backoff_delay(attempt, retry_after, expected):
    assert backoff_delay(attempt, retry_after) == expected
