"""Autopilot summaries: a ledger's phase, outcome and edit count; snapshot, trust and history sizes."""
from __future__ import annotations

from typing import Any

from chalicelib.models.payloads import autopilot
from chalicelib.services.summaries.summary import Summary, first_list

SUCCESS_PHASES = {"completed", "complete", "done", "finished", "learn", "succeeded", "success"}
FAILED_PHASES = {"failed", "failure", "error", "errored", "aborted", "rolled-back", "rolledback", "rollback", "cancelled"}


def outcome(phase: str, success: bool | None) -> str:
    """succeeded / failed / incomplete, from the ledger's explicit flag or else its last phase."""
    if success is not None:
        return "succeeded" if success else "failed"
    word = phase.strip().lower()
    if word in SUCCESS_PHASES:
        return "succeeded"
    if word in FAILED_PHASES:
        return "failed"
    return "incomplete"


def ledger(payload: autopilot.Ledger, upload_type: str) -> Summary:
    files = {e.file for e in payload.edits if e.file}
    # The earlier tool wrote the run's outcome as "status" ("completed", "failed"); it outranks the phase.
    status = (payload.model_extra or {}).get("status")
    last = status if isinstance(status, str) and outcome(status, None) != "incomplete" else payload.phase
    return Summary(
        status=outcome(last, payload.success), external_id=payload.run_id,
        timestamp=payload.started_at,
        fields={"phase": payload.phase, "editsCount": len(payload.edits), "filesChanged": len(files),
                "startedAt": payload.started_at, "finishedAt": payload.finished_at},
    )


def snapshot(payload: autopilot.Snapshot, upload_type: str) -> Summary:
    return Summary(external_id=payload.snapshot_id, timestamp=payload.timestamp,
                   fields={"filesCount": len(payload.files), "ledgerRunId": payload.run_id})


def recipe_trust(payload: autopilot.RecipeTrust, upload_type: str) -> Summary:
    trusts = [r.trust for r in payload.recipes if r.trust is not None]
    return Summary(fields={"recipesCount": len(payload.recipes),
                           "avgTrust": round(sum(trusts) / len(trusts), 4) if trusts else None})


def history(payload: autopilot.RunHistory, upload_type: str) -> Summary:
    outcomes = [outcome(r.phase or "", r.success) for r in payload.runs]
    return Summary(fields={"runsCount": len(outcomes), "succeeded": outcomes.count("succeeded"),
                           "failed": outcomes.count("failed")})



def items(upload_type: str, data: Any) -> tuple[str, list[dict[str, Any]]]:
    """Edits of a ledger, files of a snapshot, recipes, or history runs."""
    if upload_type == "ledger":
        return "edits", first_list(data, "edits")
    if upload_type == "snapshot":
        files = data.get("files") if isinstance(data, dict) else None
        if isinstance(files, dict):
            files = [{"path": p, "content": c} for p, c in files.items()]
        return "files", files or []
    if upload_type == "recipe-trust":
        recipes = data.get("recipes") if isinstance(data, dict) else None
        if isinstance(recipes, dict):
            recipes = [{"id": k, **(v if isinstance(v, dict) else {"trust": v})} for k, v in recipes.items()]
        return "recipes", recipes or []
    return "runs", data if isinstance(data, list) else first_list(data, "runs")
