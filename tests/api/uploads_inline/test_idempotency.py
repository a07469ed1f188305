"""Retries store one run and count once; a reused id with another payload is 409."""
from __future__ import annotations

import copy

import boto3

from tests.api.uploads_inline.helpers import fixture, payload_objects, run_items, state, upload, upload_ok
from tests.conftest import Org, assert_error_shape, body, make_org


def _counter(org_id: str, metric: str) -> int:
    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-usage").scan()["Items"]
    return sum(int(i["used"]) for i in items if i["pk"] == f"ORG#{org_id}" and i["sk"].endswith(f"#{metric}"))


def _gauge(org_id: str) -> int:
    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-usage").scan()["Items"]
    return sum(int(i["used"]) for i in items if i["pk"] == f"ORG#{org_id}" and i["sk"] == "GAUGE#storage_bytes")


def test_five_retries_make_one_run_counted_once(client, org: Org):
    payload = fixture("insight", "analysis-results")
    replies = []
    for attempt in range(5):
        response = upload(client, org, "insight", "analysis-results", payload, key="retry-1",
                          metadata={"timestamp": f"2026-11-22T10:00:0{attempt}Z"})
        assert response.status_code == 201, response.body
        assert (response.headers.get("Idempotent-Replayed") == "true") == (attempt > 0)
        replies.append(body(response))
    assert all(r == replies[0] for r in replies)
    assert len(run_items()) == 1 and len(payload_objects()) == 1
    assert _counter("acme", "insight_analyses") == 1
    assert _gauge("acme") == int(run_items()[0]["storedBytes"])


def test_same_key_other_payload_is_409_and_changes_nothing(client, org: Org):
    upload_ok(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"), key="k")
    before = state()
    response = upload(client, org, "insight", "analysis-results", {"diagnostics": {}}, key="k")
    payload = assert_error_shape(response, 409, "idempotency_conflict")
    assert payload["error"]["details"]["original"]["runId"] == run_items()[0]["runId"]
    assert state() == before


def test_natural_ids_deduplicate_without_a_key(client, org: Org):
    for product, upload_type in (("autopilot", "ledger"), ("guardian", "test-results"), ("autopilot", "snapshot")):
        first = upload_ok(client, org, product, upload_type, fixture(product, upload_type))
        second = upload_ok(client, org, product, upload_type, fixture(product, upload_type), key="fresh-key-" + upload_type)
        assert first == second
    assert len(run_items()) == 3
    assert _counter("acme", "autopilot_runs") == 1 and _counter("acme", "guardian_tests") == 1
    changed = copy.deepcopy(fixture("autopilot", "ledger"))
    changed["edits"] = []
    before = state()
    assert_error_shape(upload(client, org, "autopilot", "ledger", changed), 409, "idempotency_conflict")
    assert state() == before


def test_compression_does_not_change_identity(client, org: Org):
    a = upload_ok(client, org, "autopilot", "run-history", fixture("autopilot", "run-history"), key="h", compressed=True)
    b = upload_ok(client, org, "autopilot", "run-history", fixture("autopilot", "run-history"), key="h", compressed=False)
    assert a == b and len(run_items()) == 1


def test_keys_are_per_organization(client, org: Org, other_org: Org):
    a = upload_ok(client, org, "insight", "ml-training", {"samples": [1]}, key="shared")
    b = upload_ok(client, other_org, "insight", "ml-training", {"samples": [2]}, key="shared")
    assert a["runId"] != b["runId"] and len(run_items()) == 2


def test_bad_idempotency_key_is_400(client, org: Org):
    before = state()
    response = upload(client, org, "insight", "ml-training", {"samples": []}, key="has space")
    assert_error_shape(response, 400, "validation_failed")
    assert state() == before


def test_quota_refusal_is_429_and_leaves_no_object(client, aws):
    free = make_org("smallco", "free")
    for i in range(5):
        ledger = {**fixture("autopilot", "ledger"), "runId": f"run-{i}"}
        upload_ok(client, free, "autopilot", "ledger", ledger)
    before = state()
    response = upload(client, free, "autopilot", "ledger", {**fixture("autopilot", "ledger"), "runId": "run-6"})
    payload = assert_error_shape(response, 429, "quota_exceeded")
    assert payload["error"]["details"]["metric"] == "autopilot_runs"
    assert state() == before
    assert len(payload_objects()) == 5
    # storage-only types still go through
    upload_ok(client, free, "autopilot", "recipe-trust", fixture("autopilot", "recipe-trust"))
