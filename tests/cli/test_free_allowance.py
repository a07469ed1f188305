"""DESIGN.md "Metering: what counts as an API call", end to end with the CLI against the local
stack: on FREE, 20 Guardian test runs (results, Lighthouse and accessibility reports, 5 screenshots
each), 10 Insight analyses and 5 Autopilot runs with their auxiliary files all fit in the month's
100 API calls, because one `odavl <product> upload` is one operation and counts once; `odavl usage`
and `whoami` count nothing, so the allowance stays readable once it is spent."""
from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import FIXTURE_WORKSPACE, Cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
TR = "tr-20261122-101500-c3d4"


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _guardian_run(odavl: Path, i: int) -> None:
    guardian = odavl / "guardian"
    shutil.rmtree(guardian, ignore_errors=True)
    source = FIXTURE_WORKSPACE / ".odavl" / "guardian"
    tr = f"tr-20261201-1000{i:02d}-free"
    results = json.loads((source / f"test-{TR}.json").read_text())
    _write(guardian / f"test-{tr}.json", {**results, "testRunId": tr})
    _write(guardian / f"lighthouse-{tr}.json", json.loads((source / f"lighthouse-{TR}.json").read_text()))
    _write(guardian / f"accessibility-{tr}.json", json.loads((source / f"accessibility-{TR}.json").read_text()))
    png = (source / "screenshots" / TR / "home.png").read_bytes()
    shots = guardian / "screenshots" / tr
    shots.mkdir(parents=True)
    for n in range(5):
        (shots / f"step-{n}.png").write_bytes(png + bytes([i, n]))  # 5 distinct screenshots per run


def _insight_run(odavl: Path, i: int) -> None:
    export = json.loads((FIXTURE_WORKSPACE / ".odavl" / "problems-panel-export.json").read_text())
    _write(odavl / "problems-panel-export.json", {**export, "exportedAt": f"2026-12-01T10:{i:02d}:00Z"})


def _autopilot_run(odavl: Path, i: int) -> None:
    for old in (odavl / "ledger").glob("*.json"):
        old.unlink()
    source = FIXTURE_WORKSPACE / ".odavl"
    ledger = json.loads((source / "ledger" / "run-20261122-093000-a1b2.json").read_text())
    run_id = f"20261201-1000{i:02d}-free"
    _write(odavl / "ledger" / f"run-{run_id}.json", {**ledger, "runId": run_id})
    history = json.loads((source / "history.json").read_text())
    _write(odavl / "history.json", history if not isinstance(history, dict) else {**history, "n": i})


def test_the_free_plan_allowances_fit_in_its_monthly_api_calls(stack: Any, tmp_path: Path) -> None:
    org_id = f"free-{uuid.uuid4().hex[:8]}"
    cli = Cli(stack, tmp_path / "home", org_id, stack.create_org(org_id, "free"))
    workspace = tmp_path / "shop-web"
    shutil.copytree(FIXTURE_WORKSPACE, workspace)
    odavl = workspace / ".odavl"
    commands = 0
    for product, runs, prepare in (("guardian", 20, _guardian_run), ("insight", 10, _insight_run),
                                   ("autopilot", 5, _autopilot_run)):
        for i in range(runs):
            prepare(odavl, i)
            done = cli(product, "upload", "--workspace", str(workspace), "--json", "--fail-on-queue")
            result = json.loads(done.stdout) if done.stdout.startswith("{") else {}
            assert done.code == 0, (product, i, result.get("queued"), result.get("failed"), done.stderr[-1000:])
            assert result["failed"] == [] and result["queued"] == [], result
            if product == "guardian":
                assert sum(1 for u in result["uploaded"] if u["type"] == "screenshot") == 5
            commands += 1
    usage = cli.json("usage")
    metrics = usage["metrics"]
    assert metrics["guardian_tests"]["used"] == 20 and metrics["insight_analyses"]["used"] == 10
    assert metrics["autopilot_runs"]["used"] == 5
    assert metrics["api_calls"]["used"] == commands == 35, metrics["api_calls"]
    assert cli("whoami").code == 0
    assert cli.json("usage")["metrics"]["api_calls"]["used"] == 35  # reading usage and whoami count nothing
