"""Quota counters under real concurrency, against moto's server over HTTP (moto's in-process
mock is not thread-safe): the conditional write holds the limit exactly, a naive read-modify-write
does not, and the storage gauge stays equal to the stored sizes through adds and deletes.

moto's threaded server applies one UpdateItem's condition and its update in separate steps that
other request threads can interleave (measured: 52 of 100 admitted against a limit of 50), which
DynamoDB never does. So the server here is the local stack's (infra/moto_server.py: moto's own
WSGI app behind a lock that makes each request atomic, as in DynamoDB); concurrency between
requests (the subject of these tests) is intact."""
from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib import config
from chalicelib.services import usage
from chalicelib.store import clients, transact
from chalicelib.store import usage as store
from chalicelib.store.tables import table, table_name

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("moto_server")]

LIMIT, CONSUMERS = 50, 100
PERIOD = "2026-11"


@pytest.fixture(scope="module")
def moto_server() -> Iterator[Any]:
    """moto's server in a subprocess with the template's tables; boto3 pointed at it."""
    from infra.local_stack import LocalStack, _wait_http
    from infra.template import create_resources

    stack = LocalStack(stage="quota", worker=False)
    try:
        proc = stack._spawn([sys.executable, "-m", "infra.moto_server", str(stack.moto_port)])
        _wait_http(f"{stack.moto_url}/moto-api/", 60, proc)
        create_resources(stack.boto3_session(), stack.stage, stack.moto_url)
        with pytest.MonkeyPatch.context() as mp:
            for name, value in stack.env().items():
                if name.startswith(("AWS_", "ODAVL_")):
                    mp.setenv(name, value)
            config.reset_settings()
            clients.reset()
            yield stack
    finally:
        stack.stop()
        clients.reset()
        config.reset_settings()


def race(worker: Callable[[int], bool], count: int = CONSUMERS) -> int:
    """Run ``worker(i)`` on ``count`` threads released together; how many returned True."""
    barrier = threading.Barrier(count)

    def run(i: int) -> bool:
        barrier.wait()
        return worker(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return sum(pool.map(run, range(count)))


def conditional(org_id: str) -> Callable[[int], bool]:
    def consume(_: int) -> bool:
        try:
            store.consume(org_id, "insight_analyses", 1, LIMIT, PERIOD)
            return True
        except store.LimitReached:
            return False
    return consume


def naive(org_id: str) -> Callable[[int], bool]:
    """The read-modify-write this design forbids: read, decide, write back."""
    key = store.counter_key(org_id, PERIOD, "insight_analyses")

    def consume(_: int) -> bool:
        item = table("usage").get_item(Key=key, ConsistentRead=True).get("Item") or {}
        used = int(item.get("used", 0))
        if used + 1 > LIMIT:
            return False
        time.sleep(0.05)  # the window in which every other consumer reads the same value
        table("usage").put_item(Item={**key, "used": used + 1})
        return True
    return consume


def used(org_id: str) -> int:
    return store.counters(org_id, PERIOD).get("insight_analyses", 0)


def test_conditional_counter_admits_exactly_the_limit(moto_server):
    assert race(conditional("race-1")) == LIMIT
    assert used("race-1") == LIMIT


def test_transaction_entry_admits_exactly_the_limit(moto_server):
    def consume(i: int) -> bool:
        items = [store.counter_entry("race-2", "insight_analyses", 1, LIMIT, PERIOD)]
        try:
            transact.write(items)
            return True
        except transact.TransactionCancelled as exc:
            assert exc.failed(0), exc.reasons
            return False

    assert race(consume) == LIMIT
    assert used("race-2") == LIMIT


def test_naive_read_modify_write_overshoots(moto_server):
    admitted = race(naive("race-3"))
    assert admitted > LIMIT  # more consumers were told yes than the limit allows ...
    assert used("race-3") < admitted  # ... and lost updates make the counter lie about it


def test_storage_gauge_equals_stored_sizes_after_racing_adds_and_deletes(moto_server):
    """File records and gauge moves in one transaction each, all racing; duplicates (same file added
    or deleted twice) cancel on the record's condition and move the gauge by nothing."""
    org, records = "gauge-1", table_name("files")
    rng = random.Random(4)
    sizes = {f"f{i}": rng.randint(1, 5000) for i in range(20)}
    ops = [(rng.choice(["add", "add", "delete"]), rng.choice(list(sizes))) for _ in range(120)]
    ops += [("delete", "f0"), ("delete", "f0"), ("add", "f1"), ("add", "f1")]  # explicit duplicates

    def apply(i: int) -> bool:
        op, file_id = ops[i]
        key = {"pk": f"ORG#{org}", "sk": f"GAUGETEST#{file_id}"}
        if op == "add":
            record = transact.put(records, {**key, "size": sizes[file_id]}, condition="attribute_not_exists(pk)")
            items = [record, *usage.gauge_entries(org, "PRO", sizes[file_id])]
        else:
            found = table("files").get_item(Key=key, ConsistentRead=True).get("Item")
            if not found:
                return False
            record = transact.delete(records, key, condition="attribute_exists(pk) AND #size = :s",
                                     names={"#size": "size"}, values={":s": found["size"]})
            items = [record, *usage.gauge_entries(org, "PRO", -int(found["size"]))]
        try:
            transact.write(items)
            return True
        except transact.TransactionCancelled:
            return False

    applied = race(apply, len(ops))
    stored = table("files").query(
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": f"ORG#{org}", ":s": "GAUGETEST#"}, ConsistentRead=True,
    )["Items"]
    assert 0 < applied < len(ops)  # duplicates were refused
    assert usage.storage_used(org) == sum(int(item["size"]) for item in stored)
