"""Ingest: one validated JSON payload becomes one run.

The payload goes to S3 (gzip) first; then ONE transaction writes the run's summary item, the
idempotency records and the usage counters (monthly metric + storage gauge). If the transaction
fails the object is deleted again, so no item ever points at a missing object and nothing is
counted for a refused upload. DynamoDB writes do not depend on the payload's size.

Called by the inline door (``POST /v1/upload/{product}``) and by the ingest job worker for large
JSON that came through ``/v1/uploads``."""
from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chalicelib import clock, ids
from chalicelib.config import get_settings
from chalicelib.errors import DomainError, InvalidInput, TooLarge, UnknownUploadType, UnsupportedContentType
from chalicelib.logs import logger
from chalicelib.models.fields import METADATA_MAX_BYTES
from chalicelib.services import idempotency, run_pages, run_stats
from chalicelib.services.links import run_url
from chalicelib.services.upload_types import ITEMS, UploadType, resolve
from chalicelib.services.compare import service as compare
from chalicelib.services.compare.fingerprints import with_line_hashes
from chalicelib.services.summaries.summary import Summary, bound_summary
from chalicelib.values import to_dynamo, to_plain
from chalicelib.plans import Metric, plan_limits
from chalicelib.services.usage import gauge, quota
from chalicelib.store import files as file_store
from chalicelib.store import payloads, runs, transact
from chalicelib.store import projects as project_store

MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True)
class IngestResult:
    """What an upload answers (201), the same on every replay."""

    upload_id: str
    run_id: str
    product: str
    upload_type: str
    url: str
    created: bool = True
    gate: dict[str, Any] | None = None

    def reply(self) -> dict[str, Any]:
        """The documented reply: uploadId, runId (testId as well for guardian), url, and the gate."""
        body: dict[str, Any] = {"uploadId": self.upload_id, "runId": self.run_id, "url": self.url}
        if self.product == "guardian":
            body["testId"] = self.run_id
        if self.gate is not None:
            body["gate"] = self.gate
        return body


def check_binary(product: str, upload_type: str) -> UploadType:
    """The upload type, refusing binary types (415) that only the large door accepts."""
    kind = resolve(product, upload_type)
    if kind.binary:
        raise UnsupportedContentType(
            f"'{upload_type}' is binary: upload it through POST /v1/uploads.", code="unsupported_media_type",
            details={"use": "/v1/uploads", "type": upload_type},
        )
    return kind


def ingest_json(org_id: str, plan: str, product: str, upload_type: str, project_id: str, metadata: dict,
                raw_json: bytes, idempotency_key: str | None, *, gzipped: bytes | None = None,
                build: dict[str, Any] | None = None,
                line_hashes: dict[str, dict[str, str]] | None = None) -> IngestResult:
    """Validate and store one JSON payload as a run. Raises DomainError subclasses (4xx) for anything
    wrong with the payload; a replay returns the original result with ``created=False``.

    ``gzipped``: the payload already gzip'd (the inline door passes what the client sent)."""
    kind = check_binary(product, upload_type)
    project_id = project_id or "default"
    settings = get_settings()
    if len(raw_json) > settings.decompressed_max_bytes:
        raise TooLarge("The payload is larger than any run may be.", code="payload_too_large",
                              details={"limit": settings.decompressed_max_bytes, "size": len(raw_json)})
    _check_metadata(metadata)
    data = _parse(raw_json)  # the one parse: validation, comparison data and pages all use it
    summary, natural_id = _summarize(kind, product, upload_type, data)

    payload_sha = hashlib.sha256(raw_json).hexdigest()
    req_hash = idempotency.request_hash(product, upload_type, project_id, payload_sha)
    identity = natural_id or _identity(kind, metadata, project_id, payload_sha)
    claimed = idempotency.scopes(idempotency_key, upload_type, identity)
    original = idempotency.replay(org_id, product, claimed, req_hash)
    if original is not None:
        return _result(original, product, upload_type, created=False)
    _refuse_when_spent(org_id, plan, kind)

    now = clock.now()
    run_id, upload_id = ids.sortable_id(), ids.sortable_id()
    body = gzipped if gzipped is not None else gzip.compress(raw_json, 6)
    key = payloads.payload_key(org_id, product, run_id)
    retention = plan_limits(plan).retention_days * 86400
    item = {
        "orgId": org_id, "product": product, "type": upload_type, "runId": run_id, "uploadId": upload_id,
        "projectId": project_id, "createdAt": clock.iso(now), "timestamp": summary.timestamp or clock.iso(now),
        "status": summary.status, "summary": to_dynamo(summary.fields), "metadataJson": _metadata_json(metadata),
        "payloadKey": key, "payloadBytes": len(raw_json), "storedBytes": len(body), "payloadSha256": payload_sha,
    }
    for name, value in (("externalId", natural_id), ("environment", summary.environment), ("passed", summary.passed)):
        if value is not None:
            item[name] = value
    item_kind, items = ITEMS[product](upload_type, data)
    del data  # the items share its values; the rest of the tree goes
    kept = _kept(upload_type, summary, items, line_hashes)
    packed = compare.pack_kept(kept) if kept is not None else b""
    paged = run_pages.build(item_kind, items)
    del items
    item["pagesKey"], item["pages"] = run_pages.pages_key(key), paged.meta
    # the payload, what comparison keeps of it and the run's pages
    item["storedBytes"] = len(body) + len(packed) + len(paged.blob)
    if build:
        item["build"] = {k: v for k, v in build.items() if v not in (None, "")}
    gate = None
    if kept is not None:
        item["compareKey"] = compare.compare_key(key)
        gate = to_plain_json(compare.evaluate(org_id, product, item, kept))
        item["gate"] = to_dynamo(gate)
    result = IngestResult(upload_id, run_id, product, upload_type, run_url(product, run_id), gate=gate)
    idem_items, idem_pks = idempotency.entries(org_id, product, claimed, req_hash, to_dynamo(result.reply()), retention)
    item["idempotencyPks"] = idem_pks
    item["statsCounted"] = True  # its counters go into the list aggregates in this transaction
    _check_item_size(item)
    metric_items, gauge_items = _usage_items(org_id, plan, kind, item["storedBytes"])
    link_items = _report_link(org_id, kind, upload_type, metadata, item)
    entries = [runs.put_entry(item), *idem_items, *metric_items, *gauge_items, *link_items,
               *project_store.index_entries(item), *run_stats.entries(item)]
    if gate is not None and compare.waits_for_baseline(item, gate):
        entries.append(project_store.awaiting_entry(item))

    transacting = False
    try:
        payloads.put(key, body, payload_sha)  # inside: a put whose answer was lost may still have stored it
        if kept is not None:
            compare.store_kept(item["compareKey"], packed)
        payloads.put_binary(item["pagesKey"], paged.blob)
        transacting = True
        transact.write(entries)
    except transact.TransactionCancelled as exc:
        _discard(key)  # a cancelled transaction wrote nothing
        return _after_cancel(exc, entries, idem_items, metric_items, gauge_items, org_id, plan, kind, product,
                             upload_type, claimed, req_hash)
    except Exception:
        if transacting:
            _discard_unless_committed(org_id, product, run_id, key)
        else:
            _discard(key)
        raise
    logger.info("run stored", extra={"product": product, "type": upload_type, "run_id": run_id,
                                     "stored_bytes": item["storedBytes"], "payload_bytes": len(raw_json)})
    if kept is not None and item.get("build"):
        try:
            compare.regate_waiting(org_id, product, item)
        except Exception:  # the run is stored; a later compare still finds this baseline
            logger.warning("could not gate the runs waiting for this baseline", exc_info=True)
    return result


# DynamoDB refuses items over 400 KB; the bounded summary keeps a run item near 10 KB at most, and
# this guard turns anything that would still pass the limit into the client's 400, not a 500.
ITEM_MAX_BYTES = 300 * 1024


def _check_item_size(item: dict[str, Any]) -> None:
    size = len(json.dumps(item, default=str, separators=(",", ":")).encode())
    if size > ITEM_MAX_BYTES:
        raise InvalidInput("The payload's summary is too large to store.", code="summary_too_large",
                           details={"limit": ITEM_MAX_BYTES, "size": size})


def _discard(key: str) -> None:
    """Remove a payload no run points at. Best effort: the original failure is what the caller reports."""
    for doomed in _run_object_keys(key):
        try:
            payloads.delete(doomed)
        except Exception:
            logger.warning("could not delete an unreferenced payload", extra={"key": doomed}, exc_info=True)


def _run_object_keys(payload_key: str) -> list[str]:
    """Every object a run may have: its payload, what comparison keeps of it, its pages."""
    return [payload_key, compare.compare_key(payload_key), run_pages.pages_key(payload_key)]


def _discard_unless_committed(org_id: str, product: str, run_id: str, key: str) -> None:
    """After a transaction that failed without a cancellation (a 5xx, a throttle, an answer lost after
    the commit) the run may exist: its payload must then stay, or the run (and every replay of the
    request) points at a missing object. The run id is new to this request, so its item exists only
    if this very transaction committed (the idempotency records commit with it or not at all)."""
    try:
        committed = runs.get(org_id, product, run_id) is not None
    except Exception:
        # Unknown outcome: keep the object (an unreferenced object costs bytes, a missing one loses a run).
        logger.warning("run state unknown after a failed transaction; payload kept", extra={"key": key},
                       exc_info=True)
        return
    if committed:
        logger.warning("run transaction committed but its answer was lost; payload kept",
                       extra={"product": product, "run_id": run_id})
        return
    _discard(key)


def _identity(kind: UploadType, metadata: dict, project_id: str, payload_sha: str) -> str | None:
    """What makes a re-upload of a type without a natural id the same run: its test run (a report
    of a Guardian test run is that run's), else its content in the project (a file sent again)."""
    test_run = metadata.get("testRunId")
    if kind.by_test_run and isinstance(test_run, str) and 0 < len(test_run) <= 200:
        return f"testrun:{project_id}:{test_run}"
    if kind.by_content:
        return f"content:{project_id}:{payload_sha}"
    return None


def _kept(upload_type: str, summary: Summary, items: list[Any],
          line_hashes: dict[str, dict[str, str]] | None = None) -> dict[str, Any] | None:
    """What comparison keeps of this run (fingerprints, test outcomes, scores), or None."""
    if upload_type not in compare.COMPARABLE_TYPES:
        return None
    if line_hashes and upload_type == "analysis-results":
        items = with_line_hashes(items, line_hashes)
    return compare.kept_data(upload_type, summary.fields, items)


def to_plain_json(value: Any) -> Any:
    """A JSON-ready copy (Decimals as numbers)."""
    return json.loads(json.dumps(to_plain(value), default=str))


def _refuse_when_spent(org_id: str, plan: str, kind: UploadType) -> None:
    """429 on one read, before any byte is written, when the month's quota of the type's metric is
    already spent: a blocked client costs no S3 put nor a refused transaction. Uploads racing for
    the last unit are still decided by the transaction's condition."""
    metric = kind.metric
    if metric is None or quota.limit_for(plan, metric) is None:
        return
    spent = quota.state(org_id, plan, metric)
    if spent.limit is not None and spent.used >= spent.limit:
        raise quota.quota_error(org_id, plan, metric, used=spent.used)


def _report_link(org_id: str, kind: UploadType, upload_type: str, metadata: dict,
                 item: dict[str, Any]) -> list[dict[str, Any]]:
    """A Guardian report sent with ``metadata.testRunId`` is listed on that test run's detail (one
    item in the run's transaction); the run item remembers the link so deleting it removes the link."""
    test_run = metadata.get("testRunId") if kind.by_test_run else None
    if not isinstance(test_run, str) or not 0 < len(test_run) <= 200:
        return []
    item["testRunRef"] = test_run
    link = {"runId": item["runId"], "type": upload_type, "payloadKey": item["payloadKey"],
            "createdAt": item["createdAt"]}
    return [file_store.new_report_link_item(org_id, test_run, link)]


def _usage_items(org_id: str, plan: str, kind: UploadType,
                 stored_bytes: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Usage entries for the run's transaction: the type's monthly metric (refused past the plan's
    quota) and the storage gauge (+ stored bytes, refused past the plan's storage)."""
    metric = kind.metric
    metric_items = quota.quota_entries(org_id, plan, metric) if metric else []
    return metric_items, gauge.gauge_entries(org_id, plan, stored_bytes)


def _after_cancel(exc: transact.TransactionCancelled, entries: list[dict[str, Any]], idem_items: list[dict[str, Any]],
                  metric_items: list[dict[str, Any]], gauge_items: list[dict[str, Any]], org_id: str, plan: str,
                  kind: UploadType, product: str, upload_type: str, claimed: list[str], req_hash: str) -> IngestResult:
    def failed(group: list[dict[str, Any]]) -> bool:
        return any(exc.failed(i) for i, e in enumerate(entries) if any(e is g for g in group))

    if failed(idem_items):  # a concurrent first attempt won the race
        original = idempotency.replay(org_id, product, claimed, req_hash)
        if original is not None:
            return _result(original, product, upload_type, created=False)
    if failed(metric_items):  # only a type with a metric has metric entries
        assert kind.metric is not None
        raise quota.quota_error(org_id, plan, kind.metric)
    if failed(gauge_items):
        raise quota.quota_error(org_id, plan, Metric.STORAGE_BYTES)
    raise exc


def _result(original: dict[str, Any], product: str, upload_type: str, created: bool) -> IngestResult:
    return IngestResult(str(original["uploadId"]), str(original["runId"]), product, upload_type,
                        str(original["url"]), created=created, gate=original.get("gate"))


def _parse(raw: bytes) -> Any:
    """The payload's JSON, parsed once: the model validates it, the items for comparison and for
    the run's pages come from it (a second parse would cost as much again in time and memory)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError too
        raise InvalidInput("The payload is not valid JSON.", code="invalid_json",
                           details={"reason": str(exc)[:200] or "too deeply nested"}) from exc


def _summarize(kind: UploadType, product: str, upload_type: str, data: Any) -> tuple[Summary, str | None]:
    """(the bounded summary, the natural id) of a parsed payload; the validated model goes when this returns."""
    payload = _validate(kind, data)
    if kind.summarize is None:  # a row without its summary: refused, never half stored
        raise UnknownUploadType(f"'{upload_type}' uploads cannot be stored by this service yet.",
                                details={"product": product, "type": upload_type})
    summary: Summary = bound_summary(kind.summarize(payload, upload_type))
    return summary, getattr(payload, kind.natural_id) if kind.natural_id else None


def _validate(kind: UploadType, data: Any) -> Any:
    """The payload's model, validated from the parsed JSON."""
    assert kind.model is not None
    try:
        return kind.model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        problems = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
                    for e in errors[:MAX_REPORTED_ERRORS]]
        raise InvalidInput(f"The payload is not a valid {kind.product} {kind.name}.", code="validation_failed",
                           details={"type": kind.name, "errors": problems, "errorCount": len(errors)}) from exc


def _check_metadata(metadata: dict) -> None:
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be an object.", code="validation_failed")
    try:
        size = len(_metadata_json(metadata))
    except ValueError as exc:
        raise InvalidInput("metadata must be plain JSON (no NaN or Infinity).", code="validation_failed") from exc
    if size > METADATA_MAX_BYTES:
        raise InvalidInput(f"metadata is limited to {METADATA_MAX_BYTES} bytes of JSON.", code="validation_failed",
                           details={"limit": METADATA_MAX_BYTES, "size": size})


def _metadata_json(metadata: dict) -> str:
    """Client metadata kept as JSON text: any nesting or key is fine (a DynamoDB map is not)."""
    return json.dumps(metadata, default=str, separators=(",", ":"), allow_nan=False)


__all__ = ["DomainError", "IngestResult", "check_binary", "ingest_json", "run_url"]
