"""Nothing partial: when the transaction fails the payload object is deleted again, and a race
lost to a concurrent identical request answers that request's run."""
from __future__ import annotations

import pytest

from chalicelib.services import idempotency
from chalicelib.services import ingest
from tests.api.uploads_inline.helpers import fixture, payload_objects, run_items, state, upload, upload_ok
from tests.conftest import Org, assert_error_shape


def test_failed_transaction_leaves_no_object(client, org: Org, monkeypatch: pytest.MonkeyPatch):
    before = state()

    def broken(items, token=None):
        raise RuntimeError("DynamoDB unavailable")

    monkeypatch.setattr(ingest.transact, "write", broken)
    response = upload(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"))
    assert_error_shape(response, 500)
    assert state() == before


def test_race_lost_to_identical_request_replays_its_run(client, org: Org, monkeypatch: pytest.MonkeyPatch):
    first = upload_ok(client, org, "autopilot", "ledger", fixture("autopilot", "ledger"))
    real = idempotency.replay
    calls: list[int] = []

    def blind_once(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)  # the pre-check misses the concurrent commit

    monkeypatch.setattr(ingest.idempotency, "replay", blind_once)
    second = upload_ok(client, org, "autopilot", "ledger", fixture("autopilot", "ledger"))
    assert second == first and len(calls) == 2
    assert len(run_items()) == 1 and len(payload_objects()) == 1
