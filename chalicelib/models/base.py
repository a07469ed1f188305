"""Shared model configuration: camelCase on the wire, snake_case in Python."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Base for request/response bodies: camelCase aliases, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True)


class ApiResponse(BaseModel):
    """Base for response bodies: camelCase aliases."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)
