"""The usage store's conditional writes (in-process moto): limits hold, the gauge never goes
below zero, history is written once, and the operator command closes a period idempotently."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from chalicelib import admin, clock
from chalicelib.services import orgs, usage
from chalicelib.services.usage import rollover
from chalicelib.store import transact
from chalicelib.store import usage as store
from chalicelib.store.tables import table

P = "2026-11"


def test_consume_stops_exactly_at_the_limit(aws):
    assert [store.consume("o", "m", 3, 10, P) for _ in range(3)] == [3, 6, 9]
    with pytest.raises(store.LimitReached):
        store.consume("o", "m", 2, 10, P)
    assert store.consume("o", "m", 1, 10, P) == 10
    assert store.counters("o", P) == {"m": 10}


def test_an_amount_above_the_limit_is_refused_even_on_a_fresh_counter(aws):
    with pytest.raises(store.LimitReached):
        store.consume("o", "m", 11, 10, P)
    assert store.counters("o", P) == {}


def test_unlimited_metrics_still_count(aws):
    assert store.consume("o", "m", 10**6, None, P) == 10**6


def test_counter_entry_cancels_its_transaction_past_the_limit(aws):
    store.consume("o", "m", 10, 10, P)
    items = [store.counter_entry("o", "m", 1, 10, P)]
    with pytest.raises(transact.TransactionCancelled) as caught:
        transact.write(items)
    assert usage.refused(caught.value, items, items)


def test_gauge_never_goes_below_zero(aws):
    usage.add_storage("o", None, 100)
    with pytest.raises(transact.TransactionCancelled):
        transact.write(usage.gauge_entries("o", None, -101))
    transact.write(usage.gauge_entries("o", None, -100))
    assert usage.storage_used("o") == 0
    assert usage.release_storage("o", 50) == 0  # the non-transactional fallback clamps
    usage.add_storage("o", None, 30)
    assert usage.release_storage("o", 50) == 0
    assert usage.storage_used("o") == 0


def test_gauge_refuses_past_the_plan_storage(aws):
    limit = usage.limit_for("FREE", "storage_bytes")
    usage.add_storage("o", "FREE", limit - 10)
    with pytest.raises(usage.quota.QuotaExceeded) as caught:
        usage.check_storage("o", "FREE", 11)
    assert caught.value.code == "quota_exceeded" and caught.value.details["metric"] == "storage_bytes"
    usage.check_storage("o", "FREE", 10)
    with pytest.raises(transact.TransactionCancelled):
        transact.write(usage.gauge_entries("o", "FREE", 11))
    assert usage.storage_used("o") == limit - 10


def test_rollover_command_closes_once_and_refuses_open_periods(aws, capsys):
    orgs.create_org("acme", "free")
    with clock.frozen(datetime(2026, 11, 10, tzinfo=timezone.utc)):
        usage.consume("acme", "FREE", "autopilot_runs", 4)
    with clock.frozen(datetime(2026, 12, 1, 0, 0, 5, tzinfo=timezone.utc)):
        assert admin.main(["rollover"]) == 0
        first = json.loads(capsys.readouterr().out)
        snapshot = table("usage").scan()["Items"]
        assert admin.main(["rollover", "--period", "2026-11"]) == 0
        second = json.loads(capsys.readouterr().out)
        assert table("usage").scan()["Items"] == snapshot  # the second run changed nothing
        assert admin.main(["rollover", "--period", "2026-12"]) == 1  # still open
    assert first == {"period": "2026-11", "organizations": 1, "historyWritten": 1, "countersExpired": 1}
    assert second == {"period": "2026-11", "organizations": 1, "historyWritten": 0, "countersExpired": 0}
    (record,) = store.history("acme", "2026-11", "2026-11")
    assert record["metrics"]["autopilot_runs"] == 4 and record["limits"]["autopilot_runs"] == 5
    counter = table("usage").get_item(Key=store.counter_key("acme", "2026-11", "autopilot_runs"))["Item"]
    assert int(counter["ttl"]) > int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp())


def test_scheduled_rollover_closes_the_previous_month(aws):
    orgs.create_org("acme", "pro")
    with clock.frozen(datetime(2027, 1, 1, tzinfo=timezone.utc)):
        assert rollover.close_period()["period"] == "2026-12"
