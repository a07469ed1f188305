"""Stats of run lists that never scan the runs.

Each run adds its counters (runs, issues by severity, ledgers by outcome, tests passed, the
accessibility score, vulnerabilities) to aggregates kept in the same transaction as the run item,
and its delete (by a user or the retention job) takes them away in the same transaction as the
item's delete. The aggregates are per project and for every project together, and per UTC hour,
UTC day and all time; inside a bucket the counters are split by facet, the combination of the
documented filters a run has (type, status, environment, passed, branch). A list's stats are then
a sum over a few bucket items whatever the number of runs: all time is one read; a range is its
whole days plus the whole hours at its two ends (a range is counted to the hour: the reply says
which span was counted). A commit's stats come from the commit's own index (a commit has a
handful of runs)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.store import run_stats as store
from chalicelib.store import transact
from chalicelib.store import runs as run_store
from chalicelib.store import projects as project_store
from chalicelib.values import to_plain

ALL_PROJECTS = "*"
FACETS = ("type", "status", "environment", "passed", "branch")


def facet_of(item: dict[str, Any]) -> dict[str, Any]:
    """The run's values of the documented list filters (the facet its counters go to)."""
    build = item.get("build") or {}
    return {"type": item.get("type"), "status": item.get("status"), "environment": item.get("environment"),
            "passed": item.get("passed"), "branch": build.get("branch")}


def counters_of(item: dict[str, Any]) -> dict[str, int | float]:
    """What one run adds to its facet's counters (zeros left out)."""
    summary = to_plain(item.get("summary") or {})
    out: dict[str, int | float] = {"runs": 1}
    issues = int(summary.get("diagnosticsCount") or summary.get("issuesCount") or 0)
    out["issues"] = issues
    for severity, n in (summary.get("bySeverity") or {}).items():
        out[f"sev:{severity}"] = int(n)
    if item.get("type") == "ledger":
        out["ledgers"] = 1
        out["succeeded"] = int(item.get("status") == "succeeded")
        out["failed"] = int(item.get("status") == "failed")
    if item.get("type") == "test-results":
        out["tests"] = 1
        out["testsPassed"] = int(item.get("passed") is True)
    score = summary.get("accessibilityScore")
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        out["scoreSum"], out["scores"] = float(score), 1
    out["vulnerabilities"] = int(summary.get("vulnerabilities") or 0)
    return {k: v for k, v in out.items() if v}


def _buckets_of(created_at: str) -> list[str]:
    at = datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(timezone.utc)
    return [store.TOTAL, f"DAY#{at:%Y-%m-%d}", f"HOUR#{at:%Y-%m-%dT%H}"]


def entries(item: dict[str, Any], sign: int = 1) -> list[dict[str, Any]]:
    """Transaction entries adding (``sign=1``, with the run's put) or taking away (``-1``, with its
    delete) the run's counters in every bucket and scope it belongs to."""
    facet = facet_of(item)
    facet_json = json.dumps(facet, sort_keys=True, separators=(",", ":"))
    facet_hash = hashlib.sha256(facet_json.encode()).hexdigest()[:16]
    counters = {k: sign * v for k, v in counters_of(item).items()}
    scopes = [ALL_PROJECTS] + ([str(item["projectId"])] if item.get("projectId") else [])
    return [store.bucket_entry(str(item["orgId"]), str(item["product"]), scope, bucket, facet_hash, facet_json,
                               counters)
            for scope in scopes for bucket in _buckets_of(str(item["createdAt"]))]


def _hour(at: datetime) -> datetime:
    return at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _span_buckets(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """Sort-key ranges covering [since, until] to the hour: whole days inside, whole hours at the ends."""
    start, end = _hour(since), _hour(until)
    if start > end:
        return []
    first_day = start if start.hour == 0 else (start + timedelta(days=1)).replace(hour=0)
    last_day = (end + timedelta(hours=1)).replace(hour=0) - timedelta(days=1) if end.hour != 23 else end.replace(hour=0)
    if first_day > last_day:  # no whole day inside: hours only
        return [(f"HOUR#{start:%Y-%m-%dT%H}", f"HOUR#{end:%Y-%m-%dT%H}")]
    ranges = [(f"DAY#{first_day:%Y-%m-%d}", f"DAY#{last_day:%Y-%m-%d}")]
    if start < first_day:
        ranges.append((f"HOUR#{start:%Y-%m-%dT%H}", f"HOUR#{first_day - timedelta(hours=1):%Y-%m-%dT%H}"))
    if end >= last_day + timedelta(days=1):
        ranges.append((f"HOUR#{last_day + timedelta(days=1):%Y-%m-%dT%H}", f"HOUR#{end:%Y-%m-%dT%H}"))
    return ranges


def _matches(facet: dict[str, Any], filters: dict[str, Any]) -> bool:
    return all(facet.get(name) == value for name, value in filters.items())


def _add(totals: dict[str, float], bucket: dict[str, Any], filters: dict[str, Any]) -> None:
    facets = {name[2:]: json.loads(value) for name, value in bucket.items() if name.startswith("f.")}
    for name, value in bucket.items():
        if not name.startswith("c."):
            continue
        facet_hash, _, counter = name[2:].partition(".")
        if facet_hash in facets and _matches(facets[facet_hash], filters):
            totals[counter] = totals.get(counter, 0) + float(value)


def read(org_id: str, product: str, *, project_id: str | None, filters: dict[str, Any],
         since: datetime | None, until: datetime | None, commit: str | None = None) -> dict[str, Any]:
    """The stats of every run matching ``filters`` (facet values), in a project or all, in a span."""
    scope = project_id or ALL_PROJECTS
    totals: dict[str, float] = {}
    counted: dict[str, Any] = {}
    if commit:
        for item in _commit_runs(org_id, product, project_id, commit):
            if _matches(facet_of(item), filters) and _in_span(item, since, until):
                for counter, value in counters_of(item).items():
                    totals[counter] = totals.get(counter, 0) + value
        counted = {"commit": commit}
    elif since is None and until is None:
        bucket = store.get_bucket(org_id, product, scope, store.TOTAL)
        if bucket:
            _add(totals, bucket, filters)
    else:
        lower = since or datetime(1970, 1, 1, tzinfo=timezone.utc)
        upper = until or datetime.now(timezone.utc)
        for sk_from, sk_to in _span_buckets(lower, upper):
            for bucket in store.buckets(org_id, product, scope, sk_from, sk_to):
                _add(totals, bucket, filters)
        counted = {"countedFrom": _hour(lower).isoformat().replace("+00:00", "Z"),
                   "countedTo": (_hour(upper) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")}
    return {**shape(product, totals), **counted}


def _in_span(item: dict[str, Any], since: datetime | None, until: datetime | None) -> bool:
    at = datetime.fromisoformat(str(item["createdAt"]).replace("Z", "+00:00"))
    return (since is None or at >= since) and (until is None or at <= until)


def _commit_runs(org_id: str, product: str, project_id: str | None, commit: str) -> list[dict[str, Any]]:
    refs = [r for r in project_store.runs_of_commit(org_id, project_id or "default", commit)
            if r.get("product") == product]
    return [item for item in (run_store.get(org_id, product, str(r["runId"])) for r in refs) if item]


def count_uncounted(limit: int = 1000) -> dict[str, int]:
    """Operator migration: add runs stored before the aggregates existed to them, each once (the run
    is marked counted in the same transaction, so a second pass, or a race, counts nothing twice)."""
    counted = 0
    for item in store.uncounted_runs(limit):
        try:
            transact.write([store.counted_entry(run_store.run_key(str(item["orgId"]), str(item["product"]),
                                                                  str(item["runId"]))), *entries(item)])
            counted += 1
        except transact.TransactionCancelled:
            continue  # deleted or counted meanwhile
    return {"counted": counted}


def shape(product: str, totals: dict[str, float]) -> dict[str, Any]:
    """The published stats of a product from summed counters."""
    def n(name: str) -> int:
        return int(totals.get(name, 0))

    base: dict[str, Any] = {"runs": n("runs"), "complete": True}
    if product == "insight":
        by_severity = {name[4:]: int(v) for name, v in totals.items() if name.startswith("sev:") and int(v)}
        return {**base, "totalIssues": n("issues"), "bySeverity": by_severity}
    if product == "autopilot":
        ledgers = n("ledgers")
        return {**base, "total": ledgers, "succeeded": n("succeeded"), "failed": n("failed"),
                "successRate": round(100 * n("succeeded") / ledgers, 1) if ledgers else None}
    tests, scores = n("tests"), n("scores")
    return {**base, "total": tests, "passed": n("testsPassed"), "failed": tests - n("testsPassed"),
            "passRate": round(100 * n("testsPassed") / tests, 1) if tests else None,
            "avgAccessibilityScore": round(totals.get("scoreSum", 0) / scores, 1) if scores else None,
            "totalVulnerabilities": n("vulnerabilities")}
