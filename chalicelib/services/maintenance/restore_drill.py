"""The restore drill: prove the newest scheduled backup of a table restores, by restoring it to a
temporary table, comparing its item count and a canary item with the source, and timing it.
The temporary table is always deleted, whatever happens in between.

On a busy table the source can legitimately differ from a backup taken hours ago; the report
gives both counts so an operator can judge, and ``ok`` demands exact agreement.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.logs import logger
from chalicelib.services.maintenance.backups import job_backups
from chalicelib.services.maintenance.summary import emit_metric, log_summary
from chalicelib.store import backups as store

DEFAULT_DEADLINE_SECONDS = 900.0
POLL_SECONDS = 10.0


class DrillError(Exception):
    """The drill could not run (no backup to restore, restore refused or too slow)."""


@dataclass
class DrillReport:
    table: str
    backup: str = ""
    temporary_table: str = ""
    source_items: int = -1
    restored_items: int = -1
    canary_key: dict[str, Any] = field(default_factory=dict)
    canary_matches: bool = False
    seconds: float = 0.0
    temporary_table_deleted: bool = False
    ok: bool = False
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def temporary_table_name(at: Any = None) -> str:
    """``odavl-<stage>-restore-drill-<YYYYMMDDTHHMMSSZ>`` (the IAM policy allows exactly this prefix)."""
    stamp = (at or clock.now()).strftime("%Y%m%dT%H%M%SZ")
    return f"{get_settings().resource_prefix}-restore-drill-{stamp}"


def _key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


def run_drill(
    table: str = "runs",
    *,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> DrillReport:
    """Restore the newest backup of logical ``table`` to a temporary table, compare, delete it."""
    settings = get_settings()
    report = DrillReport(table=table)
    started = monotonic()
    available = [b for b in job_backups(table) if b.status in ("AVAILABLE", "")]
    if not available:
        report.error = f"no scheduled backup of '{table}' to restore"
        return _finish(report, started, monotonic)
    newest = available[0]
    report.backup = newest.name
    report.temporary_table = temporary_table_name()
    try:
        store.restore_table(newest.arn, report.temporary_table)
        _wait_active(report.temporary_table, deadline_seconds, sleep, monotonic)
        source = settings.table(table)
        report.restored_items = store.count_items(report.temporary_table)
        report.source_items = store.count_items(source)
        canary = store.first_item(report.temporary_table)
        if canary is None:
            report.canary_matches = report.source_items == 0
        else:
            report.canary_key = {k: next(iter(v.values())) for k, v in _key_of(canary).items()}
            report.canary_matches = store.get_item(source, _key_of(canary)) == canary
        report.ok = report.canary_matches and report.restored_items == report.source_items
    except (store.BackupError, DrillError) as exc:
        report.error = str(exc)
    finally:
        report.temporary_table_deleted = _drop(report.temporary_table, deadline_seconds, sleep, monotonic)
        report.ok = report.ok and report.temporary_table_deleted
    return _finish(report, started, monotonic)


def _wait_active(name: str, deadline_seconds: float, sleep: Callable[[float], None], monotonic: Callable[[], float]) -> None:
    give_up_at = monotonic() + deadline_seconds
    while store.table_status(name) != "ACTIVE":
        if monotonic() >= give_up_at:
            raise DrillError(f"restored table {name} not ACTIVE after {deadline_seconds:.0f} s")
        sleep(POLL_SECONDS)


def _drop(name: str, deadline_seconds: float, sleep: Callable[[float], None], monotonic: Callable[[], float]) -> bool:
    """Delete the temporary table; a table still being restored cannot be deleted, so wait for it first."""
    give_up_at = monotonic() + deadline_seconds
    while store.table_status(name) == "CREATING" and monotonic() < give_up_at:
        sleep(POLL_SECONDS)
    try:
        store.delete_table(name)
    except store.BackupError as exc:
        logger.error("restore drill could not delete its temporary table", extra={"table": name, "error": str(exc)})
        return False
    return store.table_status(name) in (None, "DELETING")


def _finish(report: DrillReport, started: float, monotonic: Callable[[], float]) -> DrillReport:
    report.seconds = round(monotonic() - started, 3)
    emit_metric("RestoreDrillSeconds", report.seconds, unit=_seconds_unit(), table=report.table)
    if not report.ok:
        emit_metric("RestoreDrillFailed", 1, table=report.table)
    log_summary(
        "restore-drill",
        {
            "table": report.table,
            "backup": report.backup or "-",
            "source_items": report.source_items,
            "restored_items": report.restored_items,
            "canary_matches": report.canary_matches,
            "seconds": report.seconds,
            "temporary_table_deleted": report.temporary_table_deleted,
            "ok": report.ok,
        },
        failed=not report.ok,
    )
    return report


def _seconds_unit() -> Any:
    from aws_lambda_powertools.metrics import MetricUnit

    return MetricUnit.Seconds
