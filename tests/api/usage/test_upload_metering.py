"""Usage metering through the upload doors and run deletion (Chalice test client, in-process moto):
retries count once, a FREE organization's 11th Insight analysis is refused with the quota headers,
and the storage gauge follows stored sizes through uploads and (repeated) deletes."""
from __future__ import annotations

import json
import random
from datetime import datetime, timezone

from chalicelib import clock
from chalicelib.services import secrets, usage
from chalicelib.services.usage import periods
from chalicelib.store import runs as run_store
from chalicelib.store import usage as store
from tests.api.uploads_inline.helpers import fixture, upload
from tests.api.usage.test_usage_api import WRITES
from tests.conftest import Org, assert_error_shape, body, make_org

NOV = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
QUOTA_HEADERS = ("Retry-After", "X-Quota-Limit", "X-Quota-Remaining", "X-Quota-Reset", "RateLimit-Policy", "RateLimit")


def analysis(n: int) -> dict:
    """A distinct Insight analysis (different content, so neither key nor content dedupes it)."""
    payload = fixture("insight", "analysis-results")
    return {**payload, "exportedAt": f"2026-11-20T10:{n:02d}:00Z"} if isinstance(payload, dict) else payload


def counters(org_id: str) -> dict[str, int]:
    return store.counters(org_id, "2026-11")


def test_same_upload_retried_five_times_counts_once(client, org):
    with clock.frozen(NOV):
        replies = [upload(client, org, "insight", "analysis-results", analysis(1), key="retry-1") for _ in range(5)]
    assert [r.status_code for r in replies] == [201] * 5, replies[0].body
    assert len({body(r)["runId"] for r in replies}) == 1
    counts = counters("acme")
    assert counts["insight_analyses"] == 1
    assert counts["api_calls"] == 1  # the retries carry the first request's idempotency key
    stored = run_store.get("acme", "insight", body(replies[0])["runId"])["storedBytes"]
    assert usage.storage_used("acme") == int(stored) > 0


def test_free_org_eleventh_analysis_is_429_with_headers_and_warning_100(client, aws):
    free = make_org("tiny", "free")
    with clock.frozen(NOV):
        created = [upload(client, free, "insight", "analysis-results", analysis(i), key=f"k{i}") for i in range(10)]
        assert [r.status_code for r in created] == [201] * 10, created[-1].body
        eleventh = upload(client, free, "insight", "analysis-results", analysis(10), key="k10")
        view = body(client.http.get("/v1/usage", headers=free.headers))
    payload = assert_error_shape(eleventh, 429, "quota_exceeded")
    assert payload["error"]["details"]["metric"] == "insight_analyses"
    for name in QUOTA_HEADERS:
        assert name in eleventh.headers, name
    assert eleventh.headers["X-Quota-Limit"] == "10" and eleventh.headers["X-Quota-Remaining"] == "0"
    assert eleventh.headers["Retry-After"] == str(int((datetime(2026, 12, 1, tzinfo=timezone.utc) - NOV).total_seconds()))
    assert eleventh.headers["RateLimit-Policy"] == "10;w=2592000"
    assert view["metrics"]["insight_analyses"] == {"used": 10, "limit": 10, "remaining": 0, "percent": 100.0, "warning": 100}
    assert counters("tiny")["insight_analyses"] == 10


def test_an_upload_past_the_product_quota_writes_nothing_but_its_metering(client, aws):
    from tests.api.usage.test_usage_api import aws_calls_during

    free = make_org("tiny", "free")
    with clock.frozen(NOV):
        store.consume("tiny", "insight_analyses", 10, 10, "2026-11")
        assert client.http.get("/v1/whoami", headers=free.headers).status_code == 200  # key's last use noted
        calls = aws_calls_during(lambda: assert_error_shape(
            upload(client, free, "insight", "analysis-results", analysis(0), key="k0"), 429, "quota_exceeded"))
    writes = [c for c in calls if c.startswith("s3.") or c.split(".")[-1] in WRITES]
    # the API call's conditional count and, the answer being a 4xx, its give-back; no payload, no run
    assert writes == ["dynamodb.TransactWriteItems", "dynamodb.TransactWriteItems"]
    assert counters("tiny")["insight_analyses"] == 10
    assert counters("tiny").get("api_calls", 0) == 0  # a refused upload counts nothing


def test_storage_gauge_follows_uploads_and_repeated_deletes(client, org):
    rng = random.Random(7)
    runs: list[str] = []
    with clock.frozen(NOV):
        for i in range(8):
            key = f"g{rng.randint(0, 4)}"  # repeated keys: retries that must not add storage twice
            reply = upload(client, org, "insight", "analysis-results", analysis(int(key[1:])), key=key)
            assert reply.status_code == 201, reply.body
            runs.append(body(reply)["runId"])
        for run_id in rng.sample(runs, 4) + runs[:2]:  # includes duplicates: deleting twice subtracts once
            assert client.http.delete(f"/v1/runs/insight/{run_id}", headers=org.headers).status_code in (200, 404)
        listed = body(client.http.get("/v1/runs/insight?limit=100", headers=org.headers))
    remaining = {item["runId"] for item in listed["items"]}
    assert 0 < len(remaining) < len(set(runs))
    stored = sum(int(run_store.get("acme", "insight", run_id)["storedBytes"]) for run_id in remaining)
    assert usage.storage_used("acme") == stored


def test_upload_refused_by_the_product_scope_counts_nothing(client, org):
    made = client.http.post("/v1/api-keys", headers=org.headers,
                            body=json.dumps({"name": "guardian-only", "scopes": ["guardian:write"]}))
    limited = Org("acme", body(made)["key"])
    before = counters("acme").get("api_calls", 0)
    with clock.frozen(NOV):
        refused = upload(client, limited, "insight", "analysis-results", analysis(1), key="nope")
    assert_error_shape(refused, 403)
    assert "X-Quota-Remaining" not in refused.headers
    assert counters("acme").get("api_calls", 0) == before
    assert store.rate_used(secrets.parse(limited.key).key_id, periods.minute_of(NOV)) == 1  # the rate limit sees it
    # the request's idempotency mark went with it: once the key may write, the same key counts
    assert not [e for e in events("acme") if e["sk"].startswith("EVENT#call:")]


def events(org_id: str) -> list[dict]:
    import boto3

    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-usage").scan()["Items"]
    return [i for i in items if i["pk"] == f"ORG#{org_id}" and i["sk"].startswith("EVENT#")]


def test_retries_count_in_the_rate_window_but_once_in_api_calls(client, org):
    with clock.frozen(NOV):
        for _ in range(3):
            assert upload(client, org, "insight", "analysis-results", analysis(2), key="same").status_code == 201
    assert counters("acme")["api_calls"] == 1
    assert store.rate_used(secrets.parse(org.key).key_id, periods.minute_of(NOV)) == 3  # retries still spend
    assert len([e for e in events("acme") if e["sk"].startswith("EVENT#call:")]) == 1
