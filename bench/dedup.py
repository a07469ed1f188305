"""Placeholder until the pieces this benchmark measures land."""
from __future__ import annotations

from bench.common import Result, Skipped

NAME = "dedup"
TITLE = "dedup"


def run() -> Result:
    raise Skipped("not written yet")
