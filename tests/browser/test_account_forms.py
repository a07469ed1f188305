"""The account pages' change guard in-process (chalice's test client over in-process moto), for what a browser
on loopback cannot stage: a stage served at a public, non-loopback URL (http://testserver), where only that
origin may post, the Referer standing in for a missing Origin, and loopback names refused off loopback."""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import config
from tests.conftest import Org

SECRET = "f" * 40
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def signed_in(aws: dict[str, str], org: Org, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A session cookie header of the org's admin key and its CSRF token."""
    from chalicelib.dashboard import session
    from chalicelib.services import secrets

    monkeypatch.setenv("ODAVL_SESSION_SECRET", SECRET)
    config.reset_settings()
    config.get_settings()
    session.reset()
    parsed = secrets.parse(org.key)
    assert parsed is not None
    value, found = session.issue(parsed.key_id, org.org_id)
    yield f"odavl_session={value}", session.csrf_token(found)
    session.reset()


def _keys(client: Any, org: Org) -> list[str]:
    return [k["name"] for k in json.loads(client.http.get("/v1/api-keys", headers=org.headers).body)["items"]]


@pytest.mark.parametrize("origin_headers, allowed", [
    ({"Origin": "http://testserver"}, True),
    ({"Referer": "http://testserver/dashboard/keys"}, True),  # no Origin: the Referer's origin
    ({"Origin": "http://127.0.0.1:8000"}, False),  # loopback names count only when the stage is served there
    ({"Origin": "https://testserver"}, False),  # another scheme is another origin
    ({"Origin": "http://testserver.evil.example"}, False),
    ({"Referer": "not a url"}, False),
    ({}, False),
])
def test_only_the_public_origin_may_post(client, org, signed_in, origin_headers, allowed):
    cookie, token = signed_in
    name = f"made-{len(origin_headers)}-{abs(hash(json.dumps(origin_headers))) % 10_000}"
    reply = client.http.post("/dashboard/keys", headers={**FORM, "Cookie": cookie, **origin_headers},
                             body=urlencode({"csrf": token, "name": name, "scopes": "runs:read"}))
    if allowed:
        assert reply.status_code == 201, reply.body[:500]
        assert re.search(r'id="secret"[^>]*value="odavl_', reply.body.decode())
        assert name in _keys(client, org)
    else:
        assert reply.status_code == 403 and "nothing was changed" in reply.body.decode()
        assert name not in _keys(client, org)


def test_the_secret_is_in_the_creating_response_only(client, org, signed_in):
    cookie, token = signed_in
    reply = client.http.post("/dashboard/keys", headers={**FORM, "Cookie": cookie, "Origin": "http://testserver"},
                             body=urlencode({"csrf": token, "name": "once", "scopes": ["runs:read", "usage:read"]},
                                            doseq=True))
    assert reply.status_code == 201 and reply.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(odavl_[^"]+)"', reply.body.decode()).group(1)
    for path in ("/dashboard/keys", "/dashboard/usage", "/dashboard/storage", "/dashboard/jobs"):
        page = client.http.get(path, headers={"Cookie": cookie})
        assert page.status_code == 200 and secret not in page.body.decode(), path
    listed = client.http.get("/v1/api-keys", headers=org.headers).body.decode()
    assert secret not in listed and secret.rsplit("_", 1)[-1] not in listed


def test_a_key_cannot_grant_more_than_its_creator_holds(client, org, signed_in):
    from chalicelib.dashboard import session
    from chalicelib.services import keys

    _, secret = keys.create_key(org.org_id, "keeper", ["keys:admin", "runs:read"])
    from chalicelib.services import secrets

    parsed = secrets.parse(secret)
    assert parsed is not None
    value, found = session.issue(parsed.key_id, org.org_id)
    reply = client.http.post("/dashboard/keys", headers={**FORM, "Cookie": f"odavl_session={value}",
                                                         "Origin": "http://testserver"},
                             body=urlencode({"csrf": session.csrf_token(found), "name": "wider",
                                             "scopes": ["runs:read", "storage:write"]}, doseq=True))
    assert reply.status_code == 403 and "scopes its creator lacks" in reply.body.decode()
    assert "wider" not in _keys(client, org)


def test_a_bad_expiry_and_odd_ids_are_clear_pages(client, org, signed_in):
    cookie, token = signed_in
    post = {**FORM, "Cookie": cookie, "Origin": "http://testserver"}
    reply = client.http.post("/dashboard/keys", headers=post,
                             body=urlencode({"csrf": token, "name": "x", "scopes": "runs:read", "expiresOn": "2020-01-01"}))
    assert reply.status_code == 400 and "must be in the future" in reply.body.decode()
    reply = client.http.post("/dashboard/keys", headers=post,
                             body=urlencode({"csrf": token, "name": "x", "scopes": "runs:read", "expiresOn": "tomorrow"}))
    assert reply.status_code == 400 and "must be a date" in reply.body.decode()
    for path in ("/dashboard/keys/%00bad/revoke", "/dashboard/storage/not-a-file/delete", "/dashboard/jobs/xyz"):
        assert client.http.get(path, headers={"Cookie": cookie}).status_code == 404, path
    for path in ("/dashboard/storage?cursor=bogus", "/dashboard/jobs?cursor=bogus"):
        assert client.http.get(path, headers={"Cookie": cookie}).status_code == 400, path
