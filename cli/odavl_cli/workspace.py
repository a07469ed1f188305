"""Which ``.odavl/`` files each product uploads, with the type and metadata the server expects.

Layout (DESIGN.md "The CLI's files"):
  .odavl/problems-panel-export.json            insight analysis-results (main)
  .odavl/error-signatures.json                 insight (auxiliary)
  .odavl/detectors/<name>.json                 insight detector-<name> (auxiliary)
  .odavl/ledger/run-<runId>.json               autopilot ledger (main)
  .odavl/undo/<snapshotId>.json, latest.json   autopilot snapshot (auxiliary)
  .odavl/recipes-trust.json                    autopilot recipe-trust (auxiliary)
  .odavl/history.json                          autopilot run-history (auxiliary)
  .odavl/guardian/test-<testRunId>.json        guardian test-results (main)
  .odavl/guardian/screenshots/<testRunId>/     guardian screenshot (*.png, *.jpg; auxiliary, binary)
  .odavl/guardian/lighthouse-<id>.json, accessibility-<id>.json   guardian reports (auxiliary)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRODUCTS = ("insight", "autopilot", "guardian")
ERROR_SIGNATURES_TYPE = "detector-error-signatures"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class WorkspaceError(Exception):
    """The workspace has nothing to upload for this product (or a file is not what it should be)."""


@dataclass
class WorkItem:
    """One file to upload."""

    product: str
    type: str
    path: Path
    metadata: dict[str, Any] = field(default_factory=dict)
    auxiliary: bool = False
    binary: bool = False
    content_type: str = "application/json"

    @property
    def label(self) -> str:
        return f"{self.product} {self.type} {self.path.name}"


def find_workspace(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding ``.odavl/`` (``start`` itself if none does)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".odavl").is_dir():
            return candidate
    return here


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{path}: not readable JSON ({exc})") from None


def _newest(paths: list[Path]) -> Path | None:
    return max(paths, key=lambda p: (p.stat().st_mtime, p.name)) if paths else None


def _id_from(path: Path, prefix: str) -> str:
    return path.stem[len(prefix):] if path.stem.startswith(prefix) else path.stem


def _count_diagnostics(data: Any) -> int:
    diags = data.get("diagnostics") if isinstance(data, dict) else None
    if isinstance(diags, dict):
        return sum(len(v) for v in diags.values() if isinstance(v, list))
    if isinstance(diags, list):
        return len(diags)
    return 0


def insight_items(root: Path) -> list[WorkItem]:
    odavl = root / ".odavl"
    items: list[WorkItem] = []
    main = odavl / "problems-panel-export.json"
    if main.is_file():
        data = _read_json(main)
        items.append(WorkItem("insight", "analysis-results", main, {
            "projectName": root.name, "workspace": str(root), "diagnosticsCount": _count_diagnostics(data),
            **({"timestamp": data["timestamp"]} if isinstance(data, dict) and "timestamp" in data else {}),
        }))
    sigs = odavl / "error-signatures.json"
    if sigs.is_file():
        items.append(WorkItem("insight", ERROR_SIGNATURES_TYPE, sigs, {"detector": "error-signatures"}, auxiliary=True))
    detectors = odavl / "detectors"
    if detectors.is_dir():
        for path in sorted(detectors.glob("*.json")):
            data = _read_json(path)
            issues = data.get("issues") if isinstance(data, dict) else data
            items.append(WorkItem("insight", f"detector-{path.stem}", path, {
                "detector": path.stem, "issuesCount": len(issues) if isinstance(issues, list) else 0}, auxiliary=True))
    ml = odavl / "ml-training.json"
    if ml.is_file():
        items.append(WorkItem("insight", "ml-training", ml, {}, auxiliary=True))
    return items


def autopilot_items(root: Path, run_id: str | None) -> list[WorkItem]:
    odavl = root / ".odavl"
    items: list[WorkItem] = []
    ledgers = sorted((odavl / "ledger").glob("run-*.json")) if (odavl / "ledger").is_dir() else []
    if run_id:
        ledgers = [p for p in ledgers if _id_from(p, "run-") == run_id]
        if not ledgers:
            raise WorkspaceError(f"No ledger .odavl/ledger/run-{run_id}.json in {root}.")
    ledger = _newest(ledgers)
    if ledger is not None:
        data = _read_json(ledger)
        d = data if isinstance(data, dict) else {}
        edits = d.get("edits")
        items.append(WorkItem("autopilot", "ledger", ledger, {
            "runId": d.get("runId") or _id_from(ledger, "run-"), "editsCount": len(edits) if isinstance(edits, list) else 0,
            **({"phase": d["phase"]} if "phase" in d else {}),
            **({"timestamp": d.get("startedAt") or d.get("timestamp")} if (d.get("startedAt") or d.get("timestamp")) else {}),
        }))
    undo = odavl / "undo"
    if undo.is_dir():
        seen: set[str] = set()
        # latest.json last: it is usually a copy of a named snapshot, sent once only.
        for path in sorted(undo.glob("*.json"), key=lambda p: (p.name == "latest.json", p.name)):
            data = _read_json(path)
            d = data if isinstance(data, dict) else {}
            files = d.get("files")
            snapshot_id = str(d.get("snapshotId") or d.get("id") or path.stem)
            if snapshot_id in seen:
                continue
            seen.add(snapshot_id)
            items.append(WorkItem("autopilot", "snapshot", path, {
                "snapshotId": snapshot_id, "filesCount": len(files) if isinstance(files, (list, dict)) else 0}, auxiliary=True))
    for name, kind in (("recipes-trust.json", "recipe-trust"), ("history.json", "run-history")):
        path = odavl / name
        if path.is_file():
            items.append(WorkItem("autopilot", kind, path, {}, auxiliary=True))
    return items


def guardian_items(root: Path, test_run_id: str | None) -> list[WorkItem]:
    gdir = root / ".odavl" / "guardian"
    if not gdir.is_dir():
        return []
    items: list[WorkItem] = []
    tests = sorted(gdir.glob("test-*.json"))
    if test_run_id:
        tests = [p for p in tests if _id_from(p, "test-") == test_run_id]
        if not tests:
            raise WorkspaceError(f"No test results .odavl/guardian/test-{test_run_id}.json in {root}.")
    test = _newest(tests)
    if test is None:
        return items
    trid = _id_from(test, "test-")
    data = _read_json(test)
    d = data if isinstance(data, dict) else {}
    trid = str(d.get("testRunId") or trid)
    summary = d.get("summary") if isinstance(d.get("summary"), dict) else {}
    tests_list = d.get("tests")
    items.append(WorkItem("guardian", "test-results", test, {
        "testRunId": trid, "url": d.get("url"), "environment": d.get("environment"),
        "testsCount": len(tests_list) if isinstance(tests_list, list) else summary.get("total", 0),
        "passed": summary.get("passed", 0), "failed": summary.get("failed", 0),
    }))
    file_id = _id_from(test, "test-")
    for prefix, kind in (("lighthouse-", "lighthouse-report"), ("accessibility-", "accessibility-report")):
        path = gdir / f"{prefix}{file_id}.json"
        if path.is_file():
            items.append(WorkItem("guardian", kind, path, {"testRunId": trid}, auxiliary=True))
    shots = gdir / "screenshots" / file_id
    if shots.is_dir():
        for path in sorted(shots.iterdir()):
            ctype = IMAGE_TYPES.get(path.suffix.lower())
            if ctype and path.is_file():
                items.append(WorkItem("guardian", "screenshot", path, {"testRunId": trid, "fileName": path.name},
                                      auxiliary=True, binary=True, content_type=ctype))
    return items


def discover(root: Path, product: str, *, run_id: str | None = None, test_run_id: str | None = None) -> list[WorkItem]:
    """Every file ``product`` uploads from the workspace ``root``, main result first."""
    if product == "insight":
        items = insight_items(root)
    elif product == "autopilot":
        items = autopilot_items(root, run_id)
    elif product == "guardian":
        items = guardian_items(root, test_run_id)
    else:
        raise WorkspaceError(f"Unknown product {product!r}; use one of {', '.join(PRODUCTS)}.")
    if not items:
        raise WorkspaceError(f"Nothing to upload for {product} in {root / '.odavl'}.")
    return items


# Where each upload type lives in a workspace, as `odavl sync pull` writes it back: a path under
# .odavl/ made from the run (its client id, or the test run it belongs to). The same layout
# ``discover`` reads (DESIGN.md "The CLI's files").
PULL_LAYOUT: dict[tuple[str, str], Any] = {
    ("insight", "analysis-results"): lambda run: "problems-panel-export.json",
    ("insight", "detector-error-signatures"): lambda run: "error-signatures.json",
    ("autopilot", "ledger"): lambda run: f"ledger/run-{run['externalId']}.json" if run.get("externalId") else None,
    ("autopilot", "snapshot"): lambda run: f"undo/{run['externalId']}.json" if run.get("externalId") else None,
    ("autopilot", "recipe-trust"): lambda run: "recipes-trust.json",
    ("autopilot", "run-history"): lambda run: "history.json",
    ("guardian", "test-results"): lambda run: f"guardian/test-{run['externalId']}.json" if run.get("externalId") else None,
}
# Guardian reports and screenshots come with their test run: .odavl/guardian/<kind>-<testRunId>.json
# and .odavl/guardian/screenshots/<testRunId>/<file name>.
REPORT_FILES = {"lighthouse-report": "lighthouse", "accessibility-report": "accessibility"}


def pull_path(product: str, upload_type: str, run: dict[str, Any]) -> str | None:
    """The .odavl/-relative path of a run's file, or None for a type the workspace has no place for."""
    where = PULL_LAYOUT.get((product, upload_type))
    return where(run) if where else None
