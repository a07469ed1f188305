"""The bytes served are the bytes verified: a presigned POST form used again after completion
(same length, same type, other bytes) changes nothing a download or a run shows. Over real HTTP
against the local stack; the bucket is versioned and every record pins the version it verified."""
from __future__ import annotations

import hashlib
import os
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def api(stack: Any) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=60)


def _post(answer: dict[str, Any], data: bytes, content_type: str) -> None:
    posted = httpx.post(answer["url"], data=answer["fields"], files={"file": ("f", data, content_type)})
    assert posted.status_code in (200, 204), posted.text


def test_a_stored_file_downloads_as_verified_after_the_form_is_posted_again(stack: Any) -> None:
    data, swapped = b"%PDF-1.7\n" + os.urandom(4000), b"%PDF-1.7\n" + os.urandom(4000)
    with api(stack) as client:
        answer = client.post("/v1/storage/upload-url", json={
            "fileName": "report.pdf", "contentType": "application/pdf", "size": len(data)}).json()
        _post(answer, data, "application/pdf")
        assert client.post(f"/v1/storage/files/{answer['fileId']}/complete").status_code == 200
        _post(answer, swapped, "application/pdf")  # the form is still valid: S3 takes it
        link = client.get(f"/v1/storage/files/{answer['fileId']}/download-url").json()["url"]
        assert httpx.get(link).content == data
        assert client.delete(f"/v1/storage/files/{answer['fileId']}").status_code == 204
    s3 = stack.client("s3")
    left = s3.list_object_versions(Bucket="odavl-dev-payloads", Prefix=answer["fields"]["key"])
    assert not left.get("Versions") and not left.get("DeleteMarkers")  # every version went with the file


def test_a_screenshot_is_served_as_verified_after_its_form_is_posted_again(stack: Any) -> None:
    swapped = PNG[:-4] + b"EVIL"
    with api(stack) as client:
        start = client.post("/v1/uploads", json={
            "product": "guardian", "type": "screenshot", "fileName": "home.png", "contentType": "image/png",
            "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest(), "testRunId": "tr-swap-1"})
        assert start.status_code == 201, start.text
        answer = start.json()
        _post(answer, PNG, "image/png")
        assert client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={}).status_code == 200
        _post(answer, swapped, "image/png")
        results = {"testRunId": "tr-swap-1", "url": "https://shop.example.com", "tests": []}
        import base64
        import gzip
        import json

        run = client.post("/v1/upload/guardian", json={
            "type": "test-results", "projectId": "swap", "compressed": True,
            "data": base64.b64encode(gzip.compress(json.dumps(results).encode())).decode()})
        assert run.status_code == 201, run.text
        detail = client.get(f"/v1/runs/guardian/{run.json()['runId']}").json()
        urls = [a["url"] for a in detail.get("attachments", []) if a.get("sha256") == hashlib.sha256(PNG).hexdigest()]
        assert urls, detail.keys()
        assert httpx.get(urls[0]).content == PNG
