"""Insight diagnostics matched across runs by a fingerprint that survives moved lines (as GitHub
code scanning's ``primaryLocationLineHash``): rule, file, the message with its numbers and quoted
names normalised, the hash of the flagged line's text when the CLI could read it, and an
occurrence index so that two identical diagnostics in one file stay two."""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

_NUMBERS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def normalise(message: str) -> str:
    """The message without what changes when lines move (line and column numbers), spaces folded."""
    return _SPACES.sub(" ", _NUMBERS.sub("#", message or "")).strip().lower()


def fingerprints(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each issue (flattened: file, severity, message, code, line, lineHash) with its fingerprint."""
    seen: Counter[str] = Counter()
    out = []
    for issue in issues:
        rule = str(issue.get("code") or issue.get("ruleId") or issue.get("source") or "")
        base = "\n".join([rule, str(issue.get("file") or ""), normalise(str(issue.get("message") or "")),
                          str(issue.get("lineHash") or "")])
        digest = hashlib.sha256(base.encode()).hexdigest()[:24]
        index = seen[digest]
        seen[digest] += 1
        out.append({"fp": f"{digest}:{index}", "severity": str(issue.get("severity") or "info"),
                    "file": str(issue.get("file") or ""), "line": issue.get("line"), "rule": rule,
                    "message": str(issue.get("message") or "")[:500]})
    return out


MAX_LINE_HASHES = 50_000


def with_line_hashes(issues: list[dict[str, Any]], hashes: dict[str, dict[str, str]] | None) -> list[dict[str, Any]]:
    """The flattened issues with the ``lineHash`` the CLI sent for their file and line (the hash of
    the flagged line's text in the workspace), where there is one."""
    if not hashes:
        return issues
    out = []
    for issue in issues:
        found = (hashes.get(str(issue.get("file") or "")) or {}).get(str(issue.get("line")))
        out.append({**issue, "lineHash": found} if isinstance(found, str) else issue)
    return out
