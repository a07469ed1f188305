"""Data retention (besides runs): finished jobs past seven days, abandoned multipart uploads,
expired idempotency records; bounded per pass, resumable, idempotent, one summary line."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.services.maintenance import retention
from chalicelib.store import jobs as job_store
from chalicelib.store import tables

NOW = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)


def _job(org_id: str, job_id: str, status: str, finished: datetime | None) -> None:
    item = {"orgId": org_id, "jobId": job_id, "status": status, "type": "ingest", "createdAt": clock.iso(NOW - timedelta(days=30))}
    if finished is not None:
        item["finishedAt"] = clock.iso(finished)
    job_store.put_job(item)


def _idem(n: int, ttl: int, prefix: str = "old") -> None:
    with tables.table("idempotency").batch_writer() as batch:
        for i in range(n):
            batch.put_item(Item={"pk": f"IDEM#acme#insight#{prefix}{i:04d}", "sk": "IDEM", "ttl": ttl})


def _count(name: str) -> int:
    return tables.table(name).scan(Select="COUNT")["Count"]


def test_finished_jobs_older_than_seven_days_go(aws):
    _job("acme", "a" * 26, "succeeded", NOW - timedelta(days=8))
    _job("acme", "b" * 26, "failed", NOW - timedelta(days=7, hours=1))
    _job("acme", "c" * 26, "succeeded", NOW - timedelta(days=6))
    _job("globex", "d" * 26, "running", None)
    _job("globex", "e" * 26, "cancelled", NOW - timedelta(days=20))
    with clock.frozen(NOW):
        report = retention.run_retention(steps=("jobs",))
    assert report.jobs_deleted == 3 and report.complete
    assert job_store.get_job("acme", "c" * 26) is not None
    assert job_store.get_job("globex", "d" * 26) is not None
    assert job_store.get_job("acme", "a" * 26) is None and job_store.get_job("globex", "e" * 26) is None


def test_multipart_uploads_abandoned_over_a_day_are_aborted(aws):
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = get_settings().bucket
    s3.create_multipart_upload(Bucket=bucket, Key="orgs/acme/uploads/abandoned")
    with clock.frozen(NOW):  # three days after S3 saw it start
        report = retention.run_retention(steps=("uploads",))
    assert report.uploads_aborted == 1
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    # (moto 5.2.5 reports every multipart upload as initiated in 2010, so a fresh one cannot be
    # told apart here; the age rule itself is the uploads area's, tested there)


def test_expired_idempotency_records_go_live_ones_stay(aws):
    epoch = int(NOW.timestamp())
    _idem(12, epoch - 60)
    _idem(5, epoch + 3600, prefix="live")
    with clock.frozen(NOW):
        report = retention.run_retention(steps=("idempotency",))
    assert report.idempotency_deleted == 12 and report.complete
    assert _count("idempotency") == 5


def test_a_pass_is_bounded_and_the_next_one_continues(aws):
    _idem(30, int(NOW.timestamp()) - 60)
    with clock.frozen(NOW):
        first = retention.run_retention(steps=("idempotency",), batch=10, max_batches=2)
        assert (first.idempotency_deleted, first.complete) == (20, False)
        assert _count("idempotency") == 10
        second = retention.run_retention(steps=("idempotency",), batch=10, max_batches=2)
        assert (second.idempotency_deleted, second.complete) == (10, True)
        third = retention.run_retention(steps=("idempotency",), batch=10, max_batches=2)
    assert (third.idempotency_deleted, third.complete) == (0, True)
    assert _count("idempotency") == 0


def test_expired_records_behind_many_live_ones_are_reached(aws, monkeypatch):
    from chalicelib.store import retention as expiry_store

    monkeypatch.setattr(expiry_store, "MAX_PAGES", 2)  # a call reads at most 2 pages of 10
    epoch = int(NOW.timestamp())
    _idem(60, epoch + 3600, prefix="live")
    _idem(12, epoch - 60)
    with clock.frozen(NOW):
        report = retention.run_retention(steps=("idempotency",), batch=10, max_batches=50)
    assert (report.idempotency_deleted, report.complete) == (12, True)
    assert _count("idempotency") == 60


def test_the_deadline_stops_a_pass_cleanly(aws):
    _idem(30, int(NOW.timestamp()) - 60)
    ticks = iter(range(0, 1000, 40))  # every look at the clock is 40 s later
    with clock.frozen(NOW):
        report = retention.run_retention(steps=("idempotency",), batch=10, deadline_seconds=100, monotonic=lambda: next(ticks))
    assert not report.complete
    assert 0 < report.idempotency_deleted < 30
    assert _count("idempotency") == 30 - report.idempotency_deleted


def test_one_summary_line_with_counts(aws, caplog):
    import logging

    _idem(3, int(NOW.timestamp()) - 60)
    with caplog.at_level(logging.INFO, logger="odavl-cloud"), clock.frozen(NOW):
        retention.run_retention(steps=("idempotency", "jobs"))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention:")]
    assert lines == ["retention: runs=0 files=0 uploads=0 jobs=0 idempotency=3 cleanups=0 orphans=0 bytes_freed=0 complete=True failures=0"]


def test_a_failing_step_does_not_stop_the_others(aws, capsys):
    _idem(2, int(NOW.timestamp()) - 60)
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=get_settings().table("jobs"))
    with clock.frozen(NOW):
        report = retention.run_retention(steps=("jobs", "idempotency"))
    assert report.idempotency_deleted == 2
    assert len(report.failures) == 1 and report.failures[0].startswith("jobs:")
    assert not report.complete
    assert '"RetentionFailed":[1.0]' in capsys.readouterr().out
