"""A run's detail pages come from the pages written at ingest: page k reads only the chunk that holds
it, filtered pages list exactly what the full read listed, runs stored before pages existed still
page, and the pages are counted in the run's bytes and go with the run."""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from chalicelib.services import run_pages
from chalicelib.services import runs as run_service
from chalicelib.store import clients
from chalicelib.store import runs as run_store
from tests.api.uploads_inline.helpers import upload_ok
from tests.conftest import Org, body

BUCKET = "odavl-test-payloads"
SEVERITIES = ["error", "warning", "info", "hint"]


def _diagnostics(n: int) -> dict[str, list[dict[str, Any]]]:
    """``n`` diagnostics over n/25 files; codes, rule ids and a few numeric codes vary independently."""
    files: dict[str, list[dict[str, Any]]] = {}
    for i in range(n):
        diag: dict[str, Any] = {"severity": SEVERITIES[i % 4], "message": f"m{i}", "line": i % 97 + 1,
                                "code": f"R{i % 7}" if i % 11 else 2532, "source": "eslint"}
        if i % 5 == 0:
            diag["ruleId"] = f"id{i % 3}"
        files.setdefault(f"src/f{i // 25:03d}.ts", []).append(diag)
    return files


@contextmanager
def s3_reads() -> Iterator[list[dict[str, Any]]]:
    """Every GetObject the service's S3 client makes: its key and the bytes it answered."""
    seen: list[dict[str, Any]] = []

    def record(http_response: Any, parsed: Any, model: Any, **kwargs: Any) -> None:
        seen.append({"key": kwargs["context"].get("key"), "bytes": int(parsed.get("ContentLength") or 0)})

    def name_key(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        context["key"] = params.get("Key")

    events = clients.s3().meta.events
    events.register("before-parameter-build.s3.GetObject", name_key)
    events.register("after-call.s3.GetObject", record)
    try:
        yield seen
    finally:
        events.unregister("after-call.s3.GetObject", record)
        events.unregister("before-parameter-build.s3.GetObject", name_key)


def detail(client: Any, org: Org, run_id: str, product: str = "insight", **query: Any) -> dict[str, Any]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    reply = client.http.get(f"/v1/runs/{product}/{run_id}?{params}", headers=org.headers)
    assert reply.status_code == 200, reply.body
    return body(reply)


def objects(prefix: str = "orgs/") -> dict[str, int]:
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {o["Key"]: o["Size"] for o in listed.get("Contents", [])}


def test_page_k_of_a_large_run_reads_only_its_chunk(client: Any, org: Org) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(2000)})["runId"]
    item = run_store.get("acme", "insight", run_id)
    assert item is not None
    stored = objects(f"orgs/acme/runs/insight/{run_id}")
    pages_size = stored[str(item["pagesKey"])]
    detail(client, org, run_id)  # warm: the key, the app
    with s3_reads() as reads:
        page = detail(client, org, run_id, page=7, pageSize=50)
    assert [i["message"] for i in page["items"]] == [f"m{i}" for i in range(300, 350)]
    assert page["total"] == 2000 and page["page"] == 7 and page["itemKind"] == "issues"
    # two ranged reads of the pages object (its offset-table entries, then chunk 3), never the payload
    assert [r["key"] for r in reads] == [item["pagesKey"]] * 2
    assert reads[0]["bytes"] == 16 and sum(r["bytes"] for r in reads) < pages_size / 10

    with s3_reads() as reads:
        last = detail(client, org, run_id, page=40, pageSize=50)
    assert [i["message"] for i in last["items"]] == [f"m{i}" for i in range(1950, 2000)]
    assert last["nextCursor"] is None and len(reads) == 2 and sum(r["bytes"] for r in reads) < pages_size / 10
    with s3_reads() as reads:
        past = detail(client, org, run_id, page=41, pageSize=50)
    assert past["items"] == [] and past["total"] == 2000 and reads == []


def _all_pages(client: Any, org: Org, run_id: str, product: str, size: int, **filters: str) -> list[Any]:
    """Every item a filter lists, following the cursor."""
    found: list[Any] = []
    page = detail(client, org, run_id, product, pageSize=size, **filters)
    found += page["items"]
    while page["nextCursor"]:
        page = detail(client, org, run_id, product, pageSize=size, cursor=page["nextCursor"], **filters)
        found += page["items"]
    assert len(found) == page["total"]
    return found


FILTERS = [
    {"severity": "error"}, {"severity": "hint"}, {"file": "src/f003.ts"}, {"rule": "R3"}, {"rule": "2532"},
    {"rule": "id1"}, {"severity": "warning", "rule": "R1"}, {"severity": "error", "file": "src/f010.ts", "rule": "R2"},
    {"severity": "critical"}, {"file": "nowhere.ts"}, {"severity": "error", "rule": "id2", "file": "src/f000.ts"},
    {"status": "passed"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f"{k}={v}" for k, v in f.items()))
def test_filtered_pages_list_what_the_full_read_listed(client: Any, org: Org, filters: dict[str, str]) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(900)})["runId"]
    item = run_store.get("acme", "insight", run_id)
    assert item is not None
    _, expected, total = run_service._page_of_payload(item, 0, 10_000, filters)
    assert total == len(expected)
    assert _all_pages(client, org, run_id, "insight", 37, **filters) == expected
    first = detail(client, org, run_id, pageSize=20, **filters)
    assert first["total"] == total and first["items"] == expected[:20]


def test_a_rare_filter_reads_only_the_chunks_of_its_page(client: Any, org: Org) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(3000)})["runId"]
    with s3_reads() as reads:
        page = detail(client, org, run_id, file="src/f100.ts", pageSize=50)
    assert [i["message"] for i in page["items"]] == [f"m{i}" for i in range(2500, 2525)] and page["total"] == 25
    # the file facet's directory, the file's ordinals, the offset table, one chunk
    assert len(reads) == 4


def test_guardian_tests_filtered_by_status(client: Any, org: Org) -> None:
    tests = [{"name": f"t{i}", "status": ["passed", "failed", "skipped"][i % 3]} for i in range(250)]
    tests += [{"name": "legacy", "outcome": "failed"}]
    run_id = upload_ok(client, org, "guardian", "test-results", {"testRunId": "tr-p", "url": "https://x.example", "tests": tests})["runId"]
    failed = _all_pages(client, org, run_id, "guardian", 40, status="failed")
    assert [t["name"] for t in failed] == [f"t{i}" for i in range(1, 250, 3)] + ["legacy"]
    assert detail(client, org, run_id, "guardian", page=2, pageSize=200)["items"][-1]["name"] == "legacy"


def _as_stored_before_pages(run_id: str, product: str = "insight") -> None:
    """The run as a run stored before pages existed: no pages fields, no pages object."""
    item = run_store.get("acme", product, run_id)
    assert item is not None
    boto3.client("s3", region_name="us-east-1").delete_object(Bucket=BUCKET, Key=str(item["pagesKey"]))
    boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-runs").update_item(
        Key=run_store.run_key("acme", product, run_id), UpdateExpression="REMOVE pagesKey, pages")


def test_runs_stored_before_pages_still_page_from_their_payload(client: Any, org: Org) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(300)})["runId"]
    paged = [detail(client, org, run_id, page=n, pageSize=40, severity="warning") for n in (1, 2)]
    _as_stored_before_pages(run_id)
    with s3_reads() as reads:
        old = [detail(client, org, run_id, page=n, pageSize=40, severity="warning") for n in (1, 2)]
    assert [p["items"] for p in old] == [p["items"] for p in paged] and old[0]["total"] == 75
    assert {r["key"] for r in reads} == {f"orgs/acme/runs/insight/{run_id}.json.gz"}
    assert _all_pages(client, org, run_id, "insight", 64)[-1]["message"] == "m299"


def test_a_run_whose_pages_are_gone_reads_its_payload(client: Any, org: Org) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(120)})["runId"]
    item = run_store.get("acme", "insight", run_id)
    assert item is not None
    boto3.client("s3", region_name="us-east-1").delete_object(Bucket=BUCKET, Key=str(item["pagesKey"]))
    page = detail(client, org, run_id, page=3, pageSize=50)
    assert [i["message"] for i in page["items"]] == [f"m{i}" for i in range(100, 120)] and page["total"] == 120


def test_pages_are_counted_in_the_runs_bytes_and_go_with_it(client: Any, org: Org) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(500)})["runId"]
    item = run_store.get("acme", "insight", run_id)
    assert item is not None
    stored = objects(f"orgs/acme/runs/insight/{run_id}")
    assert set(stored) == {item["payloadKey"], item["compareKey"], item["pagesKey"]}
    assert int(item["storedBytes"]) == sum(stored.values())
    usage = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-usage")
    assert int(usage.get_item(Key={"pk": "ORG#acme", "sk": "GAUGE#storage_bytes"})["Item"]["used"]) == sum(stored.values())
    reply = client.http.delete(f"/v1/runs/insight/{run_id}", headers=org.headers)
    assert reply.status_code == 200 and body(reply)["bytesFreed"] == sum(stored.values())
    assert objects("orgs/acme/runs/") == {}
    assert int(usage.get_item(Key={"pk": "ORG#acme", "sk": "GAUGE#storage_bytes"})["Item"]["used"]) == 0


def test_the_pages_object_holds_the_items_in_chunks_and_the_filters(client: Any, org: Org) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(250)})["runId"]
    item = run_store.get("acme", "insight", run_id)
    assert item is not None
    assert item["pages"]["total"] == 250 and item["pages"]["chunk"] == run_pages.CHUNK_ITEMS
    assert set(item["pages"]["facets"]) == {"severity", "file", "rule"}  # no item has a status
    blob = boto3.client("s3", region_name="us-east-1").get_object(Bucket=BUCKET, Key=str(item["pagesKey"]))["Body"].read()
    table = [int.from_bytes(blob[i:i + 8], "little") for i in range(0, 32, 8)]
    assert table[0] == 32  # three chunks, four offsets
    chunks = [json.loads(gzip.decompress(blob[a:b])) for a, b in zip(table, table[1:])]
    assert [len(c) for c in chunks] == [100, 100, 50] and chunks[2][-1]["message"] == "m249"


@pytest.mark.parametrize("query", ["cursor=bm9wZQ", "page=0", "pageSize=0", "severity=" + "x" * 41])
def test_bad_paging_or_filters_are_400_and_read_nothing(client: Any, org: Org, query: str) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(150)})["runId"]
    with s3_reads() as reads:
        reply = client.http.get(f"/v1/runs/insight/{run_id}?{query}", headers=org.headers)
    assert reply.status_code == 400, reply.body
    assert reads == []


@pytest.fixture
def cookie(client: Any, org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A dashboard session of ``org``, through a one-time sign-in link."""
    import re

    from chalicelib import config
    from chalicelib.dashboard import session

    monkeypatch.setenv("ODAVL_SESSION_SECRET", "s" * 48)
    config.reset_settings()
    config.get_settings()  # read now: during a request the test client exports the 'dev' stage's environment
    session.reset()
    link = client.http.post("/v1/dashboard/login-links", headers=org.headers, body="{}")
    signed = client.http.get(f"/dashboard/login/{body(link)['url'].rsplit('/', 1)[-1]}")
    found = re.search(r"odavl_session=[^;]+", str(signed.headers.get("Set-Cookie") or signed.headers.get("set-cookie")))
    assert found, signed.headers
    yield {"Cookie": found.group(0)}
    session.reset()


def test_the_dashboard_run_page_shows_a_page_from_the_runs_pages(client: Any, org: Org, cookie: dict[str, str]) -> None:
    run_id = upload_ok(client, org, "insight", "analysis-results", {"diagnostics": _diagnostics(1200)})["runId"]
    payload_key = f"orgs/acme/runs/insight/{run_id}.json.gz"
    with s3_reads() as reads:
        page = client.http.get(f"/dashboard/insight/runs/{run_id}?severity=warning&file=F01&page=2", headers=cookie)
    html = page.body.decode()
    assert page.status_code == 200, html[:500]
    # src/f010.ts to src/f019.ts: 250 issues, 62 warnings; the second page of 50 holds the last 12
    assert "62 matching issues" in html and html.count('<tr class="issue"') == 12
    assert ">m497<" in html and payload_key not in [r["key"] for r in reads]
    grouped = client.http.get(f"/dashboard/insight/runs/{run_id}?group=file&rule=r3", headers=cookie)
    assert grouped.status_code == 200 and "matching issues" in grouped.body.decode()  # every issue: the payload


def test_the_dashboard_pages_a_guardian_run_from_its_pages(client: Any, org: Org, cookie: dict[str, str]) -> None:
    tests = [{"name": f"test number {i}", "status": "passed"} for i in range(60)]
    run_id = upload_ok(client, org, "guardian", "test-results",
                       {"testRunId": "tr-d", "url": "https://x.example", "tests": tests})["runId"]
    with s3_reads() as reads:
        page = client.http.get(f"/dashboard/guardian/runs/{run_id}?page=3", headers=cookie)
    html = page.body.decode()
    assert page.status_code == 200, html[:500]
    assert "test number 59" in html and "test number 49" not in html
    assert f"orgs/acme/runs/guardian/{run_id}.json.gz" not in [r["key"] for r in reads]


def test_ingest_parses_the_payload_once(client: Any, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation, comparison data and pages all come from one parse of the payload's JSON."""
    from types import SimpleNamespace

    from chalicelib.services import ingest

    raw = json.dumps({"diagnostics": _diagnostics(300)}).encode()
    parsed: list[int] = []

    def loads(text: Any, **kwargs: Any) -> Any:
        if isinstance(text, (bytes, str)) and len(text) == len(raw):
            parsed.append(len(text))
        return json.loads(text, **kwargs)

    monkeypatch.setattr(ingest, "json", SimpleNamespace(loads=loads, dumps=json.dumps))
    run_id = upload_ok(client, org, "insight", "analysis-results", json.loads(raw))["runId"]
    assert parsed == [len(raw)]
    assert detail(client, org, run_id, page=6, pageSize=50)["items"][-1]["message"] == "m299"
