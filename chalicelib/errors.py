"""The domain's failures. Services raise these; none of them knows HTTP. ``chalicelib.web.errors``
holds the one table that turns each into a status, and every answer has the one documented shape
``{"error": {"code", "message", "details"}, "requestId"}``.

    DomainError                    anything unforeseen (500 internal_error)
    ├── InvalidInput               the request says something wrong (400)
    │   ├── UnknownUploadType      unknown product or upload type
    │   └── InvalidCursor          a cursor no list returned
    ├── Unauthenticated            no key, or not one that is valid now (401)
    ├── Forbidden                  the key may not do this (403)
    │   └── MissingScope           the key lacks the scope the action needs
    ├── NotFound                   no such thing in the caller's organization (404)
    ├── Conflict                   the state does not allow it now (409)
    │   ├── IdempotencyConflict    the key was used for a different request
    │   └── UploadIncomplete       completion before every byte is in storage
    ├── TooLarge                   a body or an object past its bound (413)
    ├── UnsupportedContentType     a content type this door does not take (415)
    ├── OverLimit                  a limit of the plan is reached (429)
    │   ├── QuotaExceeded          a monthly quota or the storage limit
    │   └── RateLimited            the key's requests per minute
    └── Unavailable                a dependency cannot take it now; retry (503)

Each class carries its default ``code``; a raise site may name a finer one (``size_mismatch``)."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every failure a caller is told about."""

    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}
        self.headers = headers or {}  # e.g. Retry-After of a limit; rendered by the HTTP side

    def body(self, request_id: str) -> dict[str, Any]:
        """The documented JSON error shape."""
        return {
            "error": {"code": self.code, "message": self.message, "details": self.details},
            "requestId": request_id,
        }


class InvalidInput(DomainError):
    code = "invalid_input"


class UnknownUploadType(InvalidInput):
    code = "unknown_type"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class MissingScope(Forbidden):
    code = "missing_scope"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class UploadIncomplete(Conflict):
    code = "upload_incomplete"


class TooLarge(DomainError):
    code = "payload_too_large"


class UnsupportedContentType(DomainError):
    code = "unsupported_media_type"


class OverLimit(DomainError):
    code = "too_many_requests"


class QuotaExceeded(OverLimit):
    code = "quota_exceeded"


class RateLimited(OverLimit):
    code = "rate_limited"


class Unavailable(DomainError):
    code = "service_unavailable"


def is_transient(exc: DomainError) -> bool:
    """Whether trying the same thing again later may succeed (a dependency failed, not the input)."""
    return isinstance(exc, Unavailable) or type(exc) is DomainError
