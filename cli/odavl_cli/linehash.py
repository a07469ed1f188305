"""The hash of each flagged line's text, read from the workspace's own source files, so a
diagnostic keeps its identity when lines above it move (as GitHub code scanning's
``primaryLocationLineHash``). Sent beside the export (``lineHashes``), never written into it: the
stored export stays byte for byte what the tool wrote."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ENTRIES = 50_000


def line_hash(text: str) -> str:
    """16 hex digits of the line's text without its leading and trailing white space."""
    return hashlib.sha256(text.strip().encode("utf-8", "replace")).hexdigest()[:16]


def line_hashes(root: Path, export: bytes) -> dict[str, dict[str, str]]:
    """``{file: {line: hash}}`` for every diagnostic whose file the workspace has (1-based lines);
    files that are missing, too large or outside the workspace are left out."""
    try:
        data = json.loads(export)
    except ValueError:
        return {}
    diagnostics = data.get("diagnostics") if isinstance(data, dict) else None
    if isinstance(diagnostics, list):
        diagnostics = {str(e.get("file") or e.get("filePath") or e.get("uri") or ""): e.get("diagnostics") or []
                       for e in diagnostics if isinstance(e, dict)}
    if not isinstance(diagnostics, dict):
        return {}
    found: dict[str, dict[str, str]] = {}
    count = 0
    base = root.resolve()
    for name, diags in diagnostics.items():
        lines = _lines(base, str(name))
        if lines is None or not isinstance(diags, list):
            continue
        for d in diags:
            line = d.get("line") if isinstance(d, dict) else None
            if isinstance(line, int) and 1 <= line <= len(lines) and count < MAX_ENTRIES:
                found.setdefault(str(name), {})[str(line)] = line_hash(lines[line - 1])
                count += 1
    return found


def _lines(base: Path, name: str) -> list[str] | None:
    path = (base / name.removeprefix("file://")).resolve()
    if base not in path.parents or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
