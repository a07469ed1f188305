"""Helpers for the upload door: sample bytes of each type, a client that 'sends' bytes the way a
real client would (boto3 against the in-process moto: presigned URLs are not reachable here)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3

from tests.addressing import declare
from tests.conftest import Org, body

BUCKET = "odavl-test-payloads"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def s3() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def start(client: Any, org: Org, data: bytes, **overrides: Any) -> Any:
    request = {"product": "guardian", "type": "screenshot", "fileName": "home.png", "contentType": "image/png",
               "size": len(data), **declare(data), "testRunId": "run-1", **overrides}
    return client.http.post("/v1/uploads", headers=org.headers, body=json.dumps(request))


def send(answer: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """Put the bytes where the instructions say; returns the parts sent (multipart) or []."""
    if answer["method"] == "POST":
        fields = answer["fields"]
        s3().put_object(Bucket=BUCKET, Key=fields["key"], Body=data, ContentType=fields["Content-Type"])
        return []
    return send_parts(answer, data, [p["partNumber"] for p in answer["parts"]])


def send_parts(answer: dict[str, Any], data: bytes, numbers: list[int]) -> list[dict[str, Any]]:
    key, upload_id = _multipart_of(answer)
    size = answer["partSize"]
    signed = {p["partNumber"]: p["headers"] for p in answer["parts"]}  # the checksum each part URL signs
    sent = []
    for n in numbers:
        out = s3().upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=n,
                               Body=data[(n - 1) * size: n * size], ChecksumSHA256=signed[n]["x-amz-checksum-sha256"])
        sent.append({"partNumber": n, "etag": out["ETag"]})
    return sent


def _multipart_of(answer: dict[str, Any]) -> tuple[str, str]:
    from urllib.parse import parse_qs, urlparse

    url = urlparse(answer["parts"][0]["url"])
    key = url.path.split("/", 2)[2]
    return key, parse_qs(url.query)["uploadId"][0]


def complete(client: Any, org: Org, upload_id: str, parts: list[dict[str, Any]] | None = None) -> Any:
    payload = {"parts": parts} if parts else {}
    return client.http.post(f"/v1/uploads/{upload_id}/complete", headers=org.headers, body=json.dumps(payload))


def keys(prefix: str = "orgs/") -> list[str]:
    return [o["Key"] for o in s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def file_items() -> list[dict[str, Any]]:
    return boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-files").scan()["Items"]


__all__ = ["BUCKET", "PNG", "body", "complete", "file_items", "keys", "s3", "send", "send_parts", "sha", "start"]
