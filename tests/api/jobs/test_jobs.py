"""Jobs through the Chalice test client: the job state machine driven by the SQS handler, and the routes."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.errors import InvalidInput, Unavailable
from chalicelib.services import jobs
from chalicelib.store import queue
from tests.api.jobs.conftest import enqueue, enqueue_bytes, object_exists, queued_bodies
from tests.conftest import Org, assert_error_shape, body


def _get(client, org: Org, job_id: str) -> dict:
    response = client.http.get(f"/v1/jobs/{job_id}", headers=org.headers)
    assert response.status_code == 200, response.body
    return body(response)


# ---------------------------------------------------------------- enqueue


def test_enqueue_writes_a_queued_job_and_one_message(client, org: Org):
    job = enqueue(org)
    assert job["status"] == "queued" and job["attempts"] == 0 and job["type"] == "ingest"
    bodies = queued_bodies()
    assert [json.loads(b) for b in bodies] == [{"orgId": "acme", "jobId": job["jobId"]}]
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "queued"
    assert shown["uploadId"] == "up1" and shown["product"] == "insight" and shown["uploadType"] == "analysis-results"
    assert shown["error"] is None and shown["result"] is None and shown["finishedAt"] is None


def test_enqueue_fails_the_job_when_the_queue_refuses(client, org: Org, monkeypatch):
    def refuse(message):
        raise ConnectionError("queue down")

    monkeypatch.setattr(queue, "send_ingest", refuse)
    with pytest.raises(Unavailable) as raised:
        enqueue(org)
    job_id = raised.value.details["jobId"]
    shown = _get(client, org, job_id)
    assert shown["status"] == "failed"
    assert shown["error"]["code"] == "queue_unavailable"
    listed = body(client.http.get("/v1/jobs?status=queued", headers=org.headers))["items"]
    assert listed == []


# ---------------------------------------------------------------- processing


def test_delivery_runs_the_job_and_removes_the_staging_object(client, org: Org, deliver, fake_ingest):
    job = enqueue(org, idempotency_key="idem-1")
    [message] = queued_bodies()
    deliver(message)
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "succeeded", shown
    assert shown["attempts"] == 1
    assert shown["result"] == {"uploadId": "up1", "runId": "run-1", "url": "http://testserver/r"}
    assert shown["startedAt"] and shown["finishedAt"] and shown["error"] is None
    [(seen, data)] = fake_ingest.calls
    assert json.loads(data) == {"diagnostics": []}
    assert seen["idempotencyKey"] == "idem-1"
    assert not object_exists("orgs/acme/uploads/up1")


def test_redelivery_of_a_finished_job_does_nothing(client, org: Org, deliver, fake_ingest):
    job = enqueue(org)
    [message] = queued_bodies()
    deliver(message)
    deliver(message, receive_count=2)
    assert len(fake_ingest.calls) == 1
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "succeeded" and shown["attempts"] == 1


def test_client_data_error_fails_the_job_for_good_and_keeps_the_error(client, org: Org, deliver, fake_ingest):
    fake_ingest.fail = InvalidInput("The payload failed validation.", code="validation_failed",
                                    details={"errors": [{"loc": ["diagnostics"], "msg": "bad"}]})
    job = enqueue(org)
    [message] = queued_bodies()
    deliver(message)  # returns normally: no redelivery
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "failed"
    assert shown["error"] == {"code": "validation_failed", "message": "The payload failed validation.",
                              "details": {"errors": [{"loc": ["diagnostics"], "msg": "bad"}]}}
    assert shown["finishedAt"]
    deliver(message, receive_count=2)
    assert len(fake_ingest.calls) == 1


def test_infrastructure_error_is_redelivered_then_fails_on_the_third_delivery(client, org: Org, deliver, fake_ingest):
    fake_ingest.fail = TimeoutError("dynamodb timed out")
    job = enqueue(org)
    [message] = queued_bodies()
    for attempt in (1, 2):
        with pytest.raises(TimeoutError):
            deliver(message, receive_count=attempt)
        shown = _get(client, org, job["jobId"])
        assert shown["status"] == "queued" and shown["attempts"] == attempt
        assert shown["error"]["code"] == "ingest_error" and "retried" in shown["error"]["message"]
        assert "timed out" not in json.dumps(shown["error"])  # internals stay in the log
    with pytest.raises(TimeoutError):
        deliver(message, receive_count=3)
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "failed" and shown["attempts"] == 3
    assert shown["error"]["code"] == "ingest_error" and "timed out" not in shown["error"]["message"]
    assert object_exists("orgs/acme/uploads/up1")  # kept for a retry


def test_infrastructure_error_then_success(client, org: Org, deliver, fake_ingest):
    fake_ingest.fail = ConnectionError("s3 reset")
    job = enqueue(org)
    [message] = queued_bodies()
    with pytest.raises(ConnectionError):
        deliver(message, receive_count=1)
    fake_ingest.fail = None
    deliver(message, receive_count=2)
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "succeeded" and shown["attempts"] == 2 and shown["error"] is None


def test_missing_staging_object_fails_without_retry(client, org: Org, deliver, fake_ingest):
    job = enqueue(org)
    boto3.client("s3", region_name="us-east-1").delete_object(Bucket=get_settings().bucket, Key="orgs/acme/uploads/up1")
    [message] = queued_bodies()
    deliver(message)
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "failed" and shown["error"]["code"] == "staging_missing"
    assert fake_ingest.calls == []


def test_malformed_message_goes_to_the_dead_letter_queue_and_an_unknown_job_is_skipped(
        client, org: Org, deliver, fake_ingest):
    from chalicelib.store import queue

    deliver("not json")
    deliver(json.dumps({"jobId": "0" * 26}))
    deliver(json.dumps({"orgId": "acme", "jobId": "0" * 26}))  # well-formed, no such job: done with
    assert fake_ingest.calls == []
    assert sorted(m["Body"] for m in queue.dead_letters()) == sorted(["not json", json.dumps({"jobId": "0" * 26})])


# ---------------------------------------------------------------- retry and cancel


def test_retry_requeues_only_a_failed_job(client, org: Org, deliver, fake_ingest):
    fake_ingest.fail = InvalidInput("bad", code="validation_failed")
    job = enqueue(org)
    [message] = queued_bodies()
    deliver(message)
    fake_ingest.fail = None
    response = client.http.post(f"/v1/jobs/{job['jobId']}/retry", headers=org.headers)
    assert response.status_code == 202, response.body
    assert body(response)["status"] == "queued"
    [again] = queued_bodies()
    deliver(again)
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "succeeded" and shown["attempts"] == 2
    response = client.http.post(f"/v1/jobs/{job['jobId']}/retry", headers=org.headers)
    assert_error_shape(response, 409, "job_not_retryable")
    assert queued_bodies() == []


def test_retry_of_a_queued_job_is_409(client, org: Org):
    job = enqueue(org)
    response = client.http.post(f"/v1/jobs/{job['jobId']}/retry", headers=org.headers)
    assert_error_shape(response, 409, "job_not_retryable")


def test_cancel_a_queued_job_then_delivery_skips_it(client, org: Org, deliver, fake_ingest):
    job = enqueue(org)
    response = client.http.post(f"/v1/jobs/{job['jobId']}/cancel", headers=org.headers)
    assert response.status_code == 200, response.body
    assert body(response)["status"] == "cancelled"
    assert not object_exists("orgs/acme/uploads/up1")
    [message] = queued_bodies()
    deliver(message)
    assert fake_ingest.calls == []
    assert _get(client, org, job["jobId"])["status"] == "cancelled"
    again = client.http.post(f"/v1/jobs/{job['jobId']}/cancel", headers=org.headers)
    assert_error_shape(again, 409, "job_finished")


def test_cancel_a_succeeded_job_is_409(client, org: Org, deliver, fake_ingest):
    job = enqueue(org)
    deliver(queued_bodies()[0])
    response = client.http.post(f"/v1/jobs/{job['jobId']}/cancel", headers=org.headers)
    assert_error_shape(response, 409, "job_finished")
    assert _get(client, org, job["jobId"])["status"] == "succeeded"


# ---------------------------------------------------------------- listing


def test_list_newest_first_with_filters_and_cursor(client, org: Org, deliver, fake_ingest):
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    made = []
    for i in range(5):
        with clock.frozen(start + timedelta(minutes=i)):
            made.append(enqueue(org, upload_id=f"up{i}")["jobId"])
    with clock.frozen(start + timedelta(minutes=10)):
        for message in queued_bodies():
            if json.loads(message)["jobId"] in made[:2]:
                deliver(message)
    first = body(client.http.get("/v1/jobs?limit=2", headers=org.headers))
    assert [j["jobId"] for j in first["items"]] == [made[4], made[3]]
    second = body(client.http.get(f"/v1/jobs?limit=2&cursor={first['nextCursor']}", headers=org.headers))
    assert [j["jobId"] for j in second["items"]] == [made[2], made[1]]
    third = body(client.http.get(f"/v1/jobs?limit=2&cursor={second['nextCursor']}", headers=org.headers))
    assert [j["jobId"] for j in third["items"]] == [made[0]] and third["nextCursor"] is None
    done = body(client.http.get("/v1/jobs?status=succeeded", headers=org.headers))
    assert [j["jobId"] for j in done["items"]] == [made[1], made[0]]
    assert body(client.http.get("/v1/jobs?type=ingest&status=queued", headers=org.headers))["items"][0]["jobId"] == made[4]


def test_list_rejects_bad_filters_and_cursors(client, org: Org):
    assert_error_shape(client.http.get("/v1/jobs?status=bogus", headers=org.headers), 400, "validation_failed")
    assert_error_shape(client.http.get("/v1/jobs?limit=1000", headers=org.headers), 400, "validation_failed")
    assert_error_shape(client.http.get("/v1/jobs?cursor=%%%", headers=org.headers), 400, "invalid_cursor")


# ---------------------------------------------------------------- cleanup


def test_delete_older_than_removes_only_old_finished_jobs(client, org: Org, other_org: Org, deliver, fake_ingest):
    old = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with clock.frozen(old):
        finished = enqueue(org, upload_id="a")
        still_queued = enqueue(org, upload_id="b")
        theirs = enqueue(other_org, upload_id="c")
        for message in queued_bodies():
            if json.loads(message)["jobId"] != still_queued["jobId"]:
                deliver(message)
    recent = enqueue(org, upload_id="d")
    deliver(queued_bodies()[0])
    response = client.http.delete("/v1/jobs?olderThanDays=30", headers=org.headers)
    assert response.status_code == 200, response.body
    assert body(response) == {"deleted": 1}
    assert_error_shape(client.http.get(f"/v1/jobs/{finished['jobId']}", headers=org.headers), 404, "not_found")
    assert _get(client, org, still_queued["jobId"])["status"] == "queued"
    assert _get(client, org, recent["jobId"])["status"] == "succeeded"
    assert _get(client, other_org, theirs["jobId"])["status"] == "succeeded"
    assert_error_shape(client.http.delete("/v1/jobs", headers=org.headers), 400, "validation_failed")
    assert_error_shape(client.http.delete("/v1/jobs?olderThanDays=-1", headers=org.headers), 400, "validation_failed")


def test_delete_finished_before_across_organizations(client, org: Org, other_org: Org, deliver, fake_ingest):
    with clock.frozen(datetime(2026, 1, 1, tzinfo=timezone.utc)):
        for o, upload in ((org, "a"), (other_org, "b"), (org, "c")):
            enqueue(o, upload_id=upload)
        for message in queued_bodies():
            deliver(message)
    assert jobs.delete_finished_before(None, datetime(2026, 2, 1, tzinfo=timezone.utc), limit=2) == 2
    assert jobs.delete_finished_before(None, datetime(2026, 2, 1, tzinfo=timezone.utc), limit=10) == 1
    assert jobs.delete_finished_before(None, datetime(2026, 2, 1, tzinfo=timezone.utc), limit=10) == 0


# ---------------------------------------------------------------- access


def test_another_organizations_job_is_404_on_every_route(client, org: Org, other_org: Org):
    job = enqueue(org)
    job_id = job["jobId"]
    headers = other_org.headers
    assert_error_shape(client.http.get(f"/v1/jobs/{job_id}", headers=headers), 404, "not_found")
    assert_error_shape(client.http.post(f"/v1/jobs/{job_id}/retry", headers=headers), 404, "not_found")
    assert_error_shape(client.http.post(f"/v1/jobs/{job_id}/cancel", headers=headers), 404, "not_found")
    assert body(client.http.get("/v1/jobs", headers=headers))["items"] == []
    assert body(client.http.delete("/v1/jobs?olderThanDays=0", headers=headers)) == {"deleted": 0}
    assert_error_shape(client.http.get("/v1/jobs/not-a-job-id", headers=org.headers), 404, "not_found")
    assert _get(client, org, job_id)["status"] == "queued"


def test_scopes_are_enforced(client, org: Org):
    job = enqueue(org)
    created = body(client.http.post("/v1/api-keys", headers=org.headers,
                                    body=json.dumps({"name": "ro", "scopes": ["jobs:read"]})))
    reader = {"Authorization": f"Bearer {created['key']}"}
    assert client.http.get(f"/v1/jobs/{job['jobId']}", headers=reader).status_code == 200
    assert_error_shape(client.http.post(f"/v1/jobs/{job['jobId']}/cancel", headers=reader), 403, "missing_scope")
    assert_error_shape(client.http.delete("/v1/jobs?olderThanDays=1", headers=reader), 403, "missing_scope")
    assert_error_shape(client.http.get("/v1/jobs"), 401)


# ---------------------------------------------------------------- compressed staging objects


def test_compressed_object_is_gunzipped_before_ingest(client, org: Org, deliver, fake_ingest):
    job = enqueue(org, payload={"diagnostics": [{"file": "a.py"}]}, compressed=True)
    deliver(queued_bodies()[0])
    assert _get(client, org, job["jobId"])["status"] == "succeeded"
    [(_, data)] = fake_ingest.calls
    assert json.loads(data) == {"diagnostics": [{"file": "a.py"}]}


def test_gzip_bomb_fails_the_job_with_decompression_limit(client, org: Org, deliver, fake_ingest, monkeypatch):
    import gzip

    from chalicelib import config

    monkeypatch.setenv("ODAVL_DECOMPRESSED_MAX_BYTES", str(2 * 1024 * 1024))
    config.reset_settings()
    bomb = gzip.compress(b" " * (20 * 1024 * 1024))
    job = enqueue_bytes(org, "bomb", bomb, compressed=True, project_id="p", metadata={})
    deliver(queued_bodies()[0])
    shown = _get(client, org, job["jobId"])
    assert shown["status"] == "failed" and shown["error"]["code"] == "decompression_limit"
    assert fake_ingest.calls == []
