"""POST /v1/upload/{product}: every JSON type stored as one run, the error cases changing nothing."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json

import boto3
import pytest

from chalicelib.services.upload_types import PRODUCTS
from tests.api.uploads_inline.helpers import (FIXTURES, fixture, payload_objects, request_body, run_items, state,
                                              upload, upload_ok)
from tests.conftest import Org, assert_error_shape, body


@pytest.mark.parametrize(("product", "upload_type"), sorted(FIXTURES))
def test_each_json_type_is_stored_as_one_run(client, org: Org, product, upload_type):
    reply = upload_ok(client, org, product, upload_type, fixture(product, upload_type))
    assert set(reply) >= {"uploadId", "runId", "url"}
    assert reply["url"] == f"http://testserver/dashboard/{product}/runs/{reply['runId']}"
    if product == "guardian":
        assert reply["testId"] == reply["runId"]
    items = run_items()
    assert len(items) == 1 and items[0]["runId"] == reply["runId"] and items[0]["type"] == upload_type
    assert payload_objects() == [f"orgs/acme/runs/{product}/{reply['runId']}.json.gz"]
    stored = boto3.client("s3", region_name="us-east-1").get_object(Bucket="odavl-test-payloads", Key=payload_objects()[0])
    assert json.loads(gzip.decompress(stored["Body"].read())) == fixture(product, upload_type)


def test_analysis_summary_counts_by_severity(client, org: Org):
    upload_ok(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"))
    summary = run_items()[0]["summary"]
    assert summary["diagnosticsCount"] == 7 and summary["filesCount"] == 3
    assert summary["bySeverity"] == {"error": 3, "warning": 2, "info": 1, "hint": 1}


def test_ledger_and_test_results_summaries(client, org: Org):
    upload_ok(client, org, "autopilot", "ledger", fixture("autopilot", "ledger"))
    upload_ok(client, org, "guardian", "test-results", fixture("guardian", "test-results"))
    by_type = {i["type"]: i for i in run_items()}
    ledger = by_type["ledger"]
    assert ledger["status"] == "succeeded" and ledger["summary"]["editsCount"] == 2
    assert ledger["externalId"] == "20261122-093000-a1b2"
    tests = by_type["test-results"]
    assert tests["passed"] is False and tests["environment"] == "staging"
    assert tests["summary"]["passedCount"] == 3 and tests["summary"]["failedCount"] == 2
    assert tests["summary"]["vulnerabilities"] == 2 and tests["summary"]["accessibilityScore"] == 87


def test_uncompressed_upload_and_detector_type(client, org: Org):
    issues = {"detector": "security", "issues": [{"severity": "high", "message": "eval", "file": "a.ts", "line": 3}]}
    upload_ok(client, org, "insight", "detector-security", issues, compressed=False)
    item = run_items()[0]
    assert item["type"] == "detector-security" and item["summary"]["bySeverity"] == {"high": 1}


def test_numeric_severities_and_list_form_are_accepted(client, org: Org):
    payload = {"diagnostics": [{"file": "x.ts", "diagnostics": [
        {"severity": 0, "message": "a", "line": 1, "column": 1}, {"severity": 1, "message": "b"}]}]}
    upload_ok(client, org, "insight", "analysis-results", payload)
    assert run_items()[0]["summary"]["bySeverity"] == {"error": 1, "warning": 1}


def _bomb() -> str:
    return base64.b64encode(gzip.compress(b" " * (80 * 1024 * 1024), 9)).decode()


BAD_CASES = [
    ("invalid_base64", 400, lambda: {"data": "@@not base64@@"}),
    ("invalid_gzip", 400, lambda: {"data": base64.b64encode(b"definitely not gzip").decode()}),
    ("invalid_gzip", 400, lambda: {"data": base64.b64encode(gzip.compress(b'{"diagnostics": {}}')[:-6]).decode()}),
    ("decompression_limit", 413, lambda: {"data": _bomb()}),
    ("invalid_json", 400, lambda: {"data": base64.b64encode(gzip.compress(b"{nope")).decode()}),
    ("validation_failed", 400, lambda: {"data": base64.b64encode(gzip.compress(b'{"diagnostics": 5}')).decode()}),
    ("validation_failed", 400, lambda: {"data": base64.b64encode(gzip.compress(b'[1, 2]')).decode()}),
    ("unknown_type", 400, lambda: {"type": "nope"}),
    ("unknown_type", 400, lambda: {"type": "detector-"}),
    ("checksum_mismatch", 400, lambda: {"sha256": "0" * 64}),
    ("validation_failed", 400, lambda: {"metadata": {"x": "y" * 20_000}}),
]


@pytest.mark.parametrize(("code", "status", "change"), BAD_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CASES)])
def test_bad_uploads_are_4xx_and_change_nothing(client, org: Org, code, status, change):
    before = state()
    raw = json.loads(request_body("analysis-results", fixture("insight", "analysis-results")))
    raw.update(change())
    response = client.http.post("/v1/upload/insight", headers=org.headers, body=json.dumps(raw))
    payload = assert_error_shape(response, status, code)
    if code == "validation_failed" and "data" in change():
        assert payload["error"]["details"]["errors"]
    assert state() == before


def test_unknown_product_is_400(client, org: Org):
    before = state()
    response = client.http.post("/v1/upload/nope", headers=org.headers, body=request_body("ledger", {}))
    assert_error_shape(response, 400, "unknown_product")
    assert state() == before


def test_screenshot_is_refused_inline_pointing_to_the_large_door(client, org: Org):
    before = state()
    response = upload(client, org, "guardian", "screenshot", b"\x89PNG\r\n\x1a\n", compressed=False)
    payload = assert_error_shape(response, 415)
    assert "/v1/uploads" in payload["error"]["message"]
    assert state() == before


def test_too_large_for_the_inline_door_names_the_large_door(client, org: Org, monkeypatch):
    before = state()
    big = {"diagnostics": {"a.ts": [{"severity": "error", "message": "x" * 100}] * 70_000}}
    raw = json.dumps(big).encode()
    assert len(raw) > 5 * 1024 * 1024
    response = upload(client, org, "insight", "analysis-results", raw, compressed=False)
    payload = assert_error_shape(response, 413, "payload_too_large")
    assert "/v1/uploads" in payload["error"]["message"]
    assert state() == before


def test_body_over_the_route_limit_names_the_large_door(client, org: Org):
    response = client.http.post("/v1/upload/insight", headers=org.headers,
                                body=json.dumps({"type": "analysis-results", "data": "A" * (8 * 1024 * 1024)}))
    payload = assert_error_shape(response, 413, "payload_too_large")
    assert "/v1/uploads" in payload["error"]["message"]


def test_checksum_of_original_file_is_accepted(client, org: Org):
    raw = json.dumps(fixture("autopilot", "recipe-trust")).encode()
    upload_ok(client, org, "autopilot", "recipe-trust", raw, sha256=hashlib.sha256(raw).hexdigest())
    assert len(run_items()) == 1


def test_scope_is_per_product(client, org: Org):
    created = body(client.http.post("/v1/api-keys", headers=org.headers,
                                    body=json.dumps({"name": "ins", "scopes": ["insight:write"]})))
    limited = Org("acme", created["key"])
    upload_ok(client, limited, "insight", "analysis-results", fixture("insight", "analysis-results"))
    before = state()
    response = upload(client, limited, "autopilot", "ledger", fixture("autopilot", "ledger"))
    assert_error_shape(response, 403, "missing_scope")
    assert state() == before


def test_products_are_the_three_tools():
    assert PRODUCTS == ("insight", "autopilot", "guardian")


def test_deep_or_odd_metadata_is_kept_as_is(client, org: Org):
    deep: dict = {"leaf": 1.5}
    for _ in range(40):
        deep = {"": deep}
    reply = upload_ok(client, org, "insight", "ml-training", {"samples": []}, metadata={"deep": deep})
    got = body(client.http.get(f"/v1/runs/insight/{reply['runId']}", headers=org.headers))["run"]["metadata"]
    assert got["deep"] == deep
    before = state()
    raw = request_body("ml-training", {"samples": []}).replace('"metadata": {}', '"metadata": {"n": NaN}')
    assert_error_shape(client.http.post("/v1/upload/insight", headers=org.headers, body=raw), 400, "validation_failed")
    assert state() == before


@pytest.mark.parametrize("change", [
    {"summary": {"total": 3, "passed": 10**40, "failed": 0}},
    {"tests": [{"name": "t", "status": "failed", "security": {"vulnerabilities": 10**40}}]},
    {"tests": [{"name": "t", "status": "passed", "accessibility": {"score": 1e300}}]},
], ids=["summary-count", "vulnerabilities", "accessibility-score"])
def test_numbers_dynamodb_cannot_hold_are_400_and_change_nothing(client, org: Org, change):
    before = state()
    payload = {**fixture("guardian", "test-results"), **change}
    response = upload(client, org, "guardian", "test-results", payload)
    assert_error_shape(response, 400, "validation_failed")
    assert state() == before
