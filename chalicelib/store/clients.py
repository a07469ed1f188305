"""boto3 clients created lazily, once per process, honouring AWS_ENDPOINT_URL (moto locally)."""
from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.config import get_settings

_lock = threading.Lock()
_cache: dict[str, Any] = {}
_sessions: dict[str, boto3.session.Session] = {}

_CONFIG = Config(
    signature_version="s3v4",
    retries={"max_attempts": 3, "mode": "standard"},
    max_pool_connections=32,
    s3={"addressing_style": "path"},
)


def _get(kind: str, factory: Any) -> Any:
    client = _cache.get(kind)
    if client is None:
        with _lock:
            client = _cache.get(kind)
            if client is None:
                client = factory()
                _cache[kind] = client
    return client


def _session() -> boto3.session.Session:
    """One session for every client of the process: each new session loads the endpoint and service
    data files again (a cold start paid that once per client). Clients are made under ``_lock``."""
    session = _sessions.get("session")
    if session is None:
        session = _sessions["session"] = boto3.session.Session(region_name=get_settings().region)
    return session


def dynamodb() -> Any:
    """Low-level DynamoDB client (transactions, conditional updates)."""
    return _get("dynamodb", lambda: _session().client("dynamodb", config=_CONFIG))


def dynamodb_resource() -> Any:
    """DynamoDB resource (Table objects with native Python types); shares nothing with ``dynamodb()``."""
    return _get("dynamodb_resource", lambda: _session().resource("dynamodb", config=_CONFIG))


def s3() -> Any:
    """S3 client that signs with SigV4 (required for presigned POST policies)."""
    return _get("s3", lambda: _session().client("s3", config=_CONFIG))


def sqs() -> Any:
    """SQS client."""
    return _get("sqs", lambda: _session().client("sqs", config=_CONFIG))


def all_clients() -> list[Any]:
    """Every client made so far (for instrumentation such as AWS call counting)."""
    with _lock:
        found = list(_cache.items())
    return [c.meta.client if kind.endswith("_resource") else c for kind, c in found]


def reset() -> None:
    """Drop every cached client (tests switch endpoints and mocks)."""
    with _lock:
        _cache.clear()
        _sessions.clear()
