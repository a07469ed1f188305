"""Lighthouse on the dashboard: performance, accessibility and best-practices scores of the overview, a run
page, usage and API keys, served by the local stack to a signed-in session, audited by the pinned npm
``lighthouse`` (bench/lighthouse/, installed by ``make bench``) driving Debian's Chromium. Goal ≥ 0.95 each.
Lighthouse's default (mobile) settings: a Moto G Power-sized screen, simulated slow 4G and a 4× slower CPU."""
from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.common import ROOT, Result, Skipped

NAME = "lighthouse"
TITLE = "Lighthouse scores of the dashboard (overview, a run page, usage, API keys)"
GOAL = 0.95
CATEGORIES = ("performance", "accessibility", "best-practices")
HERE = ROOT / "bench" / "lighthouse"
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (root in CI), and nothing that reaches for the network on its own.
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
                "--disable-sync --no-first-run")
REPORTS = ROOT / "build" / "lighthouse"  # the full JSON report of each page, to see what lost points
WORKSPACE = ROOT / "tests" / "fixtures" / "workspace" / ".odavl"


def _version() -> str:
    return str(json.loads((HERE / "node_modules" / "lighthouse" / "package.json").read_text())["version"])


def _audit(url: str, cookie: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run of ``url``; its JSON report."""
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    command = [shutil.which("node") or "node", str(CLI), url, "--quiet", "--output=json", f"--output-path={out}",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-path={CHROMIUM}", f"--chrome-flags={CHROME_FLAGS}",
               "--extra-headers", json.dumps({"Cookie": cookie}), "--max-wait-for-load=30000"]
    done = subprocess.run(command, env=env, cwd=HERE, capture_output=True, text=True, timeout=240)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-800:]}")
    return json.loads(out.read_text())


def _failing(report: dict[str, Any], category: str) -> list[str]:
    """The audits of a category that lose points, with their score, for the reasons column."""
    refs = report["categories"][category]["auditRefs"]
    found = []
    for ref in refs:
        audit = report["audits"].get(ref["id"], {})
        score = audit.get("score")
        if ref.get("weight", 0) > 0 and isinstance(score, (int, float)) and score < 1:
            found.append(f"{ref['id']} {score:.2f}")
    return found


def run() -> Result:
    if not CLI.exists():
        raise Skipped("Lighthouse is not installed: `make bench` runs `npm ci` in bench/lighthouse first")
    if not CHROMIUM.exists():
        raise Skipped("no /usr/bin/chromium (Debian's chromium package)")
    import httpx

    from bench.stack import local_stack

    result = Result(name=NAME, title=TITLE)
    node = subprocess.run([shutil.which("node") or "node", "--version"], capture_output=True, text=True).stdout.strip()
    chromium = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True).stdout.strip()
    result.add(f"lighthouse {_version()} on node {node}, {chromium}; default mobile settings (simulated throttling)")
    REPORTS.mkdir(parents=True, exist_ok=True)
    with local_stack("bench-lighthouse") as running:
        api_url = running.stack.api_url
        headers = {"Authorization": f"Bearer {running.api_key}"}
        export = (WORKSPACE / "problems-panel-export.json").read_bytes()
        sent = httpx.post(f"{api_url}/v1/upload/insight", timeout=60, headers={**headers, "Idempotency-Key": "lh-1"}, json={
            "type": "analysis-results", "projectId": "shop-web", "compressed": True,
            "data": base64.b64encode(gzip.compress(export)).decode()})
        assert sent.status_code == 201, sent.text
        run_id = sent.json()["runId"]
        link = httpx.post(f"{api_url}/v1/dashboard/login-links", headers=headers, json={}, timeout=30).json()["url"]
        signed = httpx.get(link, follow_redirects=False, timeout=30)
        found = re.search(r"odavl_session=[^;]+", signed.headers.get("set-cookie", ""))
        assert signed.status_code == 303 and found, signed.headers
        cookie = found.group(0)
        base = f"{api_url}/dashboard"
        pages = {"overview": f"{base}/", "insight run": f"{base}/insight/runs/{run_id}", "usage": f"{base}/usage",
                 "keys": f"{base}/keys"}
        lowest = 1.0
        result.add(f"{'page':<12} " + " ".join(f"{c:>15}" for c in CATEGORIES) + "   below 1.00")
        for name, url in pages.items():
            report = _audit(url, cookie, REPORTS / f"{name.replace(' ', '-')}.json")
            final = report.get("finalDisplayedUrl") or report.get("finalUrl") or ""
            assert "/login" not in final, f"{name}: Lighthouse was sent to the sign-in page ({final})"
            scores = {c: report["categories"][c]["score"] for c in CATEGORIES}
            if any(s is None for s in scores.values()):
                raise RuntimeError(f"{name}: a category has no score: {scores} {report.get('runWarnings')}")
            lowest = min(lowest, *scores.values())
            losing = [a for c in CATEGORIES for a in _failing(report, c)]
            result.add(f"{name:<12} " + " ".join(f"{scores[c]:>15.2f}" for c in CATEGORIES)
                       + "   " + (", ".join(losing[:6]) or "none"))
        result.add(f"full reports: {REPORTS.relative_to(ROOT)}/")
        result.ratio, result.ratio_label = lowest, "lowest score"
        result.goal, result.met = f"≥ {GOAL} each", lowest >= GOAL
    return result
