"""Schemathesis against the service's own /v1/openapi.json, through chalice's test client: for every
operation, generated requests (positive data, a bounded number of examples, derandomized so a
failure reproduces) must never get a 5xx, and every answer must conform to the document."""
from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app import app  # noqa: F401  (registers every route)
from chalicelib.version import VERSION
from chalicelib.web.openapi import build_document
from tests.api.hostile.world import World, build
from tests.conftest import make_org

# Examples per operation: bounded so the suite stays quick on two cores; raise it for a deeper run.
MAX_EXAMPLES = int(os.environ.get("ODAVL_FUZZ_EXAMPLES", "15"))
BASE_URL = "http://testserver"
REQUEST_ARGS = {"method", "url", "headers", "params", "data", "json", "files", "cookies"}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

OPERATIONS = sorted((path, method) for path, ops in build_document(VERSION)["paths"].items() for method in ops)


def _send(client: Any, case: Any, key: str) -> tuple[schemathesis.Response, dict[str, Any]]:
    """Serialize the case as requests would, play it through chalice's test client, wrap the answer."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers={"Authorization": f"Bearer {key}"})
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in REQUEST_ARGS}).prepare()
    url = urllib.parse.urlsplit(prepared.url)
    # chalice's test client takes the path decoded, but would cut it at a decoded "?" or "#" (API
    # Gateway passes them on, encoded): those two stay encoded.
    path = urllib.parse.unquote(url.path).replace("#", "%23").replace("?", "%3F") + (f"?{url.query}" if url.query else "")
    body = prepared.body or b""
    reply = client.http.request(prepared.method, path, headers=dict(prepared.headers),
                                body=body.encode() if isinstance(body, str) else body)
    headers = {name: [value] for name, value in (reply.headers or {}).items()}
    response = schemathesis.Response(status_code=reply.status_code, headers=headers, content=reply.body or b"",
                                     request=prepared, elapsed=0.0, verify=False)
    return response, kwargs


@pytest.fixture(scope="module")
def fuzz() -> Iterator[tuple[World, str]]:
    """One moto world for the module (with other organizations' data in it) and an ENTERPRISE key,
    so rate limits do not shape what the fuzzer sees."""
    with build() as world:
        yield world, make_org("fuzz", "enterprise").key


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_operation_never_fails_and_conforms(fuzz: tuple[World, str], path: str, method: str) -> None:
    world, key = fuzz
    client = world.client
    doc = client.http.get("/v1/openapi.json").json_body
    operation = schemathesis.openapi.from_dict(doc)[path][method.upper()]

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response, kwargs = _send(client, case, key)
        case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    check()
