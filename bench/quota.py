"""Quota exactness: 100 consumers released together against a limit of 50, through the service's
conditional counter write (chalicelib.store.usage) and through the transaction entry uploads use,
against moto's server over HTTP; overshoot (admitted − limit) must be 0. The anchor is a naive
read-modify-write (read the counter, decide, write it back), raced the same way.

Two servers: moto's server with each request made atomic (as DynamoDB applies a condition and its
update as one step; the server script of tests/e2e/test_quota_concurrency.py), and moto's plain
threaded server, which does not (its interleaving is moto's, not the service's)."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from bench.common import ROOT, Result, Skipped, environ

NAME = "quota"
TITLE = "100 concurrent consumers at limit 50: overshoot of the conditional write vs read-modify-write"
LIMIT, CONSUMERS = 50, 100
PERIOD = "2026-11"
METRIC = "insight_analyses"
ATOMIC_SERVER = ROOT / "infra" / "moto_server.py"


def race(worker: Callable[[int], bool], count: int = CONSUMERS) -> int:
    """``worker(i)`` on ``count`` threads released by one barrier; how many returned True."""
    barrier = threading.Barrier(count)

    def go(i: int) -> bool:
        barrier.wait()
        return worker(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return sum(pool.map(go, range(count)))


@contextmanager
def moto_server(atomic: bool) -> Iterator[None]:
    """moto's server in a subprocess with the template's tables; the service's clients pointed at it."""
    from chalicelib import config
    from chalicelib.store import clients
    from infra.local_stack import LocalStack, _wait_http
    from infra.template import create_resources

    stack = LocalStack(stage="benchquota", worker=False)
    try:
        if atomic:
            stack.start_moto()  # the local stack's server (infra/moto_server.py)
        else:
            proc = stack._spawn([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(stack.moto_port)])
            _wait_http(f"{stack.moto_url}/moto-api/", 60, proc)
            create_resources(stack.boto3_session(), stack.stage, stack.moto_url)
        env = {k: v for k, v in stack.env().items() if k.startswith(("AWS_", "ODAVL_"))}
        with environ(env):
            config.reset_settings()
            clients.reset()
            yield
    finally:
        stack.stop()
        clients.reset()
        config.reset_settings()


def conditional(org_id: str) -> Callable[[int], bool]:
    from chalicelib.store import usage as store

    def consume(_: int) -> bool:
        try:
            store.consume(org_id, METRIC, 1, LIMIT, PERIOD)
            return True
        except store.LimitReached:
            return False
    return consume


def transactional(org_id: str) -> Callable[[int], bool]:
    from chalicelib.store import transact
    from chalicelib.store import usage as store

    def consume(_: int) -> bool:
        try:
            transact.write([store.counter_entry(org_id, METRIC, 1, LIMIT, PERIOD)])
            return True
        except transact.TransactionCancelled:
            return False
    return consume


def naive(org_id: str) -> Callable[[int], bool]:
    from chalicelib.store import usage as store
    from chalicelib.store.tables import table

    key = store.counter_key(org_id, PERIOD, METRIC)

    def consume(_: int) -> bool:
        item = table("usage").get_item(Key=key, ConsistentRead=True).get("Item") or {}
        used = int(item.get("used", 0))
        if used + 1 > LIMIT:
            return False
        table("usage").put_item(Item={**key, "used": used + 1})
        return True
    return consume


def counted(org_id: str) -> int:
    from chalicelib.store import usage as store

    return int(store.counters(org_id, PERIOD).get(METRIC, 0))


def run() -> Result:
    try:
        from chalicelib.store import usage as store
        store.consume, store.counter_entry, store.counters  # noqa: B018
    except (ImportError, AttributeError) as exc:
        raise Skipped(f"the usage store's conditional counter is missing ({exc})") from exc
    result = Result(NAME, TITLE, goal="overshoot 0", ratio_label="overshoot (conditional write, atomic server)")
    servers = [("moto server, atomic requests (DynamoDB semantics)", True)] if ATOMIC_SERVER.exists() else []
    servers.append(("moto plain threaded server", False))
    headline: int | None = None
    for label, atomic in servers:
        with moto_server(atomic):
            result.add(f"{label}:")
            for name, make in (("conditional write (store.consume)", conditional),
                               ("transaction entry (uploads)", transactional),
                               ("anchor: naive read-modify-write", naive)):
                org = f"bench-{name.split()[0]}-{int(atomic)}"
                started = time.perf_counter()
                admitted = race(make(org))
                elapsed = time.perf_counter() - started
                stored = counted(org)
                result.add(f"    {name:<36} admitted {admitted:>3} of {CONSUMERS} (limit {LIMIT}): overshoot "
                           f"{admitted - LIMIT:>+3}, counter says {stored:>3}, lost updates {admitted - stored:>3}  "
                           f"({elapsed:.1f} s)")
                if atomic and name.startswith("conditional"):
                    headline = admitted - LIMIT
        if not atomic and len(servers) > 1:
            result.add("    (moto's plain server applies a condition and its update in separate steps other request "
                       "threads can interleave, which DynamoDB never does; the atomic server is the faithful one)")
    if headline is None:
        result.add("the atomic server script is missing; the headline figure is from moto's plain server")
    result.ratio = float(headline if headline is not None else 0)
    result.met = headline == 0 if headline is not None else None
    return result
