"""Turning an inline upload's ``data`` into JSON safely: strict base64, a gunzip that stops at a
hard cap (size and ratio) after reading at most cap + one chunk, and JSON parsing, each failure
a documented 4xx instead of a crash or a memory blow-up."""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable
from typing import Any

from chalicelib.errors import DomainError, InvalidInput, TooLarge

CHUNK = 64 * 1024
# Below this many decompressed bytes the ratio is not checked: tiny, very repetitive JSON is normal.
RATIO_FLOOR = 1024 * 1024
_WHITESPACE = bytes.maketrans(b"", b"")


def b64decode(data: str) -> bytes:
    """Standard base64 (line breaks tolerated); 400 ``invalid_base64`` otherwise."""
    try:
        raw = data.encode("ascii")
    except UnicodeEncodeError as exc:
        raise InvalidInput("data is not valid base64.", code="invalid_base64") from exc
    raw = raw.translate(_WHITESPACE, b"\r\n\t ")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("data is not valid base64.", code="invalid_base64", details={"reason": str(exc)[:200]}) from exc


def decompression_limit(compressed_size: int, max_bytes: int, max_ratio: int) -> int:
    """The most bytes a gzip of ``compressed_size`` may expand to."""
    return min(max_bytes, max(compressed_size * max_ratio, RATIO_FLOOR))


def gunzip_bounded(data: bytes, max_bytes: int, max_ratio: int,
                   over_max_bytes: Callable[[], DomainError] | None = None) -> bytes:
    """Decompress one gzip member, refusing (413 ``decompression_limit``) as soon as the output passes
    the limit: output is produced in chunks of at most CHUNK bytes, so at most limit + CHUNK is ever held.

    ``over_max_bytes``: the error to raise instead when the output passed ``max_bytes`` within the
    ratio cap (the input so far expanded no more than ``max_ratio``): too large, not a bomb."""
    limit = decompression_limit(len(data), max_bytes, max_ratio)
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    total = 0
    pending = data
    try:
        while not inflater.eof:
            out = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            total += len(out)
            if total > limit:
                consumed = len(data) - len(pending)
                if over_max_bytes is not None and total <= max(consumed * max_ratio, RATIO_FLOOR):
                    raise over_max_bytes()
                raise TooLarge(
                    "The compressed payload expands beyond the allowed size; send it through /v1/uploads "
                    "or split it.",
                    code="decompression_limit",
                    details={"limit": limit, "maxBytes": max_bytes, "maxRatio": max_ratio},
                )
            parts.append(out)
            if not out and not pending:
                break
    except zlib.error as exc:
        raise InvalidInput("data is not valid gzip.", code="invalid_gzip", details={"reason": str(exc)[:200]}) from exc
    if not inflater.eof:
        raise InvalidInput("data is truncated gzip.", code="invalid_gzip")
    if inflater.unused_data.strip(b"\x00"):
        raise InvalidInput("data has bytes after the end of the gzip stream.", code="invalid_gzip")
    return b"".join(parts)


def parse_json(raw: bytes) -> Any:
    """UTF-8 JSON; 400 ``invalid_json`` otherwise."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The payload is not valid JSON.", code="invalid_json", details={"reason": str(exc)[:200]}) from exc


def max_body_bytes(inline_max: int = 5 * 1024 * 1024) -> int:
    """The largest request body worth reading: base64 of the largest wire payload plus room for the envelope."""
    return 4 * ((inline_max + 2) // 3) + 64 * 1024
