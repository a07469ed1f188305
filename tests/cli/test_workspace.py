"""Which .odavl/ files each product sends, with which type and metadata."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from odavl_cli.workspace import WorkspaceError, discover, find_workspace



def test_insight_sends_the_problems_export_then_error_signatures(workspace: Path):
    items = discover(workspace, "insight")
    assert [(i.type, i.path.name, i.auxiliary) for i in items] == [
        ("analysis-results", "problems-panel-export.json", False),
        ("detector-error-signatures", "error-signatures.json", True),
    ]
    data = json.loads((workspace / ".odavl/problems-panel-export.json").read_text())
    expected = sum(len(v) for v in data["diagnostics"].values())
    assert items[0].metadata["diagnosticsCount"] == expected > 0


def test_autopilot_sends_ledger_snapshot_once_trust_and_history(workspace: Path):
    items = discover(workspace, "autopilot")
    assert [i.type for i in items] == ["ledger", "snapshot", "recipe-trust", "run-history"]
    ledger, snapshot = items[0], items[1]
    assert ledger.path.name.startswith("run-") and not ledger.auxiliary
    assert ledger.metadata["runId"] == json.loads(ledger.path.read_text())["runId"]
    # latest.json is a copy of the named snapshot: sent once.
    assert snapshot.path.name != "latest.json"
    assert snapshot.metadata["snapshotId"] == json.loads(snapshot.path.read_text())["snapshotId"]


def test_autopilot_run_id_picks_the_ledger(workspace: Path):
    (workspace / ".odavl/ledger/run-other.json").write_text(json.dumps({"runId": "other", "phase": "failed", "edits": []}))
    [ledger] = [i for i in discover(workspace, "autopilot", run_id="other") if i.type == "ledger"]
    assert ledger.metadata == {"runId": "other", "editsCount": 0, "phase": "failed"}
    with pytest.raises(WorkspaceError, match="run-missing"):
        discover(workspace, "autopilot", run_id="missing")


def test_guardian_sends_results_reports_and_screenshots(workspace: Path):
    items = discover(workspace, "guardian")
    assert [i.type for i in items] == ["test-results", "lighthouse-report", "accessibility-report",
                                       "screenshot", "screenshot"]
    trid = items[0].metadata["testRunId"]
    assert all(i.metadata["testRunId"] == trid for i in items)
    shots = {i.path.name: i.content_type for i in items if i.binary}
    assert shots == {"checkout.jpg": "image/jpeg", "home.png": "image/png"}
    with pytest.raises(WorkspaceError):
        discover(workspace, "guardian", test_run_id="nope")


def test_guardian_test_run_id_picks_an_older_run_with_its_own_files(workspace: Path):
    gdir = workspace / ".odavl" / "guardian"
    (gdir / "test-tr-old.json").write_text(json.dumps({"testRunId": "tr-old", "url": "https://old", "tests": []}))
    (gdir / "lighthouse-tr-old.json").write_text(json.dumps({"categories": {}}))
    (gdir / "screenshots" / "tr-old").mkdir()
    (gdir / "screenshots" / "tr-old" / "old.png").write_bytes(b"\x89PNG\r\n\x1a\nold")
    os.utime(gdir / "test-tr-old.json", (1_000_000_000, 1_000_000_000))  # written long before the others
    newest = discover(workspace, "guardian")[0].metadata["testRunId"]
    items = discover(workspace, "guardian", test_run_id="tr-old")
    assert [(i.type, i.path.name) for i in items] == [("test-results", "test-tr-old.json"),
                                                      ("lighthouse-report", "lighthouse-tr-old.json"),
                                                      ("screenshot", "old.png")]
    assert {i.metadata["testRunId"] for i in items} == {"tr-old"} and newest != "tr-old"


def test_find_workspace_walks_up(workspace: Path):
    deep = workspace / "src" / "api"
    deep.mkdir(parents=True)
    assert find_workspace(deep) == workspace.resolve()


def test_an_empty_workspace_has_nothing_to_upload(tmp_path: Path):
    for product in ("insight", "autopilot", "guardian"):
        with pytest.raises(WorkspaceError, match="Nothing to upload"):
            discover(tmp_path, product)
