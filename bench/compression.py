"""Compression: bytes on the wire ÷ raw bytes for a realistic 10,000-diagnostic Insight export,
and the CPU time to compress it. The wire form of the inline door is gzip, base64-encoded inside
a JSON body; the anchor is plain gzip at level 6 (what ``gzip`` and most HTTP stacks default to)."""
from __future__ import annotations

import base64
import bz2
import gzip
import json
import lzma
import time
from collections.abc import Callable

from bench.common import Result
from bench.data import insight_export

NAME = "compression"
TITLE = "wire bytes ÷ raw bytes for a 10,000-diagnostic Insight export, and CPU to compress"
DIAGNOSTICS = 10_000
REPEATS = 5


def _cpu(fn: Callable[[], bytes]) -> tuple[bytes, float]:
    """Output and median CPU seconds (process time) over REPEATS calls."""
    times, out = [], b""
    for _ in range(REPEATS):
        started = time.process_time()
        out = fn()
        times.append(time.process_time() - started)
    return out, sorted(times)[len(times) // 2]


def cli_compress() -> tuple[Callable[[bytes], bytes], str]:
    """The compressor the ``odavl`` CLI uses for the inline door: gzip at the level its transfer
    code passes (read from its source, so the benchmark follows the CLI)."""
    import inspect
    import re

    try:
        from odavl_cli import transfer

        found = re.search(r"gzip\.compress\([^)]*compresslevel=(\d)", inspect.getsource(transfer))
        if found:
            level = int(found.group(1))
            return (lambda raw: gzip.compress(raw, compresslevel=level, mtime=0)), f"odavl CLI, gzip level {level}"
    except ImportError:
        pass
    return (lambda raw: gzip.compress(raw, compresslevel=6, mtime=0)), "gzip level 6 (CLI not found)"


def wire(compressed: bytes) -> bytes:
    """The inline door's body for a payload: base64 of the gzip inside a small JSON envelope."""
    return json.dumps({"type": "analysis-results", "encoding": "gzip+base64",
                       "data": base64.b64encode(compressed).decode()}).encode()


def run() -> Result:
    result = Result(NAME, TITLE, goal="no bigger than the gzip-6 anchor",
                    ratio_label="ours wire ÷ raw")
    raw = json.dumps(insight_export(DIAGNOSTICS), indent=2).encode()
    result.add(f"raw export: {len(raw):,} bytes ({DIAGNOSTICS:,} diagnostics, pretty JSON as the tool writes it)")
    ours_fn, ours_name = cli_compress()
    candidates: list[tuple[str, Callable[[], bytes]]] = [
        (f"ours: {ours_name}", lambda: ours_fn(raw)),
        ("anchor: gzip level 6", lambda: gzip.compress(raw, compresslevel=6, mtime=0)),
        ("gzip level 1", lambda: gzip.compress(raw, compresslevel=1, mtime=0)),
        ("gzip level 9", lambda: gzip.compress(raw, compresslevel=9, mtime=0)),
        ("bz2 level 9", lambda: bz2.compress(raw, 9)),
        ("lzma preset 6", lambda: lzma.compress(raw, preset=6)),
    ]
    figures = {}
    result.add(f"{'compressor':<44} {'compressed':>11} {'÷ raw':>7} {'wire (b64+JSON)':>16} {'wire ÷ raw':>10} {'CPU ms':>8}")
    for label, fn in candidates:
        out, cpu = _cpu(fn)
        wired = len(wire(out))
        figures[label] = (len(out), wired, cpu)
        result.add(f"{label:<44} {len(out):>11,} {len(out) / len(raw):>7.4f} {wired:>16,} {wired / len(raw):>10.4f} {cpu * 1000:>8.1f}")
    ours = figures[f"ours: {ours_name}"]
    anchor = figures["anchor: gzip level 6"]
    check = gzip.decompress(ours_fn(raw))
    result.add(f"round trip intact: {check == raw}")
    result.add(f"ours vs anchor: size {ours[0] / anchor[0]:.3f}×, CPU {ours[2] / max(anchor[2], 1e-9):.2f}×")
    result.add("base64 adds 4/3 on the inline door; the large door (/v1/uploads) sends the gzip bytes as they are")
    result.ratio = ours[1] / len(raw)
    result.met = ours[0] <= anchor[0]
    return result
