"""The real ``odavl`` executable against the local stack (real HTTP, moto's server, the worker)
over a sample workspace holding every kind of .odavl/ file."""
from __future__ import annotations

import gzip
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from infra.local_stack import free_port
from odavl_cli.queue import UploadQueue
from tests.cli.conftest import Cli, run_odavl

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_login_whoami_logout(cli: Cli):
    result = run_odavl("login", "--api-url", cli.stack.api_url, "--api-key", cli.key, env={"ODAVL_HOME": str(cli.home)})
    assert result.code == 0, result.output
    assert "Logged in" in result.stdout
    creds = cli.home / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert json.loads(creds.read_text())["apiKey"] == cli.key
    # Stored credentials are enough from now on.
    who = run_odavl("whoami", "--json", env={"ODAVL_HOME": str(cli.home)})
    assert who.code == 0, who.output
    assert json.loads(who.stdout)["organizationId"] == cli.org_id
    assert run_odavl("logout", env={"ODAVL_HOME": str(cli.home)}).code == 0
    assert not creds.exists()
    again = run_odavl("whoami", env={"ODAVL_HOME": str(cli.home)})
    assert again.code == 5 and "Not logged in" in again.stderr


def test_organization_id_pins_the_organization(cli: Cli):
    env = {"ODAVL_HOME": str(cli.home), "ODAVL_ORGANIZATION_ID": "someone-else"}
    result = run_odavl("login", "--api-url", cli.stack.api_url, "--api-key", cli.key, env=env)
    assert result.code == 1 and "not 'someone-else'" in result.stderr
    assert not (cli.home / "credentials.json").exists()
    assert cli("whoami", ODAVL_ORGANIZATION_ID=cli.org_id).code == 0


def test_login_with_a_wrong_key_stores_nothing(cli: Cli):
    result = run_odavl("login", "--api-url", cli.stack.api_url, "--api-key", "odavl_nope", env={"ODAVL_HOME": str(cli.home)})
    assert result.code == 1
    assert "Invalid API key" in result.stderr and "Traceback" not in result.output
    assert not (cli.home / "credentials.json").exists()


def test_a_revoked_key_gives_one_line_and_non_zero_exit(cli: Cli, ws: Path):
    created = cli.json("keys", "create", "ci")
    assert created["key"].startswith("odavl_")
    listed = cli.json("keys", "list")
    assert created["keyId"] in {k["keyId"] for k in listed}
    revoked = cli("keys", "revoke", created["keyId"])
    assert revoked.code == 0, revoked.output
    for args in (("whoami",), ("insight", "upload", "-w", str(ws)), ("keys", "list"), ("usage",)):
        result = cli(*args, ODAVL_API_KEY=created["key"])
        assert result.code == 1, (args, result.output)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "revoked" in lines[0], result.stderr
        assert "Traceback" not in result.stderr
    # Nothing was queued: a revoked key is not a reason to retry later.
    assert UploadQueue(cli.home / "queue" / "uploads.json").items() == []


def _upload(cli: Cli, product: str, ws: Path, *extra: str) -> dict[str, Any]:
    return cli.json(product, "upload", "--workspace", str(ws), *extra)


def test_every_workspace_file_lands(cli: Cli, ws: Path):
    results: dict[str, dict[str, Any]] = {}
    for product in ("insight", "autopilot", "guardian"):
        payload = _upload(cli, product, ws)
        assert payload["queued"] == [] and payload["failed"] == [], payload
        for entry in payload["uploaded"]:
            results[Path(entry["file"]).relative_to(ws).as_posix()] = entry
    every_file = sorted(p.relative_to(ws).as_posix() for p in (ws / ".odavl").rglob("*") if p.is_file())
    # latest.json is the same snapshot as its named copy and is sent once.
    assert sorted(results) == [f for f in every_file if not f.endswith("undo/latest.json")]
    for name, entry in results.items():
        if entry["type"] == "screenshot":
            data = (ws / name).read_bytes()
            assert cli.blob(data) == data
        else:
            assert entry["runId"] and entry["url"], entry
            stored = gzip.decompress(cli.s3_object(f"orgs/{cli.org_id}/runs/{entry['product']}/{entry['runId']}.json.gz"))
            assert json.loads(stored) == json.loads((ws / name).read_text())
    # Read back through the CLI: the main results are listed.
    for product, kind in (("insight", "analysis-results"), ("autopilot", "ledger"), ("guardian", "test-results")):
        [main] = [e for e in results.values() if e["type"] == kind]
        listed = cli.json("runs", "list", product)
        assert main["runId"] in {r.get("runId") for r in listed["items"]}
        shown = cli.json("runs", "show", product, main["runId"])
        assert shown["run"]["runId"] == main["runId"] and shown["run"]["url"] == main["url"]
        human = cli("runs", "show", product, main["runId"])
        assert human.code == 0 and main["runId"] in human.stdout


def test_the_same_screenshots_again_send_0_image_bytes(cli: Cli, ws: Path):
    first = _upload(cli, "guardian", ws)
    shots = [e for e in first["uploaded"] if e["type"] == "screenshot"]
    assert len(shots) == 2 and all(e["bytesSent"] > 0 for e in shots)
    second = _upload(cli, "guardian", ws)
    again = [e for e in second["uploaded"] if e["type"] == "screenshot"]
    assert len(again) == 2
    assert [e["bytesSent"] for e in again] == [0, 0]
    assert {e["door"] for e in again} == {"exists"}
    human = cli("guardian", "upload", "--workspace", str(ws))
    assert human.code == 0 and human.stdout.count("unchanged, 0 bytes sent") == 2


def test_a_12_mb_file_shows_progress_and_arrives_intact(cli: Cli, ws: Path):
    shots = next((ws / ".odavl" / "guardian" / "screenshots").iterdir())
    big = b"\x89PNG\r\n\x1a\n" + os.urandom(12 * 1024 * 1024)
    (shots / "full-page.png").write_bytes(big)
    result = cli("guardian", "upload", "--workspace", str(ws))
    assert result.code == 0, result.output
    assert "full-page.png" in result.stderr and "12.6/12.6 MB" in result.stderr  # the progress bar, finished
    assert "screenshot full-page.png (multipart" in result.stdout
    assert cli.blob(big) == big


def test_with_the_api_stopped_uploads_queue_then_process_queue_sends_each_once(cli: Cli, ws: Path):
    down = {"ODAVL_CLOUD_API": f"http://127.0.0.1:{free_port()}"}  # nothing listens: the API is down
    for product in ("insight", "autopilot", "guardian"):
        result = cli(product, "upload", "--workspace", str(ws), **down)
        assert result.code == 0, result.output
        assert "queued" in result.output.lower()
    path = cli.home / "queue" / "uploads.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    queued = UploadQueue(path).items()
    shots = sorted(p for p in (ws / ".odavl" / "guardian" / "screenshots").rglob("*") if p.suffix in (".png", ".jpg"))
    assert sorted(i["type"] for i in queued) == sorted(
        ["analysis-results", "detector-error-signatures", "ledger", "snapshot", "recipe-trust", "run-history",
         "test-results", "lighthouse-report", "accessibility-report"] + ["screenshot"] * len(shots))
    assert cli.json("runs", "list", "insight")["items"] == []
    # The API is back.
    report = cli.json("sync", "process-queue")
    assert report["processed"] == len(queued) and report["succeeded"] == len(queued), report
    assert report["failed"] == 0 and report["remaining"] == 0
    assert UploadQueue(path).items() == []
    runs_made = [r for r in report["results"] if r["type"] != "screenshot"]
    run_ids = {r["runId"] for r in runs_made}
    assert len(run_ids) == len(runs_made) == len(queued) - len(shots)
    # Exactly one run per queued upload, the screenshots stored once and on their test run.
    listed = {p: cli.json("runs", "list", p, "--limit", "100")["items"] for p in ("insight", "autopilot", "guardian")}
    assert sum(len(v) for v in listed.values()) == len(run_ids)
    assert {r["runId"] for v in listed.values() for r in v} == run_ids
    for shot in shots:
        assert cli.blob(shot.read_bytes()) == shot.read_bytes()
    [test_run] = [r for r in listed["guardian"] if r["type"] == "test-results"]
    shown = cli.json("runs", "show", "guardian", test_run["runId"])
    assert sorted(a["fileName"] for a in shown["attachments"]) == sorted(s.name for s in shots)
    assert sorted(r["type"] for r in shown["reports"]) == ["accessibility-report", "lighthouse-report"]
    printed = cli("runs", "show", "guardian", test_run["runId"]).stdout
    assert "Lighthouse" in printed and "Accessibility violations" in printed, printed[-1500:]
    assert "home.png" in printed and "X-Amz" not in printed  # screenshots by name; links only with --urls
    assert "X-Amz" in cli("runs", "show", "guardian", test_run["runId"], "--urls").stdout
    assert "Queue is empty" in cli("sync", "process-queue").stdout


def test_silent_quiets_auxiliary_files_and_the_main_result_prints_its_dashboard_url(cli: Cli, ws: Path):
    result = cli("guardian", "upload", "--workspace", str(ws), "--silent")
    assert result.code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "test-results" in lines[0]
    url = lines[0].split("→ ")[1].strip()
    assert url.startswith("http") and "/guardian/" in url
    assert "screenshot" not in result.output and "lighthouse" not in result.output


def test_process_queue_drops_what_the_server_refuses_and_shows_why(cli: Cli, ws: Path):
    down = {"ODAVL_CLOUD_API": f"http://127.0.0.1:{free_port()}"}
    export = ws / ".odavl" / "problems-panel-export.json"
    assert cli("insight", "upload", "--workspace", str(ws), **down).code == 0
    [queued] = [i for i in UploadQueue(cli.home / "queue" / "uploads.json").items() if i["filePath"] == str(export)]
    Path(queued["snapshotPath"]).write_text(json.dumps({"diagnostics": "not a mapping"}))  # what was queued is bad
    report = cli("sync", "process-queue")
    assert report.code == 1
    assert "dropped" in report.stderr and "400" in report.stderr
    assert "Processed 2: 1 succeeded, 1 failed (1 dropped, 0 waiting); 0 left in the queue." in report.stdout
    assert UploadQueue(cli.home / "queue" / "uploads.json").items() == []


def test_a_file_the_server_refuses_fails_the_upload_and_is_not_queued(cli: Cli, ws: Path):
    (ws / ".odavl" / "problems-panel-export.json").write_text('{"diagnostics": 5}')
    result = cli("insight", "upload", "--workspace", str(ws))
    assert result.code == 1, result.output
    assert "validation_failed" in result.stderr and "Traceback" not in result.output
    assert "problems-panel-export.json" in result.stderr
    assert UploadQueue(cli.home / "queue" / "uploads.json").items() == []  # retrying would not help
    assert [r["type"] for r in cli.json("runs", "list", "insight")["items"]] == ["detector-error-signatures"]
