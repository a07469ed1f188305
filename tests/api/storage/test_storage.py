"""The file storage API through the Chalice test client; bytes go to the in-process moto with
boto3 (a real client POSTs the presigned form; the end-to-end tests do that)."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from chalicelib import clock
from chalicelib.services import files, usage
from tests.api.binary_uploads.conftest import BUCKET, PNG, file_items, keys, s3
from tests.conftest import Org, assert_error_shape, body, make_org

MB = 1000 * 1000
KEY_RE = r"^orgs/acme/files/[0-9a-f-]+(\.[a-z0-9]{1,8})?$"


def ask(client, org: Org, data: bytes = PNG, **overrides):
    request = {"fileName": "shot.png", "contentType": "image/png", "size": len(data), **overrides}
    return client.http.post("/v1/storage/upload-url", headers=org.headers, body=json.dumps(request))


def put(answer: dict, data: bytes) -> None:
    fields = answer["fields"]
    s3().put_object(Bucket=BUCKET, Key=fields["key"], Body=data, ContentType=fields["Content-Type"])


def finish(client, org: Org, file_id: str):
    return client.http.post(f"/v1/storage/files/{file_id}/complete", headers=org.headers, body="{}")


def store(client, org: Org, data: bytes = PNG, **overrides) -> dict:
    answer = body(ask(client, org, data, **overrides))
    put(answer, data)
    response = finish(client, org, answer["fileId"])
    assert response.status_code == 200, response.body
    return body(response)


def test_upload_url_policy_pins_key_type_and_length(client, org: Org):
    response = ask(client, org, fileName="../../etc/passwd.png", expiresIn=120)
    assert response.status_code == 201, response.body
    answer = body(response)
    policy = json.loads(base64.b64decode(answer["fields"]["policy"]))
    key = answer["fields"]["key"]
    assert key == f"orgs/acme/files/{answer['fileId']}.png"
    assert ["eq", "$key", key] in policy["conditions"]
    assert ["eq", "$Content-Type", "image/png"] in policy["conditions"]
    assert ["content-length-range", len(PNG), len(PNG)] in policy["conditions"]
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expiration - datetime.now(timezone.utc)).total_seconds() <= 120
    assert answer["fileName"] == "passwd.png"
    assert keys() == []  # nothing stored before the client sends bytes


def test_complete_records_the_file_and_download_names_it(client, org: Org):
    done = store(client, org, fileName="report\u202egnp.exe.png")
    assert done["fileName"] == "reportgnp_exe.png" and done["size"] == len(PNG)
    again = finish(client, org, done["fileId"])
    assert again.status_code == 200 and body(again) == done
    response = client.http.get(f"/v1/storage/files/{done['fileId']}/download-url?expiresIn=300", headers=org.headers)
    assert response.status_code == 200, response.body
    link = body(response)
    query = parse_qs(urlparse(link["url"]).query)
    assert 'filename="reportgnp_exe.png"' in unquote(query["response-content-disposition"][0])
    assert query["X-Amz-Expires"] == ["300"]
    assert link["downloadCount"] == 1
    client.http.get(f"/v1/storage/files/{done['fileId']}/download-url", headers=org.headers)
    listed = body(client.http.get("/v1/storage/files", headers=org.headers))["items"]
    assert listed[0]["downloadCount"] == 2
    assert usage.storage_used("acme") == len(PNG)


@pytest.mark.parametrize("case, code, status", [
    ("oversize", "size_mismatch", 400), ("wrong_type", "type_mismatch", 415), ("truncated", "size_mismatch", 400)])
def test_completion_deletes_a_mismatching_object(client, org: Org, case, code, status):
    data = {"oversize": PNG + b"x" * 5000, "wrong_type": b"MZ" + PNG[2:], "truncated": PNG[:10]}[case]
    answer = body(ask(client, org))
    put(answer, data)  # moto accepts what the policy would refuse
    assert keys() == [answer["fields"]["key"]]
    assert_error_shape(finish(client, org, answer["fileId"]), status, code)
    assert keys() == []
    assert not [i for i in file_items() if i["sk"].startswith(("FILE#", "UPLOAD#", "STATS"))]
    assert usage.storage_used("acme") == 0


def test_complete_before_upload_is_409(client, org: Org):
    answer = body(ask(client, org))
    assert_error_shape(finish(client, org, answer["fileId"]), 409, "upload_incomplete")


@pytest.mark.parametrize("change, status, code", [
    ({"fileName": ""}, 400, "validation_failed"),
    ({"fileName": "x" * 256}, 400, "validation_failed"),
    ({"size": 0}, 400, "validation_failed"),
    ({"size": 100 * MB + 1}, 400, "validation_failed"),
    ({"expiresIn": 59}, 400, "validation_failed"),
    ({"expiresIn": 3601}, 400, "validation_failed"),
    ({"product": "other"}, 400, "validation_failed"),
    ({"contentType": "text/html"}, 415, "unsupported_content_type"),
    ({"contentType": "application/x-sh"}, 415, "unsupported_content_type"),
    ({"fileExpiresAt": "2000-01-01T00:00:00Z"}, 400, "validation_failed"),
])
def test_bad_upload_url_requests(client, org: Org, change, status, code):
    assert_error_shape(ask(client, org, **change), status, code)
    assert file_items() == [i for i in file_items() if not i["sk"].startswith(("UPLOAD#", "FILE#"))]


def test_quota_refusal_comes_before_any_url(client, aws):
    free = make_org("tiny", "free")
    usage.add_storage("tiny", None, 100 * 1024 * 1024 - len(PNG))  # stored earlier through other doors
    assert ask(client, free).status_code == 201  # exactly up to the limit is fine
    response = ask(client, free, size=len(PNG) + 1)
    payload = assert_error_shape(response, 429, "quota_exceeded")
    assert response.headers["X-Quota-Limit"] == str(100 * 1024 * 1024)
    assert payload["error"]["details"]
    assert len([i for i in file_items() if i["sk"].startswith("UPLOAD#")]) == 1


def test_list_filters_pages_and_hides_expired(client, org: Org):
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    made = [store(client, org, PNG, fileName=f"shot-{i}.png", product="guardian") for i in range(3)]
    made.append(store(client, org, b'{"a": 1}', fileName="data.json", contentType="application/json"))
    made.append(store(client, org, b"hello", fileName="note.txt", contentType="text/plain", fileExpiresAt=soon))
    get = lambda q: body(client.http.get(f"/v1/storage/files{q}", headers=org.headers))  # noqa: E731
    assert [f["fileName"] for f in get("")["items"]] == ["note.txt", "data.json", "shot-2.png", "shot-1.png", "shot-0.png"]
    assert [f["fileName"] for f in get("?product=guardian")["items"]] == ["shot-2.png", "shot-1.png", "shot-0.png"]
    assert [f["fileName"] for f in get("?contentType=application/json")["items"]] == ["data.json"]
    assert [f["fileName"] for f in get("?prefix=shot-1")["items"]] == ["shot-1.png"]
    page = get("?limit=2&product=guardian")
    assert [f["fileName"] for f in page["items"]] == ["shot-2.png", "shot-1.png"]
    rest = get(f"?limit=2&product=guardian&cursor={page['nextCursor']}")
    assert [f["fileName"] for f in rest["items"]] == ["shot-0.png"] and rest["nextCursor"] is None
    with clock.frozen(datetime.now(timezone.utc) + timedelta(hours=2)):
        assert "note.txt" not in [f["fileName"] for f in get("")["items"]]
        assert_error_shape(client.http.get(f"/v1/storage/files/{made[-1]['fileId']}/download-url",
                                           headers=org.headers), 404, "not_found")
        assert files.delete_expired(clock.now(), 10) == (1, 5)
        assert files.delete_expired(clock.now(), 10) == (0, 0)
    assert len(keys()) == 4
    assert usage.storage_used("acme") == 3 * len(PNG) + len(b'{"a": 1}')


def test_delete_twice_subtracts_once_and_stats_follow(client, org: Org):
    a = store(client, org)
    b = store(client, org, b"%PDF-1.7 hello", fileName="r.pdf", contentType="application/pdf")
    stats = body(client.http.get("/v1/storage/stats", headers=org.headers))
    assert stats["totalBytes"] == len(PNG) + 14 and stats["fileCount"] == 2
    assert stats["byContentType"] == {"application/pdf": {"bytes": 14, "count": 1},
                                      "image/png": {"bytes": len(PNG), "count": 1}}
    assert stats["planLimitBytes"] == 10 * 1024 ** 3 and 0 < stats["percentUsed"] < 0.01
    assert client.http.delete(f"/v1/storage/files/{a['fileId']}", headers=org.headers).status_code == 204
    assert_error_shape(client.http.delete(f"/v1/storage/files/{a['fileId']}", headers=org.headers), 404)
    stats = body(client.http.get("/v1/storage/stats", headers=org.headers))
    assert stats["totalBytes"] == 14 and stats["fileCount"] == 1 and stats["usedBytes"] == 14
    assert keys() == [f"orgs/acme/files/{b['fileId']}.pdf"]


def test_other_org_gets_404_on_every_storage_route(client, org: Org, other_org: Org):
    done = store(client, org)
    pending = body(ask(client, org))
    fid = done["fileId"]
    h = other_org.headers
    assert_error_shape(finish(client, other_org, pending["fileId"]), 404, "not_found")
    assert_error_shape(client.http.get(f"/v1/storage/files/{fid}/download-url", headers=h), 404, "not_found")
    assert_error_shape(client.http.delete(f"/v1/storage/files/{fid}", headers=h), 404, "not_found")
    assert body(client.http.get("/v1/storage/files", headers=h))["items"] == []
    assert body(client.http.get("/v1/storage/stats", headers=h))["fileCount"] == 0
    assert client.http.get(f"/v1/storage/files/{fid}/download-url", headers=org.headers).status_code == 200
    for bad in ("nope", "0" * 36, "ffffffff-ffff-ffff-ffff-ffffffffffff"):
        assert_error_shape(client.http.delete(f"/v1/storage/files/{bad}", headers=org.headers), 404)


def test_key_without_storage_write_is_403_on_upload_and_delete(client, org: Org):
    done = store(client, org)
    created = body(client.http.post("/v1/api-keys", headers=org.headers,
                                    body=json.dumps({"name": "ro", "scopes": ["storage:read"]})))
    reader = Org("acme", created["key"])
    assert_error_shape(ask(client, reader), 403, "missing_scope")
    assert_error_shape(client.http.delete(f"/v1/storage/files/{done['fileId']}", headers=reader.headers), 403)
    assert client.http.get("/v1/storage/files", headers=reader.headers).status_code == 200
    assert len(keys()) == 1


def test_1000_hostile_names_over_http_get_a_safe_key_or_a_clear_400(client, org: Org):
    import re

    from tests.unit.test_filenames import assert_safe, hostile_names

    pattern = re.compile(KEY_RE)
    accepted = refused = 0
    start = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    for i, raw in enumerate(hostile_names(1000, seed=7)):
        with clock.frozen(start + timedelta(minutes=i // 100)):  # within the key's per-minute rate limit
            response = ask(client, org, PNG, fileName=raw)
        if response.status_code == 201:
            answer = body(response)
            assert pattern.match(answer["fields"]["key"]), (raw, answer["fields"]["key"])
            assert_safe(answer["fileName"])
            accepted += 1
        else:
            assert_error_shape(response, 400, "validation_failed")  # e.g. longer than 255 characters
            refused += 1
    assert accepted + refused == 1000 and accepted >= 900, (accepted, refused)
