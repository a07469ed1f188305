"""The real ``odavl`` with the API unreachable: uploads queue (exit 0), the queue is 0600,
``--fail-on-queue`` fails, and two processes queueing at once lose nothing."""
from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from infra.local_stack import free_port
from odavl_cli.queue import UploadQueue
from tests.cli.conftest import ODAVL, ENV_VARS, run_odavl


def offline_env(home: Path) -> dict[str, str]:
    return {"ODAVL_HOME": str(home), "ODAVL_CLOUD_API": f"http://127.0.0.1:{free_port()}", "ODAVL_API_KEY": "odavl_k"}


def test_upload_with_the_api_down_queues_and_exits_0(odavl_home: Path, workspace: Path):
    result = run_odavl("guardian", "upload", "--workspace", str(workspace), env=offline_env(odavl_home))
    assert result.code == 0, result.output
    assert "Queued 5 upload(s)" in result.output and "process-queue" in result.output
    path = odavl_home / "queue" / "uploads.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    items = UploadQueue(path).items()
    assert sorted(i["type"] for i in items) == sorted(
        ["test-results", "lighthouse-report", "accessibility-report", "screenshot", "screenshot"])
    assert len({i["idempotencyKey"] for i in items}) == 5
    shown = run_odavl("sync", "queue", env=offline_env(odavl_home))
    assert shown.code == 0 and "5 queued upload(s)" in shown.stdout and "guardian: 5" in shown.stdout
    as_json = json.loads(run_odavl("sync", "queue", "--json", env=offline_env(odavl_home)).stdout)
    assert as_json["total"] == 5 and as_json["byProduct"] == {"guardian": 5}


def test_fail_on_queue_makes_a_queued_upload_fail(odavl_home: Path, workspace: Path):
    result = run_odavl("insight", "upload", "-w", str(workspace), "--fail-on-queue", "--json", env=offline_env(odavl_home))
    assert result.code == 3
    payload = json.loads(result.stdout)
    assert [q["type"] for q in payload["queued"]] == ["analysis-results", "detector-error-signatures"]
    assert payload["uploaded"] == [] and payload["failed"] == []


def test_sync_queue_clear(odavl_home: Path, workspace: Path):
    env = offline_env(odavl_home)
    run_odavl("autopilot", "upload", "-w", str(workspace), env=env)
    assert UploadQueue(odavl_home / "queue" / "uploads.json").status()["total"] == 4
    result = run_odavl("sync", "queue", "--clear", env=env)
    assert result.code == 0 and "4 upload(s) removed" in result.stdout
    assert "Queue is empty" in run_odavl("sync", "queue", env=env).stdout


def test_not_logged_in_is_one_line_and_its_own_exit_status(odavl_home: Path, workspace: Path):
    result = run_odavl("insight", "upload", "-w", str(workspace), env={"ODAVL_HOME": str(odavl_home)})
    assert result.code == 5  # not click's 2 (a usage error)
    assert run_odavl("insight", "upload", "--no-such-option", env={"ODAVL_HOME": str(odavl_home)}).code == 2
    assert result.stderr.strip().count("\n") == 0 and "Not logged in" in result.stderr
    assert "Traceback" not in result.output


def test_two_odavl_processes_queueing_100_items_each_leave_200(odavl_home: Path, tmp_path: Path, workspace: Path):
    # Each workspace holds one test result and 99 screenshots: 100 uploads per process.
    workspaces = []
    for tag in ("a", "b"):
        ws = tmp_path / f"ws-{tag}"
        gdir = ws / ".odavl" / "guardian"
        shots = gdir / "screenshots" / f"run-{tag}"
        shots.mkdir(parents=True)
        (gdir / f"test-run-{tag}.json").write_text(json.dumps({"testRunId": f"run-{tag}", "tests": []}))
        for n in range(99):
            (shots / f"s{n:02d}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + f"{tag}{n}".encode())
        workspaces.append(ws)
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.update(offline_env(odavl_home))
    procs = [subprocess.Popen([ODAVL, "guardian", "upload", "-w", str(ws)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for ws in workspaces]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    items = UploadQueue(odavl_home / "queue" / "uploads.json").items()
    assert len(items) == 200
    assert len({i["filePath"] for i in items}) == 200


def test_upload_finds_the_nearest_workspace_from_the_current_directory(odavl_home: Path, workspace: Path):
    deep = workspace / "src" / "api"
    deep.mkdir(parents=True)
    result = run_odavl("insight", "upload", "--json", env=offline_env(odavl_home), cwd=deep)
    assert result.code == 0, result.output
    files = {Path(q["file"]).name for q in json.loads(result.stdout)["queued"]}
    assert files == {"problems-panel-export.json", "error-signatures.json"}


def test_an_explicit_workspace_without_odavl_files_is_an_error(odavl_home: Path, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_odavl("guardian", "upload", "--workspace", str(empty), env=offline_env(odavl_home))
    assert result.code == 1 and "Nothing to upload for guardian" in result.stderr
    assert "Traceback" not in result.output


def test_paths_that_look_like_terminal_markup_print_as_they_are(odavl_home: Path, tmp_path: Path):
    odd = tmp_path / "[red]odd [bold]folder"
    odd.mkdir()
    result = run_odavl("guardian", "upload", "--workspace", str(odd), env=offline_env(odavl_home))
    assert result.code != 0 and "Traceback" not in result.output
    assert "[red]odd [bold]folder" in result.stderr, result.stderr
