"""Cold start: a fresh process importing ``app`` and serving its first ``/v1/health`` through the
Lambda handler (an API Gateway proxy event, as Lambda delivers it), against a fresh process that
only does ``import boto3, chalice`` — the floor every Chalice app on Lambda pays. Goal ≤ 1.3."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict

from bench.common import MOTO_ENV, ROOT, Result, median

NAME = "cold_start"
TITLE = "import app + first /v1/health in a fresh process ÷ import boto3, chalice"
RUNS = 7
GOAL = 1.3

APP_SCRIPT = r"""
import json, time
t0 = time.perf_counter()
import app as app_module
imported = time.perf_counter() - t0
event = {
    "resource": "/v1/health", "path": "/v1/health", "httpMethod": "GET",
    "headers": {"Host": "bench"}, "multiValueHeaders": {"Host": ["bench"]},
    "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/v1/health", "httpMethod": "GET", "path": "/api/v1/health",
                       "requestId": "bench-cold-start", "stage": "api", "apiId": "bench",
                       "identity": {"sourceIp": "127.0.0.1"}},
}
class Context:
    function_name = "odavl-cloud-bench"; aws_request_id = "bench-cold-start"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:odavl-cloud-bench"
    def get_remaining_time_in_millis(self): return 30000
reply = app_module.app(event, Context())
elapsed = time.perf_counter() - t0
assert reply["statusCode"] == 200, reply
assert json.loads(reply["body"])["status"] == "ok", reply
print(json.dumps({"seconds": elapsed, "import": imported}))
"""

BASE_SCRIPT = r"""
import json, time
t0 = time.perf_counter()
import boto3, chalice
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ODAVL_")}
    env.update(MOTO_ENV)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def _time(script: str) -> tuple[float, float, float]:
    """(in-process seconds, whole-process wall seconds, import seconds) of one fresh interpreter."""
    import time

    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_env(), check=True,
                         capture_output=True, text=True)
    wall = time.perf_counter() - started
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["seconds"]), wall, float(data.get("import", data["seconds"]))


def slow_imports(limit: int = 12) -> list[tuple[str, float]]:
    """Top-level packages by self import time (``python -X importtime``) when importing ``app``,
    beyond what ``import boto3, chalice`` already pays."""
    def by_package(script: str) -> dict[str, float]:
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", script], cwd=ROOT, env=_env(),
                             capture_output=True, text=True)
        totals: dict[str, float] = defaultdict(float)
        for line in out.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if m:
                totals[m.group(4).split(".")[0]] += int(m.group(1)) / 1e6
        return totals

    app_pkgs = by_package("import app")
    base_pkgs = by_package("import boto3, chalice")
    extra = {k: v - base_pkgs.get(k, 0.0) for k, v in app_pkgs.items()}
    return sorted(((k, v) for k, v in extra.items() if v > 0.001), key=lambda kv: -kv[1])[:limit]


def run() -> Result:
    result = Result(NAME, TITLE, goal=f"≤ {GOAL}", ratio_label="app ÷ boto3+chalice (median in-process)")
    _time(BASE_SCRIPT)  # warm the OS file cache and .pyc files for both
    _time(APP_SCRIPT)
    app_in, app_wall, app_import, base_in, base_wall = [], [], [], [], []
    for _ in range(RUNS):  # interleaved, so machine noise hits both alike
        a, aw, ai = _time(APP_SCRIPT)
        b, bw, _ = _time(BASE_SCRIPT)
        app_in.append(a), app_wall.append(aw), app_import.append(ai), base_in.append(b), base_wall.append(bw)
    ratio = median(app_in) / median(base_in)
    result.add(f"runs: {RUNS} each, interleaved, medians")
    result.add(f"import app + first /v1/health : {median(app_in) * 1000:7.1f} ms in-process, "
               f"{median(app_wall) * 1000:7.1f} ms whole process")
    result.add(f"   of which import app          : {median(app_import) * 1000:7.1f} ms; first request "
               f"{(median(app_in) - median(app_import)) * 1000:.1f} ms")
    result.add(f"import boto3, chalice (anchor) : {median(base_in) * 1000:7.1f} ms in-process, "
               f"{median(base_wall) * 1000:7.1f} ms whole process")
    result.add(f"whole-process ratio (interpreter start included): {median(app_wall) / median(base_wall):.3f}")
    result.ratio, result.met = ratio, ratio <= GOAL
    if ratio > GOAL:
        result.add("slowest imports beyond the anchor (python -X importtime, self time by top-level package):")
        for pkg, seconds in slow_imports():
            result.add(f"    {pkg:<28} {seconds * 1000:7.1f} ms")
    return result
