"""Dedup: 50 screenshots sent twice through the ``odavl`` CLI's transfer code (the large door,
``/v1/uploads``) to the local stack; bytes on the wire the second time ÷ the first (everything
the client sends: request lines, headers, JSON and file bytes, to the API and to S3). Goal ≤ 0.01."""
from __future__ import annotations

from pathlib import Path

from bench.common import Result
from bench.data import png
from bench.stack import CountingTransport, local_stack

NAME = "dedup"
TITLE = "50 screenshots uploaded twice: bytes sent the second time ÷ the first"
COUNT = 50
GOAL = 0.01


def _round(running, files: list[Path]) -> tuple[int, int, list[str]]:
    from odavl_cli.transfer import Transfer, Upload

    transport = CountingTransport()
    doors = []
    with running.cli(transport) as client:
        transfer = Transfer(client, show_progress=False)
        for path in files:
            upload = Upload(product="guardian", type="screenshot", path=path, project_id="bench",
                            metadata={"testRunId": "tr-bench-dedup"}, binary=True, content_type="image/png")
            doors.append(transfer.send(upload).door)
    return transport.bytes_sent, transport.requests, doors


def run() -> Result:
    result = Result(NAME, TITLE, goal=f"≤ {GOAL}", ratio_label="second ÷ first")
    with local_stack("bench-dedup") as running:
        folder = Path(running.home) / "screenshots"
        folder.mkdir()
        files = []
        for i in range(COUNT):
            path = folder / f"page-{i:02d}.png"
            path.write_bytes(png(i))
            files.append(path)
        raw = sum(p.stat().st_size for p in files)
        first, first_requests, first_doors = _round(running, files)
        second, second_requests, second_doors = _round(running, files)
    result.add(f"{COUNT} PNG screenshots, {raw:,} bytes of files")
    result.add(f"first:  {first:>12,} bytes in {first_requests} HTTP requests (doors: "
               f"{', '.join(sorted(set(first_doors)))})")
    result.add(f"second: {second:>12,} bytes in {second_requests} HTTP requests (doors: "
               f"{', '.join(sorted(set(second_doors)))}); {second / COUNT:,.0f} bytes per file")
    result.ratio = second / first
    result.met = result.ratio <= GOAL
    return result
