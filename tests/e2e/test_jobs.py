"""Ingest jobs on the local stack: a staged JSON object queued as a job is picked up by the worker
process (``python -m infra.worker``) and followed over real HTTP until it ends."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

BUCKET = "odavl-dev-payloads"
PAYLOAD = {
    "exportedAt": "2026-11-22T10:00:00.000Z",
    "workspaceRoot": "/work/app",
    "totalFiles": 1,
    "totalDiagnostics": 1,
    "diagnostics": {
        "/work/app/src/main.py": [
            {"file": "/work/app/src/main.py", "severity": "warning", "message": "unused import",
             "line": 1, "column": 1, "code": "F401", "source": "ruff"}
        ]
    },
}


def _enqueue(stack: Any, upload_id: str, missing: bool = False) -> str:
    """Stage PAYLOAD and queue its ingest job through the service, in a process configured like the stack's."""
    key = f"orgs/e2e/uploads/{upload_id}"
    if not missing:
        stack.client("s3").put_object(Bucket=BUCKET, Key=key, Body=json.dumps(PAYLOAD).encode())
    code = (
        "import json, sys\n"
        "from chalicelib.services import jobs\n"
        f"job = jobs.enqueue_ingest('e2e', 'ENTERPRISE', product='insight', upload_type='analysis-results',"
        f" project_id='e2e-project', metadata={{'branch': 'main'}}, s3_key={key!r}, size=1, sha256='0'*64,"
        f" compressed=False, idempotency_key=None, upload_id={upload_id!r})\n"
        "print(json.dumps(job))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=stack.env(), check=True,
                         capture_output=True, text=True).stdout
    return str(json.loads(out.strip().splitlines()[-1])["jobId"])


def _wait_for_end(stack: Any, job_id: str, deadline_s: float = 120) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {stack.admin_key}"}
    deadline = time.monotonic() + deadline_s
    while True:
        job = httpx.get(f"{stack.api_url}/v1/jobs/{job_id}", headers=headers, timeout=10).json()
        if job["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def test_worker_runs_a_queued_ingest_job_to_success(stack):
    job_id = _enqueue(stack, "e2e-job-ok")
    job = _wait_for_end(stack, job_id)
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 1 and job["startedAt"] and job["finishedAt"]
    assert job["result"]["url"]
    # the worker removes the staging object right after marking the job succeeded
    for _ in range(50):
        staged = stack.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="orgs/e2e/uploads/e2e-job-ok")
        if staged.get("KeyCount", 0) == 0:
            break
        time.sleep(0.1)
    assert staged.get("KeyCount", 0) == 0
    listed = httpx.get(f"{stack.api_url}/v1/jobs?status=succeeded",
                       headers={"Authorization": f"Bearer {stack.admin_key}"}).json()["items"]
    assert job_id in [j["jobId"] for j in listed]


def test_worker_fails_a_job_whose_object_is_gone(stack):
    job_id = _enqueue(stack, "e2e-job-missing", missing=True)
    job = _wait_for_end(stack, job_id)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "staging_missing"
    retried = httpx.post(f"{stack.api_url}/v1/jobs/{job_id}/retry",
                         headers={"Authorization": f"Bearer {stack.admin_key}"})
    assert retried.status_code == 202 and retried.json()["status"] == "queued"
    assert _wait_for_end(stack, job_id)["attempts"] == 2


def test_worker_stops_on_sigterm(stack):
    proc = subprocess.Popen([sys.executable, "-m", "infra.worker"], cwd=ROOT, env=stack.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        assert "ingest worker polling odavl-dev-ingest" in proc.stdout.readline()  # signal handlers are in place
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_large_door_json_upload_is_ingested_by_a_job(stack):
    import hashlib

    headers = {"Authorization": f"Bearer {stack.admin_key}"}
    data = json.dumps({**PAYLOAD, "workspaceRoot": "/work/large-door"}).encode()
    request = {"product": "insight", "type": "analysis-results", "fileName": "problems.json",
               "contentType": "application/json", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
               "projectId": "e2e-project"}
    started = httpx.post(f"{stack.api_url}/v1/uploads", headers=headers, json=request)
    assert started.status_code == 201, started.text
    answer = started.json()
    assert answer["method"] == "POST", answer
    sent = httpx.post(answer["url"], data=answer["fields"], files={"file": ("problems.json", data)})
    assert sent.status_code in (200, 201, 204), sent.text
    completed = httpx.post(f"{stack.api_url}/v1/uploads/{answer['uploadId']}/complete", headers=headers, json={})
    assert completed.status_code == 202, completed.text
    job = _wait_for_end(stack, completed.json()["jobId"])
    assert job["status"] == "succeeded", job
    run = httpx.get(f"{stack.api_url}/v1/runs/insight/{job['result']['runId']}", headers=headers)
    assert run.status_code == 200, run.text
