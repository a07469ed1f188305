"""Helpers shared by the inline upload and runs API tests: encoding payloads the way the CLI
does, uploading, and snapshotting every table and the bucket to prove 'nothing changed'."""
from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import boto3

from tests.conftest import Org, body

WORKSPACE = Path(__file__).resolve().parents[2] / "fixtures" / "workspace" / ".odavl"
TR = "tr-20261122-101500-c3d4"
FIXTURES: dict[tuple[str, str], str] = {
    ("insight", "analysis-results"): "problems-panel-export.json",
    ("insight", "ml-training"): "error-signatures.json",
    ("autopilot", "ledger"): "ledger/run-20261122-093000-a1b2.json",
    ("autopilot", "snapshot"): "undo/snap-20261122-093000-a1b2.json",
    ("autopilot", "recipe-trust"): "recipes-trust.json",
    ("autopilot", "run-history"): "history.json",
    ("guardian", "test-results"): f"guardian/test-{TR}.json",
    ("guardian", "lighthouse-report"): f"guardian/lighthouse-{TR}.json",
    ("guardian", "accessibility-report"): f"guardian/accessibility-{TR}.json",
}


def fixture(product: str, upload_type: str) -> dict[str, Any]:
    """A sample workspace file as JSON."""
    return json.loads((WORKSPACE / FIXTURES[(product, upload_type)]).read_text())


def encode(payload: Any, compressed: bool = True) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.b64encode(gzip.compress(raw) if compressed else raw).decode()


def request_body(upload_type: str, payload: Any, *, compressed: bool = True, project_id: str = "shop-web",
                 metadata: dict | None = None, **extra: Any) -> str:
    return json.dumps({"type": upload_type, "projectId": project_id, "metadata": metadata or {},
                       "data": encode(payload, compressed), "compressed": compressed, **extra})


def upload(client: Any, org: Org, product: str, upload_type: str, payload: Any, *, key: str | None = None,
           **kwargs: Any) -> Any:
    headers = dict(org.headers)
    if key:
        headers["Idempotency-Key"] = key
    return client.http.post(f"/v1/upload/{product}", headers=headers, body=request_body(upload_type, payload, **kwargs))


def upload_ok(client: Any, org: Org, product: str, upload_type: str, payload: Any, **kwargs: Any) -> dict[str, Any]:
    response = upload(client, org, product, upload_type, payload, **kwargs)
    assert response.status_code == 201, response.body
    return body(response)


def state() -> dict[str, Any]:
    """Every item of the runs, idempotency and usage tables and every object key of the bucket."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    snap: dict[str, Any] = {}
    for name in ("runs", "idempotency", "usage", "files"):
        items = [i for i in ddb.scan(TableName=f"odavl-test-{name}")["Items"] if not _request_metering(i)]
        snap[name] = sorted(json.dumps(i, sort_keys=True) for i in items)
    s3 = boto3.client("s3", region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket="odavl-test-payloads").get("Contents", [])
    snap["objects"] = sorted(o["Key"] for o in listed)
    return snap


def _request_metering(item: dict[str, Any]) -> bool:
    """Per-request api_calls counters and rate windows change on every request, refused or not."""
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    return pk.startswith("KEY#") or sk.endswith("#api_calls") or sk.startswith("EVENT#call:")


def run_items() -> list[dict[str, Any]]:
    """Every item of the runs table but the list aggregates (``stats_items``: they move with the runs)."""
    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-runs").scan()["Items"]
    return [i for i in items if not str(i["pk"]).startswith("STATS#")]


def stats_items() -> list[dict[str, Any]]:
    """The list aggregates that count anything (a deleted run's counters leave zeros behind)."""
    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-runs").scan()["Items"]
    return [i for i in items if str(i["pk"]).startswith("STATS#")
            and any(v != 0 for k, v in i.items() if k.startswith("c."))]


def payload_objects() -> list[str]:
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="odavl-test-payloads").get("Contents", [])
    return [o["Key"] for o in listed if "/runs/" in o["Key"] and not o["Key"].endswith((".cmp.json.gz", ".pages.bin"))]
