"""Runs read back: filtered, cursor-paged lists with stats of the filtered set; one run with its
payload's items paged (from the run's pages, see ``run_pages``) and its attachments; the cascade
delete (item, payload object, idempotency records, attachments, storage gauge) that users and the
retention job share."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from chalicelib.config import get_settings
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.logs import logger
from chalicelib.services import blobs, cleanup, cursors, decoding, run_pages, run_stats
from chalicelib.services.links import run_url
from chalicelib.services.upload_types import ITEMS, PRODUCTS, check_product
from chalicelib.values import to_plain
from chalicelib.services.usage import gauge
from chalicelib.store import idempotency as idem_store
from chalicelib.store import files as file_store
from chalicelib.store import objects, payloads, runs, transact
from chalicelib.store import projects as project_store

# Queries one list page may make; a page not filled by then ends early with a cursor that goes on.
LIST_READ_BUDGET = 4


def list_runs(org_id: str, product: str, *, project_id: str | None = None, status: str | None = None,
              environment: str | None = None, passed: bool | None = None, upload_type: str | None = None,
              since: datetime | None = None, until: datetime | None = None, cursor: str | None = None,
              limit: int = 20, branch: str | None = None, commit: str | None = None) -> dict[str, Any]:
    """A page of runs, newest first, with the stats of every run matching the filters."""
    check_product(product)
    since, until = _utc(since), _utc(until)
    if since and until and since > until:
        raise InvalidInput("'from' must not be after 'to'.", code="validation_failed",
                           details={"from": since.isoformat(), "to": until.isoformat()})
    filters = {name: value for name, value in (
        ("status", status), ("environment", environment), ("passed", passed), ("type", upload_type),
        ("build.branch", branch or None), ("build.commit", commit.lower() if commit else None)) if value is not None}
    sk_from = f"RUN#{_ms(since):012x}" if since else None
    sk_to = f"RUN#{_ms(until):012x}g" if until else None
    start = _decode_cursor(cursor, org_id, product, project_id) if cursor else None
    page, next_key = _page(org_id, product, project_id, sk_from, sk_to, filters, start, limit)
    facet_filters = {name.removeprefix("build."): value for name, value in filters.items() if name != "build.commit"}
    list_stats = run_stats.read(org_id, product, project_id=project_id, filters=facet_filters, since=since,
                                until=until, commit=commit.lower() if commit else None)
    return {"items": [view(i) for i in page], "nextCursor": _encode_cursor(next_key) if next_key else None,
            "stats": list_stats}


def _page(org_id: str, product: str, project_id: str | None, sk_from: str | None, sk_to: str | None,
          filters: dict[str, Any], start: dict[str, Any] | None,
          limit: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to ``limit`` matching runs and where the next page starts, within a read budget of
    LIST_READ_BUDGET queries: a sparse filter answers a short (even empty) page with a cursor that
    goes on, never an unbounded loop in one request."""
    by_project = bool(project_id)
    found: list[dict[str, Any]] = []
    reads = 0
    for items, last_key in runs.query_pages(org_id, product, project_id=project_id, sk_from=sk_from, sk_to=sk_to,
                                            filters=filters, start_key=start,
                                            batch=100 if filters else min(limit + 1, 100)):
        reads += 1
        for item in items:
            found.append(item)
            if len(found) > limit:
                return found[:limit], runs.page_key(found[limit - 1], by_project)
        if last_key is None:
            return found, None
        if reads >= LIST_READ_BUDGET:
            if len(found) == limit:
                return found, runs.page_key(found[-1], by_project)
            return found, dict(last_key)
    return found, None


def get_run(org_id: str, product: str, run_id: str) -> dict[str, Any]:
    """The run item; 404 for an unknown product, an unknown run or another organization's run."""
    if product not in PRODUCTS:
        raise NotFound("No such run.", details={"runId": run_id})
    item = runs.get(org_id, product, run_id)
    if item is None:
        raise NotFound("No such run.", details={"runId": run_id})
    return item


def run_detail(org_id: str, product: str, run_id: str, *, page: int = 1, page_size: int = 50,
               cursor: str | None = None, filters: dict[str, str | None] | None = None) -> dict[str, Any]:
    """One run: its summary, a page of its payload's items (those matching ``filters``: severity,
    file, rule, status), and its attachments with download URLs."""
    item = get_run(org_id, product, run_id)
    offset = _decode_offset(cursor) if cursor else (page - 1) * page_size
    wanted = {k: v for k, v in (filters or {}).items() if v}
    kind, chunk, total = run_pages.read(item, offset, page_size, wanted) or _page_of_payload(item, offset, page_size, wanted)
    end = offset + len(chunk)
    return {
        "run": view(item), "itemKind": kind, "items": chunk, "page": offset // page_size + 1, "pageSize": page_size,
        "total": total, "nextCursor": _encode_offset(end) if end < total else None,
        "attachments": attachments(org_id, product, item),
        "reports": reports(org_id, product, item),
        "payloadUrl": objects.presigned_get(str(item["payloadKey"]), get_settings().presign_expiry_seconds,
                                            f"{item['type']}.json", "application/json"),
    }


def _page_of_payload(item: dict[str, Any], offset: int, limit: int,
                     wanted: dict[str, str]) -> tuple[str, list[Any], int]:
    """A page read from the whole payload: runs stored before their pages were (or whose pages are gone)."""
    kind, all_items = ITEMS[str(item["product"])](item["type"], _payload(item))
    if wanted:
        all_items = [i for i in all_items if all(v in run_pages.filter_values(i, n) for n, v in wanted.items())]
    return kind, all_items[offset:offset + limit], len(all_items)


def delete_run(org_id: str, product: str, run_id: str) -> int:
    """Delete a run and everything only it holds: its item, idempotency records and payload object
    (the storage gauge lowered in the same transaction as the item delete), then its attachments.
    Returns the bytes freed; 404 when the run does not exist (or belongs to another organization)."""
    item = get_run(org_id, product, run_id)
    stored = int(item.get("storedBytes", 0))
    owned = [str(item[name]) for name in ("payloadKey", "compareKey", "pagesKey") if item.get(name)]
    leftovers = cleanup.plan(org_id, object_keys=owned, runs=[(product, r) for r in _run_refs(item)])
    core = [runs.delete_entry(org_id, product, run_id),
            *[idem_store.delete_entry(pk) for pk in item.get("idempotencyPks", [])], *leftovers.entries,
            *project_store.unindex_entries(item)]
    if item.get("statsCounted"):
        core.extend(run_stats.entries(item, -1))
    if item.get("testRunRef"):
        core.append(file_store.delete_report_link_item(org_id, str(item["testRunRef"]), run_id))
    down = _gauge_down(org_id, stored)
    try:
        transact.write(core + down)
    except transact.TransactionCancelled as exc:
        if exc.failed(0):
            raise NotFound("No such run.", details={"runId": run_id}) from exc
        # the gauge was lower than this run's bytes (drift): delete anyway, clamp the gauge at zero
        transact.write(core)
        _release_storage(org_id, stored)

    def finish() -> int:
        for key in owned:
            payloads.delete(key)
        return _release_attachments(org_id, product, item)

    return stored + cleanup.carry_out(leftovers, finish)


def list_expired(org_id: str, product: str, older_than: datetime, limit: int | None = None) -> Iterator[str]:
    """Run ids of an organization's product uploaded before ``older_than``, oldest first (a key
    range: no scan). The retention job deletes each with ``delete_run``."""
    check_product(product)
    cutoff = _utc(older_than)
    assert cutoff is not None
    for count, item in enumerate(runs.older_than(org_id, product, f"RUN#{_ms(cutoff):012x}")):
        if limit is not None and count >= limit:
            return
        yield str(item["runId"])


def view(item: dict[str, Any]) -> dict[str, Any]:
    """The public shape of a run item."""
    plain = to_plain(item)
    return {
        "runId": plain["runId"], "uploadId": plain["uploadId"], "product": plain["product"], "type": plain["type"],
        "projectId": plain.get("projectId", ""), "externalId": plain.get("externalId"), "status": plain["status"],
        "environment": plain.get("environment"), "passed": plain.get("passed"), "createdAt": plain["createdAt"],
        "timestamp": plain.get("timestamp", plain["createdAt"]), "summary": plain.get("summary", {}),
        "metadata": _metadata(plain), "payloadBytes": plain.get("payloadBytes", 0),
        "storedBytes": plain.get("storedBytes", 0), "payloadSha256": plain.get("payloadSha256", ""),
        "url": run_url(plain["product"], plain["runId"]),
        "build": plain.get("build"), "gate": plain.get("gate"),
    }


def _metadata(item: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(item.get("metadataJson") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def attachments(org_id: str, product: str, item: dict[str, Any]) -> list[dict[str, Any]]:
    """Screenshots and reports attached to the run (by its runId or the client's own id)."""
    found: dict[str, dict[str, Any]] = {}
    for run_ref in _run_refs(item):
        for blob in blobs.list_for_run(org_id, product, run_ref):
            found.setdefault(blob["sha256"], blob)
    return list(found.values())


def reports(org_id: str, product: str, item: dict[str, Any]) -> list[dict[str, Any]]:
    """Guardian reports (Lighthouse, accessibility) sent for this test run, each with a short-lived
    download URL of its JSON (stored gzip'd, served with Content-Encoding: gzip)."""
    if product != "guardian" or item.get("type") != "test-results":
        return []
    expires = get_settings().presign_expiry_seconds
    found: dict[str, dict[str, Any]] = {}
    for ref in _run_refs(item):
        for link in file_store.list_report_links(org_id, ref):
            name = f"{link['type']}-{link['runId']}.json"
            found.setdefault(str(link["runId"]), {
                "runId": link["runId"], "type": link["type"], "createdAt": link.get("createdAt", ""),
                "url": objects.presigned_get(str(link["payloadKey"]), expires, name, "application/json"),
                "expiresIn": expires,
            })
    return sorted(found.values(), key=lambda r: (r["type"], r["createdAt"]))


def _release_attachments(org_id: str, product: str, item: dict[str, Any]) -> int:
    return sum(blobs.release_run(org_id, product, ref) for ref in _run_refs(item))


def _run_refs(item: dict[str, Any]) -> list[str]:
    refs = [str(item["runId"])]
    if item.get("externalId"):
        refs.append(str(item["externalId"]))
    return refs


def _gauge_down(org_id: str, stored: int) -> list[dict[str, Any]]:
    if stored <= 0:
        return []
    return gauge.gauge_entries(org_id, None, -stored)


def _release_storage(org_id: str, stored: int) -> None:
    gauge.release_storage(org_id, stored)


def _payload(item: dict[str, Any]) -> Any:
    body = payloads.get(item["payloadKey"])
    if body is None:
        logger.error("run payload missing", extra={"run_id": item["runId"], "key": item["payloadKey"]})
        return {}
    settings = get_settings()
    raw = decoding.gunzip_bounded(body, settings.decompressed_max_bytes, 1 << 30)
    return json.loads(raw)


def _utc(at: datetime | None) -> datetime | None:
    """Times without an offset are UTC."""
    return at.replace(tzinfo=timezone.utc) if at is not None and at.tzinfo is None else at


def _ms(at: datetime) -> int:
    return max(0, int(at.timestamp() * 1000))


def _encode_cursor(key: dict[str, Any]) -> str:
    return cursors.encode(key)


def _decode_cursor(cursor: str, org_id: str, product: str, project_id: str | None) -> dict[str, Any]:
    """A run-list position of this organization, product and project (never another list's)."""
    wanted = {"pk", "sk", "gsi1pk", "gsi1sk"} if project_id else {"pk", "sk"}

    def valid(key: dict[str, Any]) -> bool:
        if set(key) != wanted or not all(isinstance(v, str) for v in key.values()):
            return False
        if key["pk"] != runs.run_pk(org_id, product) or not key["sk"].startswith("RUN#"):
            return False
        return not project_id or (key["gsi1pk"] == runs.project_pk(org_id, product, project_id)
                                  and key["gsi1sk"] == key["sk"])

    return cursors.decode(cursor, valid)


def _encode_offset(offset: int) -> str:
    return cursors.encode({"o": offset})


def _decode_offset(cursor: str) -> int:
    position = cursors.decode(cursor, lambda p: set(p) == {"o"} and isinstance(p["o"], int)
                              and not isinstance(p["o"], bool) and p["o"] >= 0)
    return int(position["o"])
