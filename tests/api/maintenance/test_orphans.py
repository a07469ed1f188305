"""The retention pass deletes object versions no record refers to, once they are a day old, and
keeps everything a record names; it reads the bucket in bounded steps and goes on where it stopped."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3

from chalicelib import clock
from chalicelib.services.maintenance import orphans, retention
from tests.api.binary_uploads.conftest import PNG, complete, send, sha, start
from tests.api.uploads_inline.helpers import fixture, upload
from tests.conftest import Org, body

BUCKET = "odavl-test-payloads"


def s3() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def versions(prefix: str = "orgs/") -> list[tuple[str, str]]:
    listed = s3().list_object_versions(Bucket=BUCKET, Prefix=prefix)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []))


def later(days: float = 2) -> Any:
    return clock.frozen(clock.now() + timedelta(days=days))


def test_unreferenced_versions_go_and_referenced_ones_stay(client: Any, org: Org, other_org: Org) -> None:
    run = body(upload(client, org, "insight", "analysis-results", fixture("insight", "analysis-results")))
    shot = body(start(client, org, PNG, testRunId="tr-1"))
    send(shot, PNG)
    assert complete(client, org, shot["uploadId"]).status_code == 200
    blob_key = shot["fields"]["key"]
    s3().put_object(Bucket=BUCKET, Key=blob_key, Body=PNG[:-1] + b"!")  # the form used again
    crashed = "orgs/acme/runs/insight/01aaaaaaaaaaaaaaaaaaaaaaaa.json.gz"  # PUT, then the transaction failed
    s3().put_object(Bucket=BUCKET, Key=crashed, Body=b"x")
    crashed_pages = crashed.removesuffix(".json.gz") + ".pages.bin"  # its pages, written beside it
    s3().put_object(Bucket=BUCKET, Key=crashed_pages, Body=b"p")
    tampered = f"orgs/globex/blobs/{sha(PNG)}/01bbbbbbbbbbbbbbbbbbbbbbbb"  # a form pointed at another org
    s3().put_object(Bucket=BUCKET, Key=tampered, Body=b"y")
    pending = body(start(client, org, PNG + b"pending", testRunId="tr-2"))
    send(pending, PNG + b"pending")  # sent, not completed yet: its session refers to it
    s3().put_object(Bucket=BUCKET, Key="orgs/acme/files/gone.pdf", Body=b"z")
    s3().delete_object(Bucket=BUCKET, Key="orgs/acme/files/gone.pdf")  # a delete marker left behind
    before = versions()

    with clock.frozen(clock.now() + timedelta(hours=1)):
        report = retention.run_retention(steps=("orphans",))
    assert report.orphans_deleted == 0 and versions() == before  # nothing is an orphan before a day

    with later():
        report = retention.run_retention(steps=("orphans",))
    assert report.complete
    left = versions()
    keys = [k for k, _ in left]
    payload = f"orgs/acme/runs/insight/{run['runId']}.json.gz"
    assert payload in keys and pending["fields"]["key"] in keys
    assert payload.removesuffix(".json.gz") + ".pages.bin" in keys  # a live run's pages are referenced
    assert crashed not in keys and crashed_pages not in keys and tampered not in keys and "orgs/acme/files/gone.pdf" not in keys
    assert keys.count(blob_key) == 1  # the verified version only
    assert s3().get_object(Bucket=BUCKET, Key=blob_key, VersionId=[v for k, v in left if k == blob_key][0])["Body"].read() == PNG
    # the second blob version, the crashed payload and its pages, the tampered object, a version and its delete marker
    assert report.orphans_deleted == len(before) - len(left) == 6


def test_a_failed_jobs_staging_waits_a_day_for_a_retry_then_goes(client: Any, org: Org) -> None:
    from chalicelib.services import jobs
    from tests.api.jobs.conftest import queued_bodies

    data = b'{"diagnostics": "not a map"}'
    answer = body(client.http.post("/v1/uploads", headers=org.headers, body=json.dumps({
        "product": "insight", "type": "analysis-results", "fileName": "e.json", "contentType": "application/json",
        "size": len(data), "sha256": sha(data), "projectId": "p"})))
    send(answer, data)
    assert client.http.post(f"/v1/uploads/{answer['uploadId']}/complete", headers=org.headers, body="{}").status_code == 202
    [message] = queued_bodies()
    jobs.process_message(message, 1)  # a client error: failed for good, staging kept for a retry
    staging = answer["fields"]["key"]
    with later(0.5):
        retention.run_retention(steps=("orphans",))
    assert staging in [k for k, _ in versions()]
    with later(3):
        retention.run_retention(steps=("orphans",))
    assert staging not in [k for k, _ in versions()]


def test_each_pass_is_bounded_and_the_next_goes_on(client: Any, org: Org) -> None:
    for i in range(7):
        s3().put_object(Bucket=BUCKET, Key=f"orgs/acme/runs/insight/01cccccccccccccccccccccc{i:02d}.json.gz", Body=b"x")
    with later():
        first = retention.run_retention(steps=("orphans",), batch=3, max_batches=1)
        assert not first.complete and first.orphans_deleted == 3
        second = retention.run_retention(steps=("orphans",), batch=3, max_batches=1)
        assert second.orphans_deleted == 3
        third = retention.run_retention(steps=("orphans",), batch=3, max_batches=2)
    assert third.complete and third.orphans_deleted == 1
    assert versions() == []
    assert orphans.GRACE == timedelta(days=1)
