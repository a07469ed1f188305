"""DynamoDB writes per upload do not grow with the number of diagnostics: the AWS calls made for
an upload of 1 diagnostic and of 10,000 are the same calls."""
from __future__ import annotations

from typing import Any

from chalicelib.store import clients
from tests.api.uploads_inline.helpers import upload_ok
from tests.conftest import Org


def _diagnostics(n: int) -> dict[str, Any]:
    return {"diagnostics": {
        f"src/file{f}.ts": [{"severity": ("error", "warning", "info")[(f + j) % 3], "message": f"problem {f}-{j}",
                             "source": "eslint", "code": "no-unused-vars", "line": j + 1, "column": 3}
                            for j in range(min(10, n - f * 10))]
        for f in range((n + 9) // 10)}}


def _calls(client: Any, org: Org, payload: dict[str, Any]) -> list[str]:
    seen: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        seen.append(event_name.removeprefix("before-call."))

    hooked = clients.all_clients()
    for c in hooked:
        c.meta.events.register("before-call", record)
    try:
        upload_ok(client, org, "insight", "analysis-results", payload)
    finally:
        for c in hooked:
            c.meta.events.unregister("before-call", record)
    return seen


def test_aws_calls_do_not_grow_with_diagnostics(client, org: Org):
    upload_ok(client, org, "insight", "analysis-results", _diagnostics(2))  # every client created
    one = _calls(client, org, _diagnostics(1))
    many = _calls(client, org, _diagnostics(10_000))
    assert sum(1 for d in _diagnostics(10_000)["diagnostics"].values() for _ in d) == 10_000
    assert one == many
    # the run itself: one object, then one transaction (item + idempotency + usage), nothing per diagnostic
    assert many[-2:] == ["s3.PutObject", "dynamodb.TransactWriteItems"]
    assert not [c for c in many if c.split(".")[-1] in ("PutItem", "UpdateItem", "BatchWriteItem")]
