"""Answers Chalice gives before any route runs — a method the path lacks (405), a content type no
route takes (415) — are in the documented error shape with a request id, like every other failure."""
from __future__ import annotations

import pytest

from app import app  # noqa: F401  (registers every route)
from chalicelib.web.route import REGISTRY
from tests.conftest import Org, assert_error_shape

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PATHS = sorted({spec.path for spec in REGISTRY})


def _concrete(path: str) -> str:
    return path.replace("{product}", "insight").replace("{", "x").replace("}", "")


@pytest.mark.parametrize("path", PATHS)
def test_a_method_the_path_lacks_is_405_in_shape(client, org: Org, path: str):
    served = {spec.method for spec in REGISTRY if spec.path == path}
    method = next(m for m in METHODS if m not in served)
    response = client.http.request(method, _concrete(path), headers=org.headers, body=b"")
    payload = assert_error_shape(response, 405, "method_not_allowed")
    assert response.headers["X-Request-Id"] == payload["requestId"]
    assert set(response.headers["Allow"].split(", ")) == served


@pytest.mark.parametrize("spec", [s for s in REGISTRY if s.takes_body], ids=lambda s: f"{s.method} {s.path}")
def test_a_content_type_no_route_takes_is_415_in_shape(client, org: Org, spec):
    headers = {**org.headers, "Content-Type": "text/xml"}
    response = client.http.request(spec.method, _concrete(spec.path), headers=headers, body=b"<x/>")
    payload = assert_error_shape(response, 415, "unsupported_media_type")
    assert response.headers["X-Request-Id"] == payload["requestId"]


def test_route_answers_are_left_as_the_route_made_them(client, org: Org):
    response = client.http.get("/v1/whoami", headers=org.headers)
    assert response.status_code == 200 and list(response.headers).count("X-Request-Id") == 1
