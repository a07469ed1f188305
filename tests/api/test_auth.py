"""Authentication and API keys through the Chalice test client."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3

from chalicelib import clock
from tests.conftest import Org, assert_error_shape, body


def test_health_needs_no_key(client):
    response = client.http.get("/v1/health")
    assert response.status_code == 200
    assert body(response)["status"] == "ok"
    assert response.headers["X-Request-Id"]


def test_whoami_reports_org_key_scopes_and_plan(client, org: Org):
    response = client.http.get("/v1/whoami", headers=org.headers)
    assert response.status_code == 200
    data = body(response)
    assert data["organizationId"] == "acme"
    assert data["plan"] == "PRO"
    assert "keys:admin" in data["scopes"]
    assert org.key.split("_")[1] == data["keyId"]


def test_missing_key_is_401(client, org: Org):
    assert_error_shape(client.http.get("/v1/whoami"), 401, "missing_api_key")


def test_unknown_and_malformed_keys_are_401(client, org: Org):
    key_id = org.key.split("_")[1]
    wrong_secret = f"odavl_{key_id}_{'A' * 43}"
    unknown_id = f"odavl_{'0' * 16}_{'A' * 43}"
    for token in (wrong_secret, unknown_id, "garbage", "odavl__", org.key + "x"):
        response = client.http.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        assert_error_shape(response, 401, "invalid_api_key")
    response = client.http.get("/v1/whoami", headers={"Authorization": f"Basic {org.key}"})
    assert_error_shape(response, 401, "missing_api_key")


def test_created_key_works_and_is_listed_without_secret(client, org: Org):
    response = client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "ci", "scopes": ["runs:read"]}))
    assert response.status_code == 201, response.body
    created = body(response)
    assert created["key"].startswith(f"odavl_{created['keyId']}_")
    listed = body(client.http.get("/v1/api-keys", headers=org.headers))["items"]
    ci = [k for k in listed if k["keyId"] == created["keyId"]][0]
    assert "key" not in ci and "secretHash" not in ci
    assert ci["scopes"] == ["runs:read"]
    who = client.http.get("/v1/whoami", headers={"Authorization": f"Bearer {created['key']}"})
    assert body(who)["scopes"] == ["runs:read"]


def test_missing_scope_is_403(client, org: Org):
    created = body(client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "ro", "scopes": ["runs:read"]})))
    response = client.http.get("/v1/api-keys", headers={"Authorization": f"Bearer {created['key']}"})
    payload = assert_error_shape(response, 403, "missing_scope")
    assert payload["error"]["details"]["required"] == "keys:admin"


def test_key_cannot_grant_more_than_it_has(client, org: Org):
    limited = body(client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "k", "scopes": ["keys:admin"]})))
    response = client.http.post(
        "/v1/api-keys",
        headers={"Authorization": f"Bearer {limited['key']}", "Content-Type": "application/json"},
        body=json.dumps({"name": "escalate", "scopes": ["keys:admin", "usage:admin"]}),
    )
    assert_error_shape(response, 403, "scope_escalation")


def test_revoked_key_is_401_on_next_request(client, org: Org):
    created = body(client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "tmp"})))
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.http.get("/v1/whoami", headers=headers).status_code == 200
    response = client.http.delete(f"/v1/api-keys/{created['keyId']}", headers=org.headers)
    assert response.status_code == 204
    assert_error_shape(client.http.get("/v1/whoami", headers=headers), 401, "revoked_api_key")


def test_expired_key_is_401(client, org: Org):
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    created = body(client.http.post(
        "/v1/api-keys", headers=org.headers, body=json.dumps({"name": "short", "expiresAt": soon.isoformat()})
    ))
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.http.get("/v1/whoami", headers=headers).status_code == 200
    with clock.frozen(soon + timedelta(seconds=1)):
        assert_error_shape(client.http.get("/v1/whoami", headers=headers), 401, "expired_api_key")


def test_other_orgs_key_cannot_be_revoked(client, org: Org, other_org: Org):
    foreign_key_id = other_org.key.split("_")[1]
    assert_error_shape(client.http.delete(f"/v1/api-keys/{foreign_key_id}", headers=org.headers), 404, "not_found")
    assert client.http.get("/v1/whoami", headers={"Authorization": f"Bearer {other_org.key}"}).status_code == 200


def test_no_plaintext_secret_in_any_table(client, org: Org):
    created = body(client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "x"})))
    secrets = [org.key.split("_", 2)[2], created["key"].split("_", 2)[2]]
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    dump = ""
    for name in ddb.list_tables()["TableNames"]:
        dump += json.dumps(ddb.scan(TableName=name)["Items"])
    assert created["keyId"] in dump
    for secret in secrets:
        assert secret not in dump
        assert f"_{secret[:4]}" not in dump  # not even the start of it, as a display prefix
        assert not [secret[i:i + 8] for i in range(len(secret) - 7) if secret[i:i + 8] in dump]
    listed = body(client.http.get("/v1/api-keys", headers=org.headers))["items"]
    assert {k["prefix"] for k in listed} == {f"odavl_{k['keyId']}_" for k in listed}


def test_last_used_written_at_most_once_a_minute(client, org: Org):
    key_id = org.key.split("_")[1]
    table = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-api-keys")
    start = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    with clock.frozen(start):
        client.http.get("/v1/whoami", headers=org.headers)
    first = table.get_item(Key={"pk": f"KEY#{key_id}", "sk": "KEY"})["Item"]["lastUsedAt"]
    with clock.frozen(start + timedelta(seconds=30)):
        client.http.get("/v1/whoami", headers=org.headers)
    assert table.get_item(Key={"pk": f"KEY#{key_id}", "sk": "KEY"})["Item"]["lastUsedAt"] == first
    with clock.frozen(start + timedelta(seconds=61)):
        client.http.get("/v1/whoami", headers=org.headers)
    assert table.get_item(Key={"pk": f"KEY#{key_id}", "sk": "KEY"})["Item"]["lastUsedAt"] > first


def test_invalid_bodies_are_400_in_shape(client, org: Org):
    cases = [
        ("{not json", "invalid_json"),
        (json.dumps({"name": ""}), "validation_failed"),
        (json.dumps({"name": "x", "scopes": ["nope:read"]}), "unknown_scope"),
        (json.dumps({"name": "x", "extra": 1}), "validation_failed"),
        (json.dumps([1, 2]), "validation_failed"),
    ]
    for raw, code in cases:
        assert_error_shape(client.http.post("/v1/api-keys", headers=org.headers, body=raw), 400, code)
    listed = body(client.http.get("/v1/api-keys", headers=org.headers))["items"]
    assert len(listed) == 1
