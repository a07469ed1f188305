"""List stats come from aggregates kept with the runs: exact for every documented filter and range,
whatever the number of runs, and a list page's reads are bounded (a sparse filter goes on by cursor)."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.client
import pytest

from chalicelib import clock
from tests.api.runs.test_runs import _tests
from tests.api.uploads_inline.helpers import stats_items, upload_ok
from tests.conftest import Org, body

START = datetime(2026, 11, 3, 21, 30, tzinfo=timezone.utc)


def _upload_many(client: Any, org: Org) -> list[dict[str, Any]]:
    """Guardian test runs over two projects, two environments and two branches, spread over hours and days."""
    sent = []
    for i in range(24):
        env, failed = ("production", "staging")[i % 2], i % 3 == 0
        with clock.frozen(START + timedelta(hours=3 * i)):
            reply = upload_ok(client, org, "guardian", "test-results",
                              _tests(f"tr-{i}", env, failed, 50 + i, i % 4), project_id=("web", "api")[i % 5 == 0],
                              build={"commit": f"{i:07x}", "branch": ("main", "feature")[i % 4 == 0]})
        sent.append({"runId": reply["runId"], "at": START + timedelta(hours=3 * i), "env": env, "failed": failed,
                     "score": 50 + i, "vulns": i % 4, "project": ("web", "api")[i % 5 == 0],
                     "branch": ("main", "feature")[i % 4 == 0]})
    return sent


def _expected(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The stats of ``runs`` worked out from what was sent (not from the service's counters)."""
    passed = sum(1 for r in runs if not r["failed"])
    scores = [r["score"] for r in runs]
    return {"runs": len(runs), "total": len(runs), "passed": passed, "failed": len(runs) - passed,
            "passRate": round(100 * passed / len(runs), 1) if runs else None,
            "avgAccessibilityScore": round(sum(scores) / len(scores), 1) if scores else None,
            "totalVulnerabilities": sum(r["vulns"] for r in runs)}


def _stats(client: Any, org: Org, query: str) -> dict[str, Any]:
    found = body(client.http.get(f"/v1/runs/guardian?{query}", headers=org.headers))["stats"]
    return {k: found[k] for k in ("runs", "total", "passed", "failed", "passRate", "avgAccessibilityScore",
                                  "totalVulnerabilities")}


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_stats_are_exact_for_every_filter_and_follow_a_delete(client: Any, org: Org) -> None:
    sent = _upload_many(client, org)
    choices = {"projectId": [None, "web", "api"], "environment": [None, "production", "staging"],
               "passed": [None, "true", "false"], "branch": [None, "main", "feature"]}
    for combo in itertools.product(*choices.values()):
        wanted = dict(zip(choices, combo))
        query = "&".join(f"{k}={v}" for k, v in wanted.items() if v is not None)
        runs = [r for r in sent if (wanted["projectId"] in (None, r["project"]))
                and (wanted["environment"] in (None, r["env"]))
                and (wanted["passed"] is None or (wanted["passed"] == "true") == (not r["failed"]))
                and (wanted["branch"] in (None, r["branch"]))]
        assert _stats(client, org, query) == _expected(runs), query
    gone = sent.pop(4)
    assert client.http.delete(f"/v1/runs/guardian/{gone['runId']}", headers=org.headers).status_code == 200
    assert _stats(client, org, "") == _expected(sent)
    assert _stats(client, org, f"projectId={gone['project']}") == _expected([r for r in sent if r["project"] == gone["project"]])
    for r in sent:
        assert client.http.delete(f"/v1/runs/guardian/{r['runId']}", headers=org.headers).status_code == 200
    assert _stats(client, org, "") == _expected([]) and stats_items() == []


def test_a_range_is_counted_to_the_hour_and_says_so(client: Any, org: Org) -> None:
    sent = _upload_many(client, org)
    since, until = START + timedelta(hours=7), START + timedelta(days=2, hours=1, minutes=10)
    reply = body(client.http.get(f"/v1/runs/guardian?from={_iso(since)}&to={_iso(until)}", headers=org.headers))
    hour_from = since.replace(minute=0)
    hour_to = until.replace(minute=0) + timedelta(hours=1)
    assert reply["stats"]["countedFrom"] == _iso(hour_from) and reply["stats"]["countedTo"] == _iso(hour_to)
    counted = [r for r in sent if hour_from <= r["at"] < hour_to]
    assert {k: reply["stats"][k] for k in _expected([])} == _expected(counted)
    # within one day only (hours), and a whole-day span (days)
    for since, until in ((START + timedelta(hours=1), START + timedelta(hours=2, minutes=59)),
                         (datetime(2026, 11, 4, tzinfo=timezone.utc), datetime(2026, 11, 5, 23, 59, tzinfo=timezone.utc))):
        query = f"from={_iso(since)}&to={_iso(until)}"
        inside = [r for r in sent if since.replace(minute=0) <= r["at"] < until.replace(minute=0) + timedelta(hours=1)]
        assert _stats(client, org, query) == _expected(inside), query


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1


@pytest.fixture()
def dynamo_calls(monkeypatch: pytest.MonkeyPatch):
    """Counts DynamoDB requests made by clients created from now on."""
    counter = _Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            counter.calls += 1
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return counter


def test_a_list_costs_the_same_requests_at_any_number_of_runs_and_a_sparse_filter_goes_on(
        client: Any, org: Org, dynamo_calls: _Counter) -> None:
    from chalicelib.services.runs import LIST_READ_BUDGET

    plain, sparse, made = [], [], 0
    for total in (5, 250):
        while made < total:
            with clock.frozen(START + timedelta(minutes=made)):
                upload_ok(client, org, "guardian", "test-results", _tests(f"s-{made}", "staging", made != 0, 70, 0),
                          project_id="web")
            made += 1
        before = dynamo_calls.calls
        page = body(client.http.get("/v1/runs/guardian?limit=5", headers=org.headers))
        plain.append(dynamo_calls.calls - before)
        assert len(page["items"]) == 5 and page["stats"]["runs"] == total
        before = dynamo_calls.calls
        page = body(client.http.get("/v1/runs/guardian?limit=5&passed=true", headers=org.headers))
        sparse.append(dynamo_calls.calls - before)
        assert page["stats"]["runs"] == 1
    assert plain[0] == plain[1], plain
    assert sparse[1] <= plain[1] + LIST_READ_BUDGET - 1, (plain, sparse)
    # the one passing run is the oldest: past the first page's read budget, reached by following cursors
    found, cursor, pages = [], None, 0
    while True:
        query = "limit=5&passed=true" + (f"&cursor={cursor}" if cursor else "")
        page = body(client.http.get(f"/v1/runs/guardian?{query}", headers=org.headers))
        found += page["items"]
        pages += 1
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert len(found) == 1
    assert pages == 1 + 250 // (LIST_READ_BUDGET * 100)


def test_runs_stored_before_the_aggregates_are_counted_once_by_the_operator_command(client: Any, org: Org) -> None:
    import boto3

    from chalicelib.services import run_stats

    sent = []
    for i in range(6):
        with clock.frozen(START + timedelta(hours=5 * i)):
            reply = upload_ok(client, org, "guardian", "test-results", _tests(f"old-{i}", "production", i == 2, 60, 1),
                              project_id="web")
        sent.append({"runId": reply["runId"], "at": START + timedelta(hours=5 * i), "failed": i == 2, "score": 60,
                     "vulns": 1})
    runs = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-runs")
    for item in runs.scan()["Items"]:  # as stored before the aggregates: no counters, no mark
        if str(item["pk"]).startswith("STATS#"):
            runs.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
        elif item.get("statsCounted"):
            runs.update_item(Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="REMOVE statsCounted")
    assert _stats(client, org, "")["runs"] == 0
    assert run_stats.count_uncounted(limit=4) == {"counted": 4}
    assert run_stats.count_uncounted() == {"counted": 2}
    assert run_stats.count_uncounted() == {"counted": 0}
    assert _stats(client, org, "") == _expected(sent)
    assert _stats(client, org, "projectId=web&environment=production") == _expected(sent)
