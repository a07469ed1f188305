"""No valid payload reaches DynamoDB's 400 KB item limit: every summary field that goes into the
run item is bounded (long text cut with a mark, large maps folded into "(other)"), through both
doors, and a large-door job whose payload is the client's fault fails once with a client message."""
from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

import pytest

from chalicelib.services.ingest import ITEM_MAX_BYTES
from chalicelib.services.upload_types import resolve
from chalicelib.services.summaries.summary import MAP_MAX_KEYS, OTHER_KEY, TEXT_MAX, TRUNCATION_MARK, bound_summary
from tests.api.uploads_inline.helpers import fixture, run_items, upload
from tests.api.binary_uploads.conftest import send
from tests.conftest import Org, body

HUGE = "x" * 450_000
DYNAMO_ITEM_LIMIT = 400 * 1024


def hostile_payloads() -> dict[str, tuple[str, str, Any]]:
    """The tester's four findings and one worst case of every other JSON upload type."""
    diags = {f"src/f{i}.ts": [{"severity": f"sev-{i}-" + "s" * 30, "message": "m"}] for i in range(5000)}
    violations = [{"id": f"rule-{i}", "impact": f"impact-{i}-" + "i" * 30, "nodes": []} for i in range(5000)]
    ledger = {**fixture("autopilot", "ledger"), "startedAt": HUGE, "finishedAt": HUGE}
    snapshot = {**fixture("autopilot", "snapshot"), "timestamp": "t" * 100_000}
    return {
        "a11y-url": ("guardian", "accessibility-report", {"url": HUGE, "violations": []}),
        "lh-url": ("guardian", "lighthouse-report", {"finalUrl": HUGE, "categories": {}}),
        "lh-categories": ("guardian", "lighthouse-report",
                          {"categories": {f"category-{i}-" + "c" * 40: {"score": 0.5} for i in range(20_000)}}),
        "severities": ("insight", "analysis-results", {"diagnostics": diags}),
        "impacts": ("guardian", "accessibility-report", {"violations": violations}),
        "detector": ("insight", "detector-x", {"detector": HUGE, "issues": [
            {"severity": f"s{i}" + "v" * 35, "message": "m"} for i in range(5000)]}),
        "ledger-phase": ("autopilot", "ledger", ledger),
        "snapshot-time": ("autopilot", "snapshot", snapshot),
        "test-results": ("guardian", "test-results", {**fixture("guardian", "test-results"),
                                                       "timestamp": "t" * 100_000}),
    }


@pytest.mark.parametrize("case", sorted(hostile_payloads()))
def test_worst_case_summary_of_every_type_is_far_below_the_item_limit(case: str) -> None:
    product, upload_type, payload = hostile_payloads()[case]
    kind = resolve(product, upload_type)
    summary = bound_summary(kind.summarize(kind.model.model_validate(payload), upload_type))
    size = len(json.dumps(summary.__dict__, default=str).encode())
    assert size < ITEM_MAX_BYTES // 10 < DYNAMO_ITEM_LIMIT, (case, size)
    for value in summary.fields.values():
        if isinstance(value, dict):
            assert len(value) <= MAP_MAX_KEYS
        if isinstance(value, str):
            assert len(value) <= TEXT_MAX


@pytest.mark.parametrize("case", ["a11y-url", "lh-url", "lh-categories", "severities", "impacts"])
def test_the_testers_payloads_are_stored_with_documented_bounds(client: Any, org: Org, case: str) -> None:
    product, upload_type, payload = hostile_payloads()[case]
    response = upload(client, org, product, upload_type, payload)
    assert response.status_code == 201, response.body[:500]
    run_id = body(response)["runId"]
    detail = body(client.http.get(f"/v1/runs/{product}/{run_id}", headers=org.headers))
    summary = detail.get("summary") or detail["run"]["summary"]
    if case.endswith("url"):
        assert summary["url"].endswith(TRUNCATION_MARK) and len(summary["url"]) == TEXT_MAX
    if case == "lh-categories":
        assert len(summary["scores"]) == MAP_MAX_KEYS
    if case == "severities":
        assert len(summary["bySeverity"]) == MAP_MAX_KEYS
        assert sum(summary["bySeverity"].values()) == 5000 and OTHER_KEY in summary["bySeverity"]
    if case == "impacts":
        assert sum(summary["byImpact"].values()) == 5000 and summary["violationsCount"] == 5000


def test_a_large_door_upload_of_a_hostile_payload_succeeds_on_its_first_delivery(client: Any, org: Org) -> None:
    raw = json.dumps({"finalUrl": HUGE, "categories": {"perf": {"score": 0.9}}}).encode()
    data = gzip.compress(raw)
    start = client.http.post("/v1/uploads", headers=org.headers, body=json.dumps({
        "product": "guardian", "type": "lighthouse-report", "fileName": "lighthouse.json",
        "contentType": "application/gzip", "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(), "projectId": "shop-web"}))
    assert start.status_code == 201, start.body
    instructions = body(start)
    send(instructions, data)
    done = client.http.post(f"/v1/uploads/{instructions['uploadId']}/complete", headers=org.headers, body="{}")
    assert done.status_code in (200, 202), done.body
    job_id = body(done)["jobId"]
    from tests.api.jobs.conftest import queued_bodies
    from chalicelib.services import jobs

    messages = queued_bodies()
    assert len(messages) == 1
    jobs.process_message(messages[0], 1)  # must not raise: nothing here is AWS's fault
    job = body(client.http.get(f"/v1/jobs/{job_id}", headers=org.headers))
    assert job["status"] == "succeeded" and job["attempts"] == 1, job
    assert len(run_items()) == 1
