"""Re-uploading the same Lighthouse, accessibility, recipe-trust or history file (a retry or a
re-run of the CLI, with a fresh Idempotency-Key each time) is the same run, not a new one."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.uploads_inline.helpers import fixture, run_items, upload
from tests.conftest import Org, assert_error_shape, body

TR = "tr-20261122-101500-c3d4"


@pytest.mark.parametrize("product,upload_type,metadata", [
    ("guardian", "lighthouse-report", {"testRunId": TR}),
    ("guardian", "accessibility-report", {"testRunId": TR}),
    ("guardian", "lighthouse-report", {}),
    ("autopilot", "recipe-trust", {}),
    ("autopilot", "run-history", {}),
])
def test_the_same_file_sent_twice_is_one_run(client: Any, org: Org, product: str, upload_type: str,
                                             metadata: dict) -> None:
    payload = fixture(product, upload_type)
    first = upload(client, org, product, upload_type, payload, key=str(uuid.uuid4()), metadata=metadata)
    again = upload(client, org, product, upload_type, payload, key=str(uuid.uuid4()), metadata=metadata)
    assert first.status_code == 201 and again.status_code in (200, 201), again.body
    assert body(again)["runId"] == body(first)["runId"]
    assert len(run_items()) == 1
    other_project = upload(client, org, product, upload_type, payload, key=str(uuid.uuid4()), metadata=metadata,
                           project_id="another-project")
    assert body(other_project)["runId"] != body(first)["runId"]


def test_a_different_report_for_the_same_test_run_is_a_conflict(client: Any, org: Org) -> None:
    report = fixture("guardian", "lighthouse-report")
    upload(client, org, "guardian", "lighthouse-report", report, metadata={"testRunId": TR})
    changed = {**report, "finalUrl": "https://elsewhere.example.com/"}
    response = upload(client, org, "guardian", "lighthouse-report", changed, metadata={"testRunId": TR})
    assert_error_shape(response, 409, "idempotency_conflict")
    assert len(run_items()) == 1


def test_a_changed_history_file_is_a_new_run(client: Any, org: Org) -> None:
    history = fixture("autopilot", "run-history")
    upload(client, org, "autopilot", "run-history", history)
    grown = history + history[:1] if isinstance(history, list) else {**history, "note": "one more"}
    assert upload(client, org, "autopilot", "run-history", grown).status_code == 201
    assert len(run_items()) == 2
