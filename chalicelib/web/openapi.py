"""Build the OpenAPI 3.1 document from the route registry and the pydantic models."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.models.errors import ErrorResponse
from chalicelib.web.route import REGISTRY, RouteSpec

_PARAM = re.compile(r"{([^}]+)}")
_ERROR_TEXT = {
    400: "Invalid input",
    401: "Missing, invalid, revoked or expired API key",
    403: "Missing scope",
    404: "Unknown, or another organization's, resource",
    409: "Conflict",
    413: "Too large for this door",
    415: "Type not allowed",
    429: "Quota or rate limit reached",
}


def build_document(version: str = "1.0.0") -> dict[str, Any]:
    """The whole document: every registered route, every model under components."""
    models: list[tuple[type[BaseModel], str]] = [(ErrorResponse, "serialization")]
    for spec in REGISTRY:
        if spec.body is not None:
            models.append((spec.body, "validation"))
        if spec.response is not None:
            models.append((spec.response, "serialization"))
    _, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for spec in sorted(REGISTRY, key=lambda s: (s.path, s.method)):
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ODAVL Cloud API",
            "version": version,
            "description": "Results of ODAVL Insight, Autopilot and Guardian, stored per organization.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "odavl_<keyId>_<secret>"}},
        },
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(spec: RouteSpec) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": spec.name, "summary": spec.summary, "tags": list(spec.tags) or ["default"]}
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PARAM.findall(spec.path)
    ]
    if spec.query is not None:
        schema = spec.query.model_json_schema(ref_template="#/components/schemas/{model}")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(spec.body)}}}
    ok: dict[str, Any] = {"description": "Success"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(spec.response)}}
    responses: dict[str, Any] = {str(spec.status): ok}
    codes = set(spec.errors)
    if spec.body is not None or spec.query is not None:
        codes |= {400}
    if spec.body is not None:
        codes |= {413, 415}
    if spec.auth:
        codes |= {401, 429}
        op["security"] = [{"apiKey": []}]
    else:
        op["security"] = []
    if spec.scope:
        codes.add(403)
    if params and any(p["in"] == "path" for p in params):
        codes.add(404)
    for code in sorted(codes):
        responses[str(code)] = {
            "description": _ERROR_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": _ref(ErrorResponse)}},
        }
    op["responses"] = responses
    return op
