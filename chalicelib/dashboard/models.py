"""Request and response bodies of the dashboard's API route."""
from __future__ import annotations

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse


class LoginLinkRequest(ApiModel):
    """Where the link leads after sign-in: a dashboard path (anything else leads to the overview)."""

    next: str | None = Field(default=None, max_length=2000)


class LoginLink(ApiResponse):
    """A sign-in link: open it once within ``expiresIn`` seconds."""

    url: str
    expires_at: str
    expires_in: int
