"""Autopilot payloads: a run's O-D-A-V-L ledger, an undo snapshot, recipe trust scores and the
run history."""
from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from chalicelib.models.payloads.common import NaturalId, PayloadModel
from chalicelib.models.payloads.numbers import Trust


class Edit(PayloadModel):
    """One file edit made during the act phase."""

    file: str | None = None
    recipe: str | None = None
    action: str | None = None


class Ledger(PayloadModel):
    """``.odavl/ledger/run-<runId>.json``."""

    run_id: NaturalId = Field(alias="runId")
    started_at: str | None = Field(default=None, alias="startedAt")
    finished_at: str | None = Field(default=None, alias="finishedAt")
    phase: str = Field(default="completed", max_length=40)
    edits: list[Edit] = Field(default_factory=list)
    success: bool | None = None
    phases: dict[str, Any] | None = None


class SnapshotFile(PayloadModel):
    path: str


class Snapshot(PayloadModel):
    """``.odavl/undo/<snapshotId>.json`` (and ``latest.json``): file contents before a run's edits."""

    snapshot_id: NaturalId = Field(alias="snapshotId")
    timestamp: str | None = None
    run_id: str | None = Field(default=None, alias="runId")
    files: list[SnapshotFile] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _files_as_map(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            data = {**data, "files": [{"path": p, "content": c} for p, c in data["files"].items()]}
        return data


class Recipe(PayloadModel):
    id: str | None = None
    trust: Trust | None = None


class RecipeTrust(PayloadModel):
    """``.odavl/recipes-trust.json``: a list of recipes, or a map of recipe id to its record."""

    recipes: list[Recipe] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _recipes_as_map(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("recipes"), dict):
            data = {**data, "recipes": [{"id": k, **(v if isinstance(v, dict) else {"trust": v})}
                                        for k, v in data["recipes"].items()]}
        return data


class HistoryEntry(PayloadModel):
    run_id: str | None = Field(default=None, alias="runId")
    success: bool | None = None
    phase: str | None = None


class RunHistory(PayloadModel):
    """``.odavl/history.json``: ``{"runs": [...]}`` or a bare list of runs."""

    runs: list[HistoryEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        return {"runs": data} if isinstance(data, list) else data
