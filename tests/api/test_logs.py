"""One structured JSON log line per request, with its request id and organization, and never a
secret: not the caller's key, not a key it creates, not a wrong key it tries."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from chalicelib.logs import logger
from tests.conftest import Org, body


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the service logs, formatted by its own Powertools formatter, at INFO."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.name)
    level = target.level
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


def _lines(out: str) -> list[dict]:
    found = []
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def test_request_lines_carry_request_and_org_ids_and_no_secret(client, org: Org, log_output: io.StringIO):
    whoami = client.http.get("/v1/whoami", headers=org.headers)
    created = body(client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "ci"})))
    wrong = org.key[:-4] + "AAAA"
    refused = client.http.get("/v1/whoami", headers={"Authorization": f"Bearer {wrong}"})
    text = log_output.getvalue()
    lines = [line for line in _lines(text) if line.get("message") == "request"]
    assert [line["status"] for line in lines] == [200, 201, 401]
    assert lines[0]["request_id"] == whoami.headers["X-Request-Id"]
    assert lines[2]["request_id"] == refused.headers["X-Request-Id"]
    assert lines[0]["org_id"] == lines[1]["org_id"] == "acme" and lines[0]["route"] == "GET /v1/whoami"
    for secret in (org.key.split("_", 2)[2], created["key"].split("_", 2)[2], wrong.split("_", 2)[2]):
        assert secret not in text
        assert secret[:12] not in text


def test_no_caller_state_carries_over_to_the_next_request(client, org: Org, log_output: io.StringIO):
    client.http.get("/v1/whoami", headers=org.headers)
    client.http.get("/v1/whoami", headers={"Authorization": "Bearer odavl_0000000000000000_nope"})
    client.http.get("/v1/health")
    lines = [line for line in _lines(log_output.getvalue()) if line.get("message") == "request"]
    assert [line["status"] for line in lines] == [200, 401, 200]
    assert lines[0]["key_id"] and lines[0]["org_id"] == "acme"
    for later in lines[1:]:
        assert "key_id" not in later and "org_id" not in later, later
