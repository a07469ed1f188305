"""The inline door's decoding in front of ``ingest_json``: base64, the wire-size limit and the
decompressed-size limit (bigger payloads belong to /v1/uploads), the bounded gunzip and the optional
checksum.

The decompressed bound keeps the upload function within half of its memory: ingest peaks near
``INGEST_MEMORY_PER_JSON_BYTE`` times the JSON it holds, so 64 MiB of the smallest diagnostics would
need about 3.5 GB; the worker behind /v1/uploads is sized for that, the API function is not."""
from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.config import get_settings
from chalicelib.errors import InvalidInput, TooLarge
from chalicelib.services import decoding
from chalicelib.services.decoding import max_body_bytes
from chalicelib.services.ingest import IngestResult, check_binary, ingest_json


def ingest_inline(org_id: str, plan: str, product: str, upload_type: str, project_id: str,
                  metadata: dict[str, Any], data: str, compressed: bool, sha256: str | None,
                  idempotency_key: str | None, *, build: dict[str, Any] | None = None,
                  line_hashes: dict[str, dict[str, str]] | None = None) -> IngestResult:
    """Decode and store one inline upload."""
    settings = get_settings()
    check_binary(product, upload_type)
    if len(data) > max_body_bytes(settings.inline_max_bytes):
        raise _too_large(len(data) * 3 // 4, settings.inline_max_bytes)
    wire = decoding.b64decode(data)
    if len(wire) > settings.inline_max_bytes:
        raise _too_large(len(wire), settings.inline_max_bytes)
    bound = min(settings.inline_decompressed_max_bytes, settings.decompressed_max_bytes)
    raw = _gunzip(wire, bound) if compressed else wire
    if len(raw) > bound:
        raise _too_large_json(bound, len(raw))
    if sha256 is not None:
        wanted = sha256.lower()
        if wanted not in (hashlib.sha256(raw).hexdigest(), hashlib.sha256(wire).hexdigest()):
            raise InvalidInput("sha256 does not match the payload.", code="checksum_mismatch",
                               details={"expected": wanted, "actual": hashlib.sha256(raw).hexdigest()})
    return ingest_json(org_id, plan, product, upload_type, project_id, metadata, raw, idempotency_key,
                       gzipped=wire if compressed else None, build=build, line_hashes=line_hashes)


def _gunzip(wire: bytes, bound: int) -> bytes:
    """The bounded gunzip, stopping at the inline door's JSON bound: past it the payload is refused
    with the large door's name, unless it expanded beyond the ratio cap (a bomb, whatever its size)."""
    return decoding.gunzip_bounded(wire, bound, get_settings().decompression_max_ratio,
                                   over_max_bytes=lambda: _too_large_json(bound))


def _too_large_json(limit: int, size: int | None = None) -> TooLarge:
    """413 naming the large door; ``size`` when known (a gunzip stops at the bound, not at the end)."""
    details: dict[str, Any] = {"limit": limit, "decompressed": True, "use": "/v1/uploads"}
    if size is not None:
        details["size"] = size
    return TooLarge(
        f"Payloads over {limit} bytes of JSON (decompressed) do not fit the inline door; upload them through "
        "POST /v1/uploads.",
        code="payload_too_large", details=details,
    )


def _too_large(size: int, limit: int) -> TooLarge:
    return TooLarge(
        f"Payloads over {limit} bytes do not fit the inline door; upload them through POST /v1/uploads.",
        code="payload_too_large", details={"limit": limit, "size": size, "use": "/v1/uploads"},
    )
