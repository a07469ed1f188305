"""Placeholder until the pieces this benchmark measures land."""
from __future__ import annotations

from bench.common import Result, Skipped

NAME = "upload_throughput"
TITLE = "upload_throughput"


def run() -> Result:
    raise Skipped("not written yet")
