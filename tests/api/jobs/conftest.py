"""Helpers for the jobs API tests: stage an object, queue a job, deliver its SQS message."""
from __future__ import annotations

import gzip
import json
from typing import Any, Callable

import boto3
import pytest

from chalicelib.config import get_settings
from chalicelib.services import jobs
from tests.conftest import Org

PAYLOAD = {"diagnostics": []}


def stage_object(org_id: str, upload_id: str, data: bytes) -> str:
    """Put ``data`` at the upload staging key; returns the key."""
    key = f"orgs/{org_id}/uploads/{upload_id}"
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=get_settings().bucket, Key=key, Body=data)
    return key


def object_exists(key: str) -> bool:
    s3 = boto3.client("s3", region_name="us-east-1")
    return s3.list_objects_v2(Bucket=get_settings().bucket, Prefix=key).get("KeyCount", 0) > 0


def enqueue(org: Org, upload_id: str = "up1", payload: Any = PAYLOAD, *, compressed: bool = False,
            idempotency_key: str | None = None) -> dict[str, Any]:
    """Stage ``payload`` as JSON (gzip'd when ``compressed``) and queue its ingest job."""
    raw = json.dumps(payload).encode()
    return enqueue_bytes(org, upload_id, gzip.compress(raw) if compressed else raw, compressed=compressed,
                         idempotency_key=idempotency_key)


def enqueue_bytes(org: Org, upload_id: str, data: bytes, *, compressed: bool, idempotency_key: str | None = None,
                  project_id: str = "proj-1", metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Stage ``data`` as it is (any bytes: an export, a bomb) and queue an Insight ingest job for it."""
    key = stage_object(org.org_id, upload_id, data)
    return jobs.enqueue_ingest(
        org.org_id, "PRO", product="insight", upload_type="analysis-results", project_id=project_id,
        metadata={"branch": "main", "ratio": 0.5} if metadata is None else metadata, s3_key=key, size=len(data),
        sha256="0" * 64, compressed=compressed, idempotency_key=idempotency_key, upload_id=upload_id,
    )


def queued_bodies() -> list[str]:
    """Bodies of the messages now on the ingest queue (consumed, as the event source would)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=get_settings().ingest_queue)["QueueUrl"]
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return bodies
        for message in got:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def deliver(client: Any) -> Callable[..., Any]:
    """Invoke the SQS Lambda handler with one message body, as delivery number ``receive_count``."""

    def _deliver(body: str, receive_count: int = 1) -> Any:
        event = client.events.generate_sqs_event([body], queue_name=get_settings().ingest_queue)
        event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        return client.lambda_.invoke("ingest_worker", event)

    return _deliver


class FakeIngest:
    """Stands in for the ingest pipeline: records calls, answers a run result, or raises ``fail``."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], bytes]] = []
        self.fail: BaseException | None = None

    def __call__(self, job: dict[str, Any], data: bytes, gzipped: bytes | None = None) -> dict[str, Any]:
        self.calls.append((job, data))
        if self.fail is not None:
            raise self.fail
        return {"uploadId": job["uploadId"], "runId": f"run-{len(self.calls)}", "url": "http://testserver/r"}


@pytest.fixture
def fake_ingest(monkeypatch: pytest.MonkeyPatch) -> FakeIngest:
    fake = FakeIngest()
    monkeypatch.setattr(jobs, "_ingest_json", fake)
    return fake
