"""Logical table names to boto3 Table objects for the current stage."""
from __future__ import annotations

from typing import Any

from chalicelib.config import get_settings
from chalicelib.store import clients


def table(name: str) -> Any:
    """The boto3 Table of logical table ``name`` (orgs, api-keys, runs, usage, files, jobs, idempotency)."""
    return clients.dynamodb_resource().Table(get_settings().table(name))


def table_name(name: str) -> str:
    """Physical name of a logical table."""
    return get_settings().table(name)
