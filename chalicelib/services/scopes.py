"""The scopes an API key can carry, and what a new key gets by default."""
from __future__ import annotations

ALL_SCOPES: tuple[str, ...] = (
    "insight:write",
    "autopilot:write",
    "guardian:write",
    "runs:read",
    "runs:delete",
    "usage:read",
    "usage:admin",
    "storage:read",
    "storage:write",
    "jobs:read",
    "jobs:write",
    "keys:admin",
    "projects:admin",
)

DEFAULT_SCOPES: tuple[str, ...] = (
    "insight:write",
    "autopilot:write",
    "guardian:write",
    "runs:read",
    "usage:read",
    "storage:read",
    "storage:write",
    "jobs:read",
    "jobs:write",
)

ADMIN_SCOPES: tuple[str, ...] = ALL_SCOPES
