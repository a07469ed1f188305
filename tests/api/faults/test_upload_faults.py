"""An AWS failure at each step of an inline upload: the request fails cleanly (a 5xx in the error
shape), leaves no item, object or usage behind, and the client's retry with the same
Idempotency-Key then produces exactly one run (and a second retry replays it)."""
from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import boto3
import pytest

from tests.api.faults.inject import Fault, armed
from tests.api.faults.state import payload_objects, runs_of
from tests.api.hostile import snapshot
from tests.conftest import Org, assert_error_shape, body

EXPORT = {"diagnostics": {"src/api/orders.ts": [
    {"severity": "error", "message": "Type 'string' is not assignable to type 'number'.", "source": "typescript",
     "code": "2322", "line": 42, "column": 9},
    {"severity": "warning", "message": "'total' is never used.", "source": "eslint", "code": "no-unused-vars",
     "line": 57, "column": 7},
]}}
KEY = "retry-after-fault-0001"

# (id, fault, xfail reason or None). The steps of POST /v1/upload/insight, in the order it makes them
# (test_steps_cover_every_call checks this list against the calls actually made).
STEPS: list[tuple[str, Fault, str | None]] = [
    ("auth-key-lookup", Fault("dynamodb", "GetItem", 1), None),
    ("auth-org-lookup", Fault("dynamodb", "GetItem", 2), None),
    ("metering-api-calls", Fault("dynamodb", "TransactWriteItems", 1), None),
    ("idempotency-replay-read", Fault("dynamodb", "BatchGetItem", 1), None),
    ("usage-read", Fault("dynamodb", "GetItem", 3), None),
    ("project-settings-read", Fault("dynamodb", "GetItem", 4), None),
    ("baseline-lookup", Fault("dynamodb", "Query", 1), None),
    ("payload-put", Fault("s3", "PutObject", 1, code="SlowDown"), None),
    ("comparison-data-put", Fault("s3", "PutObject", 2, code="SlowDown"), None),
    ("pages-put", Fault("s3", "PutObject", 3, code="SlowDown"), None),
    ("pages-put-answer-lost", Fault("s3", "PutObject", 3, phase="after"), None),
    ("run-transaction", Fault("dynamodb", "TransactWriteItems", 2), None),
    ("run-transaction-throttled", Fault("dynamodb", "TransactWriteItems", 2,
                                        code="ProvisionedThroughputExceededException"), None),
    ("payload-put-answer-lost", Fault("s3", "PutObject", 1, phase="after"), None),
    ("run-transaction-answer-lost", Fault("dynamodb", "TransactWriteItems", 2, phase="after"), None),
]


def _after_commit(fault: Fault) -> bool:
    """The fault hits after the run's transaction committed (so the run rightly exists)."""
    return fault.phase == "after" and fault.operation == "TransactWriteItems" and fault.nth == 2


def _upload(client: Any, org: Org) -> Any:
    raw = json.dumps(EXPORT).encode()
    payload = {"type": "analysis-results", "data": base64.b64encode(gzip.compress(raw, mtime=0)).decode(),
               "compressed": True}
    headers = {**org.headers, "Idempotency-Key": KEY}
    return client.http.post("/v1/upload/insight", headers=headers, body=json.dumps(payload))



def _analyses_used(client: Any, org: Org) -> int:
    return int(body(client.http.get("/v1/usage", headers=org.headers))["metrics"]["insight_analyses"]["used"])


@pytest.mark.parametrize("fault", [pytest.param(f, id=i, marks=[pytest.mark.xfail(strict=True, reason=x)] if x else [])
                                   for i, f, x in STEPS])
def test_fault_fails_cleanly_and_retry_makes_one_run(client: Any, org: Org, fault: Fault) -> None:
    client.http.get("/v1/whoami", headers=org.headers)  # clients exist; lastUsedAt written
    before = snapshot.take()
    with armed(fault) as recorder:
        response = _upload(client, org)
    assert recorder.fired, f"the fault never fired; calls were {recorder.calls}"
    assert response.status_code >= 500, response.body
    assert_error_shape(response, response.status_code)
    if not _after_commit(fault):
        assert snapshot.diff(before, snapshot.take()) == []
    # After a commit whose answer was lost the run exists: the retry must find it whole.

    retried = _upload(client, org)
    assert retried.status_code == 201, retried.body
    replayed = _upload(client, org)
    assert replayed.status_code == 201 and body(replayed)["runId"] == body(retried)["runId"]
    runs = runs_of(org)
    assert [r["runId"] for r in runs] == [body(retried)["runId"]]
    assert payload_objects(org) == [runs[0]["payloadKey"]]
    assert _analyses_used(client, org) == 1


def test_steps_cover_every_call(client: Any, org: Org) -> None:
    """The step list names every AWS call an inline upload makes (a new call needs a new row)."""
    client.http.get("/v1/whoami", headers=org.headers)
    with armed() as recorder:
        assert _upload(client, org).status_code == 201
    counted: dict[str, int] = {}
    for call in recorder.calls:
        counted[call] = counted.get(call, 0) + 1
    covered = {(f.service + "." + f.operation, f.nth) for _, f, _ in STEPS}
    missing = [(call, n) for call, total in counted.items() for n in range(1, total + 1) if (call, n) not in covered]
    assert missing == [], f"calls without a fault row: {missing} (sequence {recorder.calls})"


def test_fault_without_cleanup_would_be_seen(client: Any, org: Org) -> None:
    """The check is able to fail: a payload object left behind shows up in the snapshot."""
    before = snapshot.take()
    boto3.client("s3", region_name="us-east-1").put_object(Bucket="odavl-test-payloads",
                                                          Key=f"orgs/{org.org_id}/runs/insight/orphan.json.gz", Body=b"x")
    assert any("orphan" in line for line in snapshot.diff(before, snapshot.take()))
