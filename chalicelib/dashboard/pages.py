"""The dashboard's dispatcher: every page view by name (the run pages and the account pages), and the
one place where a failure becomes an error page."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.dashboard import account, views
from chalicelib.dashboard import session as sessions
from chalicelib.errors import DomainError, Forbidden, NotFound
from chalicelib.web.errors import status_of
from chalicelib.logs import logger

VIEWS: dict[str, Callable[..., Response]] = {**views.VIEWS, **account.VIEWS}


def handle(request: Any, name: str, params: dict[str, str]) -> Response:
    """Run view ``name``; every failure becomes a page."""
    ctx = views.Ctx(request)
    logger.append_keys(request_id=ctx.rid, org_id=None, key_id=None, route=f"{request.method} {request.path}")
    try:
        return VIEWS[name](ctx, **params)
    except NotFound:
        return views.error_page(ctx, 404, "Not found", "There is no such page, or no such run in your organization.")
    except Forbidden as exc:
        return views.error_page(ctx, 403, "Not allowed", exc.message)
    except DomainError as exc:
        status = status_of(exc)
        if status < 500:
            return views.error_page(ctx, status, "That did not work", exc.message)
        logger.exception("dashboard page failed")
        return views.error_page(ctx, 500, "Something went wrong", "The page could not be shown.")
    except sessions.NotConfigured:
        logger.exception("dashboard sessions not configured")
        return views.error_page(ctx, 503, "Sign-in is not configured", "The dashboard's session key is not set up yet.")
    except Exception:
        logger.exception("dashboard page failed")
        return views.error_page(ctx, 500, "Something went wrong", "The page could not be shown.")
