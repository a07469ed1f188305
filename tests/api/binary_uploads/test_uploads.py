"""The large/binary door through the Chalice test client; the bytes go to the in-process moto
with boto3, as a client would send them to the presigned URLs."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from chalicelib.services import blobs, usage
from tests.addressing import b64, declare, tree_hash
from tests.api.binary_uploads.conftest import BUCKET, PNG, complete, file_items, keys, s3, send, send_parts, sha, start
from tests.conftest import Org, assert_error_shape, body, make_org

MB = 1024 * 1024


def policy_of(answer: dict) -> dict:
    return json.loads(base64.b64decode(answer["fields"]["policy"]))


def test_small_screenshot_gets_a_pinned_presigned_post(client, org: Org):
    response = start(client, org, PNG)
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["status"] == "upload" and answer["method"] == "POST"
    key = f"orgs/acme/blobs/{sha(PNG)}/{answer['uploadId']}"  # the blob's own place: kept there, never copied
    policy = policy_of(answer)
    conditions = policy["conditions"]
    assert ["eq", "$key", key] in conditions
    assert ["eq", "$Content-Type", "image/png"] in conditions
    assert ["content-length-range", len(PNG), len(PNG)] in conditions
    assert answer["fields"]["key"] == key
    assert answer["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expiration - datetime.now(timezone.utc)).total_seconds() <= 900


def test_screenshot_completes_into_a_content_addressed_blob(client, org: Org):
    answer = body(start(client, org, PNG))
    send(answer, PNG)
    response = complete(client, org, answer["uploadId"])
    assert response.status_code == 200, response.body
    done = body(response)
    assert done["status"] == "completed" and done["sha256"] == sha(PNG)
    assert keys() == [f"orgs/acme/blobs/{sha(PNG)}/{answer['uploadId']}"] == [blobs.get("acme", sha(PNG))["key"]]
    again = complete(client, org, answer["uploadId"])
    assert again.status_code == 200 and body(again) == done
    attached = blobs.list_for_run("acme", "guardian", "run-1")
    assert [(a["sha256"], a["size"], a["fileName"]) for a in attached] == [(sha(PNG), len(PNG), "home.png")]
    assert attached[0]["url"].startswith("http")
    stats = [i for i in file_items() if i["sk"] == "STATS#blobs"][0]
    assert int(stats["bytes"]) == len(PNG) and int(stats["count"]) == 1
    assert usage.storage_used("acme") == len(PNG)


def test_same_screenshot_again_sends_nothing_and_is_attached(client, org: Org):
    first = body(start(client, org, PNG))
    send(first, PNG)
    assert complete(client, org, first["uploadId"]).status_code == 200
    response = start(client, org, PNG, testRunId="run-2")
    assert response.status_code == 200, response.body
    answer = body(response)
    assert answer["status"] == "exists" and answer["bytesToSend"] == 0 and "url" not in answer
    assert keys() == [f"orgs/acme/blobs/{sha(PNG)}/{first['uploadId']}"]
    assert len(blobs.list_for_run("acme", "guardian", "run-2")) == 1
    blob = blobs.get("acme", sha(PNG))
    assert blob["refs"] == 2
    stats = [i for i in file_items() if i["sk"] == "STATS#blobs"][0]
    assert int(stats["bytes"]) == len(PNG) and usage.storage_used("acme") == len(PNG)
    # asking again for the same run changes nothing
    assert body(start(client, org, PNG, testRunId="run-2"))["attached"] is False
    assert blobs.get("acme", sha(PNG))["refs"] == 2


def test_two_uploads_of_one_content_at_once_keep_one_object(client, org: Org):
    # Both sessions start before either completes, so both send their bytes (to their own keys).
    first, second = body(start(client, org, PNG)), body(start(client, org, PNG, testRunId="run-2"))
    assert first["status"] == second["status"] == "upload" and first["fields"]["key"] != second["fields"]["key"]
    send(first, PNG)
    send(second, PNG)
    assert complete(client, org, second["uploadId"]).status_code == 200
    assert complete(client, org, first["uploadId"]).status_code == 200
    blob = blobs.get("acme", sha(PNG))
    assert keys() == [blob["key"]] == [second["fields"]["key"]]  # the later completion's bytes were surplus
    assert blob["refs"] == 2 and usage.storage_used("acme") == len(PNG)
    assert [a["sha256"] for a in blobs.list_for_run("acme", "guardian", "run-1")] == [sha(PNG)]


def test_release_run_frees_only_unshared_blobs(client, org: Org):
    other = PNG + b"tail"
    for data, run in ((PNG, "run-1"), (PNG, "run-2"), (other, "run-1")):
        answer = body(start(client, org, data, testRunId=run))
        if answer["status"] == "upload":
            send(answer, data)
            assert complete(client, org, answer["uploadId"]).status_code == 200
    assert blobs.release_run("acme", "guardian", "run-1") == len(other)
    assert keys() == [blobs.get("acme", sha(PNG))["key"]]
    assert blobs.release_run("acme", "guardian", "run-1") == 0
    assert blobs.release_run("acme", "guardian", "run-2") == len(PNG)
    assert keys() == []
    stats = [i for i in file_items() if i["sk"] == "STATS#blobs"][0]
    assert int(stats["bytes"]) == 0 and int(stats["count"]) == 0
    assert usage.storage_used("acme") == 0


def test_large_json_goes_through_multipart_and_an_ingest_job(client, org: Org):
    data = b'{"diagnostics": {}, "pad": "' + b"x" * (12 * MB) + b'"}'
    response = start(client, org, data, product="insight", type="analysis-results", fileName="p.json",
                     contentType="application/json", testRunId=None,
                     metadata={"branch": "main", "score": 0.5, "nested": {"a": [1, 2.5, None]}})
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["method"] == "MULTIPART" and answer["partSize"] == 8 * MB and len(answer["parts"]) == 2
    parts = send(answer, data)
    response = complete(client, org, answer["uploadId"], parts)
    assert response.status_code == 202, response.body
    done = body(response)
    assert done["jobId"]
    job = client.http.get(f"/v1/jobs/{done['jobId']}", headers=org.headers)
    assert job.status_code == 200, job.body
    assert keys() == [f"orgs/acme/uploads/{answer['uploadId']}"]
    again = complete(client, org, answer["uploadId"], parts)
    assert again.status_code == 202 and body(again)["jobId"] == done["jobId"]


def test_resume_lists_parts_and_sends_only_the_missing_ones(client, org: Org):
    data = b"[" + b" " * (20 * MB) + b"]"
    answer = body(start(client, org, data, product="autopilot", type="run-history", fileName="h.json",
                        contentType="application/json", testRunId=None))
    assert answer["partCount"] == 3
    send_parts(answer, data, [1, 3])
    assert_error_shape(complete(client, org, answer["uploadId"]), 409, "upload_incomplete")
    look = client.http.get(f"/v1/uploads/{answer['uploadId']}", headers=org.headers)
    assert look.status_code == 200, look.body
    state = body(look)
    assert [p["partNumber"] for p in state["uploadedParts"]] == [1, 3]
    assert state["missingParts"] == [2] and [p["partNumber"] for p in state["parts"]] == [2]
    send_parts(answer, data, [2])
    assert complete(client, org, answer["uploadId"]).status_code == 202


@pytest.mark.parametrize("case", ["checksum", "oversize", "type"])
def test_failed_verification_deletes_the_object_and_records_nothing(client, org: Org, case: str):
    declared = PNG
    sent = {"checksum": PNG[:-1] + b"!", "oversize": PNG + b"x" * 1000, "type": b"GIF89a" + PNG[6:]}[case]
    answer = body(start(client, org, declared))
    send(answer, sent)
    before = file_items()
    response = complete(client, org, answer["uploadId"])
    code = {"checksum": "checksum_mismatch", "oversize": "size_mismatch", "type": "type_mismatch"}[case]
    assert_error_shape(response, 415 if case == "type" else 400, code)
    assert keys() == []
    assert [i for i in file_items() if i not in before] == []
    assert not [i for i in file_items() if i["sk"].startswith(("BLOB#", "ATTACH#", "UPLOAD#", "STATS"))]


@pytest.mark.parametrize("change, code", [
    ({"product": "nope"}, "unknown_product"),
    ({"type": "selfie"}, "unknown_type"),
    ({"size": -1}, "validation_failed"),
    ({"size": 0}, "validation_failed"),
    ({"size": 10 ** 15}, "validation_failed"),
    ({"sha256": "abc"}, "validation_failed"),
    ({"testRunId": None}, "validation_failed"),
    ({"testRunId": "a#b"}, "validation_failed"),
    ({"metadata": {"big": "x" * 17000}}, "validation_failed"),  # one bound for both doors: 16 KiB
    ({"metadata": {"n": float("nan")}}, "validation_failed"),
])
def test_bad_requests_are_400_and_change_nothing(client, org: Org, change: dict, code: str):
    before = file_items()
    assert_error_shape(start(client, org, PNG, **change), 400, code)
    assert file_items() == before and keys() == []


def test_wrong_content_type_for_type_is_415(client, org: Org):
    assert_error_shape(start(client, org, PNG, contentType="application/x-msdownload"), 415, "unsupported_content_type")


def test_quota_is_checked_before_any_url(client, aws):
    free = make_org("small-co", "free")
    digests = [sha(bytes([n])) for n in range(13)]  # 101 MB in 8 MiB parts (never sent)
    response = start(client, free, PNG, size=101 * MB, partSize=8 * 1024 * 1024, partSha256=digests,
                     sha256=tree_hash(digests))
    payload = assert_error_shape(response, 429, "quota_exceeded")
    assert payload["error"]["details"]["limit"] == 100 * MB
    assert response.headers["X-Quota-Limit"] == str(100 * MB)
    assert not [i for i in file_items() if i["sk"].startswith("UPLOAD#")]
    assert s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_other_org_gets_404_on_every_upload_route(client, org: Org, other_org: Org):
    answer = body(start(client, org, PNG))
    upload_id = answer["uploadId"]
    assert_error_shape(client.http.get(f"/v1/uploads/{upload_id}", headers=other_org.headers), 404, "not_found")
    assert_error_shape(complete(client, other_org, upload_id), 404, "not_found")
    assert_error_shape(client.http.delete(f"/v1/uploads/{upload_id}", headers=other_org.headers), 404, "not_found")
    assert client.http.get(f"/v1/uploads/{upload_id}", headers=org.headers).status_code == 200


def test_delete_aborts_a_multipart_upload(client, org: Org):
    data = b"{" + b" " * (9 * MB) + b"}"
    answer = body(start(client, org, data, product="insight", type="analysis-results", fileName="p.json",
                        contentType="application/json", testRunId=None))
    send_parts(answer, data, [1])
    response = client.http.delete(f"/v1/uploads/{answer['uploadId']}", headers=org.headers)
    assert response.status_code == 204, response.body
    assert s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert not [i for i in file_items() if i["sk"].startswith("UPLOAD#")]
    assert_error_shape(client.http.get(f"/v1/uploads/{answer['uploadId']}", headers=org.headers), 404)


def test_key_without_product_write_scope_is_403(client, org: Org):
    created = body(client.http.post("/v1/api-keys", headers=org.headers,
                                    body=json.dumps({"name": "ro", "scopes": ["runs:read"]})))
    reader = Org("acme", created["key"])
    assert_error_shape(start(client, reader, PNG), 403, "missing_scope")


def test_storage_sessions_need_storage_write_through_this_door_too(client, org: Org):
    from tests.api.storage.test_storage import ask

    pending = body(ask(client, org))
    created = body(client.http.post("/v1/api-keys", headers=org.headers,
                                    body=json.dumps({"name": "g", "scopes": ["guardian:write"]})))
    writer = Org("acme", created["key"])
    assert_error_shape(complete(client, writer, pending["fileId"]), 403, "missing_scope")
    assert_error_shape(client.http.delete(f"/v1/uploads/{pending['fileId']}", headers=writer.headers), 403)


def test_abort_abandoned_sweeps_old_sessions_and_stray_multipart_uploads(client, org: Org):
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.services import uploads

    data = b"{" + b" " * (9 * MB) + b"}"
    json_upload = dict(product="insight", type="analysis-results", fileName="p.json", contentType="application/json",
                       testRunId=None)
    with clock.frozen(datetime.now(timezone.utc) - timedelta(days=2)):
        old = body(start(client, org, data, **json_upload))
    fresh = body(start(client, org, data + b" ", **json_upload))
    send_parts(old, data, [1])
    assert uploads.abort_abandoned(timedelta(days=1), 10) == 1
    assert len(s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])) == 1  # the fresh one lives on
    assert_error_shape(client.http.get(f"/v1/uploads/{old['uploadId']}", headers=org.headers), 404)
    assert client.http.get(f"/v1/uploads/{fresh['uploadId']}", headers=org.headers).status_code == 200
    s3().create_multipart_upload(Bucket=BUCKET, Key="orgs/acme/uploads/stray")  # no session: S3's date decides
    assert uploads.abort_abandoned(timedelta(days=1), 10) == 1
    assert [u["Key"] for u in s3().list_multipart_uploads(Bucket=BUCKET)["Uploads"]] == [
        f"orgs/acme/uploads/{fresh['uploadId']}"]
    with clock.frozen(datetime.now(timezone.utc) + timedelta(days=2)):
        assert uploads.abort_abandoned(timedelta(days=1), 10) == 1
    assert s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_wrong_part_etag_is_400_and_the_upload_can_still_complete(client, org: Org):
    data = b"[" + b" " * (9 * MB) + b"]"
    answer = body(start(client, org, data, product="autopilot", type="ledger", fileName="l.json",
                        contentType="application/json", testRunId=None))
    parts = send(answer, data)
    wrong = [{**parts[0], "etag": '"0000"'}, parts[1]]
    assert_error_shape(complete(client, org, answer["uploadId"], wrong), 400, "invalid_parts")
    assert_error_shape(complete(client, org, answer["uploadId"], parts[:1]), 400, "invalid_parts")
    assert complete(client, org, answer["uploadId"], parts).status_code == 202


def test_session_keys_of_both_layouts_name_their_upload():
    from chalicelib.services.uploads import sessions as uploads

    assert uploads.upload_id_of("orgs/acme/uploads/u1") == ("acme", "u1")
    assert uploads.upload_id_of(f"orgs/acme/blobs/{sha(PNG)}/u2") == ("acme", "u2")
    for other in ("orgs/acme/files/f1", f"orgs/acme/blobs/{sha(PNG)}", "orgs/acme/uploads/u1/x", "u1"):
        assert uploads.upload_id_of(other) is None


def _multipart_png(size: int = 12 * MB) -> bytes:
    return PNG + bytes(range(256)) * ((size - len(PNG)) // 256) + b"!" * ((size - len(PNG)) % 256)


def test_multipart_needs_part_digests_at_the_servers_part_size(client, org: Org):
    data = _multipart_png()
    missing = assert_error_shape(start(client, org, data, sha256=sha(data), partSize=None, partSha256=None), 400, "part_digests_required")
    assert missing["error"]["details"] == {"partSize": 8 * 1024 * 1024, "partCount": 2}
    other = declare(data, 6 * 1024 * 1024)
    wrong = assert_error_shape(start(client, org, data, **other), 400, "part_digests_required")
    assert wrong["error"]["details"]["partSize"] == 8 * 1024 * 1024
    lie = {**declare(data), "sha256": sha(data)}  # the plain SHA-256 is not the address of a multipart upload
    assert_error_shape(start(client, org, data, **lie), 400, "checksum_mismatch")
    assert not [i for i in file_items() if i["sk"].startswith("UPLOAD#")]
    assert s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_part_urls_sign_each_parts_checksum_and_a_resume_signs_them_again(client, org: Org):
    data = _multipart_png(20 * MB)
    declared = declare(data)
    answer = body(start(client, org, data))
    assert [p["headers"] for p in answer["parts"]] == [{"x-amz-checksum-sha256": b64(d)} for d in declared["partSha256"]]
    assert all("x-amz-checksum-sha256" in p["url"] for p in answer["parts"])  # X-Amz-SignedHeaders names it
    send_parts(answer, data, [2])
    state = body(client.http.get(f"/v1/uploads/{answer['uploadId']}", headers=org.headers))
    assert [p["partNumber"] for p in state["parts"]] == [1, 3]
    assert [p["headers"]["x-amz-checksum-sha256"] for p in state["parts"]] == [
        b64(declared["partSha256"][0]), b64(declared["partSha256"][2])]


def test_multipart_completion_reads_only_the_first_bytes_back(client, org: Org):
    from chalicelib.services.uploads.verify import SNIFF_BYTES
    from chalicelib.store import clients

    data = _multipart_png(20 * MB)
    answer = body(start(client, org, data))
    parts = send(answer, data)
    read: list[int] = []

    def count(parsed: dict, **_: object) -> None:
        read.append(int(parsed.get("ContentLength", 0)))

    events = clients.s3().meta.events
    events.register("after-call.s3.GetObject", count)
    try:
        response = complete(client, org, answer["uploadId"], parts)
    finally:
        events.unregister("after-call.s3.GetObject", count)
    assert response.status_code == 200, response.body
    assert body(response)["sha256"] == declare(data)["sha256"]
    assert read == [SNIFF_BYTES]  # the type sniff; the checksum is S3's composite, no read-back


def test_lying_parts_are_refused_and_leave_nothing(client, org: Org):
    declared = _multipart_png()
    sent = declared[:-1] + b"?"  # the last part's bytes differ from its declared digest
    before = file_items()
    answer = body(start(client, org, declared))
    parts = send(answer, sent)  # the in-process S3, like moto's server, takes a wrong part checksum
    response = complete(client, org, answer["uploadId"], parts)
    payload = assert_error_shape(response, 400, "checksum_mismatch")
    assert payload["error"]["details"]["declared"] == declare(declared)["sha256"]
    assert keys() == [] and s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert [i for i in file_items() if i not in before] == []
    assert usage.storage_used("acme") == 0


def test_the_same_bytes_again_through_multipart_are_found_by_their_tree_hash(client, org: Org):
    data = _multipart_png()
    answer = body(start(client, org, data))
    assert complete(client, org, answer["uploadId"], send(answer, data)).status_code == 200
    again = start(client, org, data, testRunId="run-2")
    assert again.status_code == 200, again.body
    found = body(again)
    assert found["status"] == "exists" and found["sha256"] == declare(data)["sha256"] and found["attached"]
    assert len(keys()) == 1
