"""Ingest jobs through the real ingest pipeline: a staged JSON object becomes a run, bad data fails the job."""
from __future__ import annotations

import json
from decimal import Decimal

import boto3

from chalicelib.config import get_settings
from chalicelib.services import jobs
from chalicelib.store import jobs as job_store
from tests.api.jobs.conftest import enqueue, enqueue_bytes, object_exists, queued_bodies
from tests.conftest import Org, body

PAYLOAD = {
    "exportedAt": "2026-11-22T10:00:00.000Z",
    "workspaceRoot": "/work/app",
    "totalFiles": 1,
    "totalDiagnostics": 2,
    "diagnostics": {
        "/work/app/src/main.py": [
            {"file": "/work/app/src/main.py", "severity": "warning", "message": "unused import",
             "line": 1, "column": 1, "code": "F401", "source": "ruff"},
            {"file": "/work/app/src/main.py", "severity": "error", "message": "undefined name",
             "line": 9, "column": 4, "code": "F821", "source": "ruff"},
        ]
    },
}


def _run_objects(org_id: str) -> list[str]:
    s3 = boto3.client("s3", region_name="us-east-1")
    found = s3.list_objects_v2(Bucket=get_settings().bucket, Prefix=f"orgs/{org_id}/runs/")
    # the run's payload objects (what comparison keeps of a run and its pages lie beside it: <runId>.cmp.json.gz, <runId>.pages.bin)
    return [o["Key"] for o in found.get("Contents", []) if not o["Key"].endswith((".cmp.json.gz", ".pages.bin"))]


def _job(client, org: Org, job_id: str) -> dict:
    return body(client.http.get(f"/v1/jobs/{job_id}", headers=org.headers))


def test_a_staged_payload_becomes_a_run(client, org: Org, deliver):
    job = enqueue(org, payload=PAYLOAD)
    deliver(queued_bodies()[0])
    shown = _job(client, org, job["jobId"])
    assert shown["status"] == "succeeded", shown
    result = shown["result"]
    assert set(result) == {"uploadId", "runId", "url", "gate"} and result["url"].endswith(result["runId"])
    assert result["gate"]["status"] == "no_baseline"  # the first analysis of its project
    assert _run_objects("acme") == [f"orgs/acme/runs/insight/{result['runId']}.json.gz"]
    run = client.http.get(f"/v1/runs/insight/{result['runId']}", headers=org.headers)
    assert run.status_code == 200, run.body
    assert not object_exists("orgs/acme/uploads/up1")


def test_a_gzip_staged_payload_becomes_a_run(client, org: Org, deliver):
    job = enqueue(org, payload=PAYLOAD, compressed=True)
    deliver(queued_bodies()[0])
    assert _job(client, org, job["jobId"])["status"] == "succeeded"
    assert len(_run_objects("acme")) == 1


def test_invalid_json_and_invalid_payload_fail_for_good(client, org: Org, deliver):
    from tests.api.jobs.conftest import stage_object

    key = stage_object("acme", "broken", b"{not json")
    broken = jobs.enqueue_ingest("acme", "PRO", product="insight", upload_type="analysis-results", project_id="p",
                                 metadata={}, s3_key=key, size=9, sha256="0" * 64, compressed=False,
                                 idempotency_key=None, upload_id="broken")
    invalid = enqueue(org, upload_id="invalid", payload={"diagnostics": "nope"})
    for message in queued_bodies():
        deliver(message)
    assert _job(client, org, broken["jobId"])["error"]["code"] == "invalid_json"
    shown = _job(client, org, invalid["jobId"])
    assert shown["status"] == "failed" and shown["error"]["code"] == "validation_failed"
    assert shown["error"]["details"]["errors"]
    assert _run_objects("acme") == []


def test_redelivery_after_a_crash_mid_run_stores_one_run(client, org: Org, deliver):
    job = enqueue(org, payload=PAYLOAD, upload_id="twice")
    [message] = queued_bodies()
    deliver(message)
    first = _job(client, org, job["jobId"])["result"]
    # as if the worker died after storing the run, before recording success
    job_store.transition("acme", job["jobId"], ("succeeded",), {"status": "running"})
    from tests.api.jobs.conftest import stage_object

    stage_object("acme", "twice", json.dumps(PAYLOAD).encode())
    deliver(message, receive_count=2)
    shown = _job(client, org, job["jobId"])
    assert shown["status"] == "succeeded" and shown["attempts"] == 2
    assert shown["result"]["runId"] == first["runId"]
    assert len(_run_objects("acme")) == 1


def test_metadata_read_back_from_dynamodb_is_accepted(client, org: Org, deliver):
    from tests.api.jobs.conftest import stage_object

    key = stage_object("acme", "meta", json.dumps(PAYLOAD).encode())
    job = jobs.enqueue_ingest("acme", "PRO", product="insight", upload_type="analysis-results", project_id="p",
                              metadata={"build": Decimal("42"), "ratio": Decimal("0.5")}, s3_key=key, size=1,
                              sha256="0" * 64, compressed=False, idempotency_key=None, upload_id="meta")
    deliver(queued_bodies()[0])
    assert _job(client, org, job["jobId"])["status"] == "succeeded"


def test_json_past_the_inline_bound_is_refused_inline_and_ingested_by_the_worker(client, org: Org, deliver, monkeypatch):
    import gzip

    from chalicelib import config
    from tests.api.jobs.conftest import stage_object
    from tests.api.uploads_inline.helpers import upload
    from tests.api.uploads_inline.test_memory_bound import export
    from tests.conftest import assert_error_shape

    monkeypatch.setenv("ODAVL_INLINE_DECOMPRESSED_MAX_BYTES", str(1024 * 1024))
    config.reset_settings()
    assert config.get_settings().inline_decompressed_max_bytes == 1024 * 1024  # read now, not under a request's stage
    raw, count = export(2 * 1024 * 1024)
    refused = upload(client, org, "insight", "analysis-results", raw)
    assert assert_error_shape(refused, 413, "payload_too_large")["error"]["details"]["use"] == "/v1/uploads"
    assert _run_objects("acme") == []
    job = enqueue_bytes(org, "big", gzip.compress(raw), compressed=True, project_id="p", metadata={})
    deliver(queued_bodies()[0])
    shown = _job(client, org, job["jobId"])
    assert shown["status"] == "succeeded", shown
    from chalicelib.store import runs as run_store

    item = run_store.get("acme", "insight", shown["result"]["runId"])
    assert item is not None and int(item["payloadBytes"]) == len(raw)
    assert item["summary"]["bySeverity"] == {"warning": count}
    assert _run_objects("acme") == [f"orgs/acme/runs/insight/{shown['result']['runId']}.json.gz"]
