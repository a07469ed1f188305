"""The content address a client declares for ``POST /v1/uploads``, as the CLI computes it: the plain
SHA-256 up to one part, above it the tree hash with each part's digest (at the server's 8 MiB)."""
from __future__ import annotations

import base64
import hashlib
from typing import Any

PART_SIZE = 8 * 1024 * 1024


def part_digests(data: bytes, part_size: int = PART_SIZE) -> list[str]:
    return [hashlib.sha256(data[i:i + part_size]).hexdigest() for i in range(0, max(len(data), 1), part_size)]


def tree_hash(digests: list[str]) -> str:
    return hashlib.sha256(b"".join(bytes.fromhex(d) for d in digests)).hexdigest()


def declare(data: bytes, part_size: int = PART_SIZE) -> dict[str, Any]:
    """The request fields naming ``data``: ``sha256`` and, above one part, ``partSize`` and ``partSha256``."""
    if len(data) <= part_size:
        return {"sha256": hashlib.sha256(data).hexdigest()}
    digests = part_digests(data, part_size)
    return {"sha256": tree_hash(digests), "partSize": part_size, "partSha256": digests}


def b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()
