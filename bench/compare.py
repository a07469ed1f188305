"""Compare: ``GET /v1/runs/insight/{runId}/compare?base=auto`` of a branch run against its main run, at
100,000 diagnostics a run and at 1,000, served in-process by the app on in-process moto: the server time
(median), the peak Python memory of one call (tracemalloc) and the DynamoDB / S3 requests it makes
(botocore's before-parameter-build event). Goals: the same requests at both sizes (the baseline is found
by key lookups and each run's kept comparison data is one object, never a scan or a payload re-read),
and the compare at most 3× the run's detail call (``GET /v1/runs/insight/{runId}``) of the same run."""
from __future__ import annotations

import base64
import cProfile
import gzip
import io
import json
import pstats
import random
import re
import secrets
import time
import tracemalloc
from typing import Any

from bench.awscalls import Tally, counting
from bench.common import Result, environ, in_process_aws, median

NAME = "compare"
TITLE = "compare of two 100,000-diagnostic runs ÷ the run's detail call (server time)"
GOAL = 3.0
ROUNDS = 7
SIZES = (1_000, 100_000)
MAIN, BRANCH = "a" * 40, "b" * 40


def _export(n: int, branch: bool) -> bytes:
    """``n`` diagnostics over n/20 files; the branch fixes every 100th and adds n/100 of its own."""
    rng = random.Random(11)
    severities = ["error", "warning", "info", "hint"]
    files: dict[str, list[dict[str, Any]]] = {}
    for i in range(n):
        diag = {"severity": severities[rng.randrange(4)], "message": f"Value '{i}' is never used in scope {rng.randrange(999)}.",
                "source": "eslint", "code": f"R{rng.randrange(300):03d}", "line": rng.randrange(1, 2000), "column": 1}
        if branch and i % 100 == 0:
            continue
        files.setdefault(f"src/module{i // 20:05d}/file.ts", []).append(diag)
    if branch:
        for i in range(n // 100):
            files.setdefault(f"src/new{i // 20:04d}.ts", []).append(
                {"severity": severities[i % 4], "message": f"New finding {i}.", "source": "typescript", "code": "2532",
                 "line": i % 500 + 1, "column": 1})
    return json.dumps({"version": "1.0", "diagnostics": files}).encode()


def _upload(client: Any, headers: dict[str, str], raw: bytes, project: str, build: dict[str, str]) -> str:
    body = {"type": "analysis-results", "projectId": project, "compressed": True, "build": build,
            "data": base64.b64encode(gzip.compress(raw)).decode()}
    reply = client.http.post("/v1/upload/insight", body=json.dumps(body),
                             headers={**headers, "Idempotency-Key": f"bench-cmp-{project}-{build['commit'][:4]}"})
    assert reply.status_code == 201, reply.body[:300]
    return str(json.loads(reply.body)["runId"])


def _timed(client: Any, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    reply = client.http.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    assert reply.status_code == 200, (path, reply.status_code, reply.body[:300])
    return elapsed


def run() -> Result:
    from chalice.test import Client

    result = Result(name=NAME, title=TITLE)
    # the read side is measured: the 100,000-diagnostic runs are sent inline, past the door's usual bounds
    env = {"ODAVL_INLINE_MAX_BYTES": str(64 << 20), "ODAVL_INLINE_DECOMPRESSED_MAX_BYTES": str(64 << 20),
           "ODAVL_SESSION_SECRET": secrets.token_urlsafe(32)}
    with environ(env), in_process_aws():
        from app import app
        from chalicelib.dashboard import session
        from chalicelib.services import orgs
        from chalicelib.services.compare import service
        from chalicelib.store import clients

        session.reset()
        _, key = orgs.create_org("bench-compare", "enterprise")
        api = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        figures: dict[int, dict[str, Any]] = {}
        with Client(app) as client:
            cookie = _signed_in(client, api)
            for n in SIZES:
                project = f"bench-{n}"
                _upload(client, api, _export(n, False), project, {"commit": MAIN, "branch": "main"})
                run_id = _upload(client, api, _export(n, True), project,
                                 {"commit": BRANCH, "branch": "feature", "ancestor": MAIN})
                compare_path, detail_path = f"/v1/runs/insight/{run_id}/compare?base=auto", f"/v1/runs/insight/{run_id}"
                for _ in range(2):  # warm: modules imported, clients made
                    _timed(client, compare_path, api)
                    _timed(client, detail_path, api)
                page_path = f"/dashboard/insight/runs/{run_id}"
                _timed(client, page_path, cookie)
                compare_times, detail_times, page_times = [], [], []
                for _ in range(ROUNDS):
                    compare_times.append(_timed(client, compare_path, api))
                    detail_times.append(_timed(client, detail_path, api))
                    page_times.append(_timed(client, page_path, cookie))
                page_bytes = len(client.http.get(page_path, headers=cookie).body)
                with counting(clients.all_clients()) as tally:
                    answer = json.loads(client.http.get(compare_path, headers=api).body)
                with counting(clients.all_clients()) as own:  # the service alone: no auth, no metering
                    service.compare("bench-compare", "insight", run_id)
                tracemalloc.start()
                service.compare("bench-compare", "insight", run_id)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                figures[n] = {"compare": median(compare_times), "detail": median(detail_times), "peak": peak,
                              "page": median(page_times), "page_bytes": page_bytes,
                              "tally": tally, "own": own, "counts": answer["counts"], "run": run_id, "org": "bench-compare"}
            big = figures[SIZES[-1]]
            if big["compare"] > GOAL * big["detail"]:
                profile = cProfile.Profile()
                profile.runcall(service.compare, "bench-compare", "insight", big["run"])
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(12)
                big["profile"] = out.getvalue()
    _report(result, figures)
    return result


def _signed_in(client: Any, api: dict[str, str]) -> dict[str, str]:
    """A dashboard session cookie, through a one-time sign-in link as ``odavl dashboard`` gets one."""
    link = client.http.post("/v1/dashboard/login-links", headers=api, body="{}")
    token = json.loads(link.body)["url"].rsplit("/", 1)[-1]
    signed = client.http.get(f"/dashboard/login/{token}")
    found = re.search(r"odavl_session=[^;]+", str(signed.headers.get("Set-Cookie") or signed.headers.get("set-cookie")))
    assert found, signed.headers
    return {"Cookie": found.group(0)}


def _requests(tally: Tally) -> str:
    return ", ".join(f"{k}×{v}" for k, v in sorted(tally.requests.items()))


def _report(result: Result, figures: dict[int, dict[str, Any]]) -> None:
    small, big = figures[SIZES[0]], figures[SIZES[-1]]
    result.add(f"median of {ROUNDS} interleaved requests each (in-process app, in-process moto); the branch run fixes 1% "
               "and adds 1%")
    result.add(f"{'':34}{SIZES[0]:>14,}{SIZES[-1]:>14,}  diagnostics a run")
    result.add(f"{'compare call (server time)':34}{small['compare'] * 1000:>11.1f} ms{big['compare'] * 1000:>11.1f} ms")
    result.add(f"{'run detail call (server time)':34}{small['detail'] * 1000:>11.1f} ms{big['detail'] * 1000:>11.1f} ms")
    result.add(f"{'compare ÷ run detail':34}{small['compare'] / small['detail']:>13.2f}×{big['compare'] / big['detail']:>13.2f}×")
    result.add(f"{'dashboard run page, with comparison':34}{small['page'] * 1000:>11.1f} ms{big['page'] * 1000:>11.1f} ms")
    result.add(f"{'  its HTML (goal ≤ 100 KB)':34}{small['page_bytes'] / 1024:>11.1f} KB{big['page_bytes'] / 1024:>11.1f} KB")
    result.add(f"{'peak Python memory of one compare':34}{small['peak'] / 2**20:>11.1f} MB{big['peak'] / 2**20:>11.1f} MB")
    result.add(f"{'AWS requests of one compare call':34}{sum(small['tally'].requests.values()):>14}{sum(big['tally'].requests.values()):>14}")
    result.add(f"  at {SIZES[0]:,}: {_requests(small['tally'])}")
    result.add(f"  at {SIZES[-1]:,}: {_requests(big['tally'])}")
    result.add(f"{'of them the compare service':34}{sum(small['own'].requests.values()):>14}{sum(big['own'].requests.values()):>14}")
    result.add(f"  at both: {_requests(big['own'])} (the rest: the key, its limits and the metering)")
    result.add(f"counts at {SIZES[-1]:,}: new {big['counts']['new']:,}, fixed {big['counts']['fixed']:,}")
    same = small["tally"].requests == big["tally"].requests and small["own"].requests == big["own"].requests
    result.add(f"requests equal at both sizes: {'yes (goal met)' if same else 'NO (goal not met)'}")
    ratio = big["compare"] / big["detail"]
    result.ratio, result.ratio_label = ratio, "compare ÷ run detail"
    result.goal, result.met = f"≤ {GOAL:g} and equal requests", ratio <= GOAL and same
    if "profile" in big:
        result.add("where the time of one 100,000-diagnostic compare goes (cProfile, cumulative):")
        result.lines += [line for line in big["profile"].splitlines() if line.strip()][:30]
