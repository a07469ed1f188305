"""Insight payloads: the problems-panel export (``analysis-results``), one detector's findings
(``detector-<name>``) and training data (``ml-training``, also error signatures)."""
from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from chalicelib.models.payloads.common import LooseText, PayloadModel, Severity, to_text, normalize_severity
from chalicelib.models.payloads.numbers import Position


class Diagnostic(PayloadModel):
    """One problem as the panel exports it (1-based line and column)."""

    severity: str | int | None = None  # words or VS Code's numbers: ``normalize_severity`` when counting
    message: str = Field(max_length=20_000)
    source: str | None = None
    code: str | int | dict[str, Any] | None = None  # "no-unused-vars", 2304 or {"value": ..., "target": ...}
    line: Position | None = None
    column: Position | None = None

    @property
    def severity_word(self) -> str:
        return normalize_severity(self.severity)

    @property
    def code_text(self) -> str | None:
        return to_text(self.code)


class AnalysisResults(PayloadModel):
    """``.odavl/problems-panel-export.json``: diagnostics grouped by file path.

    A list of ``{"file"|"filePath"|"uri", "diagnostics": [...]}`` entries is accepted too."""

    diagnostics: dict[str, list[Diagnostic]]

    @model_validator(mode="before")
    @classmethod
    def _files_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("diagnostics"), list):
            grouped: dict[str, list[Any]] = {}
            for entry in data["diagnostics"]:
                if isinstance(entry, dict) and isinstance(entry.get("diagnostics"), list):
                    path = entry.get("file") or entry.get("filePath") or entry.get("uri") or ""
                    grouped.setdefault(str(path), []).extend(entry["diagnostics"])
                else:
                    return data  # let validation explain what is wrong
            data = {**data, "diagnostics": grouped}
        return data


class DetectorIssue(PayloadModel):
    """One finding of a detector (security, performance, ...)."""

    severity: Severity = "info"
    message: str = Field(max_length=20_000)
    file: str | None = None
    line: Position | None = None
    column: Position | None = None
    rule_id: LooseText = Field(default=None, alias="ruleId")

    @model_validator(mode="before")
    @classmethod
    def _file_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "file" not in data and "filePath" in data:
            data = {**data, "file": data["filePath"]}
        return data


class DetectorResults(PayloadModel):
    """A single detector's findings."""

    detector: str | None = None
    issues: list[DetectorIssue] = Field(default_factory=list)


class MlTraining(PayloadModel):
    """Training data: free-form, but an object; ``samples``/``records``/``signatures`` lists are counted."""

    samples: list[Any] | None = None
    records: list[Any] | None = None
    signatures: list[Any] | None = None
