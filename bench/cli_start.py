"""How long the ``odavl`` executable takes to print its version and its help, ÷ how long
``python -c "import typer"`` takes (the least a typer CLI costs), medians of runs in this one run.
Goal for the version: ≤ 2 (it imports only what it needs)."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.common import Result, median

NAME = "cli_start"
TITLE = "odavl start-up: version and --help ÷ `import typer`"
RUNS = 7
ODAVL = str(Path(sys.executable).with_name("odavl"))


def _time(args: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return median(samples)


def run() -> Result:
    typer_only = _time([sys.executable, "-c", "import typer"])
    version = _time([ODAVL, "version"])
    help_ = _time([ODAVL, "--help"])
    result = Result(NAME, TITLE, goal="≤ 2", ratio_label="odavl version ÷ import typer")
    result.add(f"python -c 'import typer': {typer_only * 1000:.0f} ms (median of {RUNS})")
    result.add(f"odavl version: {version * 1000:.0f} ms; odavl --help: {help_ * 1000:.0f} ms"
               f" ({help_ / typer_only:.2f}x: help loads every command)")
    result.ratio = version / typer_only
    result.met = result.ratio <= 2
    return result
