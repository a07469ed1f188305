"""Large upload throughput: 100 MiB and 1 GiB through the ``odavl`` CLI's transfer code (the large
door: the file read once with its part digests, the session, presigned multipart parts in parallel
straight to S3 each with its signed checksum, completion checking S3's composite checksum) against
two anchors writing the same bytes into the same moto server: boto3's ``upload_file`` (s3transfer,
default TransferConfig) and a bare presigned multipart (the same digests, part URLs and PUTs, no
service around it). Also the bytes the server reads back while completing a multipart upload
(counted by botocore hooks on the server's S3 client). Goals against boto3: ≥ 1.0 at 1 GiB, ≥ 0.8
at 100 MiB."""
from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import Result, median
from bench.stack import TimingTransport, local_stack

NAME = "upload_throughput"
TITLE = "100 MiB and 1 GiB through odavl (multipart, tree-hash completion) vs boto3 upload_file and a bare presigned multipart"
MIB = 1024 * 1024
SIZES = (100 * MIB, 1024 * MIB)
GOALS = {100 * MIB: 0.8, 1024 * MIB: 1.0}
RUNS = 2
ANCHOR_BUCKET = "bench-anchor"


def _file(folder: Path, size: int, run: int) -> Path:
    """A PNG-signed file of ``size`` random bytes, different each run (so dedup never answers 'exists')."""
    path = folder / f"big-{size}-{run}.png"
    with path.open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        left = size - 8
        while left:
            chunk = os.urandom(min(left, 64 * MIB))
            fh.write(chunk)
            left -= len(chunk)
    return path


def _reads(path: Path) -> int:
    try:
        return int(path.read_text() or 0)
    except (OSError, ValueError):
        return 0


def _bare_multipart(s3: Any, path: Path, key: str) -> float:
    """What the door does minus the service: hash the parts, presign each part URL with its checksum,
    PUT the parts in parallel (as many as odavl), complete. Returns the seconds the completion took
    (moto assembling the parts and computing their composite checksum)."""
    import httpx

    from odavl_cli.transfer import PART_SIZE, PART_WORKERS, read_hashed

    data, digests = read_hashed(path, PART_SIZE)
    upload_id = s3.create_multipart_upload(Bucket=ANCHOR_BUCKET, Key=key, ChecksumAlgorithm="SHA256")["UploadId"]
    count = len(digests.parts)

    def put(number: int) -> dict[str, Any]:
        checksum = digests.checksum(number)
        url = s3.generate_presigned_url("upload_part", ExpiresIn=900, Params={
            "Bucket": ANCHOR_BUCKET, "Key": key, "UploadId": upload_id, "PartNumber": number, "ChecksumSHA256": checksum})
        chunk = bytes(memoryview(data)[(number - 1) * PART_SIZE: number * PART_SIZE])
        response = http.put(url, content=chunk, headers={"x-amz-checksum-sha256": checksum})
        response.raise_for_status()
        return {"PartNumber": number, "ETag": response.headers["ETag"], "ChecksumSHA256": checksum}

    with httpx.Client(timeout=120) as http, ThreadPoolExecutor(max_workers=PART_WORKERS) as pool:
        parts = list(pool.map(put, range(1, count + 1)))
    started = time.perf_counter()
    s3.complete_multipart_upload(Bucket=ANCHOR_BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    return time.perf_counter() - started


class CompletionClock:
    """Seconds a boto3 client spent in CompleteMultipartUpload calls (botocore event hooks)."""

    def __init__(self, client: Any) -> None:
        self.spent, self._started = 0.0, 0.0
        client.meta.events.register("before-call.s3.CompleteMultipartUpload", self._start)
        client.meta.events.register("after-call.s3.CompleteMultipartUpload", self._stop)

    def _start(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _stop(self, **_: Any) -> None:
        self.spent += time.perf_counter() - self._started


def _empty(s3: Any, bucket: str, prefix: str = "") -> None:
    """Drop every object version (moto keeps them in memory; gigabytes add up)."""
    listed = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
    doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
              for group in ("Versions", "DeleteMarkers") for v in listed.get(group, [])]
    for start in range(0, len(doomed), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})


def run() -> Result:
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    from odavl_cli import transfer as cli_transfer
    from odavl_cli.transfer import Transfer, Upload, read_hashed

    result = Result(NAME, TITLE, goal="≥ 1.0 at 1 GiB, ≥ 0.8 at 100 MiB",
                    ratio_label="boto3 time ÷ odavl time at 1 GiB (median)")
    reads_file = Path(tempfile.mkstemp(prefix="odavl-bench-reads-")[1])
    ratios: dict[int, float] = {}
    result.add(f"odavl: {cli_transfer.PART_WORKERS} parallel part PUTs, {cli_transfer.HASH_WORKERS} hashing threads; "
               "boto3: TransferConfig() defaults (8 MiB parts, 10 threads); bare: the same digests and PUTs, no service")
    with local_stack("bench-throughput", {"ODAVL_S3_READS_FILE": str(reads_file)}) as running:
        s3 = running.stack.client("s3")
        presigner = running.stack.boto3_session().client(
            "s3", endpoint_url=running.stack.moto_url,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket=ANCHOR_BUCKET)
        boto3_completion = CompletionClock(s3)
        bucket = running.stack.resources.get("bucket") or next(
            v for k, v in running.stack.resources.items() if "bucket" in k.lower())
        folder = Path(running.home)
        for size in SIZES:
            ours, anchor, bare, read_back, doors, phases = [], [], [], [], set(), {}
            hashing, assembling, anchor_assembling = [], [], []
            for i in range(RUNS):  # interleaved, so machine noise hits all three alike
                path = _file(folder, size, i)
                started = time.perf_counter()
                read_hashed(path)  # what the CLI does before its first request, timed alone
                hashing.append(time.perf_counter() - started)
                timing = TimingTransport(running.stack.api_url)
                with running.cli(timing) as client:
                    transfer = Transfer(client, show_progress=False)
                    upload = Upload(product="guardian", type="screenshot", path=path, project_id="bench",
                                    metadata={"testRunId": f"tr-bench-{size}-{i}"}, binary=True, content_type="image/png")
                    before = _reads(reads_file)
                    started = time.perf_counter()
                    sent = transfer.send(upload)
                    ours.append(time.perf_counter() - started)
                    read_back.append(_reads(reads_file) - before)
                    doors.add(sent.door)
                phases = timing.spent
                started, boto3_completion.spent = time.perf_counter(), 0.0
                s3.upload_file(str(path), ANCHOR_BUCKET, f"anchor-{i}.png", Config=TransferConfig())
                anchor.append(time.perf_counter() - started)
                anchor_assembling.append(boto3_completion.spent)
                started = time.perf_counter()
                assembling.append(_bare_multipart(presigner, path, f"bare-{i}.png"))
                bare.append(time.perf_counter() - started)
                path.unlink()
                _empty(s3, ANCHOR_BUCKET)
                _empty(s3, bucket, "orgs/")
            mib = size / MIB
            ratios[size] = median(anchor) / median(ours)
            goal = GOALS[size]
            result.add(f"-- {mib:.0f} MiB: {RUNS} runs each, interleaved; door used: {', '.join(sorted(doors))}")
            result.add(f"   odavl (read+hash, session, parts, completion): median {median(ours):6.2f} s = "
                       f"{mib / median(ours):6.1f} MiB/s  (runs: {', '.join(f'{t:.2f}' for t in ours)})")
            result.add(f"   boto3 upload_file (anchor):                  median {median(anchor):6.2f} s = "
                       f"{mib / median(anchor):6.1f} MiB/s  (runs: {', '.join(f'{t:.2f}' for t in anchor)})")
            result.add(f"   bare presigned multipart (anchor):           median {median(bare):6.2f} s = "
                       f"{mib / median(bare):6.1f} MiB/s  (runs: {', '.join(f'{t:.2f}' for t in bare)})")
            result.add(f"   boto3 ÷ odavl = {ratios[size]:.3f} (goal ≥ {goal}: {'met' if ratios[size] >= goal else 'NOT met'}); "
                       f"bare ÷ odavl = {median(bare) / median(ours):.3f}")
            result.add(f"   bytes the server read back completing each upload: {', '.join(f'{b:,}' for b in read_back)} "
                       f"of {size:,} (the content-type sniff; the checksum is S3's composite)")
            result.add(f"   profile (medians): service around the transfer (odavl − bare) {median(ours) - median(bare):+.2f} s; "
                       f"reading the file with its part digests before the first request {median(hashing):.2f} s "
                       "(boto3 sends as it reads)")
            result.add(f"   moto completing the upload: bare (assembly + composite SHA-256 over the parts) {median(assembling):.2f} s, "
                       f"boto3 upload_file (its default CRC32) {median(anchor_assembling):.2f} s")
            result.add("   where odavl's time went in the last run (request wall time, parts overlap):")
            for kind, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
                result.add(f"       {kind:<44} {seconds:7.2f} s")
    reads_file.unlink(missing_ok=True)
    result.ratio = ratios[1024 * MIB]
    result.met = all(ratios[size] >= GOALS[size] for size in SIZES)
    return result
