"""The scheduled jobs over every table, as their functions run them: what their roles must allow on each
table (the unit tests prune one or two tables; a deployed job prunes them all). Part of
tests.infra.aws_actions.RECORDED_TESTS."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib import clock
from chalicelib.config import TABLE_NAMES, get_settings
from chalicelib.services.maintenance import backups
from chalicelib.store import backups as store

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)


def test_daily_backups_back_up_and_prune_every_table(aws):
    settings = get_settings()
    for table in TABLE_NAMES:
        for age in range(100, 105):  # older than any stage's retention; more than the newest three kept
            store.create_backup(settings.table(table), backups.backup_name(table, settings.stage, NOW - timedelta(days=age)))
    with clock.frozen(NOW):
        report = backups.run_backups(retention_days=30)
    assert report.ok and report.pruned_all, report.as_dict()
    assert sorted(name.split(".")[0] for name in report.created) == sorted(TABLE_NAMES)
    assert {name.split(".")[0] for name in report.deleted} == set(TABLE_NAMES)
    for table in TABLE_NAMES:
        assert len(backups.job_backups(table)) == 3  # today's and the two newest aged ones
