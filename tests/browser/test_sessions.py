"""Sessions, sign-in links and error pages in-process (chalice's test client over in-process moto): the
cases a browser cannot stage cheaply — an expired link, two requests racing for one link, a forged
redirect target, a stage without a session key, a failing page."""
from __future__ import annotations

import json
import re
import threading
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import config
from tests.conftest import Org, body

SECRET = "t" * 40


@pytest.fixture
def signed(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Sessions signed with a key from settings (the test stage answers as http://testserver)."""
    from chalicelib.dashboard import session

    monkeypatch.setenv("ODAVL_SESSION_SECRET", SECRET)
    config.reset_settings()
    config.get_settings()
    session.reset()
    yield session
    session.reset()


def _cookie(response: Any, name: str) -> str | None:
    raw = response.headers.get("Set-Cookie") or ""
    found = re.search(rf"{name}=([^;]*)", raw if isinstance(raw, str) else ";".join(raw))
    return found.group(1) if found else None


def _link(client: Any, org: Org, next_path: str | None = None) -> str:
    reply = client.http.post("/v1/dashboard/login-links", headers=org.headers, body=json.dumps({"next": next_path}))
    assert reply.status_code == 201, reply.body
    assert body(reply)["expiresIn"] == 300
    return str(body(reply)["url"]).rsplit("/", 1)[-1]


def test_a_link_needs_a_valid_key(client, signed):
    reply = client.http.post("/v1/dashboard/login-links", headers={"Content-Type": "application/json"}, body="{}")
    assert reply.status_code == 401


def test_an_expired_link_is_refused(client, org, signed, monkeypatch):
    token = _link(client, org)
    monkeypatch.setattr(time, "time", lambda: 10**10)  # far past the link's five minutes
    reply = client.http.get(f"/dashboard/login/{token}")
    assert reply.status_code == 404 and _cookie(reply, "odavl_session") is None
    assert "does not work" in reply.body.decode()


def test_two_requests_racing_for_one_link_sign_in_once(org, signed):
    from chalicelib.dashboard import session

    token, _ = session.create_link(session.principal(session.Session(*_key_of(org), 0, "n")), "/")
    start, won = threading.Barrier(6), []

    def take() -> None:
        start.wait()
        won.append(session.take_link(token) is not None)

    threads = [threading.Thread(target=take) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(won) == [False] * 5 + [True]


def _key_of(org: Org) -> tuple[str, str]:
    from chalicelib.services import secrets

    parsed = secrets.parse(org.key)
    assert parsed is not None
    return parsed.key_id, org.org_id


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_a_link_never_leads_off_the_dashboard(client, org, signed, target):
    reply = client.http.get(f"/dashboard/login/{_link(client, org, target)}")
    assert reply.status_code == 303 and reply.headers["Location"] == "/dashboard/"


def test_the_sign_in_form_refuses_a_post_without_its_token(client, org, signed):
    reply = client.http.post("/dashboard/login", headers={"Content-Type": "application/x-www-form-urlencoded"},
                             body=urlencode({"apiKey": org.key, "csrf": "forged"}))
    assert reply.status_code == 403 and _cookie(reply, "odavl_session") is None
    assert "expired" in reply.body.decode()


def test_an_expired_session_is_refused(client, org, signed):
    value, _ = signed.issue(*_key_of(org), now=time.time() - signed.SESSION_SECONDS - 1)
    reply = client.http.get("/dashboard", headers={"Cookie": f"odavl_session={value}"})
    assert reply.status_code == 303 and reply.headers["Location"].startswith("/dashboard/login?next=")
    fresh, _ = signed.issue(*_key_of(org))
    assert client.http.get("/dashboard", headers={"Cookie": f"odavl_session={fresh}"}).status_code == 200


def test_cookies_are_secure_off_loopback(client, signed):
    reply = client.http.get("/dashboard/login")
    assert reply.status_code == 200
    raw = reply.headers["Set-Cookie"]
    assert "HttpOnly" in raw and "SameSite=Lax" in raw and "Secure" in raw  # http://testserver is not loopback


def test_a_stage_without_a_session_key_says_so_and_signs_nobody_in(client, org, aws, monkeypatch):
    from chalicelib.dashboard import session

    monkeypatch.delenv("ODAVL_SESSION_SECRET", raising=False)
    monkeypatch.delenv("ODAVL_SESSION_SECRET_PARAMETER", raising=False)
    config.reset_settings()
    config.get_settings()
    session.reset()
    try:
        reply = client.http.get(f"/dashboard/login/{_link(client, org)}")
        assert reply.status_code == 503 and _cookie(reply, "odavl_session") is None
        assert "not configured" in reply.body.decode()
        with pytest.raises(session.NotConfigured):
            session.signing_key()
        monkeypatch.setenv("ODAVL_SESSION_SECRET", "short")
        config.reset_settings()
        session.reset()
        with pytest.raises(session.NotConfigured):
            session.signing_key()
    finally:
        session.reset()


def test_a_failing_page_shows_no_internals(client, org, signed, monkeypatch):
    from chalicelib.dashboard import data

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("s3 bucket odavl-secret-internal unreachable")

    monkeypatch.setattr(data, "recent", broken)
    value, _ = signed.issue(*_key_of(org))
    reply = client.http.get("/dashboard", headers={"Cookie": f"odavl_session={value}"})
    page = reply.body.decode()
    assert reply.status_code == 500 and "Something went wrong" in page
    assert "odavl-secret-internal" not in page and "Traceback" not in page and "RuntimeError" not in page
    assert reply.headers["X-Request-Id"] in page


def test_bad_filters_are_a_400_page(client, org, signed):
    value, _ = signed.issue(*_key_of(org))
    cookie = {"Cookie": f"odavl_session={value}"}
    for path in ("/dashboard/insight/runs?from=yesterday", "/dashboard/insight/runs?cursor=%%%",
                 "/dashboard/insight/runs?from=2026-12-02&to=2026-12-01"):
        reply = client.http.get(path, headers=cookie)
        assert reply.status_code == 400, (path, reply.status_code)
        assert "That did not work" in reply.body.decode()


def test_static_assets_are_immutable_and_unknown_ones_404(client, signed):
    from chalicelib.dashboard import render

    css = client.http.get(render.asset_url("app.css"))
    assert css.status_code == 200 and "immutable" in css.headers["Cache-Control"]
    assert css.headers["Content-Type"].startswith("text/css")
    assert client.http.get("/dashboard/static/app.css").status_code == 404  # only the content-hashed name


def _send(client: Any, org: Org, product: str, upload_type: str, payload: Any, metadata: dict[str, Any] | None = None) -> str:
    import base64
    import gzip

    raw = json.dumps(payload).encode()
    reply = client.http.post(f"/v1/upload/{product}", headers={**org.headers, "Idempotency-Key": f"big-{upload_type}"},
                             body=json.dumps({"type": upload_type, "projectId": "huge", "compressed": True,
                                              "data": base64.b64encode(gzip.compress(raw)).decode(),
                                              "metadata": metadata or {}}))
    assert reply.status_code == 201, reply.body[:500]
    return str(body(reply)["runId"])


def test_no_page_passes_100_kb_whatever_was_uploaded(client, org, signed):
    import random

    rng = random.Random(3)

    def text(n: int) -> str:  # hard to compress, full of markup characters
        return "".join(rng.choice("abcdefghijklmnop <>&\"'") for _ in range(n))

    insight = _send(client, org, "insight", "analysis-results", {"diagnostics": {
        f"src/{text(400)}/{n}.ts": [{"severity": "error", "message": text(3000), "source": text(300), "code": text(300),
                                     "line": i} for i in range(15)] for n in range(8)}})
    ledger = _send(client, org, "autopilot", "ledger", {"runId": "huge-1", "phase": "completed", "success": True,
                                                        "edits": [{"file": text(500), "diff": "+" + text(20_000)} for _ in range(25)]})
    tests = _send(client, org, "guardian", "test-results", {"testRunId": "tr-huge", "url": "https://x.example/", "tests": [
        {"name": text(2000), "status": "failed", "error": text(3000), "duration": 1} for _ in range(120)]})
    _send(client, org, "guardian", "accessibility-report", {"url": "https://x.example/", "violations": [
        {"id": text(300), "impact": "serious", "help": text(2000), "description": text(2000), "helpUrl": "https://x.example/" + "a" * 900,
         "nodes": [{"target": [text(1000)], "html": text(1000), "failureSummary": text(1000)} for _ in range(5)]} for _ in range(40)]},
        {"testRunId": "tr-huge"})
    _send(client, org, "guardian", "lighthouse-report", {"categories": {f"c{i}": {"title": text(500), "score": 0.5} for i in range(12)},
                                                         "audits": {f"a{i}": {"title": text(3000), "score": 0, "displayValue": text(2000)}
                                                                    for i in range(100)}}, {"testRunId": "tr-huge"})
    value, _ = signed.issue(*_key_of(org))
    cookie = {"Cookie": f"odavl_session={value}"}
    for path in (f"/dashboard/insight/runs/{insight}", f"/dashboard/insight/runs/{insight}?group=file",
                 f"/dashboard/autopilot/runs/{ledger}", f"/dashboard/guardian/runs/{tests}", "/dashboard/guardian/runs",
                 "/dashboard/insight/runs", "/dashboard"):
        reply = client.http.get(path, headers=cookie)
        assert reply.status_code == 200, (path, reply.body[:300])
        assert len(reply.body) <= 100 * 1024, (path, len(reply.body))
        assert "more characters)" in reply.body.decode() or path.endswith(("/runs", "/dashboard")), path


def test_the_pages_load_nothing_until_a_dashboard_request():
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    code = textwrap.dedent("""
        import json, sys
        import app
        from chalice.test import Client
        with Client(app.app) as client:
            status = client.http.get("/v1/health").status_code
        print(json.dumps({"status": status, "jinja2": "jinja2" in sys.modules,
                          "views": "chalicelib.dashboard.views" in sys.modules}))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"status": 200, "jinja2": False, "views": False}


@pytest.mark.parametrize("path", ["/dashboard/insight/runs/" + "r" * 3000, "/dashboard/insight/runs/%00%ff",
                                  "/dashboard/guardian/runs/x/screenshots/" + "f" * 500, "/dashboard/" + "p" * 500 + "/runs"])
def test_odd_ids_are_404_pages(client, org, signed, path):
    value, _ = signed.issue(*_key_of(org))
    reply = client.http.get(path, headers={"Cookie": f"odavl_session={value}"})
    assert reply.status_code == 404 and "Not found" in reply.body.decode()
