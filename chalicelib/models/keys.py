"""API key and identity bodies."""
from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse


class CreateKeyRequest(ApiModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] | None = Field(default=None, max_length=32, description="defaults to the standard set")
    expires_at: datetime | None = Field(default=None, description="ISO-8601; the key answers 401 after it")


class ApiKeyView(ApiResponse):
    key_id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None = None
    last_used_at: str | None = None
    revoked_at: str | None = None


class CreatedKey(ApiKeyView):
    key: str = Field(description="the plaintext key; shown once, never again")


class KeyList(ApiResponse):
    items: list[ApiKeyView]


class WhoAmI(ApiResponse):
    organization_id: str
    organization_name: str
    key_id: str
    key_name: str
    scopes: list[str]
    plan: str


class Health(ApiResponse):
    status: str
    stage: str
    version: str
    time: str
