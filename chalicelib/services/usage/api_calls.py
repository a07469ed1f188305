"""The after-auth hook of every metered route: one TransactWriteItems counts the request in the
key's rate window and in the organization's monthly ``api_calls`` — both or neither, so a blocked
client costs exactly one (refused) conditional write and a refused request counts nothing.

It runs after authentication and the scope check, so 401 and 403 answers count nothing; a 403 from
a scope check inside the handler (``<product>:write`` on the upload doors) gives the call back.

A request carrying an ``Idempotency-Key`` also puts a marker in the same transaction: its retries
find the marker and count in the key's rate window only, so an upload retried five times is one
API call (and one analysis), as it is one result. The requests of one upload operation (header
``Odavl-Operation-Id``) count once the same way (DESIGN.md "Metering: what counts as an API call").
"""
from __future__ import annotations

import hashlib
import random
import time
from datetime import timedelta
from typing import Any

from chalicelib import clock, errors
from chalicelib.lazy import lazy_module
from chalicelib.plans import Metric
from chalicelib.services.usage import headers, periods, quota, ratelimit
from chalicelib.store import transact
from chalicelib.store import usage as store

idempotency = lazy_module("chalicelib.services.idempotency")  # the upload doors' code: not for /v1/health

CONFLICT_RETRIES = 3
# How long a request's idempotency key keeps its retries from counting again.
RETRY_MARK_TTL = timedelta(hours=24)
# One upload operation (``odavl <product> upload``: the main result, its auxiliary files, its
# screenshots, each through either door) is one API call: its requests carry one Operation-Id.
OPERATION_HEADER = "Odavl-Operation-Id"
OPERATION_PATHS = ("/v1/upload/", "/v1/uploads")
OPERATION_TTL_SECONDS = 3600
OPERATION_MAX_REQUESTS = 64
QUOTA_HEADERS = ("X-Quota-Limit", "X-Quota-Remaining", "X-Quota-Reset", "RateLimit-Policy", "RateLimit")


def meter_request(ctx: Any) -> None:
    """Count one API call for ``ctx.principal``; 429 rate_limited / quota_exceeded when refused.

    Every request spends from the key's rate window. The monthly ``api_calls`` counter is not
    touched by a retry of a counted request (same ``Idempotency-Key``) nor by a later request of an
    upload operation already counted (same ``Odavl-Operation-Id``, at most OPERATION_MAX_REQUESTS
    requests within OPERATION_TTL)."""
    if not ctx.spec.metered or ctx.principal is None:
        return
    p = ctx.principal
    now = clock.now()
    period = periods.period_of(now)
    limit = quota.limit_for(p.plan, Metric.API_CALLS)
    rate = ratelimit.rate_entry(p.key_id, p.plan, now)
    counter = store.counter_entry(p.org_id, Metric.API_CALLS.value, 1, limit, period)
    retry = _retry_mark(ctx.header("idempotency-key"))
    operation = _operation_mark(ctx) if ctx.spec.path.startswith(OPERATION_PATHS) else None
    stamp = int(now.timestamp())
    counted = not ctx.spec.free
    attempt = 0
    while True:
        items = [rate, counter] if counted else [rate]
        retry_at = op_at = None
        if counted and retry is not None:
            retry_at = len(items)
            items.append(store.event_entry(p.org_id, retry, Metric.API_CALLS.value, 1, clock.iso(now),
                                           int((now + RETRY_MARK_TTL).timestamp())))
        if operation is not None:
            op_at = len(items)
            items.append(store.operation_start_entry(p.org_id, operation, stamp, stamp + OPERATION_TTL_SECONDS)
                         if counted else store.operation_join_entry(p.org_id, operation, stamp, OPERATION_MAX_REQUESTS))
        try:
            transact.write(items)
            break
        except transact.TransactionCancelled as exc:
            if exc.failed(0):
                raise ratelimit.rate_error(p.key_id, p.plan, at=now) from None
            if retry_at is not None and exc.failed(retry_at):
                counted, retry, operation = False, None, None  # a retry of a counted request: the rate window only
                continue
            if op_at is not None and exc.failed(op_at):
                if counted:
                    counted, retry = False, None  # the operation was counted by its first request: join it
                else:
                    counted, operation = True, None  # full or expired: this request counts on its own
                continue
            if counted and exc.failed(1):
                raise quota.quota_error(p.org_id, p.plan, Metric.API_CALLS) from None
            if "TransactionConflict" not in exc.reasons or attempt == CONFLICT_RETRIES:
                raise
            attempt += 1
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # another writer holds a counter; brief jitter
    ctx.metered_mark = retry if counted else None
    ctx.metered_operation = operation if counted else None
    ctx.metered_keys = [store.entry_key(counter)] if counted else []
    ctx.response_headers.update(success_headers(p.org_id, p.key_id, p.plan, limit, period, now))


def give_back_refused(ctx: Any, exc: Any) -> None:
    """Error hook: a request refused for its input (any failure but a transient one: every 4xx) counts
    nothing in ``api_calls`` and leaves no marker it made; the rate window keeps it (the rate limit
    sees every request)."""
    keys = ctx.metered_keys
    if not keys or errors.is_transient(exc):
        return
    ctx.metered_keys = []
    entries = [store.give_back_entry(key) for key in keys]
    for mark in (ctx.metered_mark, ctx.metered_operation):
        if mark is not None:
            entries.append(store.forget_event_entry(ctx.principal.org_id, mark))
    transact.write(entries)
    for name in QUOTA_HEADERS:
        ctx.response_headers.pop(name, None)


def _retry_mark(idempotency_key: str | None) -> str | None:
    """The event id marking a request by its idempotency key (hashed to a fixed length); None without
    a usable key (a malformed one is refused by the handler and must leave nothing behind)."""
    if not idempotency_key or not idempotency.is_valid_key(idempotency_key):
        return None
    return "call:" + hashlib.sha256(idempotency_key.encode()).hexdigest()


def _operation_mark(ctx: Any) -> str | None:
    """The event id of the request's upload operation (per key), or None without a usable header."""
    value = ctx.header(OPERATION_HEADER.lower())
    if not value or not idempotency.is_valid_key(value):
        return None
    return "op:" + hashlib.sha256(f"{ctx.principal.key_id}\n{value}".encode()).hexdigest()


def success_headers(org_id: str, key_id: str, plan: str, limit: int | None, period: str, now: Any) -> dict[str, str]:
    """X-Quota-* for the monthly api_calls quota (when limited) and RateLimit fields for every policy
    (``RateLimit`` reports the one closest to its limit)."""
    minute = periods.minute_of(now)
    rate_used, calls_used = store.read_used(
        [store.rate_key(key_id, minute), store.counter_key(org_id, period, Metric.API_CALLS.value)]
    )
    window = ratelimit.window_headers(plan, rate_used, now)
    if limit is None:
        return {"RateLimit-Policy": window["RateLimit-Policy"], "RateLimit": window["RateLimit"]}
    reset_at = periods.period_end(period)
    monthly = headers.limit_headers(limit, calls_used, reset_at, periods.seconds_until(reset_at, now),
                                    periods.period_seconds(period))
    per_minute = ratelimit.per_minute(plan)
    closest = monthly if max(0, limit - calls_used) < max(0, per_minute - rate_used) else window
    return {
        "X-Quota-Limit": monthly["X-Quota-Limit"],
        "X-Quota-Remaining": monthly["X-Quota-Remaining"],
        "X-Quota-Reset": monthly["X-Quota-Reset"],
        "RateLimit-Policy": f"{window['RateLimit-Policy']}, {monthly['RateLimit-Policy']}",
        "RateLimit": closest["RateLimit"],
    }
