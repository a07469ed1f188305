"""Large upload throughput: a 100 MiB file through the ``odavl`` CLI's transfer code (the large
door: session, presigned multipart parts in parallel straight to S3, completion with the server's
size/type/SHA-256 verification) against boto3's ``upload_file`` (s3transfer, default TransferConfig)
straight into the same moto server. Goal: ratio ≥ 1.0 (ours at least as fast)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from bench.common import Result, median
from bench.stack import TimingTransport, local_stack

NAME = "upload_throughput"
TITLE = "100 MiB through odavl (presigned multipart, parallel parts) vs boto3 upload_file"
SIZE = 100 * 1024 * 1024
RUNS = 2
GOAL = 1.0
ANCHOR_BUCKET = "bench-anchor"


def _file(folder: Path, run: int) -> Path:
    """A PNG-signed file of SIZE random bytes, different each run (so dedup never answers 'exists')."""
    path = folder / f"big-{run}.png"
    with path.open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(os.urandom(SIZE - 8))
    return path


def run() -> Result:
    from boto3.s3.transfer import TransferConfig

    from odavl_cli.transfer import Transfer, Upload

    result = Result(NAME, TITLE, goal=f"≥ {GOAL}", ratio_label="boto3 time ÷ odavl time (median)")
    ours, anchor, doors, phases = [], [], set(), {}
    with local_stack("bench-throughput") as running:
        s3 = running.stack.client("s3")
        s3.create_bucket(Bucket=ANCHOR_BUCKET)
        folder = Path(running.home)
        for i in range(RUNS):  # interleaved, so machine noise hits both alike
            path = _file(folder, i)
            timing = TimingTransport(running.stack.api_url)
            with running.cli(timing) as client:
                transfer = Transfer(client, show_progress=False)
                upload = Upload(product="guardian", type="screenshot", path=path, project_id="bench",
                                metadata={"testRunId": f"tr-bench-{i}"}, binary=True, content_type="image/png")
                started = time.perf_counter()
                sent = transfer.send(upload)
                ours.append(time.perf_counter() - started)
                doors.add(sent.door)
            phases = timing.spent
            started = time.perf_counter()
            s3.upload_file(str(path), ANCHOR_BUCKET, f"anchor-{i}.png", Config=TransferConfig())
            anchor.append(time.perf_counter() - started)
            path.unlink()
    mib = SIZE / 1024 / 1024
    result.add(f"file: {mib:.0f} MiB; {RUNS} runs each, interleaved; door used: {', '.join(sorted(doors))}")
    from odavl_cli import transfer as cli_transfer
    result.add(f"odavl: {cli_transfer.PART_WORKERS} parallel part uploads; boto3: TransferConfig() defaults "
               f"(8 MiB parts, 10 threads)")
    result.add(f"odavl (session + parts + verified completion): median {median(ours):.2f} s = "
               f"{mib / median(ours):.1f} MiB/s  (runs: {', '.join(f'{t:.2f}' for t in ours)})")
    result.add(f"boto3 upload_file (anchor):                    median {median(anchor):.2f} s = "
               f"{mib / median(anchor):.1f} MiB/s  (runs: {', '.join(f'{t:.2f}' for t in anchor)})")
    result.add("where odavl's time went in the last run (request wall time, parts overlap):")
    for kind, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
        result.add(f"    {kind:<44} {seconds:7.2f} s")
    result.ratio = median(anchor) / median(ours)
    result.met = result.ratio >= GOAL
    return result
