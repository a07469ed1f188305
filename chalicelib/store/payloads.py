"""Run payloads in S3: the full JSON, gzip'd, one object per run at
``orgs/<orgId>/runs/<product>/<runId>.json.gz``."""
from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.config import get_settings
from chalicelib.store import clients, objects


def payload_key(org_id: str, product: str, run_id: str) -> str:
    """The object key of a run's payload."""
    return f"orgs/{org_id}/runs/{product}/{run_id}.json.gz"


def put(key: str, gzipped: bytes, sha256: str) -> None:
    """Store a gzip'd JSON payload."""
    clients.s3().put_object(
        Bucket=get_settings().bucket, Key=key, Body=gzipped, ContentType="application/json",
        ContentEncoding="gzip", Metadata={"sha256": sha256},
    )


def get(key: str) -> bytes | None:
    """The gzip'd bytes of a payload, or None when it is gone."""
    try:
        out = clients.s3().get_object(Bucket=get_settings().bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return out["Body"].read()


def delete(key: str) -> None:
    """Remove a payload, every version of it (no error when already gone)."""
    objects.delete(key)
