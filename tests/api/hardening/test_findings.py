"""Findings of the hostile run that each need one small fix: naive expiry dates, a blob removed by
retention during an upload, a type without a summarizer, the queue name's prefix, report counts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import boto3
import pytest

from chalicelib.services import blobs
from tests.api.binary_uploads.conftest import PNG, complete, send, start
from tests.api.uploads_inline.helpers import fixture, upload
from tests.conftest import Org, assert_error_shape, body

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.mark.parametrize("expires", ["2099-01-01T00:00:00", "2099-01-01", "2099-01-01T00:00:00Z",
                                     "2099-01-01T01:00:00+01:00"])
def test_key_expiry_without_a_timezone_is_utc(client: Any, org: Org, expires: str) -> None:
    response = client.http.post("/v1/api-keys", headers=org.headers,
                                body=json.dumps({"name": "ci", "expiresAt": expires}))
    assert response.status_code == 201, response.body
    assert body(response)["expiresAt"].startswith("2099-01-01T00:00:00")


def test_key_expiry_in_the_past_is_refused(client: Any, org: Org) -> None:
    response = client.http.post("/v1/api-keys", headers=org.headers,
                                body=json.dumps({"name": "ci", "expiresAt": "2001-01-01"}))
    assert_error_shape(response, 400)


def _blob_record_deleted_after_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retention removes the blob between the service's read and its attach (the race, made certain)."""
    original = blobs.get

    def racing_get(org_id: str, sha256: str) -> Any:
        found = original(org_id, sha256)
        if found is not None:
            table = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-files")
            table.delete_item(Key={"pk": f"ORG#{org_id}", "sk": f"BLOB#{sha256}"})
        return found

    monkeypatch.setattr(blobs, "get", racing_get)


def test_a_blob_removed_during_the_dedup_answer_gets_a_fresh_upload_not_a_500(
        client: Any, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    first = body(start(client, org, PNG, testRunId="run-1"))
    send(first, PNG)
    assert complete(client, org, first["uploadId"]).status_code == 200
    _blob_record_deleted_after_read(monkeypatch)
    again = start(client, org, PNG, testRunId="run-2")
    assert again.status_code == 201, again.body
    assert body(again)["status"] == "upload"


def test_a_type_without_a_summarizer_is_a_4xx(client: Any, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from chalicelib.services import upload_types

    row = upload_types.TYPES[("insight", "ml-training")]
    monkeypatch.setitem(upload_types.TYPES, ("insight", "ml-training"), dataclasses.replace(row, summarize=None))
    response = upload(client, org, "insight", "ml-training", fixture("insight", "ml-training"))
    payload = assert_error_shape(response, 400, "unknown_type")
    assert "ml-training" in payload["error"]["message"]


def test_the_ingest_queue_of_the_sqs_handler_follows_the_resource_prefix() -> None:
    env = {**os.environ, "ODAVL_STAGE": "prod", "ODAVL_RESOURCE_PREFIX": "acme-odavl-prod"}
    env.pop("ODAVL_INGEST_QUEUE", None)
    out = subprocess.run([sys.executable, "-c", "from chalicelib.routes import jobs; print(jobs.INGEST_QUEUE)"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "acme-odavl-prod-ingest"


@pytest.mark.parametrize("passes,incomplete", [(12, 3), ([{"id": "a"}, {"id": "b"}], 0)])
def test_accessibility_passes_and_incomplete_may_be_counts(client: Any, org: Org, passes: Any, incomplete: Any) -> None:
    report = {**fixture("guardian", "accessibility-report"), "passes": passes, "incomplete": incomplete}
    response = upload(client, org, "guardian", "accessibility-report", report)
    assert response.status_code == 201, response.body
    run = body(client.http.get(f"/v1/runs/guardian/{body(response)['runId']}", headers=org.headers))
    summary = run.get("summary") or run["run"]["summary"]
    assert summary["passesCount"] == (passes if isinstance(passes, int) else len(passes))
    assert summary["incompleteCount"] == incomplete


def test_a_negative_count_of_passes_is_refused(client: Any, org: Org) -> None:
    report = {**fixture("guardian", "accessibility-report"), "passes": -1}
    assert_error_shape(upload(client, org, "guardian", "accessibility-report", report), 400)


@pytest.mark.parametrize("status,expected", [("completed", "succeeded"), ("failed", "failed")])
def test_a_ledger_status_written_by_the_earlier_tool_decides_its_outcome(client: Any, org: Org, status: str,
                                                                       expected: str) -> None:
    ledger = {**fixture("autopilot", "ledger"), "status": status, "phase": "verify"}
    ledger.pop("success", None)
    response = upload(client, org, "autopilot", "ledger", ledger)
    assert response.status_code == 201, response.body
    run = body(client.http.get(f"/v1/runs/autopilot/{body(response)['runId']}", headers=org.headers))
    assert (run.get("run") or run)["status"] == expected
