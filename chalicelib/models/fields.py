"""Request fields both upload doors share (inline ``/v1/upload/{product}`` and large
``/v1/uploads``), defined once so they are validated the same way wherever they arrive."""
from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

# Letters and digits first; then letters, digits and . _ : / -. No '..' segment, no '#' (a key
# separator in the tables), no control characters: a project id ends up in keys, paths and URLs.
PROJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
PROJECT_ID_MAX = 128
METADATA_MAX_BYTES = 16 * 1024


def _no_dot_segments(value: str) -> str:
    if ".." in value:
        raise ValueError("must not hold '..'")
    return value


def _plain_json(value: dict[str, Any]) -> dict[str, Any]:
    """Metadata is plain JSON (no NaN or Infinity) of at most METADATA_MAX_BYTES."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ValueError("must be plain JSON (no NaN or Infinity)") from exc
    if len(text.encode()) > METADATA_MAX_BYTES:
        raise ValueError(f"must be at most {METADATA_MAX_BYTES} bytes of JSON")
    return value


ProjectId = Annotated[str, StringConstraints(min_length=1, max_length=PROJECT_ID_MAX, pattern=PROJECT_ID_PATTERN),
                      AfterValidator(_no_dot_segments)]
Metadata = Annotated[dict[str, Any], AfterValidator(_plain_json),
                     Field(description=f"free-form JSON object, at most {METADATA_MAX_BYTES // 1024} KiB")]
UploadTypeName = Annotated[str, StringConstraints(min_length=1, max_length=80)]
