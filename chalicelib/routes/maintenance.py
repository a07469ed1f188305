"""Scheduled maintenance Lambdas: daily backups (03:00 UTC) and daily data retention (03:30 UTC).

Each handler bounds its work by the Lambda's remaining time (minus a margin) so it finishes,
logs its summary and flushes its metrics instead of being killed; what is left waits for the
next run. The restore drill is an operator command (``python -m chalicelib.admin restore-drill``):
restoring a real table takes longer than a Lambda may run.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Cron

from chalicelib.lazy import lazy_module

backups = lazy_module("chalicelib.services.maintenance.backups")
retention = lazy_module("chalicelib.services.maintenance.retention")

bp = Blueprint(__name__)

BACKUP_SCHEDULE = Cron(0, 3, "*", "*", "?", "*")
RETENTION_SCHEDULE = Cron(30, 3, "*", "*", "?", "*")
MARGIN_SECONDS = 15.0


def _seconds_left(event: Any, cap: float) -> float:
    """Time this invocation may still spend, capped at ``cap``."""
    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return cap
    return max(1.0, min(cap, remaining() / 1000.0 - MARGIN_SECONDS))


@bp.schedule(BACKUP_SCHEDULE, name="daily_backups", description="Daily DynamoDB backups with per-stage retention")
def daily_backups(event: Any) -> dict[str, Any]:
    report = backups.run_backups(deadline_seconds=_seconds_left(event, backups.DEFAULT_DEADLINE_SECONDS))
    return report.as_dict()


@bp.schedule(RETENTION_SCHEDULE, name="daily_retention", description="Daily data retention (runs, files, uploads, jobs)")
def daily_retention(event: Any) -> dict[str, Any]:
    report = retention.run_retention(deadline_seconds=_seconds_left(event, retention.DEFAULT_DEADLINE_SECONDS))
    return report.as_dict()
