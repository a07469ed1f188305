"""A new upload type is one row of ``chalicelib.services.upload_types`` (plus its payload model and its
summary): defined here in one row, it works through the inline door and through the large door's
ingest job, counts its metric and refuses what its row refuses."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest

from chalicelib.models.payloads.common import PayloadModel
from chalicelib.plans import Metric
from chalicelib.services import upload_types
from chalicelib.services.summaries.summary import Summary
from tests.api.binary_uploads.conftest import send
from tests.api.jobs.conftest import deliver, queued_bodies  # noqa: F401  (deliver: a fixture)
from tests.api.uploads_inline.helpers import upload
from tests.conftest import Org, assert_error_shape, body


class CoverageReport(PayloadModel):
    """A made-up payload: line coverage per file."""

    files: dict[str, float]


def coverage_summary(payload: CoverageReport, upload_type: str) -> Summary:
    covered = sum(payload.files.values()) / len(payload.files) if payload.files else 0.0
    return Summary(fields={"filesCount": len(payload.files), "coverage": round(covered, 3)})


ROW = upload_types.UploadType("insight", "coverage", CoverageReport, coverage_summary,
                              metric=Metric.INSIGHT_ANALYSES, by_content=True)
PAYLOAD = {"files": {"a.py": 0.5, "b.py": 1.0}}


@pytest.fixture()
def with_row(monkeypatch: pytest.MonkeyPatch) -> upload_types.UploadType:
    monkeypatch.setitem(upload_types.TYPES, (ROW.product, ROW.name), ROW)
    return ROW


def _analyses(client: Any, org: Org) -> int:
    usage = body(client.http.get("/v1/usage", headers=org.headers))
    return int(usage["metrics"][Metric.INSIGHT_ANALYSES.value]["used"])


def test_without_its_row_the_type_is_unknown_at_both_doors(client: Any, org: Org) -> None:
    assert_error_shape(upload(client, org, "insight", "coverage", PAYLOAD), 400, "unknown_type")
    raw = json.dumps(PAYLOAD).encode()
    request = {"product": "insight", "type": "coverage", "fileName": "c.json", "contentType": "application/json",
               "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    assert_error_shape(client.http.post("/v1/uploads", headers=org.headers, body=json.dumps(request)), 400,
                       "unknown_type")


def test_a_type_defined_in_one_row_works_through_the_inline_door(client: Any, org: Org, with_row: Any) -> None:
    created = upload(client, org, "insight", "coverage", PAYLOAD)
    assert created.status_code == 201, created.body
    run = body(client.http.get(f"/v1/runs/insight/{body(created)['runId']}", headers=org.headers))["run"]
    assert run["type"] == "coverage" and run["summary"] == {"filesCount": 2, "coverage": 0.75}
    assert _analyses(client, org) == 1  # the row's metric
    # the row's model refuses what it refuses, at the inline door as anywhere
    assert_error_shape(upload(client, org, "insight", "coverage", {"files": "none"}), 400, "validation_failed")
    # the row's identity: the same content again is the same run
    again = upload(client, org, "insight", "coverage", PAYLOAD)
    assert body(again)["runId"] == body(created)["runId"]


def test_a_type_defined_in_one_row_works_through_the_large_door(client: Any, org: Org, with_row: Any,
                                                                deliver: Any) -> None:
    raw = json.dumps(PAYLOAD).encode()
    request = {"product": "insight", "type": "coverage", "fileName": "c.json", "contentType": "application/json",
               "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    started = client.http.post("/v1/uploads", headers=org.headers, body=json.dumps(request))
    assert started.status_code == 201, started.body
    answer = body(started)
    send(answer, raw)
    done = client.http.post(f"/v1/uploads/{answer['uploadId']}/complete", headers=org.headers, body="{}")
    assert done.status_code == 202, done.body
    (message,) = queued_bodies()
    deliver(message)
    job = body(client.http.get(f"/v1/jobs/{body(done)['jobId']}", headers=org.headers))
    assert job["status"] == "succeeded", job
    run_id = job["result"]["runId"]
    run = body(client.http.get(f"/v1/runs/insight/{run_id}", headers=org.headers))["run"]
    assert run["summary"] == {"filesCount": 2, "coverage": 0.75} and _analyses(client, org) == 1
    # a content type the row does not take is refused before any URL is handed out
    refused = client.http.post("/v1/uploads", headers=org.headers,
                               body=json.dumps({**request, "contentType": "text/html"}))
    assert_error_shape(refused, 415, "unsupported_content_type")


def test_a_row_without_its_summary_is_refused_whole(client: Any, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(upload_types.TYPES, (ROW.product, ROW.name), dataclasses.replace(ROW, summarize=None))
    assert_error_shape(upload(client, org, "insight", "coverage", PAYLOAD), 400, "unknown_type")
    assert body(client.http.get("/v1/runs/insight", headers=org.headers))["items"] == []
