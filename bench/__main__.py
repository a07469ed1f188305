"""``python -m bench [name ...] [--write]``: run every benchmark (and write bench/RESULTS.md),
or the named ones (printing only, unless --write: then their figures replace theirs in RESULTS.md)."""
from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
import traceback
from datetime import datetime, timezone

from bench.common import ROOT, Result, Skipped, machine

BENCHMARKS = ["upload_throughput", "dedup", "cost", "cold_start", "cold_start_groups", "quota", "compression", "dashboard", "compare",
              "run_detail", "list_stats", "ingest_memory",
              "lighthouse", "cli_start"]
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


def merge_results(results: list[Result], load_before: str) -> None:
    """A partial run with --write: its benchmarks' rows and output replace theirs in RESULTS.md (added
    when new), the others' stay as the last full run wrote them, and a line says when these ran."""
    if not RESULTS.exists():
        write_results(results, load_before)
        return
    text = RESULTS.read_text()
    head, _, rest = text.partition("\n## Summary\n")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| (\w+) \|.*$", rest, re.M) if m.group(1) in BENCHMARKS}
    blocks = {m.group(1): m.group(0) for m in re.finditer(r"^```\n== (\w+):.*?^```$", rest, re.M | re.S)}
    for r in results:
        rows[r.name], blocks[r.name] = summary_row(r), "\n".join(["```", r.text(), "```"])
    names = ", ".join(r.name for r in results)
    note = (f"{names} run on its own (`python -m bench {' '.join(r.name for r in results)}`, "
            f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, load {load_before} / {machine()['load']}).")
    head_lines = [line for line in head.splitlines() if not line.startswith(f"{names} run on its own")]
    at = next((i + 1 for i, line in enumerate(head_lines) if line.startswith("(or one:")), len(head_lines))
    head_lines.insert(at, note)
    order = [n for n in BENCHMARKS if n in rows]
    lines = [*head_lines, "", "## Summary", "", "| benchmark | ratio | goal | met |", "|---|---|---|---|",
             *[rows[n] for n in order], "", "## Output", ""]
    for n in [n for n in BENCHMARKS if n in blocks]:
        lines += [blocks[n], ""]
    RESULTS.write_text("\n".join(lines))
    print(f"updated {RESULTS.relative_to(ROOT)}")


def summary_row(r: Result) -> str:
    if r.skipped:
        return f"| {r.name} | {r.skipped} | {r.goal or '-'} | - |"
    ratio = f"{r.ratio_label} = {r.ratio:.4g}" if r.ratio is not None else "-"
    met = "-" if r.met is None else ("yes" if r.met else "**no**")
    return f"| {r.name} | {ratio} | {r.goal or '-'} | {met} |"


def write_results(results: list[Result], load_before: str) -> None:
    info = machine()
    lines = [
        "# Benchmark results",
        "",
        f"One run of `make bench` on {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.",
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
    lines += [summary_row(r) for r in results]
    lines += ["", "## Output", ""]
    for r in results:
        lines += ["```", r.text(), "```", ""]
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
    if not args.names:
        write_results(results, load_before)
    elif args.write:
        merge_results(results, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
