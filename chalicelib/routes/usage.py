"""Usage: the current period, past periods, internal metering; the monthly roll-over schedule.
(The metering hook on every metered route is installed by ``chalicelib.groups.build``.)"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Cron

from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, route

report = lazy_module("chalicelib.services.usage.report")
rollover = lazy_module("chalicelib.services.usage.rollover")
models = lazy_module("chalicelib.models.usage")

bp = Blueprint(__name__)

def _plan(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.plan


@route(bp, "/v1/usage", summary="Current period usage per metric, with limits and 80/90/100 % warnings",
       scope="usage:read", tags=("usage",), free=True)
def get_usage(ctx: RequestContext) -> models.UsageView:
    return models.UsageView(**report.current(ctx.org_id, _plan(ctx)))


@route(bp, "/v1/usage/history", summary="Usage of past periods (months=1..24, the current one included)",
       scope="usage:read", tags=("usage",), free=True)
def get_usage_history(ctx: RequestContext, query: models.HistoryQuery) -> models.UsageHistory:
    return models.UsageHistory(**report.history(ctx.org_id, _plan(ctx), query.months))


@route(bp, "/v1/usage/increment", "POST", summary="Internal metering: count a monthly metric once per event id",
       scope="usage:admin", tags=("usage",), errors=(409, 429))
def increment_usage(ctx: RequestContext, body: models.IncrementRequest) -> models.IncrementResult:
    return models.IncrementResult(**report.increment(ctx.org_id, _plan(ctx), body.metric.value, body.amount, body.event_id))


@bp.schedule(Cron(0, 0, 1, "*", "?", "*"), name="monthly_rollover",
             description="Monthly usage roll-over: archive the month that ended (idempotent)")
def monthly_rollover(event: Any) -> dict[str, Any]:
    """00:00 UTC on the 1st: close the month that just ended (idempotent)."""
    return rollover.close_period()
