"""What the pages read, through the services and the store (in-process, never HTTP to this app):
a run with its payload or a page of its items, the runs around it, the recent runs of a project for trends."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.logs import logger
from chalicelib.services import decoding, run_pages
from chalicelib.services import runs as run_service
from chalicelib.services.upload_types import ITEMS
from chalicelib.services.compare import rules as compare_rules
from chalicelib.services.compare import service as compare_service
from chalicelib.store import payloads
from chalicelib.store import runs as run_store

COMPARE_PAGE = 20  # new / fixed entries per page: the comparison stays a small part of the run page
MAIN_TYPES = {"insight": "analysis-results", "autopilot": "ledger", "guardian": "test-results"}
RELATED_WINDOW = timedelta(minutes=30)


def payload_of(item: dict[str, Any]) -> Any:
    """The run's full JSON payload ({} when its object is gone)."""
    body = payloads.get(item["payloadKey"])
    if body is None:
        logger.error("run payload missing", extra={"run_id": item["runId"], "key": item["payloadKey"]})
        return {}
    settings = get_settings()
    return json.loads(decoding.gunzip_bounded(body, settings.decompressed_max_bytes, 1 << 30))


def load(org_id: str, product: str, run_id: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(item, public view, payload) of a run; 404 for an unknown or foreign one."""
    item, view = load_run(org_id, product, run_id)
    return item, view, payload_of(item)


def load_run(org_id: str, product: str, run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(item, public view) of a run, without its payload; 404 for an unknown or foreign one."""
    item = run_service.get_run(org_id, product, run_id)
    return item, run_service.view(item)


def paged_kind(item: dict[str, Any]) -> str | None:
    """The item kind of a run whose pages hold at least one item (its pages answer the page), else None."""
    meta = item.get("pages") if item.get("pagesKey") else None
    return str(meta["kind"]) if isinstance(meta, dict) and int(meta.get("total") or 0) > 0 else None


def page_of(item: dict[str, Any], offset: int, limit: int, wanted: dict[str, str] | None = None,
            contains: dict[str, str] | None = None) -> tuple[list[Any], int] | None:
    """(a page of the run's items, how many match) from its pages; None when it has none (read the payload)."""
    found = run_pages.read(item, offset, limit, wanted or {}, contains)
    return (found[1], found[2]) if found is not None else None


def items_of(item: dict[str, Any]) -> list[Any]:
    """Every item of the run, from its whole payload."""
    return ITEMS[str(item["product"])](str(item["type"]), payload_of(item))[1]


def _sk(at: datetime) -> str:
    return f"RUN#{max(0, int(at.timestamp() * 1000)):012x}"


def recent(org_id: str, product: str, *, project_id: str | None = None, types: tuple[str, ...] = (),
           since: datetime | None = None, until: datetime | None = None, limit: int = 30,
           scan_cap: int = 2000) -> list[dict[str, Any]]:
    """Up to ``limit`` runs of these types, newest first (a bounded read of the key range)."""
    found: list[dict[str, Any]] = []
    for scanned, item in enumerate(run_store.iterate(
            org_id, product, project_id=project_id, sk_from=_sk(since) if since else None,
            sk_to=_sk(until) + "g" if until else None, batch=100)):
        if scanned >= scan_cap or len(found) >= limit:
            break
        if not types or item.get("type") in types:
            found.append(run_service.view(item))
    return found


def around(org_id: str, product: str, view: dict[str, Any], types: tuple[str, ...]) -> list[dict[str, Any]]:
    """The same project's runs of ``types`` uploaded within RELATED_WINDOW of this one (the auxiliary
    files the CLI sends with a main result), nearest first."""
    at = clock.parse_iso(view["createdAt"])
    found = recent(org_id, product, project_id=view["projectId"] or None, types=types,
                   since=at - RELATED_WINDOW, until=at + RELATED_WINDOW, limit=50, scan_cap=500)
    return sorted((r for r in found if r["runId"] != view["runId"]),
                  key=lambda r: abs((clock.parse_iso(r["createdAt"]) - at).total_seconds()))


def parse_day(text: str | None, end: bool = False) -> datetime | None:
    """A filter date (YYYY-MM-DD or a full ISO time) as UTC; the end of the day for an upper bound."""
    if not text:
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            return day + timedelta(days=1) - timedelta(milliseconds=1) if end else day
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not a date (YYYY-MM-DD).") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def comparison(org_id: str, product: str, item: dict[str, Any], page: int = 1,
               page_size: int = COMPARE_PAGE) -> dict[str, Any] | None:
    """The run against its baseline as ``GET .../compare?base=auto`` answers it (the service's own steps),
    on the item the page already read, and without reading either run's kept data when there is no
    baseline; None for a type that is not compared."""
    if str(item.get("type")) not in compare_service.COMPARABLE_TYPES:
        return None
    baseline, info = compare_service.find_baseline(org_id, product, item)
    diff = None
    if baseline is not None:  # the kept data is read only when there is something to compare with
        now, then = compare_service.load_kept(item), compare_service.load_kept(baseline)
        if now is None:
            info = None
        elif then is not None:
            diff = compare_rules.diff(str(item["type"]), now, then, str(item.get("status", "")),
                                      str(baseline.get("status", "")))
    # without a comparison the gate is no_baseline whatever the rules say: no need to read them
    rules = compare_service.project_settings(org_id, str(item.get("projectId") or ""))["gate"] if diff else {}
    start = (page - 1) * page_size
    return {"baseline": info, "counts": diff["counts"] if diff else None,
            "new": diff["new"][start:start + page_size] if diff else [],
            "fixed": diff["fixed"][start:start + page_size] if diff else [],
            "newTotal": len(diff["new"]) if diff else 0, "fixedTotal": len(diff["fixed"]) if diff else 0,
            "gate": compare_rules.gate(str(item["type"]), diff, rules), "page": page, "pageSize": page_size}


def commit(org_id: str, project_id: str, sha: str) -> dict[str, Any]:
    """One commit across the three tools, each run with the gate it was given at upload."""
    return compare_service.commit_view(org_id, project_id, sha)
