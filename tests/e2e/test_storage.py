"""The file storage API over real HTTP: presigned POST to moto's server, completion, a download
through the presigned GET carrying the original name, deletion."""
from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def api(stack: Any) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=60)


def test_file_round_trip(stack):
    data = b"%PDF-1.7\n" + os.urandom(50_000)
    with api(stack) as client:
        response = client.post("/v1/storage/upload-url", json={
            "fileName": "../Q3 report\u202e.pdf", "contentType": "application/pdf", "size": len(data), "product": "insight"})
        assert response.status_code == 201, response.text
        answer = response.json()
        assert answer["fields"]["key"] == f"orgs/e2e/files/{answer['fileId']}.pdf"
        posted = httpx.post(answer["url"], data=answer["fields"], files={"file": ("x.pdf", data, "application/pdf")})
        assert posted.status_code in (200, 204), posted.text
        done = client.post(f"/v1/storage/files/{answer['fileId']}/complete")
        assert done.status_code == 200, done.text
        assert done.json()["fileName"] == "Q3 report.pdf"
        listed = client.get("/v1/storage/files", params={"prefix": "Q3 report", "product": "insight"}).json()["items"]
        assert answer["fileId"] in [f["fileId"] for f in listed]
        link = client.get(f"/v1/storage/files/{answer['fileId']}/download-url", params={"expiresIn": 120}).json()
        download = httpx.get(link["url"])
        assert download.status_code == 200 and download.content == data
        assert 'filename="Q3 report.pdf"' in download.headers["content-disposition"]
        assert download.headers["content-type"] == "application/pdf"
        stats = client.get("/v1/storage/stats").json()
        assert stats["fileCount"] >= 1 and stats["byContentType"]["application/pdf"]["bytes"] >= len(data)
        assert client.delete(f"/v1/storage/files/{answer['fileId']}").status_code == 204
        assert client.delete(f"/v1/storage/files/{answer['fileId']}").status_code == 404
    gone = stack.client("s3").list_objects_v2(Bucket="odavl-dev-payloads", Prefix=answer["fields"]["key"])
    assert gone.get("KeyCount", 0) == 0


def test_wrong_type_posted_to_the_form_is_deleted_at_completion(stack):
    with api(stack) as client:
        answer = client.post("/v1/storage/upload-url", json={
            "fileName": "pic.png", "contentType": "image/png", "size": 6}).json()
        posted = httpx.post(answer["url"], data=answer["fields"], files={"file": ("pic.png", b"MZ\x90\x00\x03\x00", "image/png")})
        assert posted.status_code in (200, 204)
        done = client.post(f"/v1/storage/files/{answer['fileId']}/complete")
        assert done.status_code == 415 and done.json()["error"]["code"] == "type_mismatch"
    listed = stack.client("s3").list_objects_v2(Bucket="odavl-dev-payloads", Prefix=answer["fields"]["key"])
    assert listed.get("KeyCount", 0) == 0
