"""An ingest job ingests the bytes its upload's completion verified, even when the presigned form
is used again between completion and the job (the job pins the verified version)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3

from chalicelib.services import jobs
from tests.api.binary_uploads.conftest import send
from tests.api.jobs.conftest import queued_bodies
from tests.api.uploads_inline.helpers import fixture
from tests.conftest import Org, body


def test_the_job_ingests_the_verified_version_not_a_later_post(client: Any, org: Org) -> None:
    export = fixture("insight", "analysis-results")
    data = json.dumps(export).encode()
    swapped = json.dumps({"diagnostics": {"evil.ts": [{"severity": "error", "message": "x" * (len(data) - 80)}]}})
    swapped_bytes = swapped.encode()[: len(data)].ljust(len(data), b" ")
    start = client.http.post("/v1/uploads", headers=org.headers, body=json.dumps({
        "product": "insight", "type": "analysis-results", "fileName": "export.json", "contentType": "application/json",
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "projectId": "pinned"}))
    instructions = body(start)
    assert instructions["method"] == "POST"
    send(instructions, data)
    done = client.http.post(f"/v1/uploads/{instructions['uploadId']}/complete", headers=org.headers, body="{}")
    assert done.status_code == 202, done.body
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket="odavl-test-payloads", Key=instructions["fields"]["key"], Body=swapped_bytes,
        ContentType="application/json")  # the form posted again
    [message] = queued_bodies()
    jobs.process_message(message, 1)
    job = body(client.http.get(f"/v1/jobs/{body(done)['jobId']}", headers=org.headers))
    assert job["status"] == "succeeded", job
    run = body(client.http.get(f"/v1/runs/insight/{job['result']['runId']}", headers=org.headers))
    summary = run.get("summary") or run["run"]["summary"]
    expected = sum(len(v) for v in export["diagnostics"].values())
    assert summary["diagnosticsCount"] == expected
