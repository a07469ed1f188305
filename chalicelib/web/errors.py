"""The one mapping from domain failures (``chalicelib.errors``) to HTTP statuses. A failure's status
is that of its nearest class in the table; a class missing from it is a 500, which the route
wrapper logs as a bug."""
from __future__ import annotations

from chalicelib import errors

HTTP_STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    errors.UnsupportedContentType: 415,
    errors.OverLimit: 429,
    errors.Unavailable: 503,
    errors.DomainError: 500,
}


def status_of(exc: errors.DomainError) -> int:
    """The HTTP status of ``exc``: its own class's entry, else its nearest ancestor's."""
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
