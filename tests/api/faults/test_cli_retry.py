"""The CLI's own retry after an AWS fault: ``odavl``'s transfer code (talking to the app through an
httpx transport that hands each request to chalice's test client) gets a 5xx, queues the upload with
its idempotency key as ``odavl insight upload`` does, and ``sync process-queue``'s loop then
produces exactly one run, counted once."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.api.faults.inject import Fault, armed
from tests.conftest import Org, body

EXPORT = Path(__file__).resolve().parents[2] / "fixtures" / "workspace" / ".odavl" / "problems-panel-export.json"


def chalice_transport(client: Any) -> httpx.MockTransport:
    """Hand each httpx request to chalice's test client and its answer back (the real app, no server)."""
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode()
        reply = client.http.request(request.method, path, headers=dict(request.headers), body=request.read())
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.body)
    return httpx.MockTransport(handle)


def _runs(org: Org) -> list[dict[str, Any]]:
    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-runs").scan()["Items"]
    return [i for i in items if i.get("orgId") == org.org_id and i.get("runId")]


@pytest.mark.parametrize("fault", [
    pytest.param(Fault("dynamodb", "TransactWriteItems", 2), id="run-transaction"),
    pytest.param(Fault("s3", "PutObject", 1, code="SlowDown"), id="payload-put"),
    pytest.param(Fault("dynamodb", "BatchGetItem", 1), id="idempotency-read"),
])
def test_queued_retry_makes_exactly_one_run(client: Any, org: Org, fault: Fault, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from odavl_cli.client import ApiClient, CliError
    from odavl_cli.config import Settings
    from odavl_cli.queue import UploadQueue, process
    from odavl_cli.transfer import Transfer, Upload

    monkeypatch.setenv("ODAVL_HOME", str(tmp_path))
    client.http.get("/v1/whoami", headers=org.headers)
    settings = Settings(api_url="http://testserver", api_key=org.key, organization_id=None, project_id="shop")
    upload = Upload(product="insight", type="analysis-results", path=EXPORT, project_id="shop")
    queue = UploadQueue()
    with ApiClient(settings, transport=chalice_transport(client)) as api:
        transfer = Transfer(api, show_progress=False)
        with armed(fault) as recorder:
            with pytest.raises(CliError) as failed:
                transfer.send(upload)
        assert recorder.fired and failed.value.retryable, failed.value.to_dict()
        queue.add(upload.to_queue())
        assert _runs(org) == []
        counts = process(queue, lambda item: transfer.send(Upload.from_queue(item)), sleep=lambda _: None)
        assert counts["succeeded"] == 1 and queue.items() == []
        again = transfer.send(upload)  # a stray second retry with the same key replays
    runs = _runs(org)
    assert len(runs) == 1 and again.reply["runId"] == runs[0]["runId"]
    usage = body(client.http.get("/v1/usage", headers=org.headers))
    assert usage["metrics"]["insight_analyses"]["used"] == 1
