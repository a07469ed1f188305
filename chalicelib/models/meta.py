"""Bodies of the unauthenticated meta routes: liveness and the OpenAPI document."""
from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from chalicelib.models.base import ApiResponse


class Health(ApiResponse):
    status: str
    stage: str
    version: str
    time: str


class OpenApiDocument(ApiResponse):
    """The OpenAPI 3.1 document (its parts are OpenAPI's own shapes, described by that standard)."""

    model_config = ConfigDict(alias_generator=None, extra="forbid", defer_build=True)

    openapi: str
    servers: list[dict[str, Any]]
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]
