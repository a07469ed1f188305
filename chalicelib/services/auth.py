"""Who is calling: resolve a bearer key to a principal, enforce revocation, expiry and scopes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib import clock
from chalicelib.errors import MissingScope, Unauthenticated
from chalicelib.services import secrets
from chalicelib.store import api_keys, orgs

LAST_USED_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the organization and the key it used."""

    org_id: str
    key_id: str
    scopes: frozenset[str]
    plan: str
    org_name: str = ""
    key_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def require_any(self, scopes: tuple[str, ...], action: str) -> None:
        """Raise MissingScope unless the key carries one of ``scopes`` (``action`` says what needs them)."""
        if not any(scope in self.scopes for scope in scopes):
            raise MissingScope(f"{action} needs {' or '.join(scopes)}.",
                               details={"required": list(scopes), "granted": sorted(self.scopes)})

    def require(self, scope: str) -> None:
        """Raise 403 unless the key carries ``scope``."""
        if scope not in self.scopes:
            raise MissingScope(
                f"This API key lacks the '{scope}' scope.",
                details={"required": scope, "granted": sorted(self.scopes)},
            )


def bearer_token(headers: dict[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header (header names are case-insensitive)."""
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def authenticate(token: str | None) -> Principal:
    """Resolve a presented key; 401 for a missing, malformed, unknown, wrong, revoked or expired key."""
    if not token:
        raise Unauthenticated("Missing API key: send 'Authorization: Bearer <key>'.", code="missing_api_key")
    parsed = secrets.parse(token)
    if parsed is None:
        secrets.matches("x", None)
        raise Unauthenticated("Invalid API key.", code="invalid_api_key")
    item = api_keys.get_key(parsed.key_id)
    if not secrets.matches(parsed.secret, item.get("secretHash") if item else None) or item is None:
        raise Unauthenticated("Invalid API key.", code="invalid_api_key")
    now = clock.now()
    if item.get("revokedAt"):
        raise Unauthenticated("This API key has been revoked.", code="revoked_api_key")
    expires_at = item.get("expiresAt")
    if expires_at and clock.parse_iso(expires_at) <= now:
        raise Unauthenticated("This API key has expired.", code="expired_api_key")
    org = orgs.get_org(item["orgId"])
    if org is None:
        raise Unauthenticated("Invalid API key.", code="invalid_api_key")
    last_used = item.get("lastUsedAt")
    if not last_used or clock.parse_iso(last_used) < now - LAST_USED_WINDOW:
        api_keys.touch_last_used(parsed.key_id, clock.iso(now), clock.iso(now - LAST_USED_WINDOW))
    return Principal(
        org_id=item["orgId"],
        key_id=parsed.key_id,
        scopes=frozenset(item.get("scopes", [])),
        plan=str(org.get("plan", "FREE")),
        org_name=str(org.get("name", "")),
        key_name=str(item.get("name", "")),
    )
