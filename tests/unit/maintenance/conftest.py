"""Maintenance fixtures: seeding this job's (and others') backups at chosen ages, and AWS-style
paging of ListBackups over moto's real backup list (moto 5.2.5 answers every backup in one page
and ignores Limit/ExclusiveStartBackupArn, so the follow-every-page code would go untested)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.services.maintenance.backups import backup_name
from chalicelib.store import backups as store
from chalicelib.store import clients


def seed_backup(table: str, taken_at: datetime) -> str:
    """A backup of logical ``table`` as this job would have named it at ``taken_at``; returns its name."""
    settings = get_settings()
    name = backup_name(table, settings.stage, taken_at)
    store.create_backup(settings.table(table), name)
    return name


def seed_aged(table: str, now: datetime, days: range | list[float]) -> dict[float, str]:
    """One job backup per age in days (before ``now``): {age: name}."""
    return {age: seed_backup(table, now - timedelta(days=age)) for age in days}


def names(table: str) -> set[str]:
    """Names of every backup of logical ``table`` (this job's and others')."""
    return {b["BackupName"] for b in store.list_backups(get_settings().table(table))}


class ListBackupsPaging:
    """Serves moto's ListBackups answers in pages of ``Limit`` with LastEvaluatedBackupArn, as AWS does."""

    def __init__(self) -> None:
        self.pages_served: dict[str, int] = {}

    def remember_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["list_backups_params"] = dict(params)

    def page(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get("list_backups_params", {})
        summaries = parsed.get("BackupSummaries", [])
        start = 0
        if params.get("ExclusiveStartBackupArn"):
            arns = [s["BackupArn"] for s in summaries]
            start = arns.index(params["ExclusiveStartBackupArn"]) + 1
        limit = params.get("Limit") or 100
        chunk = summaries[start : start + limit]
        parsed["BackupSummaries"] = chunk
        parsed.pop("LastEvaluatedBackupArn", None)
        if start + limit < len(summaries):
            parsed["LastEvaluatedBackupArn"] = chunk[-1]["BackupArn"]
        table = params.get("TableName", "")
        self.pages_served[table] = self.pages_served.get(table, 0) + 1


@pytest.fixture
def paged_list_backups(aws: dict[str, str]) -> Iterator[ListBackupsPaging]:
    """ListBackups answered page by page (at most ``Limit`` summaries each)."""
    paging = ListBackupsPaging()
    events = clients.dynamodb().meta.events
    events.register("provide-client-params.dynamodb.ListBackups", paging.remember_params)
    events.register("after-call.dynamodb.ListBackups", paging.page)
    yield paging
    events.unregister("provide-client-params.dynamodb.ListBackups", paging.remember_params)
    events.unregister("after-call.dynamodb.ListBackups", paging.page)
