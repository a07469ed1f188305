"""Creating, listing and revoking API keys."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.services import secrets
from chalicelib.services.auth import Principal
from chalicelib.services.scopes import ALL_SCOPES, DEFAULT_SCOPES
from chalicelib.store import api_keys


def create_key(
    org_id: str,
    name: str,
    scopes: list[str] | None,
    expires_at: datetime | None = None,
    created_by: Principal | None = None,
) -> tuple[dict[str, Any], str]:
    """Create a key; returns (public record, plaintext key shown once)."""
    wanted = sorted(set(scopes if scopes is not None else DEFAULT_SCOPES))
    unknown = [s for s in wanted if s not in ALL_SCOPES]
    if unknown:
        raise InvalidInput("Unknown scopes.", code="unknown_scope", details={"unknown": unknown, "allowed": list(ALL_SCOPES)})
    if not wanted:
        raise InvalidInput("A key needs at least one scope.", code="invalid_input")
    if created_by is not None:
        beyond = [s for s in wanted if s not in created_by.scopes]
        if beyond:
            raise Forbidden("A key cannot grant scopes its creator lacks.", code="scope_escalation", details={"scopes": beyond})
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expiresAt must be in the future.", code="invalid_input")
    key_id, plaintext, secret_hash = secrets.new_key()
    item: dict[str, Any] = {
        "keyId": key_id,
        "orgId": org_id,
        "name": name,
        "scopes": wanted,
        "secretHash": secret_hash,
        "prefix": f"odavl_{key_id}_",  # how the key starts, to recognise it: not one character of the secret
        "createdAt": clock.iso(now),
    }
    if expires_at is not None:
        item["expiresAt"] = clock.iso(expires_at)
    if created_by is not None:
        item["createdBy"] = created_by.key_id
    api_keys.put_key(item)
    return public_view(item), plaintext


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    """A key record without its hash, safe to return."""
    return {
        "keyId": item["keyId"],
        "name": item.get("name", ""),
        "prefix": item.get("prefix", ""),
        "scopes": list(item.get("scopes", [])),
        "createdAt": item["createdAt"],
        "expiresAt": item.get("expiresAt"),
        "lastUsedAt": item.get("lastUsedAt"),
        "revokedAt": item.get("revokedAt"),
    }


def list_keys(org_id: str) -> list[dict[str, Any]]:
    """An organization's keys (never their secrets), newest first."""
    return [public_view(item) for item in api_keys.list_keys(org_id)]


ADMIN_SCOPE = "keys:admin"


def _usable_admin(item: dict[str, Any], now: str) -> bool:
    """A key that can still manage keys: admin scope, not revoked, not expired."""
    expires = item.get("expiresAt")
    return (ADMIN_SCOPE in (item.get("scopes") or []) and not item.get("revokedAt")
            and (not expires or str(expires) > now))


def revoke_key(org_id: str, key_id: str) -> None:
    """Revoke one of the organization's keys; 404 for an unknown or foreign key, 409 for the last
    key that can manage keys (the organization would lock itself out)."""
    now = clock.iso()
    items = api_keys.list_keys(org_id)
    target = next((i for i in items if i.get("keyId") == key_id), None)
    if target is not None and _usable_admin(target, now):
        others = [i for i in items if i.get("keyId") != key_id and _usable_admin(i, now)]
        if not others:
            raise Conflict("This is the organization's last key with keys:admin; create another admin key "
                           "before revoking it.", code="last_admin_key", details={"keyId": key_id})
    if not api_keys.revoke_key(key_id, org_id, now):
        raise NotFound("No such API key.", details={"keyId": key_id})
