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


def _sign_in(client: Any, org: Org) -> dict[str, str]:
    """A session cookie header, from a one-time link."""
    link = client.http.post("/v1/dashboard/login-links", headers=org.headers, body="{}")
    assert link.status_code == 201, link.body
    signed_in = client.http.get(f"/dashboard/login/{body(link)['url'].rsplit('/', 1)[-1]}")
    assert signed_in.status_code == 303
    return {"Cookie": f"odavl_session={_cookie(signed_in, 'odavl_session')}"}


def _post(client: Any, path: str, cookie: dict[str, str], csrf: str, **fields: Any) -> Any:
    """A change as the dashboard's own form sends it (its origin, its session's token)."""
    headers = {**cookie, "Content-Type": "application/x-www-form-urlencoded", "Origin": "http://testserver"}
    return client.http.post(path, headers=headers, body=urlencode({"csrf": csrf, **fields}, doseq=True))


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
    assert _post(client, "/dashboard/logout", cookie, _csrf(page.body.decode())).status_code == 303


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


def test_the_account_pages_show_and_change_keys_files_and_jobs(client, org, dashboard):
    from tests.api.binary_uploads.conftest import BUCKET, PNG, s3
    from tests.api.jobs.conftest import enqueue

    cookie = _sign_in(client, org)
    usage = client.http.get("/dashboard/usage", headers=cookie)
    assert usage.status_code == 200
    csrf = _csrf(usage.body.decode())

    assert client.http.get("/dashboard/keys", headers=cookie).status_code == 200
    created = _post(client, "/dashboard/keys", cookie, csrf, name="ci-reader", scopes=["runs:read"])
    assert created.status_code in (200, 201) and "odavl_" in created.body.decode(), created.body[:500]
    listed = body(client.http.get("/v1/api-keys", headers=org.headers))["items"]
    [key_id] = [k["keyId"] for k in listed if k["name"] == "ci-reader"]
    assert client.http.get(f"/dashboard/keys/{key_id}/revoke", headers=cookie).status_code == 200
    assert _post(client, f"/dashboard/keys/{key_id}/revoke", cookie, csrf).status_code == 303

    asked = body(client.http.post("/v1/storage/upload-url", headers=org.headers, body=json.dumps(
        {"fileName": "shot.png", "contentType": "image/png", "size": len(PNG)})))
    s3().put_object(Bucket=BUCKET, Key=asked["fields"]["key"], Body=PNG, ContentType="image/png")
    assert client.http.post(f"/v1/storage/files/{asked['fileId']}/complete", headers=org.headers,
                            body="{}").status_code == 200
    files = client.http.get("/dashboard/storage", headers=cookie)
    assert files.status_code == 200 and "shot.png" in files.body.decode()
    download = _post(client, f"/dashboard/storage/{asked['fileId']}/download", cookie, csrf)
    assert download.status_code == 303 and "Signature" in download.headers["Location"]
    assert client.http.get(f"/dashboard/storage/{asked['fileId']}/delete", headers=cookie).status_code == 200
    assert _post(client, f"/dashboard/storage/{asked['fileId']}/delete", cookie, csrf).status_code == 303

    job = enqueue(org, "dash-up-1")
    assert client.http.get("/dashboard/jobs", headers=cookie).status_code == 200
    assert client.http.get(f"/dashboard/jobs/{job['jobId']}", headers=cookie).status_code == 200
    assert _post(client, f"/dashboard/jobs/{job['jobId']}/cancel", cookie, csrf).status_code == 303
    assert body(client.http.get(f"/v1/jobs/{job['jobId']}", headers=org.headers))["status"] == "cancelled"
