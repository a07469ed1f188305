"""The ingest pipeline's clean-up when the run's transaction fails without a cancellation: the
payload object goes only when the run does not exist, through the inline door and the ingest
job worker alike (both call ``ingest_json``)."""
from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.faults.inject import Fault, armed
from tests.api.faults.state import payload_objects, runs_of
from tests.api.jobs.conftest import deliver, enqueue, object_exists, queued_bodies  # noqa: F401 (fixture)
from tests.conftest import Org, assert_error_shape, body

EXPORT = {"diagnostics": {"src/app.ts": [
    {"severity": "error", "message": "Cannot find name 'x'.", "source": "typescript", "code": "2304",
     "line": 3, "column": 1},
]}}
KEY = "ingest-fault-0001"



def _upload(client: Any, org: Org) -> Any:
    raw = json.dumps(EXPORT).encode()
    payload = {"type": "analysis-results", "data": base64.b64encode(gzip.compress(raw, mtime=0)).decode(),
               "compressed": True}
    return client.http.post("/v1/upload/insight", headers={**org.headers, "Idempotency-Key": KEY},
                            body=json.dumps(payload))


def test_run_state_unknown_keeps_the_payload(client: Any, org: Org) -> None:
    """The transaction committed, its answer was lost AND the check of the run failed: the payload
    stays (an unreferenced object costs bytes; a deleted one would break the run and its replays)."""
    client.http.get("/v1/whoami", headers=org.headers)
    with armed(Fault("dynamodb", "TransactWriteItems", 2, phase="after")) as lost, \
            armed(Fault("dynamodb", "GetItem", 5)) as check:  # 4 is the project settings read
        response = _upload(client, org)
    assert lost.fired and check.fired, lost.calls
    assert check.calls[-1] == "dynamodb.GetItem"  # the run check came after the transaction
    assert response.status_code >= 500
    assert_error_shape(response, response.status_code)
    [run] = runs_of(org)
    assert payload_objects(org) == [run["payloadKey"]]

    replayed = _upload(client, org)
    assert replayed.status_code == 201 and body(replayed)["runId"] == run["runId"]
    shown = client.http.get(f"/v1/runs/insight/{run['runId']}", headers=org.headers)
    assert shown.status_code == 200, shown.body


def test_job_whose_run_transaction_answer_was_lost_keeps_its_payload(client: Any, org: Org, deliver: Any) -> None:
    """Worker path: the run committed but the worker saw an error; SQS delivers again and the job
    ends with that run, whose payload object is there."""
    job = enqueue(org, upload_id="lost", payload=EXPORT)
    [message] = queued_bodies()
    with armed(Fault("dynamodb", "TransactWriteItems", 1, phase="after")) as lost:
        with pytest.raises(ClientError):
            deliver(message, receive_count=1)
    assert lost.fired, lost.calls
    [run] = runs_of(org)
    assert payload_objects(org) == [run["payloadKey"]]
    assert object_exists(f"orgs/{org.org_id}/uploads/lost")  # kept for the redelivery

    deliver(message, receive_count=2)
    shown = body(client.http.get(f"/v1/jobs/{job['jobId']}", headers=org.headers))
    assert shown["status"] == "succeeded" and shown["result"]["runId"] == run["runId"]
    assert [r["runId"] for r in runs_of(org)] == [run["runId"]]
    assert payload_objects(org) == [run["payloadKey"]]
    assert not object_exists(f"orgs/{org.org_id}/uploads/lost")


def test_job_whose_run_transaction_failed_leaves_no_payload(client: Any, org: Org, deliver: Any) -> None:
    """Worker path, the transaction did not commit: no run, no payload object; the redelivery stores one."""
    enqueue(org, upload_id="failed", payload=EXPORT)
    [message] = queued_bodies()
    with armed(Fault("dynamodb", "TransactWriteItems", 1)) as failed:
        with pytest.raises(ClientError):
            deliver(message, receive_count=1)
    assert failed.fired, failed.calls
    assert runs_of(org) == [] and payload_objects(org) == []
    deliver(message, receive_count=2)
    [run] = runs_of(org)
    assert payload_objects(org) == [run["payloadKey"]]
