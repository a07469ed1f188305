"""What a new user of ``odavl`` expects (from sentry-cli, Codecov's uploader and gh), against the
local stack where the server is involved: the server's words in errors, a queue that never stalls
and sends what was queued, ids never cut, readable runs, one help per product, exit statuses that
do not collide with click's, small things done right, pulling a workspace back, linking it."""
from __future__ import annotations

import gzip
import json
import os
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from infra.local_stack import free_port
from odavl_cli.client import CliError
from odavl_cli.exits import ExitStatus
from odavl_cli.queue import MAX_SLEEP, UploadQueue, process
from tests.cli.conftest import ROOT, Cli, run_odavl

E2E = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_errors_carry_what_the_server_said(cli: Cli) -> None:
    scope = cli("keys", "create", "ci", "--scope", "nope")
    assert scope.code == ExitStatus.FAILED
    assert "unknown: nope" in scope.stderr and "allowed:" in scope.stderr and "runs:read" in scope.stderr
    expiry = cli("keys", "create", "ci", "--expires-at", "tomorrow")
    assert expiry.code == ExitStatus.FAILED and "expiresAt" in expiry.stderr, expiry.stderr


def test_a_pass_stops_at_the_first_connection_failure(odavl_home: Path, workspace: Path) -> None:
    env = {"ODAVL_HOME": str(odavl_home), "ODAVL_API_KEY": "odavl_0123456789abcdef_x",
           "ODAVL_CLOUD_API": f"http://127.0.0.1:{free_port()}"}
    assert run_odavl("insight", "upload", "-w", str(workspace), env=env).code == 0
    queued = len(UploadQueue(odavl_home / "queue" / "uploads.json").items())
    assert queued >= 2
    result = run_odavl("sync", "process-queue", "--json", env=env)
    report = json.loads(result.stdout)
    assert report["processed"] == 1 and report["stoppedBy"] == "offline" and report["remaining"] == queued
    assert "unreachable" in run_odavl("sync", "process-queue", env=env).stderr


def _failing(retry_after: float) -> Any:
    def send(item: dict[str, Any]) -> Any:
        raise CliError("quota reached", retryable=True, status=429, code="quota_exceeded", retry_after=retry_after)
    return send


def test_a_long_retry_after_is_never_slept_on_and_the_item_says_when_it_can_go(tmp_path: Path) -> None:
    queue = UploadQueue(tmp_path / "q.json")
    queue.add({"product": "insight", "type": "analysis-results", "filePath": "x"})
    sleeps: list[float] = []
    outcomes: list[tuple[str, Any]] = []
    counts = process(queue, _failing(14 * 86400), sleep=sleeps.append,
                     on_result=lambda item, outcome, detail: outcomes.append((outcome, detail)))
    assert all(s <= MAX_SLEEP for s in sleeps) and counts["deferred"] == 1
    [(outcome, when)] = outcomes
    assert outcome == "deferred"
    assert datetime.fromisoformat(when.replace("Z", "+00:00")) > datetime.now(timezone.utc) + timedelta(days=13)
    again = process(queue, _failing(1), sleep=sleeps.append)  # skipped until then: nothing is sent
    assert again["processed"] == 0 and again["deferred"] == 1 and len(queue.items()) == 1


def test_max_wait_bounds_the_sleeping_of_a_pass(tmp_path: Path) -> None:
    queue = UploadQueue(tmp_path / "q.json")
    for _ in range(3):
        queue.add({"product": "insight", "type": "analysis-results", "filePath": "x"})
    sleeps: list[float] = []
    counts = process(queue, _failing(30), sleep=sleeps.append, max_wait=40)
    assert sum(sleeps) <= 40 and counts["stoppedBy"] == "max_wait" and len(queue.items()) == 3


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_the_queue_sends_the_bytes_that_were_queued(cli: Cli, workspace: Path) -> None:
    export = workspace / ".odavl" / "problems-panel-export.json"
    original = export.read_bytes()
    down = {"ODAVL_CLOUD_API": f"http://127.0.0.1:{free_port()}"}
    assert cli("insight", "upload", "-w", str(workspace), **down).code == 0
    [item] = [i for i in UploadQueue(cli.home / "queue" / "uploads.json").items() if i["type"] == "analysis-results"]
    snapshot = Path(item["snapshotPath"])
    assert snapshot.read_bytes() == original and oct(snapshot.stat().st_mode & 0o777) == "0o600"
    export.write_text(json.dumps({"diagnostics": {}}))  # the file changes after it was queued
    report = cli.json("sync", "process-queue")
    assert report["remaining"] == 0 and not snapshot.exists()
    [run] = [r for r in cli.json("runs", "list", "insight")["items"] if r["type"] == "analysis-results"]
    assert run["summary"]["diagnosticsCount"] == sum(len(v) for v in json.loads(original)["diagnostics"].values())


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_a_big_upload_names_its_ingest_job_and_no_wait_prints_it(cli: Cli, workspace: Path) -> None:
    rng = os.urandom
    diags = {f"src/f{i}.ts": [{"severity": "warning", "message": rng(48).hex(), "line": 1}] for i in range(110_000)}
    (workspace / ".odavl" / "problems-panel-export.json").write_text(json.dumps({"diagnostics": diags}))
    result = cli("insight", "upload", "-w", str(workspace), "--no-wait", "--silent")
    assert result.code == 0, result.output[-1000:]
    job = re.search(r"ingest job ([0-9a-f]{26}) queued: follow it with `odavl jobs show \1`", result.stdout)
    assert job, result.stdout[-1000:]
    for _ in range(120):
        shown = cli.json("jobs", "show", job.group(1))
        if shown["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    assert shown["status"] == "succeeded", shown


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_ids_print_whole_at_80_columns_and_runs_read_as_tables(cli: Cli, workspace: Path) -> None:
    assert cli("insight", "upload", "-w", str(workspace)).code == 0
    assert cli("guardian", "upload", "-w", str(workspace)).code == 0
    runs = cli.json("runs", "list", "insight")["items"]
    narrow = run_odavl("runs", "list", "insight", env={**cli.env(), "COLUMNS": "80"})
    for run in runs:
        assert run["runId"] in narrow.stdout
    assert "Stats of the filtered runs" in narrow.stdout and "{" not in narrow.stdout
    [analysis] = [r for r in runs if r["type"] == "analysis-results"]
    errors = cli("runs", "show", "insight", analysis["runId"], "--severity", "error").stdout
    assert "Issues: 3 (page 1/1)" in errors  # the fixture's three errors, of seven issues
    titles = [line.strip() for line in errors.splitlines() if line.strip().startswith("src/")]
    assert titles == ["src/api/orders.ts", "src/utils/format.ts"], titles  # one table per file
    only = cli.json("runs", "show", "insight", analysis["runId"], "--severity", "error", "--file", "src/api/orders.ts")
    assert only["total"] == 2 and {i["severity"] for i in only["items"]} == {"error"}


def test_each_product_has_its_own_help_and_flags_show_no_type() -> None:
    insight = run_odavl("insight", "upload", "--help").stdout
    assert "--run-id" not in insight and "--test-run-id" not in insight and "<bool>" not in insight
    assert "--test-run-id" in run_odavl("guardian", "upload", "--help").stdout
    assert "--run-id" in run_odavl("autopilot", "upload", "--help").stdout
    readme = (ROOT / "README.md").read_text()
    for status in ExitStatus:
        if status is not ExitStatus.INTERRUPTED:
            assert re.search(rf"\b{int(status)}\b[^\n]*", readme[readme.index("Exit codes"):]), status
    assert ExitStatus.NOT_LOGGED_IN != 2 and ExitStatus.USAGE == 2


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_small_things(cli: Cli, tmp_path: Path, stack: Any) -> None:
    archive = tmp_path / "report.tar.gz"
    archive.write_bytes(gzip.compress(b"tar bytes" * 100))
    stored = cli.json("storage", "upload", str(archive))
    assert stored["fileName"] == "report.tar.gz" and stored["contentType"] == "application/gzip"
    target = tmp_path / "out.tar.gz"
    target.write_bytes(b"mine")
    refused = cli("storage", "download", stored["fileId"], "-o", str(target))
    assert refused.code == ExitStatus.FAILED and target.read_bytes() == b"mine" and "--force" in refused.stderr
    assert cli("storage", "download", stored["fileId"], "-o", str(target), "--force").code == 0
    assert target.read_bytes() == archive.read_bytes()
    assert "expires" in cli("keys", "list").stdout
    assert cli("login", "--api-url", stack.api_url, "--api-key", cli.key).code == 0
    other = stack.create_org(f"other-{os.getpid()}-{int(time.time())}", "pro")
    switched = run_odavl("login", "--api-url", stack.api_url, "--api-key", other, env={"ODAVL_HOME": str(cli.home)})
    assert switched.code == 0, switched.output  # another organization's key replaces the stored one
    version = run_odavl("version")
    assert version.code == 0 and version.stdout.strip()


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_pull_writes_the_workspace_back_byte_for_byte(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    for product in ("insight", "autopilot", "guardian"):
        assert cli(product, "upload", "-w", str(workspace), "--project", "pulled").code == 0
    fresh = tmp_path / "elsewhere"
    (fresh / ".odavl").mkdir(parents=True)
    pulled = cli.json("sync", "pull", "-w", str(fresh), "--project", "pulled")
    assert all(f["outcome"] == "written" for f in pulled["files"]), pulled
    expected = [p for p in (workspace / ".odavl").rglob("*") if p.is_file() and p.name != "latest.json"]
    for path in expected:
        relative = path.relative_to(workspace)
        assert (fresh / relative).read_bytes() == path.read_bytes(), relative
    ledger = next((fresh / ".odavl" / "ledger").glob("*.json"))
    ledger.write_text("{}")  # a newer local file
    again = cli.json("sync", "pull", "-w", str(fresh), "--project", "pulled")
    assert {f["path"]: f["outcome"] for f in again["files"]}[str(ledger.relative_to(fresh))] == "kept"
    assert ledger.read_text() == "{}"
    cli.json("sync", "pull", "-w", str(fresh), "--project", "pulled", "--force")
    assert ledger.read_bytes() == next((workspace / ".odavl" / "ledger").glob("*.json")).read_bytes()


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_link_ties_the_workspace_to_a_project(cli: Cli, workspace: Path) -> None:
    linked = cli.json("link", "--project", "linked-app", "-w", str(workspace))
    data = json.loads((workspace / ".odavl" / "cloud.json").read_text())
    assert data == {"projectId": "linked-app", "apiUrl": cli.stack.api_url} and "key" not in json.dumps(data).lower()
    assert linked["projectId"] == "linked-app"
    assert cli("insight", "upload", "-w", str(workspace)).code == 0
    assert {r["projectId"] for r in cli.json("runs", "list", "insight")["items"]} == {"linked-app"}
    assert "linked-app" in run_odavl("link", "--show", env=cli.env(), cwd=workspace).stdout
