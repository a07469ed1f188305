"""Idempotent uploads: a retried request (same Idempotency-Key, or the same natural id such as a
ledger's runId) answers the original result and stores nothing; the same id with a different
payload is 409 ``idempotency_conflict``.

Records are claimed in the same transaction as the run item, so a record exists exactly when its
run does; a race between two first attempts is settled by the transaction's condition."""
from __future__ import annotations

import hashlib
import re
from typing import Any

from chalicelib import clock
from chalicelib.errors import IdempotencyConflict, InvalidInput
from chalicelib.values import to_plain
from chalicelib.store import idempotency as store

KEY_TTL_SECONDS = 7 * 24 * 3600
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def is_valid_key(value: str | None) -> bool:
    """Whether ``value`` is an Idempotency-Key the upload doors accept (``check_key`` refuses the rest)."""
    return bool(value) and _KEY.match(value) is not None


def check_key(value: str | None) -> str | None:
    """A usable Idempotency-Key header value (1-255 visible ASCII characters), or None when absent."""
    if value is None or value == "":
        return None
    if not is_valid_key(value):
        raise InvalidInput("Idempotency-Key must be 1-255 visible ASCII characters.", code="validation_failed",
                           details={"header": "Idempotency-Key"})
    return value


def request_hash(product: str, upload_type: str, project_id: str, payload_sha256: str) -> str:
    """What makes two requests 'the same': product, type, project and the decoded payload
    (not metadata, which a client may rebuild with a fresh timestamp on retry)."""
    return hashlib.sha256(f"{product}\n{upload_type}\n{project_id}\n{payload_sha256}".encode()).hexdigest()


def scopes(idempotency_key: str | None, upload_type: str, natural_id: str | None) -> list[str]:
    """Every scope a request claims: its key and its natural id."""
    found = []
    if idempotency_key:
        found.append(f"key:{idempotency_key}")
    if natural_id:
        found.append(f"id:{upload_type}:{natural_id}")
    return found


def replay(org_id: str, product: str, claimed: list[str], req_hash: str) -> dict[str, Any] | None:
    """The original result when one of the scopes was already used by the same request; 409 when
    used by a different one; None when all are free."""
    now = int(clock.now().timestamp())
    for scope in claimed:
        record = store.get(org_id, product, scope, now)
        if record is None:
            continue
        if record.get("requestHash") != req_hash:
            kind = "Idempotency-Key" if scope.startswith("key:") else "natural id"
            raise IdempotencyConflict(
                f"This {kind} was already used for a different payload.",
                details={"scope": "idempotencyKey" if scope.startswith("key:") else "naturalId",
                         "original": to_plain(record.get("result", {}))},
            )
        return to_plain(record.get("result", {}))
    return None


def entries(org_id: str, product: str, claimed: list[str], req_hash: str, result: dict[str, Any],
            natural_ttl_seconds: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Transaction entries claiming every scope, and the record pks (kept on the run item)."""
    now = int(clock.now().timestamp())
    items, pks = [], []
    for scope in claimed:
        ttl = now + (KEY_TTL_SECONDS if scope.startswith("key:") else max(KEY_TTL_SECONDS, natural_ttl_seconds))
        items.append(store.put_entry(org_id, product, scope, req_hash, result, ttl, now))
        pks.append(store.key(org_id, product, scope)["pk"])
    return items, pks

