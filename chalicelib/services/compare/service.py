"""A run against its baseline: the baseline is found with key lookups (the ancestor commit on the
base branch, else the nearest earlier base-branch run), the two runs' kept comparison data is read
(one small object each, written at ingest), and the new / fixed lists are paged."""
from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from chalicelib import clock
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.auth import Principal
from chalicelib.values import to_dynamo, to_plain
from chalicelib.services.compare import rules as compare_rules
from chalicelib.store import payloads
from chalicelib.store import projects as store
from chalicelib.store import runs as run_store

DEFAULT_BASE_BRANCH = "main"
COMPARABLE_TYPES = frozenset(compare_rules.COMPARABLE)


# ---- project settings ----------------------------------------------------------------------------

def project_settings(org_id: str, project_id: str) -> dict[str, Any]:
    """The project's base branch and gate rules (the defaults until someone sets them)."""
    saved = store.get_settings(org_id, project_id) or {}
    gate = {**compare_rules.DEFAULT_GATE, **(saved.get("gate") or {})}
    return {"projectId": project_id, "baseBranch": saved.get("baseBranch") or DEFAULT_BASE_BRANCH, "gate": to_plain(gate)}


# Who may change a project's settings: its admins, or whoever administers the organization's keys.
SETTINGS_ADMIN_SCOPES = ("projects:admin", "keys:admin")


def put_project_settings(principal: Principal, project_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Store a project's base branch and gate; MissingScope unless the caller may change them."""
    principal.require_any(SETTINGS_ADMIN_SCOPES, "Changing a project's settings")
    org_id = principal.org_id

    store.put_settings(org_id, project_id, to_dynamo({"baseBranch": settings["baseBranch"], "gate": settings["gate"]}),
                       clock.iso())
    return project_settings(org_id, project_id)


# ---- what a run keeps for comparison ---------------------------------------------------------------

def compare_key(payload_key: str) -> str:
    return payload_key.removesuffix(".json.gz") + ".cmp.json.gz"


def kept_data(upload_type: str, summary: dict[str, Any], items: list[Any]) -> dict[str, Any] | None:
    make = compare_rules.COMPARABLE.get(upload_type)
    return make(summary, items) if make else None


def pack_kept(data: dict[str, Any]) -> bytes:
    """The kept data as stored (gzip'd JSON): its size counts towards the run's stored bytes."""
    return gzip.compress(json.dumps(data, separators=(",", ":")).encode(), 6)


def store_kept(key: str, packed: bytes) -> None:
    payloads.put(key, packed, hashlib.sha256(packed).hexdigest())


def load_kept(item: dict[str, Any]) -> dict[str, Any] | None:
    key = item.get("compareKey")
    body = payloads.get(str(key)) if key else None
    return json.loads(gzip.decompress(body)) if body else None


# ---- baseline --------------------------------------------------------------------------------------

def find_baseline(org_id: str, product: str, item: dict[str, Any], base: str = "auto",
                  settings: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the baseline run item, how it was chosen) or (None, None). Two key lookups at most."""
    if base != "auto":
        chosen = run_store.get(org_id, product, base)
        if chosen is None or chosen.get("type") != item.get("type"):
            raise NotFound("No such baseline run of this type.", details={"base": base})
        return chosen, _info(chosen, "chosen", True)
    settings = settings or project_settings(org_id, str(item.get("projectId") or ""))
    branch = settings["baseBranch"]
    build = item.get("build") or {}
    project, kind = str(item.get("projectId") or ""), str(item["type"])
    ancestor = build.get("ancestor")
    if ancestor:
        run_id = store.run_of_commit(org_id, product, project, kind, branch, ancestor)
        found = run_store.get(org_id, product, run_id) if run_id and run_id != item["runId"] else None
        if found is not None:
            return found, _info(found, "ancestor", True)
    run_id = store.latest_before(org_id, product, project, kind, branch, f"{item['createdAt']}#{item['runId']}")
    found = run_store.get(org_id, product, run_id) if run_id else None
    if found is not None:
        return found, _info(found, "nearest_earlier", False)
    return None, None


def _info(run: dict[str, Any], rule: str, exact: bool) -> dict[str, Any]:
    build = run.get("build") or {}
    return {"runId": run["runId"], "commit": build.get("commit"), "branch": build.get("branch"), "rule": rule,
            "exact": exact, "createdAt": run.get("createdAt")}


# ---- comparing -------------------------------------------------------------------------------------

def comparison(org_id: str, product: str, item: dict[str, Any], kept: dict[str, Any] | None,
               base: str = "auto", settings: dict[str, Any] | None = None
               ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(baseline info, the full comparison) of a run whose kept data is ``kept``."""
    if kept is None:
        return None, None
    baseline, info = find_baseline(org_id, product, item, base, settings)
    if baseline is None:
        return None, None
    then = load_kept(baseline)
    if then is None:
        return info, None
    return info, compare_rules.diff(str(item["type"]), kept, then, str(item.get("status", "")),
                                    str(baseline.get("status", "")))


def evaluate(org_id: str, product: str, item: dict[str, Any], kept: dict[str, Any] | None) -> dict[str, Any]:
    """The gate of a new run (at ingest), with the baseline it was judged against."""
    settings = project_settings(org_id, str(item.get("projectId") or ""))  # one read for baseline and rules
    info, diff = comparison(org_id, product, item, kept, settings=settings)
    verdict = compare_rules.gate(str(item["type"]), diff, settings["gate"])
    return {**verdict, "baseline": info, "counts": diff["counts"] if diff else None}


def waits_for_baseline(item: dict[str, Any], gate: dict[str, Any]) -> bool:
    """A run judged without its exact baseline (the ancestor's base-branch run not uploaded yet)."""
    return bool((item.get("build") or {}).get("ancestor")) and (gate.get("baseline") or {}).get("rule") != "ancestor"


def regate_waiting(org_id: str, product: str, item: dict[str, Any]) -> int:
    """A base-branch run has arrived: the runs whose ancestor is its commit are gated again, now
    against it; returns how many. Bounded (a commit has few children)."""
    build = item.get("build") or {}
    project = str(item.get("projectId") or "")
    if not build.get("commit") or build.get("branch") != project_settings(org_id, project)["baseBranch"]:
        return 0
    done = 0
    for run_id in store.awaiting(org_id, product, project, str(item["type"]), build["commit"]):
        waiting = run_store.get(org_id, product, run_id)
        if waiting is not None:
            gate = to_plain(evaluate(org_id, product, waiting, load_kept(waiting)))
            store.set_gate(org_id, product, run_id, to_dynamo(gate))
            done += 1
        store.done_awaiting(org_id, product, project, str(item["type"]), build["commit"], run_id)
    return done


def compare(org_id: str, product: str, run_id: str, *, base: str = "auto", page: int = 1,
            page_size: int = 50) -> dict[str, Any]:
    """``GET /v1/runs/{product}/{runId}/compare``: baseline, counts, a page of new and of fixed."""
    item = run_store.get(org_id, product, run_id)
    if item is None:
        raise NotFound("No such run.", details={"runId": run_id})
    if str(item["type"]) not in compare_rules.COMPARABLE:
        raise InvalidInput(f"Runs of type {item['type']} are not compared.", code="not_comparable")
    info, diff = comparison(org_id, product, item, load_kept(item), base)
    rules = project_settings(org_id, str(item.get("projectId") or ""))["gate"]
    start = (page - 1) * page_size
    return {
        "runId": run_id, "type": item["type"], "baseline": info,
        "counts": diff["counts"] if diff else None,
        "new": diff["new"][start:start + page_size] if diff else [],
        "fixed": diff["fixed"][start:start + page_size] if diff else [],
        "page": page, "pageSize": page_size,
        "gate": compare_rules.gate(str(item["type"]), diff, rules),
    }


def commit_view(org_id: str, project_id: str, commit: str) -> dict[str, Any]:
    """``GET /v1/commits/{commit}``: every tool's runs of one commit, each with its gate."""
    runs = []
    for ref in store.runs_of_commit(org_id, project_id, commit.lower()):
        item = run_store.get(org_id, str(ref["product"]), str(ref["runId"]))
        if item is not None:
            runs.append({"product": item["product"], "type": item["type"], "runId": item["runId"],
                         "status": item.get("status"), "branch": (item.get("build") or {}).get("branch"),
                         "createdAt": item.get("createdAt"), "gate": to_plain(item.get("gate"))})
    failed = any((r.get("gate") or {}).get("status") == "failed" for r in runs)
    return {"commit": commit.lower(), "projectId": project_id, "runs": runs,
            "gate": "failed" if failed else ("passed" if runs else "none")}
