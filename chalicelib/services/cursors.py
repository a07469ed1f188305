"""Opaque list cursors: a small JSON object, base64url without padding. Each list says what a
cursor of its own must hold; anything else is an InvalidCursor (400), never a 500 nor a peek
into another list."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from chalicelib.errors import InvalidCursor
from chalicelib.values import to_plain


def encode(position: dict[str, Any]) -> str:
    """The cursor holding ``position`` (DynamoDB numbers as JSON numbers)."""
    raw = json.dumps(to_plain(position), sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, valid: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The position in ``cursor``; InvalidCursor unless it decodes to an object ``valid`` accepts."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("The cursor is not one this list returned.", details={"cursor": cursor[:64]}) from exc
    if not isinstance(position, dict) or not valid(position):
        raise InvalidCursor("The cursor is not one this list returned.", details={"cursor": cursor[:64]})
    return position
