"""Placeholder until the pieces this benchmark measures land."""
from __future__ import annotations

from bench.common import Result, Skipped

NAME = "cost"
TITLE = "cost"


def run() -> Result:
    raise Skipped("not written yet")
