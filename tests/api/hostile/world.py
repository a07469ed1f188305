"""The world the hostile corpus runs in: in-process moto with the template's resources, the
Chalice test client, our organization with keys in every state (admin, limited, revoked, expired)
and another organization whose resources are the 'foreign ids' the corpus asks for."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from chalicelib import clock, config
from chalicelib.store import clients
from tests.conftest import BASE_ENV, make_org

# Far enough ahead that the 'expired' key has expired; used only by the cases that need it.
LATER = timedelta(hours=2)
# The idempotency key of each organization's seeded inline upload (a row reuses it with another body).
SEED_IDEMPOTENCY_KEY = "hostile-seed-upload-0001"


@dataclass
class World:
    client: Any
    keys: dict[str, str] = field(default_factory=dict)       # credential name -> plaintext key
    own: dict[str, str] = field(default_factory=dict)        # path param -> an id of our org
    foreign: dict[str, str] = field(default_factory=dict)    # path param -> another org's id
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    last_snapshot: dict[str, Any] | None = None              # what the previous row left behind

    def authorization(self, credential: str) -> dict[str, str]:
        """Headers for a named credential (see ``CREDENTIALS`` in cases.py)."""
        if credential == "none":
            return {}
        if credential == "basic":
            return {"Authorization": f"Basic {self.keys['admin']}"}
        if credential == "garbage":
            return {"Authorization": "Bearer not-a-key"}
        if credential == "wrong-secret":
            key_id = self.keys["admin"].split("_")[1]
            return {"Authorization": f"Bearer odavl_{key_id}_{'A' * 43}"}
        if credential == "unknown-id":
            return {"Authorization": f"Bearer odavl_{'0' * 16}_{'A' * 43}"}
        return {"Authorization": f"Bearer {self.keys[credential]}"}


def _api(client: Any, method: str, path: str, key: str, payload: Any = None, headers: dict | None = None) -> Any:
    hdrs = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **(headers or {})}
    body = json.dumps(payload) if payload is not None else None
    return getattr(client.http, method.lower())(path, headers=hdrs, body=body)


def _has(path: str, method: str) -> bool:
    from app import app

    return method.upper() in app.routes.get(path, {})


def _seed_resources(world: World, org_key: str, into: dict[str, str]) -> None:
    """Create, through the API, one resource of each kind the served routes know, for ``into``
    (so rows can name an organization's real ids: its own, or another's)."""
    client = world.client
    export = {"diagnostics": {"src/a.ts": [{"severity": "error", "message": "x", "source": "ts", "code": "2322",
                                            "line": 1, "column": 1}]}}
    if _has("/v1/upload/{product}", "POST"):
        data = base64.b64encode(gzip.compress(json.dumps(export).encode())).decode()
        reply = _api(client, "POST", "/v1/upload/insight", org_key,
                     {"type": "analysis-results", "data": data, "compressed": True},
                     headers={"Idempotency-Key": SEED_IDEMPOTENCY_KEY})
        assert reply.status_code == 201, reply.body
        got = json.loads(reply.body)
        into["runId"] = got["runId"]
        into["inlineUploadId"] = got["uploadId"]
    if _has("/v1/uploads", "POST"):
        blob = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(org_key.encode()).digest() * 4
        reply = _api(client, "POST", "/v1/uploads", org_key,
                     {"product": "guardian", "type": "screenshot", "fileName": "shot.png", "contentType": "image/png",
                      "size": len(blob), "sha256": hashlib.sha256(blob).hexdigest(), "testRunId": "tr-hostile-1"})
        assert reply.status_code in (200, 201), reply.body
        into["uploadId"] = json.loads(reply.body)["uploadId"]
    if _has("/v1/storage/upload-url", "POST"):
        reply = _api(client, "POST", "/v1/storage/upload-url", org_key,
                     {"fileName": "report.json", "contentType": "application/json", "size": 10})
        assert reply.status_code in (200, 201), reply.body
        into["fileId"] = json.loads(reply.body)["fileId"]
    if _has("/v1/jobs/{jobId}", "GET"):
        into["jobId"] = _seed_job(client, org_key)


def _seed_job(client: Any, org_key: str) -> str:
    """An ingest job, made the way a client makes one: a JSON upload session, the bytes put at the
    session's key (as the presigned POST would), then completion, which queues the job."""
    from chalicelib.config import get_settings

    data = json.dumps({"diagnostics": {}}).encode()
    reply = _api(client, "POST", "/v1/uploads", org_key,
                 {"product": "insight", "type": "analysis-results", "fileName": "export.json",
                  "contentType": "application/json", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    assert reply.status_code == 201, reply.body
    session = json.loads(reply.body)
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=get_settings().bucket, Key=session["fields"]["key"], Body=data, ContentType="application/json")
    reply = _api(client, "POST", f"/v1/uploads/{session['uploadId']}/complete", org_key, {})
    assert reply.status_code == 202, reply.body
    return json.loads(reply.body)["jobId"]


@contextmanager
def build() -> Iterator[World]:
    """Set the world up (moto, app, orgs, keys, resources) and tear it down after."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.services import keys
    from infra.template import create_resources

    with pytest.MonkeyPatch.context() as mp:
        for name, value in BASE_ENV.items():
            mp.setenv(name, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        config.reset_settings()
        clients.reset()
        try:
            with mock_aws():
                create_resources(boto3.session.Session(region_name="us-east-1"), "test")
                ours, theirs = make_org("acme", "pro"), make_org("globex", "pro")
                with Client(app) as client:
                    world = World(client=client)
                    world.keys["admin"] = ours.key
                    world.keys["foreign-admin"] = theirs.key
                    now = clock.now()
                    world.created_at = now
                    world.keys["runs-reader"] = keys.create_key("acme", "reader", ["runs:read"])[1]
                    world.keys["usage-reader"] = keys.create_key("acme", "usage", ["usage:read"])[1]
                    world.keys["keys-admin"] = keys.create_key("acme", "keys", ["keys:admin"])[1]
                    world.keys["expired"] = keys.create_key("acme", "short", None, now + timedelta(hours=1))[1]
                    revoked_view, world.keys["revoked"] = keys.create_key("acme", "gone", None)
                    keys.revoke_key("acme", revoked_view["keyId"])
                    world.own["keyId"] = world.keys["runs-reader"].split("_")[1]
                    world.foreign["keyId"] = theirs.key.split("_")[1]
                    _seed_resources(world, theirs.key, world.foreign)
                    _seed_resources(world, ours.key, world.own)
                    yield world
        finally:
            clients.reset()
            config.reset_settings()
