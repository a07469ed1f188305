"""Comparing runs and gating CI, end to end over HTTP with a real git repository made here:
a commit on main is uploaded; a branch moves lines, fixes one diagnostic and adds two (one an
error): "2 new (1 error), 1 fixed vs main@…" and exit 4 with --gate; after the merge, main's run
is compared with HEAD^; a Guardian run where a test starts failing and Lighthouse drops 8 points."""
from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from odavl_cli.exits import ExitStatus
from tests.cli.conftest import FIXTURE_WORKSPACE, Cli

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
TR = "tr-20261122-101500-c3d4"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def workspace_repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop-web"
    import shutil

    shutil.copytree(FIXTURE_WORKSPACE, root)
    for aux in ("error-signatures.json",):
        (root / ".odavl" / aux).unlink()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@acme.dev")
    git(root, "config", "user.name", "Dev")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "main: first")
    return root


def export_of(root: Path) -> Path:
    return root / ".odavl" / "problems-panel-export.json"


def test_a_branch_that_adds_an_error_fails_the_gate_and_main_after_the_merge_uses_head_parent(
        cli: Cli, tmp_path: Path) -> None:
    root = workspace_repo(tmp_path)
    first = cli("insight", "upload", "-w", str(root), "--json")
    assert first.code == 0, first.output
    main_commit = git(root, "rev-parse", "HEAD")

    git(root, "checkout", "-q", "-b", "feature")
    export = json.loads(export_of(root).read_text())
    moved = copy.deepcopy(export)
    for diags in moved["diagnostics"].values():
        for d in diags:
            d["line"] = d.get("line", 1) + 20  # edits above every diagnostic
    moved["diagnostics"]["src/utils/format.ts"].pop(0)  # one fixed
    moved["diagnostics"]["src/new.ts"] = [
        {"severity": "error", "message": "Object is possibly 'undefined'.", "code": "2532", "line": 4},
        {"severity": "warning", "message": "'tmp' is declared but never used.", "code": "6133", "line": 8}]
    export_of(root).write_text(json.dumps(moved, indent=2))
    git(root, "commit", "-q", "-am", "feature: move, fix one, add two")
    summary = tmp_path / "summary.md"
    gated = cli("insight", "upload", "-w", str(root), "--gate", "--summary-md", str(summary))
    assert gated.code == ExitStatus.GATE_FAILED, gated.output
    assert f"2 new (1 error), 1 fixed vs main@{main_commit[:7]}" in gated.stdout, gated.stdout
    assert "1 new error" in gated.stdout
    assert "| " in summary.read_text() and "failed" in summary.read_text()

    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    merged = cli.json("insight", "upload", "-w", str(root))
    [main_run] = [u for u in merged["uploaded"] if u["type"] == "analysis-results"]
    baseline = main_run["gate"]["baseline"]
    assert baseline["commit"] == main_commit and baseline["rule"] == "ancestor" and baseline["exact"] is True
    commit = git(root, "rev-parse", "HEAD")
    view = cli.json("runs", "list", "insight", "--project", "shop-web")
    assert any((r.get("build") or {}).get("commit") == commit for r in view["items"])


def test_guardian_a_test_that_starts_failing_and_a_lighthouse_drop(cli: Cli, tmp_path: Path) -> None:
    root = workspace_repo(tmp_path)
    guardian = root / ".odavl" / "guardian"
    results = json.loads((guardian / f"test-{TR}.json").read_text())
    results["tests"] = [{**t, "status": "passed"} for t in results["tests"]]
    (guardian / f"test-{TR}.json").write_text(json.dumps(results))
    git(root, "commit", "-q", "-am", "all green")
    assert cli("guardian", "upload", "-w", str(root), "--silent").code == 0
    base = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "-b", "slow")
    tr = "tr-20261201-090000-feat"
    for old in list(guardian.glob(f"*{TR}*")):
        data = json.loads(old.read_text())
        if old.name.startswith("test-"):
            data = {**data, "testRunId": tr}
            data["tests"][0]["status"] = "failed"
        if old.name.startswith("lighthouse-"):
            data["categories"]["performance"]["score"] = round(data["categories"]["performance"]["score"] - 0.08, 2)
        old.with_name(old.name.replace(TR, tr)).write_text(json.dumps(data))
        old.unlink()
    (guardian / "screenshots" / TR).rename(guardian / "screenshots" / tr)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "slower, one test broken")
    gated = cli("guardian", "upload", "-w", str(root), "--gate", "--json")
    assert gated.code == ExitStatus.GATE_FAILED, gated.output[-2000:]
    uploads = {u["type"]: u for u in json.loads(gated.stdout)["uploaded"]}
    assert uploads["test-results"]["gate"]["reasons"] == ["1 test(s) newly failing"]
    lighthouse = uploads["lighthouse-report"]["gate"]
    assert lighthouse["status"] == "failed" and lighthouse["counts"]["deltas"]["performance"] == -8.0
    assert lighthouse["baseline"]["commit"] == base


def test_the_line_hash_comes_from_the_workspace_sources_and_survives_moved_lines(cli: Cli, tmp_path: Path) -> None:
    root = workspace_repo(tmp_path)
    source = root / "src" / "app.ts"
    source.parent.mkdir(parents=True, exist_ok=True)
    body = ["const a = 1;", "let unused = 2;", "console.log(a);", "let unused = 2;"]
    source.write_text("\n".join(body) + "\n")
    same = {"severity": "warning", "message": "'unused' is declared but never used.", "code": "6133"}
    export = {"diagnostics": {"src/app.ts": [{**same, "line": 2}, {**same, "line": 4}]}}
    export_of(root).write_text(json.dumps(export))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two identical warnings")
    assert cli("insight", "upload", "-w", str(root), "--project", "hashes").code == 0
    git(root, "checkout", "-q", "-b", "moved")
    source.write_text("\n".join(["// header", "// more", *body]) + "\n")  # every line moves down two
    export_of(root).write_text(json.dumps({"diagnostics": {"src/app.ts": [{**same, "line": 4}, {**same, "line": 6}]}}))
    git(root, "commit", "-q", "-am", "lines moved")
    moved = cli.json("insight", "upload", "-w", str(root), "--project", "hashes")
    [run] = [u for u in moved["uploaded"] if u["type"] == "analysis-results"]
    assert run["gate"]["counts"]["new"] == 0 and run["gate"]["counts"]["fixed"] == 0, run["gate"]
    source.write_text("\n".join(["// header", "// more", body[0], body[1], body[2], "let unusedToo = 3;"]) + "\n")
    export_of(root).write_text(json.dumps({"diagnostics": {"src/app.ts": [{**same, "line": 4}, {**same, "line": 6}]}}))
    git(root, "commit", "-q", "-am", "the second flagged line is another line now")
    changed = cli.json("insight", "upload", "-w", str(root), "--project", "hashes")
    [run] = [u for u in changed["uploaded"] if u["type"] == "analysis-results"]
    assert run["gate"]["counts"]["new"] == 1 and run["gate"]["counts"]["fixed"] == 1, run["gate"]  # two stay two
