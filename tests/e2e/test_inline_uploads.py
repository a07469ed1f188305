"""The inline door over real HTTP against the local stack: every JSON type of the sample
workspace uploaded the way the CLI sends it and read back; a screenshot sent through the large
door shows on its test run with a working download link; a run deleted is gone."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ODAVL = Path(__file__).resolve().parents[1] / "fixtures" / "workspace" / ".odavl"
TR = "tr-20261122-101500-c3d4"
FILES = {
    ("insight", "analysis-results"): ("problems-panel-export.json", None),
    ("insight", "ml-training"): ("error-signatures.json", None),
    ("autopilot", "ledger"): ("ledger/run-20261122-093000-a1b2.json", "runId"),
    ("autopilot", "snapshot"): ("undo/latest.json", "snapshotId"),
    ("autopilot", "recipe-trust"): ("recipes-trust.json", None),
    ("autopilot", "run-history"): ("history.json", None),
    ("guardian", "test-results"): (f"guardian/test-{TR}.json", "testRunId"),
    ("guardian", "lighthouse-report"): (f"guardian/lighthouse-{TR}.json", None),
    ("guardian", "accessibility-report"): (f"guardian/accessibility-{TR}.json", None),
}
EXPECTED_ITEMS = {"analysis-results": ("issues", 7), "ml-training": ("samples", 2), "ledger": ("edits", 2),
                  "snapshot": ("files", 2), "recipe-trust": ("recipes", 3), "run-history": ("runs", 3),
                  "test-results": ("tests", 5), "lighthouse-report": ("audits", 3), "accessibility-report": ("violations", 3)}


def api(stack: Any) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=60)


def payload(product: str, upload_type: str, unique: str) -> dict[str, Any]:
    name, natural = FILES[(product, upload_type)]
    data = json.loads((ODAVL / name).read_text())
    if natural:
        data[natural] = f"{data[natural]}-{unique}"
    return data


def send(client: httpx.Client, product: str, upload_type: str, data: dict[str, Any], project: str,
         key: str | None = None) -> httpx.Response:
    raw = json.dumps(data).encode()
    body = {"type": upload_type, "projectId": project, "metadata": {"source": "e2e"},
            "data": base64.b64encode(gzip.compress(raw)).decode(), "compressed": True}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/v1/upload/{product}", json=body, headers=headers)


def test_every_json_type_round_trips(stack):
    unique = uuid.uuid4().hex[:8]
    project = f"e2e-{unique}"
    with api(stack) as client:
        for (product, upload_type) in FILES:
            data = payload(product, upload_type, unique)
            sent = send(client, product, upload_type, data, project)
            assert sent.status_code == 201, sent.text
            reply = sent.json()
            assert reply["url"].endswith(f"/{product}/runs/{reply['runId']}")
            detail = client.get(f"/v1/runs/{product}/{reply['runId']}")
            assert detail.status_code == 200, detail.text
            got = detail.json()
            assert got["run"]["type"] == upload_type and got["run"]["projectId"] == project
            assert (got["itemKind"], got["total"]) == EXPECTED_ITEMS[upload_type]
            listed = client.get(f"/v1/runs/{product}", params={"projectId": project, "type": upload_type}).json()
            assert [r["runId"] for r in listed["items"]] == [reply["runId"]]
        stats = client.get("/v1/runs/guardian", params={"projectId": project}).json()["stats"]
        assert stats["total"] == 1 and stats["passRate"] == 0.0 and stats["totalVulnerabilities"] == 2


def test_a_detector_type_round_trips(stack):
    unique = uuid.uuid4().hex[:8]
    data = {"detector": "security", "issues": [
        {"severity": "high", "message": "Hard-coded secret", "filePath": "src/config.ts", "line": 4, "ruleId": "S001"},
        {"severity": "low", "message": "Weak hash", "file": "src/hash.ts", "line": 9}]}
    with api(stack) as client:
        sent = send(client, "insight", "detector-security", data, f"e2e-{unique}")
        assert sent.status_code == 201, sent.text
        detail = client.get(f"/v1/runs/insight/{sent.json()['runId']}").json()
        assert detail["run"]["type"] == "detector-security" and (detail["itemKind"], detail["total"]) == ("issues", 2)
        assert {i["file"] for i in detail["items"]} == {"src/config.ts", "src/hash.ts"}
        listed = client.get("/v1/runs/insight", params={"projectId": f"e2e-{unique}", "type": "detector-security"})
        assert [r["runId"] for r in listed.json()["items"]] == [sent.json()["runId"]]


def test_retries_over_http_make_one_run(stack):
    unique = uuid.uuid4().hex[:8]
    data = payload("insight", "analysis-results", unique)
    with api(stack) as client:
        replies = [send(client, "insight", "analysis-results", data, f"e2e-{unique}", key=f"k-{unique}") for _ in range(3)]
        assert [r.status_code for r in replies] == [201, 201, 201]
        assert len({r.json()["runId"] for r in replies}) == 1
        listed = client.get("/v1/runs/insight", params={"projectId": f"e2e-{unique}"}).json()
        assert len(listed["items"]) == 1
        conflict = send(client, "insight", "analysis-results", {"diagnostics": {}}, f"e2e-{unique}", key=f"k-{unique}")
        assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_conflict"


def test_screenshot_attaches_to_its_test_run_and_delete_cascades(stack):
    unique = uuid.uuid4().hex[:8]
    data = payload("guardian", "test-results", unique)
    png = (ODAVL / "guardian" / "screenshots" / TR / "home.png").read_bytes()
    with api(stack) as client:
        run = send(client, "guardian", "test-results", data, f"e2e-{unique}").json()
        started = client.post("/v1/uploads", json={
            "product": "guardian", "type": "screenshot", "fileName": "home.png", "contentType": "image/png",
            "size": len(png), "sha256": hashlib.sha256(png).hexdigest(), "testRunId": data["testRunId"]})
        assert started.status_code in (200, 201), started.text
        answer = started.json()
        if answer["status"] != "exists":
            posted = httpx.post(answer["url"], data=answer["fields"], files={"file": ("home.png", png, "image/png")})
            assert posted.status_code in (200, 204), posted.text
            done = client.post(f"/v1/uploads/{answer['uploadId']}/complete", json={})
            assert done.status_code == 200, done.text
        detail = client.get(f"/v1/runs/guardian/{run['testId']}").json()
        assert [a["fileName"] for a in detail["attachments"]] == ["home.png"]
        downloaded = httpx.get(detail["attachments"][0]["url"])
        assert downloaded.status_code == 200 and downloaded.content == png
        deleted = client.delete(f"/v1/runs/guardian/{run['testId']}")
        assert deleted.status_code == 200 and deleted.json()["deleted"] is True
        assert client.get(f"/v1/runs/guardian/{run['testId']}").status_code == 404
        again = client.delete(f"/v1/runs/guardian/{run['testId']}")
        assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_reports_sent_for_a_test_run_are_listed_on_it_with_download_urls(stack):
    unique = uuid.uuid4().hex[:8]
    data = payload("guardian", "test-results", unique)
    project = f"e2e-{unique}"

    def send_report(kind: str) -> dict:
        report = payload("guardian", kind, unique)
        raw = json.dumps(report).encode()
        body = {"type": kind, "projectId": project, "metadata": {"testRunId": data["testRunId"]},
                "data": base64.b64encode(gzip.compress(raw)).decode(), "compressed": True}
        sent = client.post("/v1/upload/guardian", json=body)
        assert sent.status_code == 201, sent.text
        return {"runId": sent.json()["runId"], "raw": report}

    with api(stack) as client:
        run = send(client, "guardian", "test-results", data, project).json()
        sent = {kind: send_report(kind) for kind in ("lighthouse-report", "accessibility-report")}
        detail = client.get(f"/v1/runs/guardian/{run['testId']}").json()
        assert [(r["type"], r["runId"]) for r in detail["reports"]] == [
            ("accessibility-report", sent["accessibility-report"]["runId"]),
            ("lighthouse-report", sent["lighthouse-report"]["runId"])]
        for report in detail["reports"]:
            got = httpx.get(report["url"])
            assert got.status_code == 200 and got.json() == sent[report["type"]]["raw"]  # gzip on the wire
        gone = sent["lighthouse-report"]["runId"]
        assert client.delete(f"/v1/runs/guardian/{gone}").status_code == 200
        left = client.get(f"/v1/runs/guardian/{run['testId']}").json()["reports"]
        assert [r["type"] for r in left] == ["accessibility-report"]


def _diagnostics_of_size(size: int) -> bytes:
    """An uncompressed problems-panel export of about ``size`` bytes (random messages: no gzip tricks)."""
    import os

    per = []
    total = 20
    while total < size:
        entry = {"severity": "warning", "message": os.urandom(200).hex(), "line": 1, "column": 1}
        per.append(entry)
        total += len(json.dumps(entry)) + 2
    return json.dumps({"diagnostics": {"big.ts": per}}).encode()


def test_inline_door_size_limit_over_http(stack):
    mib = 1024 * 1024
    fits = _diagnostics_of_size(int(4.9 * mib))
    too_big = _diagnostics_of_size(int(5.05 * mib))
    with api(stack) as client:
        for raw, status in ((fits, 201), (too_big, 413)):
            body = {"type": "analysis-results", "projectId": f"e2e-size-{uuid.uuid4().hex[:6]}",
                    "data": base64.b64encode(raw).decode(), "compressed": False}
            answer = client.post("/v1/upload/insight", json=body)
            assert answer.status_code == status, answer.text[:300]
            if status == 413:
                assert answer.json()["error"]["code"] == "payload_too_large"
                assert "/v1/uploads" in answer.json()["error"]["message"]
        huge = client.post("/v1/upload/insight", content=b'{"type": "analysis-results", "data": "' + b"A" * (8 * mib) + b'"}',
                           headers={"Content-Type": "application/json"})
        assert huge.status_code == 413 and "/v1/uploads" in huge.json()["error"]["message"]
