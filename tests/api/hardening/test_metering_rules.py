"""DESIGN.md "Metering: what counts as an API call": a logical operation counts once, reading one's
own usage, whoami and health never count, a 4xx counts nothing; the rate window sees everything."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from chalicelib import clock
from chalicelib.services import secrets
from chalicelib.services.usage import api_calls as meter, periods
from chalicelib.store import usage as store
from tests.api.uploads_inline.helpers import fixture, request_body
from tests.conftest import Org, body

NOV = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)


def calls(org_id: str) -> int:
    return store.counters(org_id, "2026-11").get("api_calls", 0)


def rate(org: Org) -> int:
    return store.rate_used(secrets.parse(org.key).key_id, periods.minute_of(NOV))


def _upload(client: Any, org: Org, product: str, upload_type: str, payload: Any, operation: str | None) -> Any:
    headers = {**org.headers, "Idempotency-Key": str(uuid.uuid4())}
    if operation:
        headers[meter.OPERATION_HEADER] = operation
    return client.http.post(f"/v1/upload/{product}", headers=headers, body=request_body(upload_type, payload))


def test_whoami_and_reading_ones_usage_never_count_but_are_rate_limited(client: Any, org: Org) -> None:
    with clock.frozen(NOV):
        for path in ("/v1/whoami", "/v1/usage", "/v1/usage/history", "/v1/health"):
            assert client.http.get(path, headers=org.headers).status_code == 200, path
    assert calls("acme") == 0
    assert rate(org) == 3  # health is not authenticated


def test_a_4xx_answer_counts_nothing(client: Any, org: Org) -> None:
    with clock.frozen(NOV):
        assert client.http.get("/v1/runs/insight/nope", headers=org.headers).status_code == 404
        assert client.http.get("/v1/runs/insight?limit=0", headers=org.headers).status_code == 400
        bad = client.http.post("/v1/upload/insight", headers=org.headers, body=json.dumps({"type": "nope", "data": ""}))
        assert bad.status_code == 400
        assert client.http.get("/v1/runs/insight", headers=org.headers).status_code == 200
    assert calls("acme") == 1 and rate(org) == 4


def test_the_requests_of_one_upload_operation_count_once(client: Any, org: Org) -> None:
    operation = str(uuid.uuid4())
    with clock.frozen(NOV):
        for product, upload_type in (("guardian", "test-results"), ("guardian", "lighthouse-report"),
                                     ("guardian", "accessibility-report")):
            assert _upload(client, org, product, upload_type, fixture(product, upload_type), operation).status_code == 201
        reads = [client.http.get("/v1/runs/guardian", headers={**org.headers, meter.OPERATION_HEADER: operation})
                 for _ in range(2)]
    assert [r.status_code for r in reads] == [200, 200]
    assert calls("acme") == 1 + 2  # the operation once; reads are not part of an upload operation
    assert rate(org) == 5


def test_an_operation_is_bounded_and_belongs_to_one_key(client: Any, org: Org) -> None:
    made = client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "second"}))
    second = Org("acme", body(made)["key"])
    operation = str(uuid.uuid4())
    with clock.frozen(NOV):
        before = calls("acme")
        history = fixture("autopilot", "run-history")
        for i in range(meter.OPERATION_MAX_REQUESTS + 1):
            payload = {"runs": [], "n": i} if isinstance(history, dict) else [*history, {"runId": f"x{i}"}]
            assert _upload(client, org, "autopilot", "run-history", payload, operation).status_code == 201
        assert calls("acme") - before == 2  # the 65th request starts counting again
        assert _upload(client, second, "guardian", "test-results", fixture("guardian", "test-results"),
                       operation).status_code == 201
    assert calls("acme") - before == 3  # another key's request never joins this key's operation


def test_a_refused_first_request_leaves_the_operation_unstarted(client: Any, org: Org) -> None:
    operation = str(uuid.uuid4())
    with clock.frozen(NOV):
        refused = _upload(client, org, "insight", "analysis-results", {"diagnostics": "not a map"}, operation)
        assert refused.status_code == 400
        assert calls("acme") == 0
        assert _upload(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"),
                       operation).status_code == 201
    assert calls("acme") == 1
