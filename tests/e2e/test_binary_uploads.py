"""The large/binary door over real HTTP against the local stack: bytes go straight to moto's server
through the presigned URLs (each part PUT with the checksum header its URL signs), parts in
parallel, an interrupted upload resumes, a known screenshot sends nothing, a client whose parts
are not the bytes it declared is refused and leaves nothing behind."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from chalicelib.services.uploads import sessions
from tests.addressing import declare

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

MB = 1000 * 1000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def api(stack: Any) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=60)


def png(size: int) -> bytes:
    return PNG_MAGIC + os.urandom(size - len(PNG_MAGIC))


def start(client: httpx.Client, data: bytes, run_id: str, **extra: Any) -> httpx.Response:
    request = {"product": "guardian", "type": "screenshot", "fileName": "home.png", "contentType": "image/png",
               "size": len(data), **declare(data), "testRunId": run_id, **extra}
    return client.post("/v1/uploads", json=request)


class Sender:
    """Sends parts with PUT, counting the bytes that go over the wire."""

    def __init__(self, data: bytes, part_size: int) -> None:
        self.data, self.part_size, self.sent = data, part_size, 0

    def put(self, part: dict[str, Any]) -> dict[str, Any]:
        n = part["partNumber"]
        chunk = self.data[(n - 1) * self.part_size: n * self.part_size]
        response = httpx.put(part["url"], content=chunk, headers=part["headers"], timeout=60)
        assert response.status_code == 200, response.text
        self.sent += len(chunk)
        return {"partNumber": n, "etag": response.headers["ETag"]}

    def put_all(self, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(self.put, parts))


def test_twelve_megabytes_through_parallel_multipart(stack):
    data = png(12 * MB)
    with api(stack) as client:
        response = start(client, data, "e2e-mp-1")
        assert response.status_code == 201, response.text
        answer = response.json()
        assert answer["method"] == "MULTIPART" and answer["partCount"] == 2
        sender = Sender(data, answer["partSize"])
        parts = sender.put_all(answer["parts"])
        assert sender.sent == len(data)
        done = client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={"parts": parts})
        assert done.status_code == 200, done.text
        assert done.json()["sha256"] == declare(data)["sha256"]  # the tree hash: the content address
    s3 = stack.client("s3")
    key = sessions.blob_upload_key("e2e", done.json()["sha256"], answer["uploadId"])
    head = s3.head_object(Bucket="odavl-dev-payloads", Key=key)  # the upload became the blob in place
    assert head["ContentLength"] == len(data) and head["ContentType"] == "image/png"


def test_interrupted_upload_resumes_with_only_missing_parts(stack):
    data = png(20 * MB)
    with api(stack) as client:
        answer = start(client, data, "e2e-resume").json()
        assert answer["partCount"] == 3
        first = Sender(data, answer["partSize"])
        first.put_all([p for p in answer["parts"] if p["partNumber"] != 2])  # the connection dropped on part 2
        state = client.get(f"/v1/uploads/{answer['uploadId']}").json()
        assert state["missingParts"] == [2]
        assert [p["partNumber"] for p in state["uploadedParts"]] == [1, 3]
        resumed = Sender(data, answer["partSize"])
        resumed.put_all(state["parts"])
        assert resumed.sent == answer["partSize"]  # only part 2 went over the wire again
        done = client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={})
        assert done.status_code == 200, done.text
        assert first.sent + resumed.sent == len(data)


def test_same_screenshot_twice_sends_zero_bytes(stack):
    data = png(200_000)
    with api(stack) as client:
        answer = start(client, data, "e2e-dedup-1").json()
        assert answer["method"] == "POST"
        posted = httpx.post(answer["url"], data=answer["fields"], files={"file": ("home.png", data, "image/png")})
        assert posted.status_code in (200, 204), posted.text
        assert client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={}).status_code == 200
        again = start(client, data, "e2e-dedup-2")
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "exists" and again.json()["bytesToSend"] == 0
        assert "url" not in again.json() and "parts" not in again.json()


def test_lying_client_is_caught_at_completion(stack):
    declared = png(100_000)
    with api(stack) as client:
        answer = start(client, declared, "e2e-liar").json()
        sent = b"GIF89a" + declared[6:] + b"extra"
        posted = httpx.post(answer["url"], data=answer["fields"], files={"file": ("home.png", sent, "image/png")})
        assert posted.status_code in (200, 204)  # moto's server does not enforce the policy
        done = client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={})
        assert done.status_code == 400 and done.json()["error"]["code"] == "size_mismatch"
    listed = stack.client("s3").list_objects_v2(Bucket="odavl-dev-payloads", Prefix=f"orgs/e2e/uploads/{answer['uploadId']}")
    assert listed.get("KeyCount", 0) == 0


def test_large_json_is_ingested_by_a_job(stack):
    import json
    import time

    payload = {
        "exportedAt": "2026-11-22T10:00:00.000Z", "workspaceRoot": "/work/app", "totalFiles": 1, "totalDiagnostics": 1,
        "diagnostics": {"/work/app/src/main.py": [
            {"file": "/work/app/src/main.py", "severity": "error", "message": "boom", "line": 3, "column": 1,
             "code": "E1", "source": "odavl"}]},
        "notes": "n" * (12 * MB),
    }
    data = json.dumps(payload).encode()
    with api(stack) as client:
        answer = client.post("/v1/uploads", json={
            "product": "insight", "type": "analysis-results", "fileName": "problems-panel-export.json",
            "contentType": "application/json", "size": len(data), **declare(data), "projectId": "e2e-large"}).json()
        assert answer["method"] == "MULTIPART"
        parts = Sender(data, answer["partSize"]).put_all(answer["parts"])
        done = client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={"parts": parts})
        assert done.status_code == 202, done.text
        job_id = done.json()["jobId"]
        deadline = time.monotonic() + 180
        while True:
            job = client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert job["status"] == "succeeded", job


def _leftovers(stack: Any, upload_id: str) -> tuple[list[str], list[str]]:
    """Object versions and open multipart uploads anywhere under the org that name this upload."""
    s3 = stack.client("s3")
    listed = s3.list_object_versions(Bucket="odavl-dev-payloads", Prefix="orgs/")
    versions = [v["Key"] for group in ("Versions", "DeleteMarkers") for v in listed.get(group, [])
                if v["Key"].endswith(upload_id)]
    uploads = [u["Key"] for u in s3.list_multipart_uploads(Bucket="odavl-dev-payloads", Prefix="orgs/").get("Uploads", [])
               if u["Key"].endswith(upload_id)]
    return versions, uploads


def test_parts_that_are_not_the_declared_bytes_are_refused_and_change_nothing(stack):
    declared = png(12 * MB)
    sent = declared[: 9 * MB] + os.urandom(len(declared) - 9 * MB)  # part 2 differs from its declared digest
    with api(stack) as client:
        before = client.get("/v1/usage").json()["metrics"]["storage_bytes"]
        answer = start(client, declared, "e2e-mp-liar").json()
        sender = Sender(sent, answer["partSize"])
        parts = sender.put_all(answer["parts"])  # moto's server takes a part whatever its checksum header says
        done = client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={"parts": parts})
        assert done.status_code == 400, done.text
        error = done.json()
        assert set(error) == {"error", "requestId"} and error["error"]["code"] == "checksum_mismatch"
        assert error["error"]["details"]["declared"] == declare(declared)["sha256"]
        assert error["error"]["details"]["actual"] == declare(sent)["sha256"]  # what S3 computed from the bytes
        assert client.get(f"/v1/uploads/{answer['uploadId']}").status_code == 404  # the session went too
        again = start(client, declared, "e2e-mp-liar-2")
        assert again.status_code == 201 and again.json()["status"] == "upload"  # no blob was recorded
        assert client.delete(f"/v1/uploads/{again.json()['uploadId']}").status_code == 204
        after = client.get("/v1/usage").json()["metrics"]["storage_bytes"]
    assert _leftovers(stack, answer["uploadId"]) == ([], [])
    assert after == before  # no counted usage


def test_the_same_bytes_again_multipart_are_found_by_their_tree_hash(stack):
    data = png(12 * MB)
    with api(stack) as client:
        answer = start(client, data, "e2e-mp-dedup-1").json()
        parts = Sender(data, answer["partSize"]).put_all(answer["parts"])
        assert client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={"parts": parts}).status_code == 200
        again = start(client, data, "e2e-mp-dedup-2")
        assert again.status_code == 200, again.text
        found = again.json()
    assert found["status"] == "exists" and found["bytesToSend"] == 0 and found["sha256"] == declare(data)["sha256"]
