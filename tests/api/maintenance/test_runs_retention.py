"""Run retention by plan: a run older than its organization's plan window goes with its payload,
its idempotency records and every screenshot only it uses (a screenshot another run shares
survives); the storage gauge goes down by exactly the bytes freed; younger runs stay."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import boto3

from chalicelib import clock
from chalicelib.services import blobs, usage
from chalicelib.services.maintenance import retention
from chalicelib.store import runs as run_store
from tests.api.binary_uploads.conftest import PNG, complete, send, sha, start
from tests.api.uploads_inline.helpers import fixture, upload_ok
from tests.conftest import Org, body, make_org

NOW = datetime.now(timezone.utc).replace(microsecond=0)
SHOT_OWN = PNG + b"own"
SHOT_SHARED = PNG + b"shared"
SHOT_BIG = PNG + b"enterprise"


def _guardian_run(client: Any, org: Org, test_run_id: str, at: datetime, shots: list[bytes]) -> str:
    """A guardian test-results run uploaded at ``at`` with ``shots`` attached; returns its runId."""
    payload = {**fixture("guardian", "test-results"), "testRunId": test_run_id}
    with clock.frozen(at):
        run_id = upload_ok(client, org, "guardian", "test-results", payload)["runId"]
        for shot in shots:
            answer = body(start(client, org, shot, testRunId=test_run_id, fileName=f"{sha(shot)[:8]}.png"))
            if answer["status"] == "upload":
                send(answer, shot)
                assert complete(client, org, answer["uploadId"]).status_code == 200
    return run_id


def _objects(prefix: str) -> set[str]:
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="odavl-test-payloads", Prefix=prefix)
    return {o["Key"] for o in listed.get("Contents", [])}


def _blob_in(org_id: str, data: bytes, keys: set[str]) -> bool:
    """Whether the blob of ``data`` has its object among ``keys`` (under orgs/<org>/blobs/<sha256>/)."""
    return any(k.startswith(f"orgs/{org_id}/blobs/{sha(data)}/") for k in keys)


def test_runs_past_their_plan_window_go_with_objects_only_they_use(client, aws):
    free = make_org("free-co", "free")
    big = make_org("big-co", "enterprise")
    old_free = _guardian_run(client, free, "tr-old", NOW - timedelta(days=31), [SHOT_OWN, SHOT_SHARED])
    young_free = _guardian_run(client, free, "tr-young", NOW - timedelta(days=29), [SHOT_SHARED])
    old_big = _guardian_run(client, big, "tr-big", NOW - timedelta(days=100), [SHOT_BIG])

    old_item = run_store.get("free-co", "guardian", old_free)
    gauge_before = usage.storage_used("free-co")
    big_gauge_before = usage.storage_used("big-co")
    assert _blob_in("free-co", SHOT_OWN, _objects("orgs/free-co/"))

    with clock.frozen(NOW):
        report = retention.run_retention(steps=("runs",))

    assert report.runs_deleted == 1 and report.complete and not report.failures
    assert run_store.get("free-co", "guardian", old_free) is None
    assert run_store.get("free-co", "guardian", young_free) is not None
    assert run_store.get("big-co", "guardian", old_big) is not None
    free_objects = _objects("orgs/free-co/")
    assert old_item["payloadKey"] not in free_objects
    assert not _blob_in("free-co", SHOT_OWN, free_objects)
    assert _blob_in("free-co", SHOT_SHARED, free_objects)
    assert blobs.get("free-co", sha(SHOT_SHARED))["refs"] == 1
    assert _blob_in("big-co", SHOT_BIG, _objects("orgs/big-co/"))
    freed = int(old_item["storedBytes"]) + len(SHOT_OWN)
    assert report.run_bytes_freed == freed
    assert usage.storage_used("free-co") == gauge_before - freed
    assert usage.storage_used("big-co") == big_gauge_before

    with clock.frozen(NOW):  # idempotent: a second pass finds nothing
        again = retention.run_retention(steps=("runs",))
    assert again.runs_deleted == 0 and again.run_bytes_freed == 0


def test_enterprise_runs_go_after_365_days_and_pro_after_90(client, aws):
    big = make_org("big-co", "enterprise")
    pro = make_org("pro-co", "pro")
    big_old = _guardian_run(client, big, "tr-366", NOW - timedelta(days=366), [])
    big_kept = _guardian_run(client, big, "tr-364", NOW - timedelta(days=364), [])
    pro_old = _guardian_run(client, pro, "tr-91", NOW - timedelta(days=91), [])
    pro_kept = _guardian_run(client, pro, "tr-89", NOW - timedelta(days=89), [])
    with clock.frozen(NOW):
        report = retention.run_retention(steps=("runs",))
    assert report.runs_deleted == 2
    assert run_store.get("big-co", "guardian", big_old) is None and run_store.get("pro-co", "guardian", pro_old) is None
    assert run_store.get("big-co", "guardian", big_kept) and run_store.get("pro-co", "guardian", pro_kept)


def test_a_bounded_pass_resumes_where_the_last_one_stopped(client, aws):
    free = make_org("free-co", "free")
    made = [_guardian_run(client, free, f"tr-{i}", NOW - timedelta(days=40 + i), []) for i in range(5)]
    with clock.frozen(NOW):
        first = retention.run_retention(steps=("runs",), batch=2, max_batches=1)
        assert (first.runs_deleted, first.complete) == (2, False)
        # the oldest go first
        assert all(run_store.get("free-co", "guardian", r) is None for r in made[3:])
        second = retention.run_retention(steps=("runs",), batch=2, max_batches=5)
    assert second.runs_deleted == 3 and second.complete
    assert all(run_store.get("free-co", "guardian", r) is None for r in made)
