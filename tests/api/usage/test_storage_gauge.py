"""The storage gauge is the bytes the organization really stores: after random inline runs, screenshots
(deduplicated) and storage files, with retries, repeated deletes and cascades, it equals the sum of
the sizes of the S3 objects under the organization's prefix."""
from __future__ import annotations

import random

from chalicelib.services import usage
from tests.api.binary_uploads.conftest import BUCKET, PNG, complete, s3, send, start
from tests.api.storage.test_storage import store
from tests.api.uploads_inline.helpers import fixture, upload
from tests.api.usage.test_upload_metering import analysis
from tests.conftest import Org, body


def _stored_bytes(org_id: str) -> int:
    total = 0
    for page in s3().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"orgs/{org_id}/"):
        total += sum(o["Size"] for o in page.get("Contents", []))
    return total


def test_the_gauge_equals_the_bytes_in_s3_after_random_uploads_and_deletes(client, org: Org):
    rng = random.Random(11)
    runs: list[tuple[str, str]] = []
    stored_files: list[str] = []
    for step in range(40):
        action = rng.choice(["inline", "inline", "guardian", "shot", "file", "delete-run", "delete-file"])
        if action == "inline":
            n = rng.randint(0, 5)  # repeated keys and contents: retries that must not count twice
            reply = upload(client, org, "insight", "analysis-results", analysis(n), key=f"i{n}")
            assert reply.status_code == 201, reply.body
            runs.append(("insight", body(reply)["runId"]))
        elif action == "guardian":
            trid = f"tr-{rng.randint(0, 3)}"
            reply = upload(client, org, "guardian", "test-results", {**fixture("guardian", "test-results"),
                                                                     "testRunId": trid})
            assert reply.status_code == 201, reply.body
            runs.append(("guardian", body(reply)["runId"]))
        elif action == "shot":
            data = PNG + bytes([rng.randint(0, 3)])  # few distinct contents: most uploads dedupe
            answer = body(start(client, org, data, testRunId=f"tr-{rng.randint(0, 3)}"))
            if answer["status"] == "upload":
                send(answer, data)
                assert complete(client, org, answer["uploadId"]).status_code == 200
        elif action == "file":
            stored_files.append(store(client, org, PNG * rng.randint(1, 3))["fileId"])
        elif action == "delete-run" and runs:
            product, run_id = rng.choice(runs)  # may be gone already: deleting twice subtracts once
            assert client.http.delete(f"/v1/runs/{product}/{run_id}", headers=org.headers).status_code in (200, 404)
        elif action == "delete-file" and stored_files:
            file_id = rng.choice(stored_files)
            assert client.http.delete(f"/v1/storage/files/{file_id}", headers=org.headers).status_code in (204, 404)
        assert usage.storage_used("acme") == _stored_bytes("acme"), (step, action)
    assert _stored_bytes("acme") > 0
