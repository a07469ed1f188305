"""The scheduled Lambdas, invoked as EventBridge would, work against the stage's own tables."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from chalicelib import clock
from chalicelib.config import TABLE_NAMES, get_settings
from chalicelib.services.maintenance import backups

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)


def _event(client) -> dict:
    # the test client exports the 'dev' stage's environment during an invoke; the settings of the
    # moto stage 'test' are read (and cached) before, as a deployed function reads its own at start
    get_settings()
    return client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=["arn:aws:events:rule/x"]
    )


def test_daily_backups_handler_backs_up_every_table(client):
    with clock.frozen(NOW):
        result = client.lambda_.invoke("daily_backups", _event(client))
    payload = result.payload if isinstance(result.payload, dict) else json.loads(result.payload)
    assert payload["ok"] is True
    assert len(payload["created"]) == len(TABLE_NAMES)
    assert all(len(backups.job_backups(t)) == 1 for t in TABLE_NAMES)


def test_daily_retention_handler_returns_its_summary(client):
    with clock.frozen(NOW):
        result = client.lambda_.invoke("daily_retention", _event(client))
    payload = result.payload if isinstance(result.payload, dict) else json.loads(result.payload)
    assert {"runsDeleted", "filesDeleted", "uploadsAborted", "jobsDeleted", "idempotencyDeleted", "bytesFreed"} <= set(payload)
    assert payload["failures"] == []  # (chalice's test context allows 3 s: ``complete`` depends on speed)


def test_handlers_stop_before_the_lambda_times_out():
    from types import SimpleNamespace

    from chalicelib.routes.maintenance import _seconds_left

    event = SimpleNamespace(context=SimpleNamespace(get_remaining_time_in_millis=lambda: 900_000))
    assert _seconds_left(event, 600) == 600
    event.context.get_remaining_time_in_millis = lambda: 100_000
    assert _seconds_left(event, 600) == 85
    event.context.get_remaining_time_in_millis = lambda: 3_000
    assert _seconds_left(event, 600) == 1
    assert _seconds_left(SimpleNamespace(), 600) == 600
