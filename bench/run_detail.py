"""Run detail: ``GET /v1/runs/insight/{runId}`` of a 100,000-diagnostic run, page 1 and the last page
(50 issues a page), against a page of a 100-diagnostic run, served in-process by the app on in-process
moto: the server time (median of interleaved requests), the peak Python memory of one request
(tracemalloc: what the request allocates on top of what the process holds) and its AWS requests and
S3 bytes. Goals: both pages of the large run at most 2× the small run's page, and at most 20 MB more
memory. Also: a filtered page (one severity, one file), the read the detail made before run pages (the
whole payload gunzipped and parsed), and what the pages cost at ingest (bytes stored, upload time)."""
from __future__ import annotations

import base64
import cProfile
import gzip
import io
import json
import pstats
import time
import tracemalloc
from typing import Any

from bench.awscalls import Tally, counting
from bench.common import Result, environ, in_process_aws, median
from bench.data import spread_export

NAME = "run_detail"
TITLE = "page 1 and last page of a 100,000-diagnostic run ÷ a page of a 100-diagnostic run (server time)"
GOAL = 2.0
MEMORY_GOAL_MB = 20.0
ROUNDS = 9
SMALL, BIG = 100, 100_000
PAGE = 50
ORG = "bench-detail"


def _export(n: int) -> bytes:
    return spread_export(n, seed=5, files_digits=5)


def _upload(client: Any, headers: dict[str, str], raw: bytes, project: str) -> tuple[str, float]:
    body = json.dumps({"type": "analysis-results", "projectId": project, "compressed": True,
                       "data": base64.b64encode(gzip.compress(raw)).decode()})
    started = time.perf_counter()
    reply = client.http.post("/v1/upload/insight", body=body, headers={**headers, "Idempotency-Key": f"bench-{project}"})
    elapsed = time.perf_counter() - started
    assert reply.status_code == 201, reply.body[:300]
    return str(json.loads(reply.body)["runId"]), elapsed


def _get(client: Any, path: str, headers: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    reply = client.http.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    assert reply.status_code == 200, (path, reply.status_code, reply.body[:300])
    return elapsed, json.loads(reply.body)


def _peak(client: Any, path: str, headers: dict[str, str]) -> int:
    """Bytes one request allocates at its peak, above what was allocated before it."""
    tracemalloc.start()
    client.http.get(path, headers=headers)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _s3_bytes() -> tuple[Any, list[int]]:
    """A hook counting the bytes of each S3 GetObject answer (and the list it fills)."""
    seen: list[int] = []

    def record(parsed: Any = None, **_: Any) -> None:
        seen.append(int((parsed or {}).get("ContentLength") or 0))
    return record, seen


def run() -> Result:
    from chalice.test import Client

    result = Result(name=NAME, title=TITLE)
    # the read side is measured: the 100,000-diagnostic run is sent inline, past the door's usual bounds
    with environ({"ODAVL_INLINE_MAX_BYTES": str(64 << 20), "ODAVL_INLINE_DECOMPRESSED_MAX_BYTES": str(64 << 20)}), \
            in_process_aws():
        from app import app
        from chalicelib.config import get_settings
        from chalicelib.services import orgs
        from chalicelib.services import runs as run_service
        from chalicelib.store import clients
        from chalicelib.store import runs as run_store

        _, key = orgs.create_org(ORG, "enterprise")
        api = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        figures: dict[str, Any] = {}
        with Client(app) as client:
            small_id, _ = _upload(client, api, _export(SMALL), "small")
            raw = _export(BIG)
            big_id, upload_time = _upload(client, api, raw, "big")
            big_item = run_store.get(ORG, "insight", big_id)
            assert big_item is not None
            last = -(-BIG // PAGE)
            paths = {
                "small": f"/v1/runs/insight/{small_id}?pageSize={PAGE}",
                "first": f"/v1/runs/insight/{big_id}?pageSize={PAGE}",
                "last": f"/v1/runs/insight/{big_id}?pageSize={PAGE}&page={last}",
            }
            error_total = int(big_item["summary"]["bySeverity"]["error"])
            filtered = {
                "severity, last page": f"/v1/runs/insight/{big_id}?pageSize={PAGE}&severity=error"
                                       f"&page={-(-error_total // PAGE)}",
                "one file": f"/v1/runs/insight/{big_id}?pageSize={PAGE}&file=src/module02500/file.ts",
                "one rule (scattered), page 3": f"/v1/runs/insight/{big_id}?pageSize={PAGE}&rule=R123&page=3",
            }
            for path in [*paths.values(), *filtered.values()]:  # warm: modules imported, clients made
                _get(client, path, api)
            times: dict[str, list[float]] = {name: [] for name in [*paths, *filtered]}
            for _ in range(ROUNDS):
                for name, path in [*paths.items(), *filtered.items()]:
                    times[name].append(_get(client, path, api)[0])
            answers = {name: _get(client, path, api)[1] for name, path in [*paths.items(), *filtered.items()]}
            assert answers["last"]["items"][-1]["message"].startswith(f"Diagnostic {BIG - 1}:")
            assert all(len(answers[name]["items"]) == (20 if name == "one file" else PAGE) for name in filtered)
            peaks = {name: _peak(client, path, api) for name, path in paths.items()}
            tallies: dict[str, Tally] = {}
            s3_bytes: dict[str, int] = {}
            s3_gets: dict[str, int] = {}
            for name, path in paths.items():
                record, seen = _s3_bytes()
                events = clients.s3().meta.events
                events.register("after-call.s3.GetObject", record)
                with counting(clients.all_clients()) as tallies[name]:
                    client.http.get(path, headers=api)
                events.unregister("after-call.s3.GetObject", record)
                s3_bytes[name], s3_gets[name] = sum(seen), len(seen)
            # before run pages: the detail read the whole payload, gunzipped and parsed it, for every page
            started = time.perf_counter()
            run_service._page_of_payload(big_item, (last - 1) * PAGE, PAGE, {})
            before_time = time.perf_counter() - started
            tracemalloc.start()
            run_service._page_of_payload(big_item, (last - 1) * PAGE, PAGE, {})
            _, before_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            stored = {k: int(v) for k, v in (run_store.get(ORG, "insight", big_id) or {}).items()
                      if k in ("payloadBytes", "storedBytes")}
            s3 = clients.s3()
            sizes = {name: int(s3.head_object(Bucket=get_settings().bucket, Key=str(big_item[name]))["ContentLength"])
                     for name in ("payloadKey", "compareKey", "pagesKey")}
            worst = max(median(times["first"]), median(times["last"]))
            if worst > GOAL * median(times["small"]):
                profile = cProfile.Profile()
                profile.runcall(run_service.run_detail, ORG, "insight", big_id, page=last, page_size=PAGE)
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(15)
                figures["profile"] = out.getvalue()
        figures.update(times=times, peaks=peaks, tallies=tallies, s3_bytes=s3_bytes, s3_gets=s3_gets, sizes=sizes, before_time=before_time,
                       before_peak=before_peak, stored=stored, upload_time=upload_time, payload_raw=len(raw),
                       filtered=list(filtered), pages_meta=big_item["pages"])
    _report(result, figures)
    return result


def _report(result: Result, f: dict[str, Any]) -> None:
    times, peaks, tallies = f["times"], f["peaks"], f["tallies"]
    small = median(times["small"])
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    mb = lambda b: f"{b / 2**20:.1f} MB"  # noqa: E731
    result.add(f"median of {ROUNDS} interleaved requests each (in-process app, in-process moto), {PAGE} issues a page")
    result.add(f"{'':36}{'time':>10}{'÷ small':>10}{'peak mem':>11}{'AWS requests':>14}{'S3 GETs':>9}{'S3 bytes':>11}")
    for name, label in (("small", f"{SMALL:,}-diagnostic run, page 1"), ("first", f"{BIG:,}-diagnostic run, page 1"),
                        ("last", f"{BIG:,}-diagnostic run, last page")):
        t = median(times[name])
        result.add(f"{label:36}{ms(t):>10}{t / small:>9.2f}×{mb(peaks[name]):>11}{sum(tallies[name].requests.values()):>14}"
                   f"{f['s3_gets'][name]:>9}{f['s3_bytes'][name]:>11,}")
    for name in ("small", "last"):
        ops = ", ".join(f"{k}×{v}" for k, v in sorted(tallies[name].requests.items()))
        result.add(f"  requests of {name}: {ops}")
    result.add("  (one s3.GetObject of each is the presigned payload URL: signed locally, never sent)")
    result.add(f"filtered pages of the {BIG:,}-diagnostic run (server time, ÷ small):")
    for name in f["filtered"]:
        t = median(times[name])
        result.add(f"  {name:34}{ms(t):>10}{t / small:>9.2f}×")
    result.add(f"before run pages, one page of the {BIG:,}-diagnostic run read the whole payload: "
               f"{ms(f['before_time'])}, peak {mb(f['before_peak'])} (the read alone)")
    stored, meta = f["stored"], f["pages_meta"]
    sizes = f["sizes"]
    result.add(f"ingest of the {BIG:,}-diagnostic run: {f['upload_time']:.2f} s; JSON {f['payload_raw'] / 2**20:.1f} MB; "
               f"stored {stored.get('storedBytes', 0) / 2**20:.2f} MB: payload gzip {mb(sizes['payloadKey'])}, comparison "
               f"data {mb(sizes['compareKey'])}, pages {mb(sizes['pagesKey'])} ({len(meta.get('facets') or {})} filters)")
    ratio = max(median(times["first"]), median(times["last"])) / small
    memory = max(peaks["first"], peaks["last"]) / 2**20
    result.add(f"peak memory of a large-run page: {memory:.1f} MB (goal ≤ {MEMORY_GOAL_MB:g} MB)")
    result.ratio, result.ratio_label = ratio, "slower large-run page ÷ small-run page"
    result.goal, result.met = f"≤ {GOAL:g} and ≤ {MEMORY_GOAL_MB:g} MB", ratio <= GOAL and memory <= MEMORY_GOAL_MB
    if "profile" in f:
        result.add("where the time of one last-page detail goes (cProfile, cumulative):")
        result.lines += [line for line in f["profile"].splitlines() if line.strip()][:30]
