"""The dashboard's pages served in-process, its session key read from SSM as on AWS: the AWS calls the
api function makes for people (the browser tests drive a served stack, which botocore hooks in this
process cannot see), so infra/permissions.json holds them. Part of tests.infra.aws_actions.RECORDED_TESTS."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from chalicelib import config
from tests.conftest import Org, body

WORKSPACE = Path(__file__).resolve().parents[1] / "fixtures" / "workspace" / ".odavl"
PARAMETER = "/odavl/test/dashboard-session-secret"


@pytest.fixture
def dashboard(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions signed with a key kept in SSM (not the environment), as a deployed stage has it."""
    from chalicelib.dashboard import session

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=PARAMETER, Value="s" * 48, Type="SecureString")
    monkeypatch.delenv("ODAVL_SESSION_SECRET", raising=False)
    monkeypatch.setenv("ODAVL_SESSION_SECRET_PARAMETER", PARAMETER)
    config.reset_settings()
    config.get_settings()  # read now: during a request the test client exports the 'dev' stage's environment
    session.reset()
    yield
    session.reset()


def _cookie(response: Any, name: str) -> str:
    raw = response.headers.get("Set-Cookie") or response.headers.get("set-cookie") or ""
    found = re.search(rf"{name}=([^;,]*)", raw if isinstance(raw, str) else ";".join(raw))
    assert found, response.headers
    return found.group(1)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def _upload(client: Any, org: Org) -> str:
    raw = (WORKSPACE / "problems-panel-export.json").read_bytes()
    reply = client.http.post("/v1/upload/insight", headers={**org.headers, "Idempotency-Key": "dash-1"},
                             body=json.dumps({"type": "analysis-results", "projectId": "shop-web",
                                              "data": base64.b64encode(raw).decode()}))
    assert reply.status_code == 201, reply.body
    return body(reply)["runId"]


def test_a_login_link_signs_in_once_and_the_pages_show_the_run(client, org, dashboard):
    run_id = _upload(client, org)
    link = client.http.post("/v1/dashboard/login-links", headers=org.headers, body=json.dumps({"next": "/insight/runs"}))
    assert link.status_code == 201, link.body
    token = body(link)["url"].rsplit("/", 1)[-1]
    signed_in = client.http.get(f"/dashboard/login/{token}")
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/insight/runs")
    cookie = {"Cookie": f"odavl_session={_cookie(signed_in, 'odavl_session')}"}
    assert client.http.get(f"/dashboard/login/{token}").status_code == 404  # a link works once
    overview = client.http.get("/dashboard", headers=cookie)
    assert overview.status_code == 200 and "shop-web" in overview.body.decode()
    runs = client.http.get("/dashboard/insight/runs", headers=cookie)
    assert runs.status_code == 200 and run_id in runs.body.decode()
    page = client.http.get(f"/dashboard/insight/runs/{run_id}", headers=cookie)
    assert page.status_code == 200, page.body[:500]
    logout = client.http.post("/dashboard/logout", headers={**cookie, "Content-Type": "application/x-www-form-urlencoded"},
                              body=urlencode({"csrf": _csrf(page.body.decode())}))
    assert logout.status_code == 303


def test_the_sign_in_form_takes_an_api_key(client, org, dashboard):
    form = client.http.get("/dashboard/login")
    assert form.status_code == 200
    nonce = _cookie(form, "odavl_login")
    reply = client.http.post("/dashboard/login", headers={"Cookie": f"odavl_login={nonce}",
                                                          "Content-Type": "application/x-www-form-urlencoded"},
                             body=urlencode({"apiKey": org.key, "csrf": _csrf(form.body.decode()), "next": "/"}))
    assert reply.status_code == 303, reply.body[:500]
    assert _cookie(reply, "odavl_session")
    wrong = client.http.post("/dashboard/login", headers={"Cookie": f"odavl_login={nonce}",
                                                          "Content-Type": "application/x-www-form-urlencoded"},
                             body=urlencode({"apiKey": "odavl_0000000000000000_" + "x" * 43,
                                             "csrf": _csrf(form.body.decode())}))
    assert wrong.status_code in (400, 401), wrong.status_code
