"""``python -m bench [name ...] [--write]``: run every benchmark (and write bench/RESULTS.md),
or the named ones (printing only, unless --write)."""
from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from datetime import datetime, timezone

from bench.common import ROOT, Result, Skipped, machine

BENCHMARKS = ["upload_throughput", "dedup", "cost", "cold_start", "quota", "compression", "dashboard", "compare", "lighthouse",
              "cli_start"]
RESULTS = ROOT / "bench" / "RESULTS.md"


def run_one(name: str) -> Result:
    module = importlib.import_module(f"bench.{name}")
    started = time.perf_counter()
    try:
        result: Result = module.run()
    except Skipped as exc:
        result = Result(name=name, title=module.TITLE, skipped=str(exc))
    except Exception as exc:  # a benchmark that breaks must not hide the others' figures
        traceback.print_exc()
        result = Result(name=name, title=module.TITLE, skipped=f"failed: {type(exc).__name__}: {exc}")
    result.add(f"(benchmark took {time.perf_counter() - started:.1f} s)")
    print(result.text(), flush=True)
    return result


def _kept(names: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Summary rows and output blocks of benchmarks not in this run, from the RESULTS.md there is (a
    partial run replaces its own figures and keeps the others')."""
    rows: dict[str, str] = {}
    blocks: dict[str, str] = {}
    if not RESULTS.exists():
        return rows, blocks
    text = RESULTS.read_text()
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 2 and cells[1] in BENCHMARKS and cells[1] not in names:
            rows[cells[1]] = line
    for block in text.split("```")[1::2]:
        head = block.strip().split(":", 1)[0].removeprefix("== ")
        if head in BENCHMARKS and head not in names:
            blocks[head] = block.strip("\n")
    return rows, blocks


def _previous_run() -> str:
    """The date line's moment of the RESULTS.md there is ('earlier' when it has none)."""
    import re

    found = re.search(r"on (\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)", RESULTS.read_text()) if RESULTS.exists() else None
    return found.group(1) if found else "earlier"


def write_results(results: list[Result], load_before: str) -> None:
    info = machine()
    kept_rows, kept_blocks = _kept({r.name for r in results})
    ran = {r.name: r for r in results}
    lines = [
        "# Benchmark results",
        "",
        f"One run of `make bench` on {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}." if not kept_rows else
        f"`python -m bench {' '.join(ran)} --write` on {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')};"
        f" the other figures are kept from the file's previous run ({_previous_run()}).",
        "Each benchmark measures its baseline in the same run; rerun with `make bench`",
        "(or one: `python -m bench <name>`). Figures vary between runs and machines; the ratios are what to compare.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}",
        f"- nproc: {info['nproc']}",
        f"- memory: {info['memory']}",
        f"- Python: {info['python']}",
        f"- platform: {info['platform']}",
        f"- load average (1, 5, 15 min) before / after the run: {load_before} / {info['load']} — the machine is shared;",
        "  timing ratios (cold_start, upload_throughput) move with load, counts and byte ratios do not",
        "",
        "## Summary",
        "",
        "| benchmark | ratio | goal | met |",
        "|---|---|---|---|",
    ]
    order = [n for n in BENCHMARKS if n in ran or n in kept_rows]
    for name in order:
        r = ran.get(name)
        if r is None:
            lines.append(kept_rows[name])
        elif r.skipped:
            lines.append(f"| {r.name} | {r.skipped} | {r.goal or '-'} | - |")
        else:
            ratio = f"{r.ratio_label} = {r.ratio:.4g}" if r.ratio is not None else "-"
            met = "-" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.name} | {ratio} | {r.goal or '-'} | {met} |")
    lines += ["", "## Output", ""]
    for name in order:
        if name in ran:
            lines += ["```", ran[name].text(), "```", ""]
        elif name in kept_blocks:
            lines += ["```", kept_blocks[name], "```", ""]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"one or more of: {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md even for a partial run")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}")
    names = args.names or BENCHMARKS
    load_before = machine()["load"]
    results = [run_one(name) for name in names]
    if args.write or not args.names:
        write_results(results, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
