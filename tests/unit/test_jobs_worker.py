"""The local worker against in-process moto: it feeds the Lambda handler, acknowledges successes,
and leaves failures to the queue's redrive policy (3 receives, then the dead-letter queue)."""
from __future__ import annotations

import json

import pytest

from chalicelib.services import jobs
from chalicelib.store import queue
from infra.template import load_template
from infra.worker import Worker, lambda_event
from tests.api.jobs.conftest import FakeIngest, enqueue


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeIngest:
    fake = FakeIngest()
    monkeypatch.setattr(jobs, "_ingest_json", fake)
    return fake


def _drain(worker: Worker, rounds: int) -> list[bool]:
    outcomes = []
    for _ in range(rounds):
        for message in queue.receive_ingest(max_messages=1, wait_seconds=0):
            outcomes.append(worker.dispatch(message))
    return outcomes


def test_max_receives_matches_the_queue_redrive_policy():
    policy = load_template()["Resources"]["IngestQueue"]["Properties"]["RedrivePolicy"]
    assert policy["maxReceiveCount"] == jobs.MAX_RECEIVES


def test_worker_processes_and_deletes_the_message(org, fake):
    job = enqueue(org)
    assert _drain(Worker(wait_seconds=0, retry_seconds=0), 3) == [True]
    assert jobs.get_job("acme", job["jobId"])["status"] == "succeeded"
    assert queue.receive_ingest(wait_seconds=0) == []
    assert queue.dead_letters() == []


def test_three_failed_receives_land_in_the_dead_letter_queue_and_fail_the_job(org, fake):
    fake.fail = TimeoutError("throttled")
    job = enqueue(org)
    assert _drain(Worker(wait_seconds=0, retry_seconds=0), 6) == [False, False, False]
    shown = jobs.get_job("acme", job["jobId"])
    assert shown["status"] == "failed" and shown["attempts"] == 3
    assert shown["error"]["code"] == "ingest_error" and "throttled" not in shown["error"]["message"]
    [dead] = queue.dead_letters()
    assert json.loads(dead["Body"]) == {"orgId": "acme", "jobId": job["jobId"]}


def test_lambda_event_carries_the_receive_count():
    message = {"MessageId": "m", "ReceiptHandle": "r", "Body": "{}", "Attributes": {"ApproximateReceiveCount": "2"}}
    record = lambda_event(message, "odavl-test-ingest")["Records"][0]
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["body"] == "{}" and record["receiptHandle"] == "r"


def test_failed_lambda_delivery_backs_off_instead_of_waiting_out_the_visibility_timeout(org, fake, monkeypatch):
    from chalicelib.routes.jobs import handle_ingest

    delays: list[tuple[str, int]] = []
    monkeypatch.setattr(queue, "delay_ingest", lambda handle, seconds: delays.append((handle, seconds)))
    fake.fail = ConnectionError("reset")
    enqueue(org)
    [message] = queue.receive_ingest(wait_seconds=0)
    message["Attributes"]["ApproximateReceiveCount"] = "2"
    with pytest.raises(ConnectionError):
        handle_ingest(lambda_event(message, "odavl-test-ingest"), None)
    assert delays == [(message["ReceiptHandle"], 2 * jobs.RETRY_SECONDS)]
