"""The documented error shape, as a model for the OpenAPI document."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="snake_case machine-readable code")
    message: str = Field(description="for humans")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    error: ErrorDetail
    requestId: str
