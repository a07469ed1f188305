"""The one table of exit statuses of ``odavl`` (README "Exit codes"). 2 is click's own for a usage
error (a wrong option), so nothing of ours uses it."""
from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # done, or safely queued for later
    FAILED = 1  # a non-retryable failure: a bad file, a 4xx, a revoked key
    USAGE = 2  # a wrong command line (click)
    QUEUED = 3  # something was queued and --fail-on-queue was given
    GATE_FAILED = 4  # the quality gate failed and --gate was given
    NOT_LOGGED_IN = 5  # no API key: `odavl login` or ODAVL_API_KEY
    INTERRUPTED = 130  # Ctrl-C
