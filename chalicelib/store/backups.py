"""DynamoDB on-demand backups and restores of the stage's tables (the scheduled backup job and
the restore drill). Plain dicts in, plain dicts out; the policy lives in services/maintenance."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.store import clients, pages

# DynamoDB answers at most 100 summaries per ListBackups page.
PAGE_LIMIT = 100


class BackupError(Exception):
    """DynamoDB refused a backup operation (the message carries its error code)."""


def _call(method: str, **kwargs: Any) -> dict[str, Any]:
    try:
        return getattr(clients.dynamodb(), method)(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise BackupError(f"{method}: {error.get('Code', 'Error')}: {error.get('Message', '')}") from exc


def create_backup(table_name: str, backup_name: str) -> dict[str, Any]:
    """Start an on-demand backup; returns BackupDetails (BackupArn, BackupName, BackupStatus...)."""
    return _call("create_backup", TableName=table_name, BackupName=backup_name)["BackupDetails"]


def describe_backup(backup_arn: str) -> dict[str, Any]:
    """BackupDetails of one backup (its BackupStatus: CREATING, AVAILABLE or DELETED)."""
    return _call("describe_backup", BackupArn=backup_arn)["BackupDescription"]["BackupDetails"]


def delete_backup(backup_arn: str) -> None:
    """Delete one backup; a backup already gone counts as deleted (a re-run after a crash)."""
    try:
        clients.dynamodb().delete_backup(BackupArn=backup_arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "BackupNotFoundException":
            return
        error = exc.response.get("Error", {})
        raise BackupError(f"delete_backup: {error.get('Code')}: {error.get('Message', '')}") from exc


def list_backups(table_name: str, page_limit: int = PAGE_LIMIT) -> Iterator[dict[str, Any]]:
    """Every user backup summary of ``table_name``, following LastEvaluatedBackupArn to the last page."""
    kwargs: dict[str, Any] = {"TableName": table_name, "BackupType": "USER", "Limit": page_limit}
    while True:
        page = _call("list_backups", **kwargs)
        yield from page.get("BackupSummaries", [])
        last = page.get("LastEvaluatedBackupArn")
        if not last:
            return
        kwargs["ExclusiveStartBackupArn"] = last


def restore_table(backup_arn: str, target_table_name: str) -> dict[str, Any]:
    """Restore a backup into a new table; returns its TableDescription."""
    return _call("restore_table_from_backup", TargetTableName=target_table_name, BackupArn=backup_arn)[
        "TableDescription"
    ]


def table_status(table_name: str) -> str | None:
    """TableStatus of a table (CREATING, ACTIVE, ...), or None when it does not exist."""
    try:
        return clients.dynamodb().describe_table(TableName=table_name)["Table"]["TableStatus"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise BackupError(f"describe_table: {exc}") from exc


def delete_table(table_name: str) -> None:
    """Delete a table (the restore drill's temporary table); a missing table is not an error."""
    try:
        clients.dynamodb().delete_table(TableName=table_name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return
        raise BackupError(f"delete_table: {exc}") from exc


def count_items(table_name: str) -> int:
    """Exact item count of a table (a paged COUNT scan; DescribeTable's ItemCount lags by hours)."""
    kwargs: dict[str, Any] = {"TableName": table_name, "Select": "COUNT"}
    return sum(int(page.get("Count", 0)) for page in pages.pages(partial(_call, "scan"), **kwargs))


def first_item(table_name: str) -> dict[str, Any] | None:
    """One item of a table in low-level attribute-value form (the canary), or None when empty."""
    kwargs: dict[str, Any] = {"TableName": table_name, "Limit": 1}
    return next(pages.items(partial(_call, "scan"), **kwargs), None)


def get_item(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """An item by its low-level key, read consistently, or None."""
    return _call("get_item", TableName=table_name, Key=key, ConsistentRead=True).get("Item")
