"""The offline queue: atomic 0600 writes, a lock that loses nothing between processes, retry rules."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
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


def test_process_retries_with_backoff_then_succeeds(odavl_home: Path):
    queue = UploadQueue()
    queue.add(item(1))
    sleeps: list[float] = []
    send = Flaky([CliError("boom", retryable=True, status=503), CliError("net", retryable=True)])
    counts = process(queue, send, sleep=sleeps.append)
    assert counts == {"processed": 1, "succeeded": 1, "failed": 0, "dropped": 0}
    assert sleeps == [1.0, 5.0]
    assert send.calls == ["k1", "k1", "k1"]  # the same idempotency key every time
    assert queue.items() == []


def test_process_keeps_an_item_after_3_retryable_failures(odavl_home: Path):
    queue = UploadQueue()
    queue.add(item(1))
    sleeps: list[float] = []
    send = Flaky([CliError("down", retryable=True, status=502)] * 5)
    counts = process(queue, send, sleep=sleeps.append)
    assert counts == {"processed": 1, "succeeded": 0, "failed": 1, "dropped": 0}
    assert len(send.calls) == MAX_ATTEMPTS == 3
    assert sleeps == [1.0, 5.0]
    [kept] = queue.items()
    assert kept["attempts"] == 3 and kept["lastError"] == "down"


def test_process_drops_only_non_retryable_failures(odavl_home: Path):
    queue = UploadQueue()
    queue.add(item(1))
    queue.add(item(2))
    queue.add(item(3))
    outcomes: dict[str, str] = {}
    send = Flaky([CliError("bad payload (400 validation_failed)", status=400, code="validation_failed"),
                  None,
                  CliError("slow down", retryable=True, status=429, retry_after=7), None])
    sleeps: list[float] = []
    counts = process(queue, send, sleep=sleeps.append,
                     on_result=lambda entry, outcome, _: outcomes.__setitem__(entry["idempotencyKey"], outcome))
    assert counts == {"processed": 3, "succeeded": 2, "failed": 1, "dropped": 1}
    assert outcomes == {"k1": "dropped", "k2": "succeeded", "k3": "succeeded"}
    assert sleeps == [7.0]  # Retry-After beats the 1 s step
    assert queue.items() == []


def test_items_queued_while_processing_are_kept(odavl_home: Path):
    queue = UploadQueue()
    queue.add(item(1))

    def send(entry: dict) -> str:
        UploadQueue().add(item(2))  # another process queues meanwhile
        return "ok"

    process(queue, send, sleep=lambda s: None)
    assert [i["idempotencyKey"] for i in queue.items()] == ["k2"]


@pytest.mark.parametrize("attempt,retry_after,expected", [(1, None, 1.0), (2, None, 5.0), (3, None, 15.0),
                                                          (1, 30.0, 30.0), (2, 2.0, 5.0), (1, 9999.0, 300.0)])
def test_backoff_delay(attempt, retry_after, expected):
    assert backoff_delay(attempt, retry_after) == expected
