"""What an organization has stored, read straight from moto: its run items and payload objects."""
from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import Org


def runs_of(org: Org) -> list[dict[str, Any]]:
    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-runs").scan()["Items"]
    return [i for i in items if i.get("orgId") == org.org_id and i.get("runId")]


def payload_objects(org: Org) -> list[str]:
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket="odavl-test-payloads", Prefix=f"orgs/{org.org_id}/runs/")
    return [o["Key"] for o in listed.get("Contents", []) if not o["Key"].endswith((".cmp.json.gz", ".pages.bin"))]
