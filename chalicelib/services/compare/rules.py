"""What comparison needs of a run, kept at ingest (so a compare never re-parses payloads), how two
runs of one type compare, and the quality gate over that comparison."""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from chalicelib.services.compare.fingerprints import fingerprints

IMPACTS = ("minor", "moderate", "serious", "critical")
SEVERITIES = ("error", "warning", "info", "hint")


def _insight(summary: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"issues": fingerprints([i for i in items if isinstance(i, dict)])}


def _tests(summary: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    tests: dict[str, str] = {}
    for test in items:
        if isinstance(test, dict) and test.get("name"):
            tests[str(test["name"])[:300]] = str(test.get("status") or test.get("outcome") or "")
    return {"tests": tests}


def _lighthouse(summary: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"scores": dict(summary.get("scores") or {})}


def _accessibility(summary: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"violations": {str(v.get("id") or "?")[:200]: str(v.get("impact") or "unknown")
                           for v in items if isinstance(v, dict)}}


def _ledger(summary: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"editsCount": int(summary.get("editsCount") or 0)}


# upload type -> what comparison keeps of its runs (types without a row are not compared)
COMPARABLE: dict[str, Callable[[dict[str, Any], list[dict[str, Any]]], dict[str, Any]]] = {
    "analysis-results": _insight,
    "test-results": _tests,
    "lighthouse-report": _lighthouse,
    "accessibility-report": _accessibility,
    "ledger": _ledger,
}


def _failing(status: str) -> bool:
    return status.lower() in ("failed", "failure", "error", "broken", "timedout")


def _by_severity(issues: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(issue["severity"] for issue in issues))


def diff(upload_type: str, run: dict[str, Any], base: dict[str, Any], run_status: str = "",
         base_status: str = "") -> dict[str, Any]:
    """The comparison of two runs' kept data: counts and the full new / fixed lists."""
    if upload_type == "analysis-results":
        now = {i["fp"]: i for i in run.get("issues", [])}
        then = {i["fp"]: i for i in base.get("issues", [])}
        new = [now[k] for k in now if k not in then]
        fixed = [then[k] for k in then if k not in now]
        return {"counts": {"new": len(new), "fixed": len(fixed), "newBySeverity": _by_severity(new),
                           "fixedBySeverity": _by_severity(fixed)},
                "new": new, "fixed": fixed}
    if upload_type == "test-results":
        now, then = run.get("tests", {}), base.get("tests", {})
        new = [{"name": n, "status": s, "before": then.get(n)} for n, s in now.items()
               if _failing(s) and not _failing(then.get(n, ""))]
        fixed = [{"name": n, "status": s, "before": then[n]} for n, s in now.items()
                 if n in then and _failing(then[n]) and not _failing(s)]
        return {"counts": {"newlyFailing": len(new), "fixed": len(fixed)}, "new": new, "fixed": fixed}
    if upload_type == "lighthouse-report":
        now, then = run.get("scores", {}), base.get("scores", {})
        deltas = {k: round(float(now[k]) - float(then[k]), 1) for k in now if k in then}
        return {"counts": {"deltas": deltas}, "new": [], "fixed": []}
    if upload_type == "accessibility-report":
        now, then = run.get("violations", {}), base.get("violations", {})
        new = [{"rule": r, "impact": i} for r, i in now.items() if r not in then]
        fixed = [{"rule": r, "impact": i} for r, i in then.items() if r not in now]
        return {"counts": {"new": len(new), "fixed": len(fixed)}, "new": new, "fixed": fixed}
    if upload_type == "ledger":
        return {"counts": {"succeeded": run_status == "succeeded", "baselineSucceeded": base_status == "succeeded",
                           "editsDelta": int(run.get("editsCount", 0)) - int(base.get("editsCount", 0))},
                "new": [], "fixed": []}
    return {"counts": {}, "new": [], "fixed": []}


DEFAULT_GATE: dict[str, Any] = {"maxNew": {"error": 0}, "lighthouseDrop": 5, "violationImpact": "serious",
                                "newlyFailingTests": True}


def gate(upload_type: str, comparison: dict[str, Any] | None, rules: dict[str, Any]) -> dict[str, Any]:
    """passed / failed (with its reasons) / no_baseline, by the project's rules."""
    if comparison is None:
        return {"status": "no_baseline", "reasons": []}
    counts, reasons = comparison["counts"], []
    if upload_type == "analysis-results":
        for severity, most in (rules.get("maxNew") or {}).items():
            found = int(counts.get("newBySeverity", {}).get(severity, 0))
            if most is not None and found > int(most):
                reasons.append(f"{found} new {severity} (at most {most})")
    elif upload_type == "test-results" and rules.get("newlyFailingTests", True) and counts.get("newlyFailing"):
        reasons.append(f"{counts['newlyFailing']} test(s) newly failing")
    elif upload_type == "lighthouse-report" and rules.get("lighthouseDrop") is not None:
        for category, delta in counts.get("deltas", {}).items():
            if delta < -float(rules["lighthouseDrop"]):
                reasons.append(f"Lighthouse {category} down {-delta:g} points (at most {rules['lighthouseDrop']:g})")
    elif upload_type == "accessibility-report" and rules.get("violationImpact"):
        floor = IMPACTS.index(rules["violationImpact"]) if rules["violationImpact"] in IMPACTS else len(IMPACTS)
        serious = [v for v in comparison["new"] if v["impact"] in IMPACTS and IMPACTS.index(v["impact"]) >= floor]
        if serious:
            reasons.append(f"{len(serious)} new violation(s) at or above {rules['violationImpact']}")
    return {"status": "failed" if reasons else "passed", "reasons": reasons}
