"""GET/DELETE /v1/runs: filters, cursor pages, stats, paged items, cascade delete, isolation."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import clock
from tests.api.uploads_inline.helpers import fixture, payload_objects, run_items, state, stats_items, upload_ok
from tests.conftest import Org, assert_error_shape, body


def _ledger(run_id: str, phase: str = "completed", success: bool | None = None) -> dict:
    data = copy.deepcopy(fixture("autopilot", "ledger"))
    data.update(runId=run_id, phase=phase)
    data.pop("success")
    if success is not None:
        data["success"] = success
    return data


def _tests(test_run_id: str, env: str, failed: bool, score: float, vulns: int) -> dict:
    return {"testRunId": test_run_id, "url": "https://x.example", "environment": env, "tests": [
        {"name": "a", "status": "failed" if failed else "passed", "accessibility": {"score": score},
         "security": {"vulnerabilities": vulns}},
        {"name": "b", "status": "passed"}]}


def get(client, org: Org, path: str):
    return client.http.get(path, headers=org.headers)


def test_list_newest_first_with_cursor_pages(client, org: Org):
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    ids = []
    for i in range(7):
        with clock.frozen(start + timedelta(minutes=i)):
            ids.append(upload_ok(client, org, "autopilot", "ledger", _ledger(f"r{i}"))["runId"])
    seen, cursor = [], None
    for _ in range(4):
        path = "/v1/runs/autopilot?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = body(get(client, org, path))
        seen += [r["runId"] for r in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert page["stats"]["total"] == 7


def test_default_and_max_page_size(client, org: Org):
    for i in range(22):
        upload_ok(client, org, "insight", "ml-training", {"samples": [i]})
    page = body(get(client, org, "/v1/runs/insight"))
    assert len(page["items"]) == 20 and page["nextCursor"]
    assert_error_shape(get(client, org, "/v1/runs/insight?limit=101"), 400, "validation_failed")


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", "eyJwayI6IDF9"])
def test_bad_cursor_is_400(client, org: Org, cursor):
    assert_error_shape(get(client, org, f"/v1/runs/insight?cursor={cursor}"), 400, "invalid_cursor")


def test_cursor_of_another_org_is_400(client, org: Org, other_org: Org):
    for i in range(3):
        upload_ok(client, other_org, "insight", "ml-training", {"samples": [i]})
    cursor = body(get(client, other_org, "/v1/runs/insight?limit=1"))["nextCursor"]
    assert cursor
    assert_error_shape(get(client, org, f"/v1/runs/insight?cursor={cursor}"), 400, "invalid_cursor")


def test_filters_and_autopilot_stats(client, org: Org):
    upload_ok(client, org, "autopilot", "ledger", _ledger("a"), project_id="p1")
    upload_ok(client, org, "autopilot", "ledger", _ledger("b", "verify", success=False), project_id="p1")
    upload_ok(client, org, "autopilot", "ledger", _ledger("c"), project_id="p2")
    upload_ok(client, org, "autopilot", "recipe-trust", fixture("autopilot", "recipe-trust"), project_id="p1")
    everything = body(get(client, org, "/v1/runs/autopilot"))
    assert len(everything["items"]) == 4
    assert everything["stats"] == {"runs": 4, "complete": True, "total": 3, "succeeded": 2, "failed": 1,
                                   "successRate": 66.7}
    p1 = body(get(client, org, "/v1/runs/autopilot?projectId=p1"))
    assert {r["projectId"] for r in p1["items"]} == {"p1"} and len(p1["items"]) == 3
    assert p1["stats"]["successRate"] == 50.0
    failed = body(get(client, org, "/v1/runs/autopilot?status=failed"))
    assert [r["externalId"] for r in failed["items"]] == ["b"]
    trust = body(get(client, org, "/v1/runs/autopilot?type=recipe-trust&projectId=p1"))
    assert [r["type"] for r in trust["items"]] == ["recipe-trust"]


def test_project_filter_pages_with_cursor(client, org: Org):
    for i in range(5):
        upload_ok(client, org, "insight", "ml-training", {"samples": [i]}, project_id="p1" if i % 2 else "p2")
    first = body(get(client, org, "/v1/runs/insight?projectId=p2&limit=2"))
    second = body(get(client, org, f"/v1/runs/insight?projectId=p2&limit=2&cursor={first['nextCursor']}"))
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["nextCursor"] is None
    assert_error_shape(get(client, org, f"/v1/runs/insight?projectId=p1&cursor={first['nextCursor']}"), 400, "invalid_cursor")


def test_guardian_filters_and_stats(client, org: Org):
    upload_ok(client, org, "guardian", "test-results", _tests("t1", "staging", False, 90, 0))
    upload_ok(client, org, "guardian", "test-results", _tests("t2", "production", True, 70, 3))
    upload_ok(client, org, "guardian", "test-results", _tests("t3", "production", False, 80, 1))
    stats = body(get(client, org, "/v1/runs/guardian"))["stats"]
    assert stats["total"] == 3 and stats["passed"] == 2 and stats["passRate"] == 66.7
    assert stats["avgAccessibilityScore"] == 80.0 and stats["totalVulnerabilities"] == 4
    prod = body(get(client, org, "/v1/runs/guardian?environment=production&passed=true"))
    assert [r["externalId"] for r in prod["items"]] == ["t3"]
    assert prod["stats"]["passRate"] == 100.0


def test_insight_totals_by_severity_and_time_range(client, org: Org):
    day = datetime(2026, 11, 10, tzinfo=timezone.utc)
    with clock.frozen(day):
        upload_ok(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"))
    with clock.frozen(day + timedelta(days=2)):
        upload_ok(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"))
    stats = body(get(client, org, "/v1/runs/insight"))["stats"]
    assert stats["totalIssues"] == 14 and stats["bySeverity"] == {"error": 6, "warning": 4, "info": 2, "hint": 2}
    ranged = body(get(client, org, "/v1/runs/insight?from=2026-11-11T00:00:00Z&to=2026-11-13T00:00:00Z"))
    assert len(ranged["items"]) == 1 and ranged["stats"]["totalIssues"] == 7


def test_detail_pages_issues(client, org: Org):
    diagnostics = {f"f{i}.ts": [{"severity": "warning", "message": f"m{i}-{j}", "line": j} for j in range(3)]
                   for i in range(40)}
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": diagnostics})["runId"]
    first = body(get(client, org, f"/v1/runs/insight/{run_id}"))
    assert first["itemKind"] == "issues" and first["total"] == 120 and len(first["items"]) == 50
    assert first["run"]["summary"]["diagnosticsCount"] == 120 and first["attachments"] == []
    third = body(get(client, org, f"/v1/runs/insight/{run_id}?page=3"))
    assert len(third["items"]) == 20 and third["nextCursor"] is None
    following = body(get(client, org, f"/v1/runs/insight/{run_id}?cursor={first['nextCursor']}&pageSize=200"))
    assert len(following["items"]) == 70
    assert [i["message"] for i in first["items"] + following["items"]] == [
        f"m{i}-{j}" for i in range(40) for j in range(3)]
    assert_error_shape(get(client, org, f"/v1/runs/insight/{run_id}?pageSize=201"), 400, "validation_failed")


def test_detail_of_tests_and_edits(client, org: Org):
    tid = upload_ok(client, org, "guardian", "test-results", fixture("guardian", "test-results"))["testId"]
    detail = body(get(client, org, f"/v1/runs/guardian/{tid}"))
    assert detail["itemKind"] == "tests" and detail["total"] == 5
    rid = upload_ok(client, org, "autopilot", "ledger", fixture("autopilot", "ledger"))["runId"]
    assert body(get(client, org, f"/v1/runs/autopilot/{rid}"))["itemKind"] == "edits"


def test_delete_removes_item_object_and_idempotency(client, org: Org):
    rid = upload_ok(client, org, "autopilot", "ledger", fixture("autopilot", "ledger"), key="k-1")["runId"]
    assert payload_objects()
    response = client.http.delete(f"/v1/runs/autopilot/{rid}", headers=org.headers)
    assert response.status_code == 200, response.body
    assert body(response)["bytesFreed"] > 0
    assert run_items() == [] and payload_objects() == [] and stats_items() == []
    usage = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-usage")
    gauge = usage.get_item(Key={"pk": "ORG#acme", "sk": "GAUGE#storage_bytes"})["Item"]
    assert int(gauge["used"]) == 0
    idem = boto3.client("dynamodb", region_name="us-east-1").scan(TableName="odavl-test-idempotency")["Items"]
    assert idem == []
    assert_error_shape(get(client, org, f"/v1/runs/autopilot/{rid}"), 404, "not_found")
    assert_error_shape(client.http.delete(f"/v1/runs/autopilot/{rid}", headers=org.headers), 404, "not_found")
    again = upload_ok(client, org, "autopilot", "ledger", fixture("autopilot", "ledger"), key="k-1")
    assert again["runId"] != rid


def test_delete_needs_runs_delete_scope(client, org: Org):
    rid = upload_ok(client, org, "insight", "ml-training", {"samples": []})["runId"]
    created = body(client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "r", "scopes": ["runs:read"]})))
    reader = Org("acme", created["key"])
    assert_error_shape(client.http.delete(f"/v1/runs/insight/{rid}", headers=reader.headers), 403, "missing_scope")
    assert get(client, reader, f"/v1/runs/insight/{rid}").status_code == 200


def test_other_orgs_run_is_404_on_every_route(client, org: Org, other_org: Org):
    rid = upload_ok(client, other_org, "guardian", "test-results", fixture("guardian", "test-results"))["runId"]
    before = state()
    assert_error_shape(get(client, org, f"/v1/runs/guardian/{rid}"), 404, "not_found")
    assert_error_shape(client.http.delete(f"/v1/runs/guardian/{rid}", headers=org.headers), 404, "not_found")
    assert body(get(client, org, "/v1/runs/guardian"))["items"] == []
    assert state() == before
    assert get(client, other_org, f"/v1/runs/guardian/{rid}").status_code == 200


def test_unknown_product(client, org: Org):
    assert_error_shape(get(client, org, "/v1/runs/nope"), 400, "unknown_product")
    assert_error_shape(get(client, org, "/v1/runs/nope/abc"), 404, "not_found")


def test_inverted_time_range_and_naive_times(client, org: Org):
    assert_error_shape(get(client, org, "/v1/runs/insight?from=2026-11-12T00:00:00Z&to=2026-11-11T00:00:00Z"),
                       400, "validation_failed")
    assert get(client, org, "/v1/runs/insight?from=2026-11-10T00:00:00&to=2026-11-11").status_code == 200
    assert get(client, org, "/v1/runs/insight?from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00").status_code == 200
    assert_error_shape(get(client, org, "/v1/runs/insight?from=yesterday"), 400, "validation_failed")


def test_forged_project_cursor_is_400(client, org: Org):
    import base64 as b64

    key = {"pk": "RUNS#acme#insight", "sk": "RUN#1", "gsi1pk": "RUNS#acme#insight#P#p1", "gsi1sk": "RUN#2"}
    cursor = b64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    assert_error_shape(get(client, org, f"/v1/runs/insight?projectId=p1&cursor={cursor}"), 400, "invalid_cursor")


def test_list_expired_yields_old_runs_oldest_first(client, org: Org):
    from chalicelib.services import runs

    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    made = []
    for i in range(4):
        with clock.frozen(start + timedelta(days=10 * i)):
            made.append(upload_ok(client, org, "insight", "ml-training", {"samples": [i]})["runId"])
    assert list(runs.list_expired("acme", "insight", start + timedelta(days=15))) == made[:2]
    assert list(runs.list_expired("acme", "insight", start + timedelta(days=100), limit=3)) == made[:3]
    assert list(runs.list_expired("globex", "insight", start + timedelta(days=100))) == []
    assert runs.delete_run("acme", "insight", made[0]) > 0
    assert list(runs.list_expired("acme", "insight", start + timedelta(days=15))) == made[1:2]
