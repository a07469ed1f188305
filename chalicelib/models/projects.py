"""Project settings (base branch, quality gate), the comparison of a run, and one commit's runs."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse
from chalicelib.models.build import BranchName


class GateRules(ApiModel):
    """What fails a run's gate against its baseline."""

    max_new: dict[Literal["error", "warning", "info", "hint"], Annotated[int, Field(ge=0, le=1_000_000)] | None] = Field(
        default_factory=lambda: {"error": 0}, description="insight: new diagnostics allowed per severity")
    lighthouse_drop: float | None = Field(default=5, ge=0, le=100, description="points a Lighthouse category may drop")
    violation_impact: Literal["minor", "moderate", "serious", "critical"] | None = Field(
        default="serious", description="new accessibility violations at or above this impact fail")
    newly_failing_tests: bool = Field(default=True, description="guardian: a test that starts failing fails")


class ProjectSettingsBody(ApiModel):
    base_branch: BranchName = "main"
    gate: GateRules = Field(default_factory=GateRules)


class ProjectSettings(ApiResponse):
    project_id: str
    base_branch: str
    gate: dict[str, Any]


class CompareQuery(ApiModel):
    base: str = Field(default="auto", max_length=64, pattern=r"^(auto|[0-9a-z]{26})$",
                      description="auto (the rule of DESIGN.md) or a run id")
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=50, ge=1, le=500)


class Comparison(ApiResponse):
    run_id: str
    type: str
    baseline: dict[str, Any] | None = Field(description="runId, commit, branch, rule (ancestor, nearest_earlier, chosen), exact")
    counts: dict[str, Any] | None
    new: list[dict[str, Any]]
    fixed: list[dict[str, Any]]
    page: int
    page_size: int
    gate: dict[str, Any]


class CommitQuery(ApiModel):
    project_id: str = Field(min_length=1, max_length=128)


class CommitView(ApiResponse):
    commit: str
    project_id: str
    runs: list[dict[str, Any]]
    gate: str = Field(description="failed when any run's gate failed; passed; none without runs")
