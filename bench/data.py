"""Realistic inputs: an Insight problems-panel export (repeated paths, codes and messages, as a
real workspace produces) and screenshot-like binary files. Seeded, so every run sends the same bytes."""
from __future__ import annotations

import json
import random
import struct
import zlib
from typing import Any

_DIRS = ["src/components", "src/services", "src/utils", "src/pages/dashboard", "src/api/routes",
         "packages/core/src", "packages/cli/src/commands", "apps/web/app/(auth)", "tests/unit"]
_STEMS = ["index", "upload", "client", "auth-provider", "use-session", "format-date", "runs-table",
          "quota", "ledger", "snapshot", "trust-score", "guardian-report", "settings", "billing"]
_RULES = [
    ("typescript", "2322", "error", "Type '{a}' is not assignable to type '{b}'."),
    ("typescript", "2339", "error", "Property '{p}' does not exist on type '{b}'."),
    ("typescript", "7006", "error", "Parameter '{p}' implicitly has an 'any' type."),
    ("typescript", "2532", "error", "Object is possibly 'undefined'."),
    ("eslint", "no-unused-vars", "warning", "'{p}' is defined but never used."),
    ("eslint", "@typescript-eslint/no-explicit-any", "warning", "Unexpected any. Specify a different type."),
    ("eslint", "react-hooks/exhaustive-deps", "warning",
     "React Hook useEffect has a missing dependency: '{p}'. Either include it or remove the dependency array."),
    ("eslint", "prefer-const", "warning", "'{p}' is never reassigned. Use 'const' instead."),
    ("odavl-security", "hardcoded-secret", "error", "Possible hard-coded secret in '{p}'."),
    ("odavl-performance", "n-plus-one", "warning", "Query inside a loop over '{p}' (N+1)."),
    ("odavl-complexity", "cognitive-complexity", "info", "Function '{p}' has a cognitive complexity of {n} (max 15)."),
]
_NAMES = ["user", "session", "props", "data", "config", "result", "item", "options", "payload", "err",
          "router", "state", "setState", "orgId", "runId", "response"]
_TYPES = ["string", "number", "undefined", "null", "User", "Session | null", "Promise<void>", "Record<string, unknown>"]


def insight_export(diagnostics: int, seed: int = 8) -> dict[str, Any]:
    """A ``.odavl/problems-panel-export.json`` with ``diagnostics`` entries, grouped by file as the
    tool writes it (tests/fixtures/workspace/.odavl/problems-panel-export.json)."""
    rng = random.Random(seed)
    files = [f"{d}/{s}.{rng.choice(['ts', 'tsx'])}" for d in _DIRS for s in _STEMS]
    hot = files[: len(files) // 5]  # most diagnostics sit in a few files, as in real projects
    grouped: dict[str, list[dict[str, Any]]] = {}
    for _ in range(diagnostics):
        source, code, severity, template = rng.choice(_RULES)
        path = rng.choice(hot) if rng.random() < 0.7 else rng.choice(files)
        line, col = rng.randint(1, 800), rng.randint(1, 80)
        message = template.format(a=rng.choice(_TYPES), b=rng.choice(_TYPES), p=rng.choice(_NAMES), n=rng.randint(16, 40))
        entry: dict[str, Any] = {"severity": severity, "message": message, "source": source,
                                 "code": code, "line": line, "column": col}
        if source == "eslint":
            entry["code"] = {"value": code, "target": f"https://eslint.org/docs/rules/{code}"}
        if rng.random() < 0.8:
            entry["endLine"] = line + rng.choice([0, 0, 0, 1, 2])
            entry["endColumn"] = col + rng.randint(1, 30)
        grouped.setdefault(path, []).append(entry)
    return {
        "version": "1.0",
        "exportedAt": "2026-11-22T12:00:00.000Z",
        "workspace": "/home/dev/acme-web",
        "totalFiles": len(grouped),
        "totalDiagnostics": diagnostics,
        "diagnostics": grouped,
    }


def spread_export(n: int, seed: int, files_digits: int = 5) -> bytes:
    """A problems-panel export of ``n`` diagnostics spread evenly, 20 to a file, of every severity,
    source and rule: the worst case for paging and filtering (no hot file)."""
    rng = random.Random(seed)
    severities = ["error", "warning", "info", "hint"]
    files: dict[str, list[dict[str, Any]]] = {}
    for i in range(n):
        files.setdefault(f"src/module{i // 20:0{files_digits}d}/file.ts", []).append({
            "severity": severities[rng.randrange(4)], "message": f"Diagnostic {i}: value '{rng.random():.6f}' is not used.",
            "source": rng.choice(["eslint", "typescript", "odavl-security"]), "code": f"R{rng.randrange(300):03d}",
            "line": rng.randrange(1, 2000), "column": rng.randrange(1, 80)})
    return json.dumps({"version": "1.0", "totalDiagnostics": n, "diagnostics": files}).encode()


def png(seed: int, width: int = 320, height: int = 200) -> bytes:
    """A valid PNG of noisy pixels (incompressible, like a real screenshot's detail), unique per seed."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
