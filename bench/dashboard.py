"""Dashboard: the server time of the run page of a 10,000-diagnostic Insight run against the JSON call
behind it (``GET /v1/runs/insight/{runId}``, 50 issues a page as the page shows), both served in-process by the
same app on in-process moto, interleaved, medians. Goal ≤ 1.2. Also: the HTML size of every page type
(goal ≤ 100 KB, images aside) and, in Debian's Chromium against the local stack, the requests each page
makes to the API server besides images (goal ≤ 4)."""
from __future__ import annotations

import base64
import gzip
import json
import re
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Result, environ, in_process_aws, median
from bench.data import spread_export

NAME = "dashboard"
TITLE = "run page of a 10,000-diagnostic run ÷ its JSON call (server time)"
GOAL = 1.2
ROUNDS = 15
DIAGNOSTICS = 10_000
WORKSPACE = ROOT / "tests" / "fixtures" / "workspace" / ".odavl"
CHROMIUM = Path("/usr/bin/chromium")


def _export(n: int) -> bytes:
    return spread_export(n, seed=7, files_digits=4)


def _upload(client: Any, headers: dict[str, str], product: str, upload_type: str, raw: bytes,
            metadata: dict[str, Any] | None = None) -> str:
    body = {"type": upload_type, "projectId": "bench-web", "compressed": True,
            "data": base64.b64encode(gzip.compress(raw)).decode(), "metadata": metadata or {}}
    reply = client.http.post(f"/v1/upload/{product}", body=json.dumps(body),
                             headers={**headers, "Idempotency-Key": f"bench-{product}-{upload_type}-{len(raw)}"})
    assert reply.status_code == 201, reply.body[:300]
    return str(json.loads(reply.body)["runId"])


def _timed(client: Any, path: str, headers: dict[str, str]) -> tuple[float, Any]:
    started = time.perf_counter()
    reply = client.http.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    assert reply.status_code == 200, (path, reply.status_code, reply.body[:300])
    return elapsed, reply


def _in_process(result: Result) -> None:
    from chalice.test import Client

    import secrets

    from chalicelib.dashboard import session
    from chalicelib.services import orgs

    # the in-process app answers as http://testserver (not loopback): its session key comes from settings
    with environ({"ODAVL_SESSION_SECRET": secrets.token_urlsafe(32)}), in_process_aws():
        from app import app

        session.reset()

        _, key = orgs.create_org("bench-dash", "enterprise")
        api = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with Client(app) as client:
            big = _upload(client, api, "insight", "analysis-results", _export(DIAGNOSTICS))
            ledger = _upload(client, api, "autopilot", "ledger", (WORKSPACE / "ledger" / "run-20261122-093000-a1b2.json").read_bytes())
            test_file = next((WORKSPACE / "guardian").glob("test-*.json"))
            tests = _upload(client, api, "guardian", "test-results", test_file.read_bytes())
            for kind in ("lighthouse", "accessibility"):
                report = next((WORKSPACE / "guardian").glob(f"{kind}-*.json"))
                _upload(client, api, "guardian", f"{kind}-report", report.read_bytes(), {"testRunId": "tr-20261122-101500-c3d4"})
            link = client.http.post("/v1/dashboard/login-links", headers=api, body="{}")
            token = json.loads(link.body)["url"].rsplit("/", 1)[-1]
            signed = client.http.get(f"/dashboard/login/{token}")
            cookie_header = signed.headers.get("Set-Cookie") or signed.headers.get("set-cookie")
            found = re.search(r"odavl_session=[^;]+", str(cookie_header))
            assert found, signed.headers
            cookie = {"Cookie": found.group(0)}

            page_path, json_path = f"/dashboard/insight/runs/{big}", f"/v1/runs/insight/{big}"
            for _ in range(3):  # warm: templates compiled, clients made, modules imported
                _timed(client, page_path, cookie)
                _timed(client, json_path, api)
            page_times, json_times = [], []
            for _ in range(ROUNDS):
                page_times.append(_timed(client, page_path, cookie)[0])
                json_times.append(_timed(client, json_path, api)[0])
            grouped_times = [_timed(client, page_path + "?group=file&severity=error", cookie)[0] for _ in range(ROUNDS)]
            page_s, json_s = median(page_times), median(json_times)
            result.add(f"{DIAGNOSTICS:,}-diagnostic run, median of {ROUNDS} interleaved requests each (in-process app, in-process moto)")
            result.add(f"run page   GET {page_path[:40]}…      {page_s * 1000:8.1f} ms")
            result.add(f"JSON call  GET /v1/runs/insight/{{runId}}             {json_s * 1000:8.1f} ms")
            result.add(f"run page grouped by file, errors only        {median(grouped_times) * 1000:8.1f} ms"
                       f" ({median(grouped_times) / json_s:.2f}× the JSON call)")
            result.ratio, result.ratio_label = page_s / json_s, "page ÷ JSON"
            result.goal, result.met = f"≤ {GOAL}", page_s / json_s <= GOAL

            sizes: dict[str, int] = {}
            for name, path in (("overview", "/dashboard"), ("insight runs", "/dashboard/insight/runs"),
                               ("autopilot runs", "/dashboard/autopilot/runs"), ("guardian runs", "/dashboard/guardian/runs"),
                               ("insight run (10k)", page_path), ("insight run grouped", page_path + "?group=file"),
                               ("insight run last page", page_path + "?page=200"),
                               ("autopilot run", f"/dashboard/autopilot/runs/{ledger}"),
                               ("guardian run", f"/dashboard/guardian/runs/{tests}"), ("sign-in", "/dashboard/login"),
                               ("404", "/dashboard/insight/runs/01nosuchrun")):
                reply = client.http.get(path, headers={} if name == "sign-in" else cookie)
                assert reply.status_code in (200, 404), (path, reply.status_code)
                sizes[name] = len(reply.body)
            largest = max(sizes.values())
            result.add("HTML size per page (goal ≤ 100 KB each): " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in sizes.items()))
            result.add(f"largest page {largest / 1024:.1f} KB: {'goal met' if largest <= 100 * 1024 else 'goal NOT met'}")


def _browser(result: Result) -> None:
    """Requests each page makes to the API server, besides images, in a real browser."""
    if not CHROMIUM.exists():
        result.add("requests per page: skipped (no /usr/bin/chromium)")
        return
    import httpx

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        result.add(f"requests per page: skipped (Playwright is missing: {exc})")
        return

    from bench.stack import local_stack
    from tests.browser.conftest import CHROMIUM_ARGS

    with local_stack("bench-dash-browser") as running:
        api_url = running.stack.api_url
        headers = {"Authorization": f"Bearer {running.api_key}"}

        def upload(product: str, upload_type: str, raw: bytes, metadata: dict[str, Any] | None = None) -> str:
            reply = httpx.post(f"{api_url}/v1/upload/{product}", timeout=60, json={
                "type": upload_type, "projectId": "bench-web", "compressed": True, "metadata": metadata or {},
                "data": base64.b64encode(gzip.compress(raw)).decode()},
                headers={**headers, "Idempotency-Key": f"b-{product}-{upload_type}"})
            assert reply.status_code == 201, reply.text
            return str(reply.json()["runId"])

        insight = upload("insight", "analysis-results", _export(2_000))
        ledger = upload("autopilot", "ledger", (WORKSPACE / "ledger" / "run-20261122-093000-a1b2.json").read_bytes())
        tests = upload("guardian", "test-results", next((WORKSPACE / "guardian").glob("test-*.json")).read_bytes())
        base = f"{api_url}/dashboard"
        pages = {"overview": f"{base}/", "insight runs": f"{base}/insight/runs", "guardian runs": f"{base}/guardian/runs",
                 "insight run": f"{base}/insight/runs/{insight}", "autopilot run": f"{base}/autopilot/runs/{ledger}",
                 "guardian run": f"{base}/guardian/runs/{tests}"}
        counts: dict[str, int] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                link = httpx.post(f"{api_url}/v1/dashboard/login-links", headers=headers, json={}, timeout=30).json()["url"]
                first = browser.new_context()
                first.new_page().goto(link)
                cookies = first.cookies()
                first.close()
                for name, url in pages.items():  # a fresh context each: nothing cached yet
                    context = browser.new_context()
                    context.add_cookies(cookies)
                    page = context.new_page()
                    seen: list[str] = []
                    page.on("request", lambda r: seen.append(r.url)
                            if r.url.startswith(api_url) and r.resource_type != "image" else None)
                    page.goto(url, wait_until="networkidle")
                    counts[name] = len(seen)
                    context.close()
            finally:
                browser.close()
        most = max(counts.values())
        result.add("requests to the API server per page, images aside (first visit, empty cache; goal ≤ 4): "
                   + ", ".join(f"{k} {v}" for k, v in counts.items()))
        result.add(f"most requests on one page: {most}: {'goal met' if most <= 4 else 'goal NOT met'}")


def run() -> Result:
    result = Result(name=NAME, title=TITLE)
    _in_process(result)
    _browser(result)
    return result
