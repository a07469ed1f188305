"""Daily data retention: runs past their organization's plan retention (with the S3 objects only
they use, the storage gauge going down), expired files, multipart uploads abandoned for over a
day, finished jobs older than seven days, expired idempotency records, and objects no record
refers to (``orphans``).

Every step works in bounded batches and re-queries what is left on each pass, so there is no
checkpoint to lose: a crash half way leaves a smaller job for the next run, and a run that meets
its deadline or batch cap stops cleanly and reports ``complete = False``. Each deletion is
idempotent (deleting what is already gone frees nothing and counts nothing).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.logs import logger
from chalicelib.services.upload_types import PRODUCTS
from chalicelib.services.maintenance.summary import emit_metric, log_summary
from chalicelib.plans import plan_limits
from chalicelib.store import orgs as org_store
from chalicelib.store import retention as expiry_store

BATCH = 100
MAX_BATCHES = 50
JOB_RETENTION = timedelta(days=7)
ABANDONED_UPLOAD_AGE = timedelta(days=1)
# A deletion's own cleanup runs right after its transaction; older markers were left by a failure.
CLEANUP_GRACE = timedelta(minutes=15)
DEFAULT_DEADLINE_SECONDS = 600.0


@dataclass
class Budget:
    """How much one invocation may do: a wall-clock deadline and a cap on batches per step."""

    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    batch: int = BATCH
    max_batches: int = MAX_BATCHES
    monotonic: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.monotonic()

    def exhausted(self) -> bool:
        return self.monotonic() - self.started >= self.deadline_seconds


@dataclass
class RetentionReport:
    """Counts per step; ``complete`` False when a step stopped at the budget (the next run continues)."""

    runs_deleted: int = 0
    run_bytes_freed: int = 0
    files_deleted: int = 0
    file_bytes_freed: int = 0
    uploads_aborted: int = 0
    jobs_deleted: int = 0
    idempotency_deleted: int = 0
    cleanups_finished: int = 0
    cleanup_bytes_freed: int = 0
    orphans_deleted: int = 0
    orphan_bytes_freed: int = 0
    complete: bool = True
    failures: list[str] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        return self.run_bytes_freed + self.file_bytes_freed + self.cleanup_bytes_freed + self.orphan_bytes_freed

    def as_dict(self) -> dict[str, Any]:
        return {
            "runsDeleted": self.runs_deleted,
            "filesDeleted": self.files_deleted,
            "uploadsAborted": self.uploads_aborted,
            "jobsDeleted": self.jobs_deleted,
            "idempotencyDeleted": self.idempotency_deleted,
            "cleanupsFinished": self.cleanups_finished,
            "orphansDeleted": self.orphans_deleted,
            "bytesFreed": self.bytes_freed,
            "complete": self.complete,
            "failures": self.failures,
        }


def _drain(step: Callable[[int], int], budget: Budget) -> bool:
    """Call ``step(batch)`` until it reports a short batch (nothing left); False if the budget ran out first."""
    for _ in range(budget.max_batches):
        if budget.exhausted():
            return False
        if step(budget.batch) < budget.batch:
            return True
    return False


# ---- the other areas' deletions ---------------------------------------------------------------


def _delete_runs_before(org_id: str, cutoff: datetime, limit: int) -> tuple[int, int]:
    """Delete up to ``limit`` runs of ``org_id`` uploaded before ``cutoff``, oldest first, each with its
    payload, idempotency records and the blobs only it uses (the runs service's cascade, which also
    lowers the storage gauge): (count, bytes freed). A run deleted meanwhile is skipped."""
    from chalicelib.errors import NotFound
    from chalicelib.services import runs

    count = freed = 0
    for product in PRODUCTS:
        for run_id in list(runs.list_expired(org_id, product, cutoff, limit - count)):
            try:
                freed += runs.delete_run(org_id, product, run_id)
            except NotFound:
                continue
            count += 1
        if count >= limit:
            break
    return count, freed


def _delete_expired_files(now: datetime, limit: int) -> tuple[int, int]:
    """Delete up to ``limit`` storage files expired by ``now`` (object, record, gauge down): (count, bytes freed)."""
    from chalicelib.services import files

    return files.delete_expired(now, limit)


# ---- steps -------------------------------------------------------------------------------------


def _each_org(budget: Budget, step: Callable[[dict[str, Any], int], int]) -> bool:
    """Drain ``step(org, batch)`` for every organization in turn; False when the budget ran out."""
    done = True
    for org in org_store.list_orgs():
        done = _drain(lambda limit, org=org: step(org, limit), budget) and done
        if budget.exhausted():
            return False
    return done


def finish_cleanups(now: datetime, budget: Budget, report: RetentionReport) -> bool:
    """Deletions interrupted after their transaction: the objects and attachments they still owned."""
    from chalicelib.services.maintenance import leftovers

    def step(org: dict[str, Any], limit: int) -> int:
        count, freed = leftovers.resume(org["orgId"], now - CLEANUP_GRACE, limit)
        report.cleanups_finished += count
        report.cleanup_bytes_freed += freed
        return count

    return _each_org(budget, step)


def purge_runs(now: datetime, budget: Budget, report: RetentionReport) -> bool:
    """Runs older than their organization's plan retention, org by org."""
    def step(org: dict[str, Any], limit: int) -> int:
        cutoff = now - timedelta(days=plan_limits(org.get("plan", "FREE")).retention_days)
        count, freed = _delete_runs_before(org["orgId"], cutoff, limit)
        report.runs_deleted += count
        report.run_bytes_freed += freed
        return count

    return _each_org(budget, step)


def purge_files(now: datetime, budget: Budget, report: RetentionReport) -> bool:
    """Storage API files past their expiry."""
    def step(limit: int) -> int:
        count, freed = _delete_expired_files(now, limit)
        report.files_deleted += count
        report.file_bytes_freed += freed
        return count

    return _drain(step, budget)


def abort_uploads(now: datetime, budget: Budget, report: RetentionReport) -> bool:
    """Upload sessions and S3 multipart uploads abandoned for more than a day."""
    from chalicelib.services import uploads

    def step(limit: int) -> int:
        count = uploads.abort_abandoned(ABANDONED_UPLOAD_AGE, limit)
        report.uploads_aborted += count
        return count

    return _drain(step, budget)


def purge_jobs(now: datetime, budget: Budget, report: RetentionReport) -> bool:
    """Finished jobs (succeeded, failed, cancelled) that ended more than seven days ago."""
    from chalicelib.services import jobs

    def step(limit: int) -> int:
        count = jobs.delete_finished_before(None, now - JOB_RETENTION, limit)
        report.jobs_deleted += count
        return count

    return _drain(step, budget)


def purge_idempotency(now: datetime, budget: Budget, report: RetentionReport) -> bool:
    """Idempotency records past their ``ttl`` (DynamoDB's TTL sweep may lag by days)."""
    epoch = int(now.timestamp())
    scan: dict[str, Any] = {"from": None}

    def step(limit: int) -> int:
        keys, scan["from"] = expiry_store.expired_keys("idempotency", epoch, limit, scan["from"])
        for key in keys:
            if expiry_store.delete_if_expired("idempotency", key, epoch):
                report.idempotency_deleted += 1
        return limit if scan["from"] is not None else len(keys)  # a full batch: the scan goes on

    return _drain(step, budget)


def purge_orphans(now: datetime, budget: Budget, report: RetentionReport) -> bool:
    """Object versions no record refers to (older than a day), read on from the last pass's place."""
    from chalicelib.services.maintenance import orphans

    def step(limit: int) -> int:
        deleted, freed, reached_end = orphans.sweep(now, limit)
        report.orphans_deleted += deleted
        report.orphan_bytes_freed += freed
        return 0 if reached_end else limit  # a page that ended the bucket: this pass is done

    return _drain(step, budget)


STEPS: tuple[tuple[str, Callable[[datetime, Budget, RetentionReport], bool]], ...] = (
    ("cleanups", finish_cleanups),
    ("runs", purge_runs),
    ("files", purge_files),
    ("uploads", abort_uploads),
    ("jobs", purge_jobs),
    ("idempotency", purge_idempotency),
    ("orphans", purge_orphans),
)


def run_retention(
    *,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    batch: int = BATCH,
    max_batches: int = MAX_BATCHES,
    monotonic: Callable[[], float] = time.monotonic,
    steps: tuple[str, ...] | None = None,
) -> RetentionReport:
    """One bounded retention pass over every step; one summary log line and metrics at the end."""
    now = clock.now()
    budget = Budget(deadline_seconds=deadline_seconds, batch=batch, max_batches=max_batches, monotonic=monotonic)
    report = RetentionReport()
    for name, step in STEPS:
        if steps is not None and name not in steps:
            continue
        try:
            finished = step(now, budget, report)
        except Exception as exc:  # one failing step must not stop the others
            logger.exception("retention step failed", extra={"step": name})
            report.failures.append(f"{name}: {type(exc).__name__}: {exc}")
            finished = False
        report.complete = report.complete and finished
    _report(report)
    return report


def _report(report: RetentionReport) -> None:
    emit_metric("RetentionRunsDeleted", report.runs_deleted)
    emit_metric("RetentionFilesDeleted", report.files_deleted)
    emit_metric("RetentionBytesFreed", report.bytes_freed)
    if report.failures:
        emit_metric("RetentionFailed", len(report.failures))
    log_summary(
        "retention",
        {
            "runs": report.runs_deleted,
            "files": report.files_deleted,
            "uploads": report.uploads_aborted,
            "jobs": report.jobs_deleted,
            "idempotency": report.idempotency_deleted,
            "cleanups": report.cleanups_finished,
            "orphans": report.orphans_deleted,
            "bytes_freed": report.bytes_freed,
            "complete": report.complete,
            "failures": len(report.failures),
        },
        failed=bool(report.failures),
    )
