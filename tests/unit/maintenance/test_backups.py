"""Scheduled backups: one per table per window, verified before anything is pruned, pruning only
this job's backups past the stage's retention and always keeping the newest three."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import clock
from chalicelib.config import TABLE_NAMES, get_settings
from chalicelib.services.maintenance import backups
from chalicelib.store import backups as store
from chalicelib.store import clients
from tests.unit.maintenance.conftest import names, seed_aged, seed_backup

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)


def _emf(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and "_aws" in line]


def _metric_values(out: str, name: str) -> list[float]:
    return [v for doc in _emf(out) if name in doc for v in (doc[name] if isinstance(doc[name], list) else [doc[name]])]


def test_backup_name_is_table_stage_sched_and_minute_stamp():
    at = datetime(2026, 1, 2, 3, 4, 59, tzinfo=timezone.utc)
    assert backups.backup_name("api-keys", "prod", at) == "api-keys.prod.sched.20260102T0304Z"


def test_run_backs_up_every_table_once_per_window(aws):
    with clock.frozen(NOW):
        first = backups.run_backups()
    assert first.ok
    assert sorted(first.created) == sorted(f"{t}.test.sched.20261122T0300Z" for t in TABLE_NAMES)
    for table in TABLE_NAMES:
        listed = backups.job_backups(table)
        assert [b.name for b in listed] == [f"{table}.test.sched.20261122T0300Z"]
        assert store.describe_backup(listed[0].arn)["BackupStatus"] == "AVAILABLE"

    with clock.frozen(NOW + timedelta(hours=5)):
        second = backups.run_backups()
    assert second.ok and second.created == [] and len(second.reused) == len(TABLE_NAMES)
    assert all(len(backups.job_backups(t)) == 1 for t in TABLE_NAMES)


def test_retention_30_days_prunes_only_this_jobs_older_backups(aws):
    aged = seed_aged("runs", NOW, range(1, 41))
    others = {"runs-manual-before-migration", "runs.prod.sched.20200101T0000Z", "runs.test.sched.latest"}
    for name in others:
        store.create_backup(get_settings().table("runs"), name)
    files_old = seed_backup("files", NOW - timedelta(days=45))  # one of the files table's 3 newest

    with clock.frozen(NOW):
        report = backups.run_backups(retention_days=30)

    assert report.ok
    kept = names("runs")
    assert {aged[d] for d in range(1, 31)} <= kept
    assert not {aged[d] for d in range(31, 41)} & kept
    assert others <= kept
    assert "runs.test.sched.20261122T0300Z" in kept
    assert sorted(report.deleted) == sorted(aged[d] for d in range(31, 41))
    assert files_old in names("files")


def test_pruning_stops_at_the_deadline_and_the_next_run_goes_on(aws):
    aged = seed_aged("runs", NOW, range(31, 41))
    ticks = iter(range(0, 10_000))
    with clock.frozen(NOW):
        # a clock that moves 1 s per reading: the 8 s deadline ends after a few deletions
        first = backups.run_backups(retention_days=30, deadline_seconds=8, monotonic=lambda: float(next(ticks)))
        assert first.ok and not first.pruned_all and first.as_dict()["prunedAll"] is False
        assert 0 < len(first.deleted) < 8
        second = backups.run_backups(retention_days=30)
    # the three newest stay (today's, then days 31 and 32): the rest went, over the two runs
    assert second.pruned_all and sorted(first.deleted + second.deleted) == sorted(aged[d] for d in range(33, 41))


def test_the_three_newest_stay_even_past_retention(aws):
    aged = seed_aged("runs", NOW, range(35, 41))
    with clock.frozen(NOW):
        report = backups.run_backups(retention_days=30)
    kept = {b.name for b in backups.job_backups("runs")}
    assert kept == {"runs.test.sched.20261122T0300Z", aged[35], aged[36]}
    assert {aged[d] for d in range(37, 41)} <= set(report.deleted)


def test_retention_comes_from_the_stage_setting(aws, monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("ODAVL_BACKUP_RETENTION_DAYS", "7")
    config.reset_settings()
    aged = seed_aged("runs", NOW, range(1, 11))
    with clock.frozen(NOW):
        backups.run_backups()
    kept = names("runs")
    assert {aged[d] for d in range(1, 8)} <= kept
    assert not {aged[d] for d in range(8, 11)} & kept


def test_250_backups_across_pages_are_all_evaluated(aws, paged_list_backups):
    # 250 backups four hours apart: ages 4 h .. 1000 h (41.7 days)
    taken = [NOW - timedelta(hours=4 * i) for i in range(1, 251)]
    seeded = [seed_backup("runs", at) for at in taken]
    runs_table = get_settings().table("runs")
    with clock.frozen(NOW):
        report = backups.run_backups(retention_days=30, page_limit=100)

    assert report.ok
    # runs: 250 seeded + today's; the six other tables: today's each
    assert report.evaluated == 251 + 6
    assert paged_list_backups.pages_served[runs_table] >= 2 * 3  # listed before and after: 3 pages each
    expected_gone = {name for name, at in zip(seeded, taken) if at < NOW - timedelta(days=30)}
    assert len(expected_gone) == 250 - 180
    assert set(report.deleted) == expected_gone
    assert not expected_gone & names("runs")
    assert len(backups.job_backups("runs")) == 251 - len(expected_gone)


def test_paging_follows_last_evaluated_backup_arn(aws, paged_list_backups):
    for i in range(7):
        seed_backup("usage", NOW - timedelta(days=i))
    listed = list(store.list_backups(get_settings().table("usage"), page_limit=3))
    assert len(listed) == 7 and len({b["BackupArn"] for b in listed}) == 7
    assert paged_list_backups.pages_served[get_settings().table("usage")] == 3


def test_a_failed_creation_deletes_nothing_and_emits_a_metric(aws, capsys, caplog):
    aged = seed_aged("runs", NOW, range(31, 41))
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=get_settings().table("jobs"))
    capsys.readouterr()

    with clock.frozen(NOW):
        report = backups.run_backups(retention_days=30)

    assert not report.ok and report.deleted == []
    assert any(f.startswith("jobs:") for f in report.failures)
    assert set(aged.values()) <= names("runs")
    out = capsys.readouterr().out
    assert _metric_values(out, "BackupFailed") == [1.0]
    assert any(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ODAVLCloud" for doc in _emf(out))
    assert "backups failed; nothing deleted" in caplog.text
    assert "backups: created=6 reused=0 deleted=0" in caplog.text


def test_a_backup_that_never_becomes_available_deletes_nothing(aws, capsys):
    aged = seed_aged("runs", NOW, range(31, 41))
    remover = boto3.client("dynamodb", region_name="us-east-1")

    def vanish(parsed, **_):
        if parsed["BackupDetails"]["BackupName"].startswith("orgs."):
            remover.delete_backup(BackupArn=parsed["BackupDetails"]["BackupArn"])

    events = clients.dynamodb().meta.events
    events.register("after-call.dynamodb.CreateBackup", vanish)
    ticks = {"t": 0.0, "sleeps": 0}

    def sleep(seconds: float) -> None:
        ticks["t"] += seconds
        ticks["sleeps"] += 1

    try:
        with clock.frozen(NOW):
            report = backups.run_backups(retention_days=30, deadline_seconds=60, sleep=sleep, monotonic=lambda: ticks["t"])
    finally:
        events.unregister("after-call.dynamodb.CreateBackup", vanish)

    assert not report.ok and report.deleted == []
    assert any("not AVAILABLE before the deadline" in f for f in report.failures)
    assert ticks["sleeps"] == 60 / backups.POLL_SECONDS
    assert set(aged.values()) <= names("runs")
    assert _metric_values(capsys.readouterr().out, "BackupFailed") == [1.0]


def test_expired_never_picks_a_backup_still_being_created():
    mk = lambda days, status: backups.JobBackup("runs", f"arn{days}", f"n{days}", NOW - timedelta(days=days), status)  # noqa: E731
    listed = [mk(1, "AVAILABLE"), mk(2, "AVAILABLE"), mk(3, "AVAILABLE"), mk(40, "CREATING"), mk(41, "AVAILABLE")]
    assert [b.arn for b in backups.expired(listed, NOW, 30)] == ["arn41"]


@pytest.mark.parametrize("stage_days", [("prod", 30), ("staging", 7), ("dev", 3)])
def test_stage_retention_defaults(monkeypatch, stage_days):
    from chalicelib import config

    stage, days = stage_days
    monkeypatch.setenv("ODAVL_STAGE", stage)
    monkeypatch.delenv("ODAVL_BACKUP_RETENTION_DAYS", raising=False)
    config.reset_settings()
    try:
        assert config.get_settings().backup_retention_days == days
    finally:
        config.reset_settings()
