"""Identifiers: time-sortable for things listed newest first, random for secrets."""
from __future__ import annotations

import secrets

from chalicelib import clock


def sortable_id() -> str:
    """26 hex characters: 12 of milliseconds since the epoch, then 14 random (sorts by creation)."""
    ms = int(clock.now().timestamp() * 1000)
    return f"{ms:012x}{secrets.token_hex(7)}"


def random_id(nbytes: int = 8) -> str:
    """A random lowercase hex id."""
    return secrets.token_hex(nbytes)
