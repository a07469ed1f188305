"""Expired storage files go in the daily retention pass (object, record, gauge down); others stay."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3

from chalicelib import clock
from chalicelib.services import usage
from chalicelib.services.maintenance import retention
from tests.conftest import Org, body

BUCKET = "odavl-test-payloads"


def _store(client: Any, org: Org, data: bytes, name: str, expires_at: datetime | None) -> str:
    request: dict[str, Any] = {"fileName": name, "contentType": "text/plain", "size": len(data)}
    if expires_at is not None:
        request["fileExpiresAt"] = expires_at.isoformat()
    answer = body(client.http.post("/v1/storage/upload-url", headers=org.headers, body=json.dumps(request)))
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=BUCKET, Key=answer["fields"]["key"], Body=data, ContentType="text/plain")
    done = client.http.post(f"/v1/storage/files/{answer['fileId']}/complete", headers=org.headers)
    assert done.status_code == 200, done.body
    return answer["fields"]["key"]


def _keys() -> set[str]:
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=BUCKET, Prefix="orgs/")
    return {o["Key"] for o in listed.get("Contents", [])}


def test_expired_files_are_deleted_and_the_gauge_goes_down(client, org: Org):
    now = datetime.now(timezone.utc)
    soon = _store(client, org, b"short-lived", "a.txt", now + timedelta(hours=1))
    later = _store(client, org, b"lives longer", "b.txt", now + timedelta(days=10))
    forever = _store(client, org, b"kept", "c.txt", None)
    used = usage.storage_used("acme")

    with clock.frozen(now + timedelta(hours=2)):
        report = retention.run_retention(steps=("files",))

    assert (report.files_deleted, report.file_bytes_freed) == (1, len(b"short-lived"))
    assert _keys() >= {later, forever} and soon not in _keys()
    assert usage.storage_used("acme") == used - len(b"short-lived")
    with clock.frozen(now + timedelta(hours=2)):
        assert retention.run_retention(steps=("files",)).files_deleted == 0
