"""Daily on-demand backups of every table of the stage, with per-stage retention.

Order matters: create (or find) this window's backups, wait until every one is AVAILABLE, and
only then prune. A failure before that point deletes nothing. Pruning touches only backups this
job made (``<table>.<stage>.sched.<YYYYMMDDTHHMMZ>``), judges their age by the time in the name
(written with chalicelib.clock, so tests and re-runs agree) and always keeps the newest three.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib import clock
from chalicelib.config import TABLE_NAMES, get_settings
from chalicelib.logs import logger
from chalicelib.services.maintenance.summary import emit_metric, log_summary
from chalicelib.store import backups as store

KEEP_NEWEST = 3
STAMP_FORMAT = "%Y%m%dT%H%MZ"
DEFAULT_DEADLINE_SECONDS = 600.0
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class JobBackup:
    """One backup this job made, as listed."""

    table: str
    arn: str
    name: str
    taken_at: datetime
    status: str


@dataclass
class BackupReport:
    """What one run did; ``ok`` False means nothing was deleted."""

    ok: bool = True
    created: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    evaluated: int = 0
    failures: list[str] = field(default_factory=list)
    pruned_all: bool = True  # False when the deadline came first (the next run prunes the rest)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "created": self.created,
            "reused": self.reused,
            "deleted": self.deleted,
            "evaluated": self.evaluated,
            "failures": self.failures,
            "prunedAll": self.pruned_all,
        }


def backup_name(table: str, stage: str, at: datetime) -> str:
    """``<table>.<stage>.sched.<YYYYMMDDTHHMMZ>`` (DynamoDB allows [a-zA-Z0-9_.-] in backup names)."""
    return f"{table}.{stage}.sched.{at.astimezone(timezone.utc).strftime(STAMP_FORMAT)}"


def _pattern(table: str, stage: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(table)}\.{re.escape(stage)}\.sched\.(\d{{8}}T\d{{4}}Z)$")


def job_backups(table: str, *, page_limit: int = store.PAGE_LIMIT) -> list[JobBackup]:
    """This job's backups of logical ``table`` (every ListBackups page), newest first."""
    settings = get_settings()
    pattern = _pattern(table, settings.stage)
    found: list[JobBackup] = []
    for summary in store.list_backups(settings.table(table), page_limit=page_limit):
        match = pattern.match(summary.get("BackupName", ""))
        if not match:
            continue
        taken_at = datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=timezone.utc)
        found.append(JobBackup(table, summary["BackupArn"], summary["BackupName"], taken_at, summary.get("BackupStatus", "")))
    found.sort(key=lambda b: b.taken_at, reverse=True)
    return found


def _same_window(a: datetime, b: datetime) -> bool:
    """The job runs daily: one backup per table per UTC day."""
    return a.astimezone(timezone.utc).date() == b.astimezone(timezone.utc).date()


def expired(backups: list[JobBackup], now: datetime, retention_days: int, keep: int = KEEP_NEWEST) -> list[JobBackup]:
    """Backups past retention, never one of the ``keep`` newest, never one still being created."""
    newest_first = sorted(backups, key=lambda b: b.taken_at, reverse=True)
    cutoff = now - timedelta(days=retention_days)
    return [b for b in newest_first[keep:] if b.taken_at < cutoff and b.status in ("AVAILABLE", "")]


def wait_available(
    arns: Iterable[str],
    *,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    poll_seconds: float = POLL_SECONDS,
) -> list[str]:
    """Poll DescribeBackup until every backup is AVAILABLE; returns the ARNs that are not by the deadline."""
    pending = list(arns)
    give_up_at = monotonic() + deadline_seconds
    while True:
        still: list[str] = []
        for arn in pending:
            try:
                status = store.describe_backup(arn).get("BackupStatus")
            except store.BackupError as exc:
                logger.warning("describe_backup failed", extra={"backupArn": arn, "error": str(exc)})
                status = None
            if status == "DELETED":
                return [arn, *[a for a in pending if a != arn]]
            if status != "AVAILABLE":
                still.append(arn)
        pending = still
        if not pending or monotonic() >= give_up_at:
            return pending
        sleep(poll_seconds)


def run_backups(
    *,
    tables: Iterable[str] = TABLE_NAMES,
    retention_days: int | None = None,
    keep: int = KEEP_NEWEST,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    page_limit: int = store.PAGE_LIMIT,
) -> BackupReport:
    """Back up every table once per window, verify, then prune this job's expired backups."""
    settings = get_settings()
    stop_at = monotonic() + deadline_seconds  # creation, verification and pruning share one deadline
    retention = settings.backup_retention_days if retention_days is None else retention_days
    now = clock.now()
    report = BackupReport()
    current: dict[str, str] = {}
    tables = tuple(tables)

    for table in tables:
        try:
            existing = job_backups(table, page_limit=page_limit)
            todays = next((b for b in existing if _same_window(b.taken_at, now)), None)
            if todays is not None:
                current[table] = todays.arn
                report.reused.append(todays.name)
                continue
            name = backup_name(table, settings.stage, now)
            details = store.create_backup(settings.table(table), name)
            current[table] = details["BackupArn"]
            report.created.append(name)
        except Exception as exc:  # any failure here (AWS refusal, network) must stop the pruning
            report.failures.append(f"{table}: {exc}")

    if not report.failures:
        late = wait_available(
            current.values(), deadline_seconds=max(0.0, stop_at - monotonic()), sleep=sleep, monotonic=monotonic
        )
        by_arn = {arn: table for table, arn in current.items()}
        report.failures.extend(f"{by_arn[arn]}: backup {arn} not AVAILABLE before the deadline" for arn in late)

    if report.failures:
        report.ok = False
        emit_metric("BackupFailed", len(report.failures))
        log_summary("backups", _counts(report), failed=True)
        logger.error("backups failed; nothing deleted", extra={"failures": report.failures})
        return report

    for table in tables:
        listed = job_backups(table, page_limit=page_limit)
        report.evaluated += len(listed)
        for backup in expired(listed, now, retention, keep):
            if monotonic() >= stop_at:
                report.pruned_all = False
                break
            try:
                store.delete_backup(backup.arn)
            except store.BackupError as exc:
                report.failures.append(f"{table}: {exc}")
                continue
            report.deleted.append(backup.name)

    if report.failures:
        emit_metric("BackupPruneFailed", len(report.failures))
    emit_metric("BackupsCreated", len(report.created))
    emit_metric("BackupsDeleted", len(report.deleted))
    log_summary("backups", _counts(report), failed=bool(report.failures))
    return report


def _counts(report: BackupReport) -> dict[str, Any]:
    return {
        "created": len(report.created),
        "reused": len(report.reused),
        "deleted": len(report.deleted),
        "evaluated": report.evaluated,
        "failures": len(report.failures),
    }
