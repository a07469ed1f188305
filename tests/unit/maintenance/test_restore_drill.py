"""The restore drill restores the newest scheduled backup exactly and leaves no table behind."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.services.maintenance import backups, restore_drill
from chalicelib.store import tables
from tests.unit.maintenance.conftest import seed_backup

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=timezone.utc)


def _seed(n: int) -> None:
    with tables.table("runs").batch_writer() as batch:
        for i in range(n):
            batch.put_item(Item={"pk": "ORG#acme#insight", "sk": f"RUN#{i:05d}", "size": i, "note": "x" * 10})


def _table_names() -> set[str]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    return set(client.list_tables()["TableNames"])


def test_drill_restores_the_exact_item_count_and_leaves_no_table(aws):
    _seed(137)
    with clock.frozen(NOW):
        assert backups.run_backups(tables=("runs",)).ok
        report = restore_drill.run_drill("runs")
    assert report.ok, report
    assert report.backup == "runs.test.sched.20261122T0400Z"
    assert report.restored_items == report.source_items == 137
    assert report.canary_matches and report.canary_key["pk"] == "ORG#acme#insight"
    assert report.temporary_table == "odavl-test-restore-drill-20261122T040000Z"
    assert report.temporary_table_deleted
    assert report.seconds >= 0
    assert not [t for t in _table_names() if "restore-drill" in t]


def test_drill_uses_the_newest_backup_and_reports_a_difference(aws):
    _seed(10)
    seed_backup("runs", NOW - timedelta(days=2))  # holds 10 items
    _seed(25)  # 15 more since
    seed_backup("runs", NOW - timedelta(days=5))  # older name, made later: not the newest by name
    with clock.frozen(NOW):
        report = restore_drill.run_drill("runs")
    assert report.backup == backups.backup_name("runs", "test", NOW - timedelta(days=2))
    assert (report.restored_items, report.source_items) == (10, 25)
    assert not report.ok
    assert report.temporary_table_deleted
    assert not [t for t in _table_names() if "restore-drill" in t]


def test_drill_deletes_the_temporary_table_even_when_it_fails(aws):
    _seed(3)
    seed_backup("runs", NOW - timedelta(days=1))
    ticks = {"t": 0.0}

    def sleep(seconds: float) -> None:
        ticks["t"] += seconds

    # the source table vanishes mid-drill: counting it fails after the restore
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=get_settings().table("runs"))
    with clock.frozen(NOW):
        report = restore_drill.run_drill("runs", sleep=sleep, monotonic=lambda: ticks["t"])
    assert not report.ok and "ResourceNotFoundException" in report.error
    assert report.restored_items == 3
    assert report.temporary_table_deleted
    assert not [t for t in _table_names() if "restore-drill" in t]


def test_drill_without_a_backup_fails_cleanly(aws):
    with clock.frozen(NOW):
        report = restore_drill.run_drill("usage")
    assert not report.ok and "no scheduled backup" in report.error
    assert not [t for t in _table_names() if "restore-drill" in t]
