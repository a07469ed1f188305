"""API key material: ``odavl_<keyId>_<secret>``; only SHA-256(secret) is ever stored."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "odavl"
_KEY_RE = re.compile(r"^odavl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
# compared against when the key id is unknown, so an unknown id costs the same as a wrong secret
_DUMMY_HASH = hashlib.sha256(b"odavl-unknown-key").hexdigest()


@dataclass(frozen=True)
class ParsedKey:
    key_id: str
    secret: str


def new_key() -> tuple[str, str, str]:
    """A fresh key: (key_id, full plaintext key, secret hash)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, f"{PREFIX}_{key_id}_{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of a key secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(raw: str) -> ParsedKey | None:
    """Split a presented key; None when it is not of our form."""
    match = _KEY_RE.match(raw.strip())
    return ParsedKey(match.group(1), match.group(2)) if match else None


def matches(secret: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash or _DUMMY_HASH) and stored_hash is not None
