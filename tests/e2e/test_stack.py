"""The local stack over real HTTP: what ``make serve`` starts answers and its printed key works."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infra.local_stack import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_stack_health_and_whoami(stack):
    assert httpx.get(f"{stack.api_url}/v1/health").json()["status"] == "ok"
    who = httpx.get(f"{stack.api_url}/v1/whoami", headers={"Authorization": f"Bearer {stack.admin_key}"})
    assert who.status_code == 200
    assert who.json()["organizationId"] == "e2e"
    bad = httpx.get(f"{stack.api_url}/v1/whoami", headers={"Authorization": "Bearer odavl_nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"


def test_stack_tables_come_from_the_template(stack):
    names = set(stack.client("dynamodb").list_tables()["TableNames"])
    assert {f"odavl-dev-{t}" for t in ("orgs", "api-keys", "runs", "usage", "files", "jobs", "idempotency")} <= names
    queues = stack.client("sqs").list_queues()["QueueUrls"]
    assert any(q.endswith("/odavl-dev-ingest") for q in queues)


def test_make_serve_prints_a_working_key_and_stops_on_ctrl_c():
    env = {**os.environ, "ODAVL_MOTO_PORT": str(free_port()), "ODAVL_API_PORT": str(free_port())}
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )
    started = time.monotonic()
    try:
        key = api = dashboard = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if m := re.search(r"admin API key:\s+(\S+)", line):
                key = m.group(1)
            if m := re.search(r"Dashboard:\s+(http://\S+)", line):
                dashboard = m.group(1)
            if m := re.search(r"API:\s+(http://\S+)/v1/health", line):
                api = m.group(1)
            if "Ctrl-C stops" in line:
                break
        assert key and api
        assert time.monotonic() - started < 60
        assert httpx.get(f"{api}/v1/health").status_code == 200
        signin = httpx.get(str(dashboard), follow_redirects=True)  # the printed dashboard URL opens a page
        assert signin.status_code == 200 and 'name="apiKey"' in signin.text
        who = httpx.get(f"{api}/v1/whoami", headers={"Authorization": f"Bearer {key}"}).json()
        assert who["organizationId"] == "demo" and who["plan"] == "PRO"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/v1/health", timeout=2)
