"""Ingest memory: the peak memory of the largest Insight analysis-results export each door accepts,
in the worst shape (many small diagnostics), ÷ the memory of the Lambda function that runs it.
Goal ≤ 0.5 (half the function's memory stays for the runtime, the libraries and the rest).

- inline door: ``POST /v1/upload/insight`` through the upload function's entry
  (``chalicelib.functions.upload``), given the API Gateway event Lambda would deliver (the body, a
  base64 gzip, is in memory before the request starts, as it is on Lambda);
- large door: the ingest worker's ``jobs.process_message`` of a job whose staged object (gzip) is
  in S3, read back, gunzipped and ingested.

Each case runs in a fresh interpreter against moto's server (its own process, so the S3 objects
moto keeps are not counted), twice: once for the RSS growth (the process's peak RSS, VmHWM reset
before the request, minus the RSS before it) and once for the tracemalloc peak (what Python
allocates during the request). The function's memory is the smallest any stage configures
(.chalice/config.json, read as infra/package.py reads it)."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, Result, Skipped

NAME = "ingest_memory"
TITLE = "peak memory of the largest accepted Insight export ÷ its function's memory (inline door, large door)"
GOAL = 0.5
ORG = "bench-memory"
STAGES = ("dev", "staging", "prod")
FUNCTIONS = {"inline": "upload_handler", "large": "ingest_worker"}

CHILD = r"""
import base64, gc, json, os, sys, time
door, metric, path, api_key, tag = sys.argv[1:6]

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0

if door == "inline":
    from chalicelib.functions.upload import app
    with open(path, "rb") as f:
        gz = f.read()
    body = json.dumps({"type": "analysis-results", "projectId": "bench-" + tag, "compressed": True,
                       "data": base64.b64encode(gz).decode("ascii")})
    del gz
    headers = {"Host": "bench", "Authorization": "Bearer " + api_key, "Content-Type": "application/json",
               "Idempotency-Key": "bench-memory-" + tag}
    event = {
        "resource": "/v1/upload/{product}", "path": "/v1/upload/insight", "httpMethod": "POST",
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"product": "insight"}, "stageVariables": None, "body": body, "isBase64Encoded": False,
        "requestContext": {"resourcePath": "/v1/upload/{product}", "httpMethod": "POST", "path": "/api/v1/upload/insight",
                           "requestId": "bench-" + tag, "stage": "api", "apiId": "bench",
                           "identity": {"sourceIp": "127.0.0.1"}},
    }
    del body
    class Context:
        function_name = "odavl-cloud-bench-upload"; aws_request_id = "bench-" + tag; memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:odavl-cloud-bench-upload"
        def get_remaining_time_in_millis(self): return 29000
    def call():
        reply = app(event, Context())
        assert reply["statusCode"] == 201, (reply["statusCode"], reply["body"][:500])
else:
    import app  # the worker is deployed from app.py
    import boto3
    from chalicelib.config import get_settings
    from chalicelib.services import jobs
    with open(path, "rb") as f:
        gz = f.read()
    key = f"orgs/bench-memory/uploads/up-{tag}"
    boto3.client("s3").put_object(Bucket=get_settings().bucket, Key=key, Body=gz)
    job = jobs.enqueue_ingest("bench-memory", "enterprise", product="insight", upload_type="analysis-results",
                              project_id="bench-" + tag, metadata={}, s3_key=key, size=len(gz), sha256="0" * 64,
                              compressed=True, idempotency_key="bench-memory-" + tag, upload_id="up-" + tag)
    del gz
    message = json.dumps({"orgId": "bench-memory", "jobId": job["jobId"]})
    def call():
        jobs.process_message(message, 1)
        done = jobs.get_job("bench-memory", job["jobId"])
        assert done["status"] == "succeeded", done

gc.collect()
before = rss("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    reset = True
except OSError:
    reset = False
if metric == "tracemalloc":
    import tracemalloc
    tracemalloc.start()
started = time.perf_counter()
call()
seconds = time.perf_counter() - started
out = {"seconds": seconds, "rss_before": before, "hwm_reset": reset}
if metric == "tracemalloc":
    out["peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
else:
    out["peak"] = rss("VmHWM") - before
print(json.dumps(out))
"""


def export(target: int) -> bytes:
    """A problems-panel export of the smallest valid diagnostics (``{"message":"7"}``: the most objects
    per byte, so the most memory per byte), 20 a file, as close to ``target`` bytes of JSON as whole
    files come, not over. Within the gzip ratio cap (about 100:1) and, at 64 MiB, under the inline
    door's 5 MiB of gzip: the worst case of every limit."""
    head, tail = b'{"version":"1.0","diagnostics":{', b"}}"
    parts: list[bytes] = []
    size = len(head) + len(tail)
    i = 0
    while True:
        diagnostics = ",".join(f'{{"message":"{n % 10}"}}' for n in range(i, i + 20))
        part = f'{"," if parts else ""}"src/m{i // 20:07d}.ts":[{diagnostics}]'.encode()
        if size + len(part) > target:
            break
        parts.append(part)
        size += len(part)
        i += 20
    return head + b"".join(parts) + tail


def function_memory(function: str) -> dict[str, int]:
    """MemorySize of ``function`` on each stage, as infra/package.py resolves it."""
    from infra.package import sizing

    return {stage: int(sizing(stage, function).get("MemorySize", 128)) for stage in STAGES}


def limits() -> dict[str, int]:
    """The largest JSON each door accepts: inline (decompressed, within the wire limit) and large."""
    from chalicelib.config import get_settings, reset_settings

    reset_settings()
    settings = get_settings()
    inline = getattr(settings, "inline_decompressed_max_bytes", settings.decompressed_max_bytes)
    return {"inline": min(inline, settings.decompressed_max_bytes), "large": settings.decompressed_max_bytes,
            "wire": settings.inline_max_bytes}


def _child(env: dict[str, str], door: str, metric: str, path: Path, key: str, tag: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", CHILD, door, metric, str(path), key, tag], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{door}/{metric} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> Result:
    if not Path("/proc/self/status").exists():
        raise Skipped("needs Linux's /proc to read a process's RSS")
    from infra.local_stack import LocalStack

    result = Result(NAME, TITLE, goal=f"≤ {GOAL}", ratio_label="worst peak ÷ function memory")
    bounds = limits()
    memory = {door: function_memory(fn) for door, fn in FUNCTIONS.items()}
    figures: dict[str, dict[str, Any]] = {}
    stack = LocalStack(worker=False)
    with tempfile.TemporaryDirectory(prefix="odavl-bench-memory-") as tmp:
        try:
            stack.start_moto()  # only moto's server: each case calls its function's entry in its own process
            stack_env = {k: v for k, v in stack.env().items() if not k.startswith("ODAVL_")}
            stack_env.update(ODAVL_STAGE=stack.stage, ODAVL_PUBLIC_URL=stack.api_url, POWERTOOLS_LOG_LEVEL="ERROR")
            api_key = stack.create_org(ORG, "enterprise")
            _measure(stack_env, api_key, bounds, Path(tmp), figures)
        finally:
            stack.stop()
    _report(result, bounds, memory, figures)
    return result


def _measure(env: dict[str, str], api_key: str, bounds: dict[str, int], tmp: Path,
             figures: dict[str, dict[str, Any]]) -> None:
    """Each door's largest export, measured in fresh processes (RSS, then tracemalloc)."""
    for door in ("inline", "large"):
        raw = export(bounds[door])
        gz = gzip.compress(raw, 6)
        if door == "inline" and len(gz) > bounds["wire"]:
            raise RuntimeError(f"the inline export's gzip ({len(gz)} B) passes the wire limit")
        path = tmp / f"{door}.json.gz"
        path.write_bytes(gz)
        row: dict[str, Any] = {"json": len(raw), "gzip": len(gz), "diagnostics": raw.count(b'"message"')}
        del raw, gz
        for metric in ("rss", "tracemalloc"):
            row[metric] = _child(env, door, metric, path, api_key, f"{door}-{metric}")
        figures[door] = row


def _report(result: Result, bounds: dict[str, int], memory: dict[str, dict[str, int]],
            figures: dict[str, dict[str, Any]]) -> None:
    mb = lambda b: f"{b / 2**20:,.0f} MB"  # noqa: E731
    result.add('worst shape: the smallest valid diagnostics ({"message":"7"}, 16 bytes of JSON each), 20 a file')
    result.add(f"limits now: inline ≤ {bounds['inline'] / 2**20:g} MiB of JSON (wire ≤ {bounds['wire'] / 2**20:g} MiB gzip), "
               f"large door ≤ {bounds['large'] / 2**20:g} MiB of JSON")
    worst = 0.0
    for door, row in figures.items():
        mem = memory[door]
        smallest = min(mem.values())
        peak = max(row["rss"]["peak"], row["tracemalloc"]["peak"])
        ratio = peak / (smallest * 2**20)
        worst = max(worst, ratio)
        label = "inline door (upload function)" if door == "inline" else "large door (ingest worker)"
        result.add(f"{label}: {row['diagnostics']:,} diagnostics, JSON {mb(row['json'])}, gzip {mb(row['gzip'])}")
        result.add(f"    RSS growth {mb(row['rss']['peak'])} (RSS before {mb(row['rss']['rss_before'])}, "
                   f"{row['rss']['seconds']:.1f} s); tracemalloc peak {mb(row['tracemalloc']['peak'])}; "
                   f"peak ÷ JSON {peak / row['json']:.1f}×")
        result.add(f"    function memory {', '.join(f'{s} {m} MB' for s, m in mem.items())}: "
                   f"peak ÷ {smallest} MB = {ratio:.3f}")
    result.add("before the bounds (inline ≤ 64 MiB of JSON, worker 2,048 MB), 64 MiB of typical small diagnostics "
               "(~73 bytes: message, severity, rule, line, column) peaked at: inline +1,581 MB RSS / 1,496 MB "
               "tracemalloc = 1.544 of 1,024 MB; worker +1,568 / 1,479 MB = 0.765 of 2,048 MB (24.5x the JSON); "
               "16 MiB of the smallest diagnostics at +885 MB RSS inline (55x): why the bound is set by them")
    if not all(row["rss"]["hwm_reset"] for row in figures.values()):
        result.add("(VmHWM could not be reset: RSS growth is the process's peak since it started, minus RSS before)")
    result.ratio, result.met = worst, worst <= GOAL
