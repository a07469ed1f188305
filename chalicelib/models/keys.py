"""API key and identity bodies."""
from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.models.base import ApiModel, ApiResponse, UtcDateTime


# Unicode categories a key name may not hold: controls (NUL, CR/LF, ESC ...), format characters
# (bidi overrides such as U+202E, zero-width characters), line/paragraph separators, surrogates,
# private-use and unassigned code points. Names end up in logs, headers of exports and terminals.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _printable(value: str) -> str:
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise ValueError(f"must hold printable characters only (found U+{ord(char):04X})")
    return value


KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                    AfterValidator(_printable)]


class CreateKeyRequest(ApiModel):
    name: KeyName = Field(description="1-100 printable characters (no control or bidi characters); trimmed")
    scopes: list[str] | None = Field(default=None, max_length=32, description="defaults to the standard set")
    expires_at: UtcDateTime | None = Field(default=None, description="ISO-8601; the key answers 401 after it")


class ApiKeyView(ApiResponse):
    key_id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None = None
    last_used_at: str | None = None
    revoked_at: str | None = None


class CreatedKey(ApiKeyView):
    key: str = Field(description="the plaintext key; shown once, never again")


class KeyList(ApiResponse):
    items: list[ApiKeyView]


class WhoAmI(ApiResponse):
    organization_id: str
    organization_name: str
    key_id: str
    key_name: str
    scopes: list[str]
    plan: str
