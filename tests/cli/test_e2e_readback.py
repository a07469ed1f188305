"""Reading back with the real ``odavl``: a large result through an ingest job, jobs, usage, storage."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def big_problems_export(path: Path, diagnostics: int = 6000) -> dict:
    """A valid problems-panel export whose gzip is bigger than the inline door (random messages)."""
    data = {"version": "1.0", "exportedAt": "2026-11-22T09:12:44.120Z", "workspace": "/w", "diagnostics": {
        f"src/file{n % 50}.ts": [] for n in range(50)}}
    for n in range(diagnostics):
        data["diagnostics"][f"src/file{n % 50}.ts"].append({
            "severity": "warning", "message": base64.b64encode(os.urandom(900)).decode(), "source": "eslint",
            "code": "no-unused-vars", "line": n + 1, "column": 1})
    path.write_text(json.dumps(data))
    assert len(gzip.compress(path.read_bytes())) > 5 * 1024 * 1024
    return data


def test_a_large_result_goes_through_the_uploads_door_and_its_ingest_job(cli: Cli, ws: Path):
    data = big_problems_export(ws / ".odavl" / "problems-panel-export.json")
    result = cli("insight", "upload", "--workspace", str(ws))
    assert result.code == 0, result.output
    assert "analysis-results problems-panel-export.json (post" in result.stdout
    payload = cli.json("insight", "upload", "--workspace", str(ws), "--no-wait")
    queued_job = payload["uploaded"][0]["jobId"]
    assert queued_job
    jobs = cli.json("jobs", "list")["items"]
    assert queued_job in {j["jobId"] for j in jobs}
    assert len(jobs) == 2 and all(j["type"] == "ingest" for j in jobs)
    done = [j for j in jobs if j["status"] == "succeeded"]
    assert done, jobs
    shown = cli.json("jobs", "show", done[0]["jobId"])
    run_id = shown["result"]["runId"]
    stored = gzip.decompress(cli.s3_object(f"orgs/{cli.org_id}/runs/insight/{run_id}.json.gz"))
    assert json.loads(stored) == data
    human = cli("jobs", "show", done[0]["jobId"])
    assert human.code == 0 and "succeeded" in human.stdout
    assert done[0]["jobId"] in cli("jobs", "list").stdout
    # A finished job can be neither cancelled nor retried: a one-line 409, no traceback.
    for action in ("cancel", "retry"):
        refused = cli("jobs", action, done[0]["jobId"])
        assert refused.code == 1 and "409" in refused.stderr, refused.output
        assert len(refused.stderr.strip().splitlines()) == 1


def test_usage_and_history(cli: Cli, ws: Path):
    assert cli("insight", "upload", "--workspace", str(ws)).code == 0
    view = cli.json("usage")
    assert view["organizationId"] == cli.org_id and view["metrics"]["insight_analyses"]["used"] >= 1
    human = cli("usage")
    assert human.code == 0
    assert "insight_analyses" in human.stdout and view["period"] in human.stdout and "resets" in human.stdout
    history = cli.json("usage", "history", "--months", "2")
    assert history["items"][0]["current"] is True
    assert "Usage history" in cli("usage", "history").stdout


def test_storage_upload_ls_download_stats_rm(cli: Cli, tmp_path: Path):
    source = tmp_path / "notes.json"
    source.write_text(json.dumps({"hello": "world", "n": list(range(100))}))
    stored = cli.json("storage", "upload", str(source))
    assert stored["size"] == source.stat().st_size
    assert stored["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    listed = cli.json("storage", "ls")["items"]
    assert [f["fileId"] for f in listed] == [stored["fileId"]]
    assert "notes.json" in cli("storage", "ls").stdout
    target = tmp_path / "copy.json"
    got = cli("storage", "download", stored["fileId"], "-o", str(target))
    assert got.code == 0, got.output
    assert target.read_bytes() == source.read_bytes()
    stats = cli.json("storage", "stats")
    assert stats["fileCount"] == 1 and stats["totalBytes"] == source.stat().st_size
    assert "Files: 1" in cli("storage", "stats").stdout
    assert cli("storage", "rm", stored["fileId"]).code == 0
    assert cli.json("storage", "ls")["items"] == []
    missing = cli("storage", "rm", stored["fileId"])
    assert missing.code == 1 and "404" in missing.stderr and "Traceback" not in missing.stderr


def test_a_failed_job_keeps_its_error_and_can_be_retried(cli: Cli, ws: Path):
    import time

    bad = {"diagnostics": 5, "pad": base64.b64encode(os.urandom(6 * 1024 * 1024)).decode()}  # big, and not an export
    (ws / ".odavl" / "problems-panel-export.json").write_text(json.dumps(bad))
    assert cli("insight", "upload", "--workspace", str(ws), "--no-wait").code == 0
    [job] = [j for j in cli.json("jobs", "list")["items"] if j["type"] == "ingest"]
    deadline = time.monotonic() + 60
    while job["status"] not in ("failed", "succeeded") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = cli.json("jobs", "show", job["jobId"])
    assert job["status"] == "failed" and job["error"]["code"] == "validation_failed", job
    shown = cli("jobs", "show", job["jobId"])
    assert "validation_failed" in shown.stdout
    retried = cli("jobs", "retry", job["jobId"])
    assert retried.code == 0 and "queued" in retried.stdout, retried.output  # the server's 202 answer
    deadline = time.monotonic() + 60
    again = cli.json("jobs", "show", job["jobId"])
    while again["attempts"] <= job["attempts"] and time.monotonic() < deadline:
        time.sleep(0.5)
        again = cli.json("jobs", "show", job["jobId"])
    assert again["attempts"] > job["attempts"], again  # the worker took it up once more
