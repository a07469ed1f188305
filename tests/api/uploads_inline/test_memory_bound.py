"""The inline door's JSON bound: ingest holds up to about 55x the JSON it parses, so the upload function
takes at most ``inline_decompressed_max_bytes`` of JSON (decompressed) and refuses more with a 413
that names /v1/uploads, before anything is written or counted; the largest accepted payload still
ingests. (The CLI sends a 413 ``payload_too_large`` through the large door.)"""
from __future__ import annotations

from typing import Any

from chalicelib.config import get_settings
from tests.api.uploads_inline.helpers import payload_objects, run_items, state, upload, upload_ok
from tests.conftest import Org, assert_error_shape, body


def export(size: int) -> tuple[bytes, int]:
    """A problems-panel export of many small, numbered diagnostics (as regular as real ones, within
    the gzip ratio cap), exactly ``size`` bytes of JSON, and how many."""
    def diagnostics(start: int, count: int) -> str:
        return ",".join(f'{{"severity":"warning","message":"unused {i}","code":"R{i % 30}","line":{i % 500 + 1},'
                        f'"column":{i % 40 + 1}}}' for i in range(start, start + count))

    head, tail = '{"pad":"', '","diagnostics":{"a.ts":[' + diagnostics(0, 20) + "]"
    files = []
    used, count = len(head) + len(tail) + 2, 20
    while used + 200 * 1024 < size:  # files of 1,000 diagnostics until about 200 KB is left
        entry = f',"src/f{len(files):05d}.ts":[' + diagnostics(count, 1000) + "]"
        files.append(entry)
        used += len(entry)
        count += 1000
    raw = (head + "x" * (size - used) + tail + "".join(files) + "}}").encode()
    assert len(raw) == size
    return raw, count


def usage(client: Any, org: Org) -> dict[str, int]:
    metrics = body(client.http.get("/v1/usage", headers=org.headers))["metrics"]
    return {name: int(m["used"]) for name, m in metrics.items()}


def test_json_past_the_inline_bound_is_a_413_naming_the_large_door_and_changes_nothing(client, org: Org):
    bound = get_settings().inline_decompressed_max_bytes
    raw, _ = export(bound + 1)
    before, used = state(), usage(client, org)
    response = upload(client, org, "insight", "analysis-results", raw, key="too-big-inline")
    payload = assert_error_shape(response, 413, "payload_too_large")
    assert "POST /v1/uploads" in payload["error"]["message"]
    assert payload["error"]["details"]["use"] == "/v1/uploads"
    assert payload["error"]["details"]["limit"] == bound
    assert state() == before  # no run, no object, no idempotency record, no usage
    assert usage(client, org) == used  # nor a counted call: a refused request gives its unit back
    assert payload_objects() == []


def test_the_largest_json_the_inline_door_accepts_still_ingests(client, org: Org):
    bound = get_settings().inline_decompressed_max_bytes
    used = usage(client, org)
    raw, count = export(bound)
    reply = upload_ok(client, org, "insight", "analysis-results", raw, key="largest-inline")
    [item] = run_items()
    assert item["runId"] == reply["runId"] and int(item["payloadBytes"]) == bound
    assert item["summary"]["bySeverity"] == {"warning": count}
    assert usage(client, org)["insight_analyses"] == used["insight_analyses"] + 1
