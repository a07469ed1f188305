"""Insight summaries: diagnostics counted by severity and source, detector findings, training sets."""
from __future__ import annotations

from typing import Any

from chalicelib.models.payloads import insight
from chalicelib.models.payloads.common import normalize_severity
from chalicelib.services.summaries.summary import Summary, count_by, first_list


def detector(payload: insight.DetectorResults, upload_type: str) -> Summary:
    """A detector's findings (the one summary that needs the type's name: ``detector-<name>``)."""
    severities = [i.severity for i in payload.issues]
    return Summary(timestamp=_timestamp(payload), fields={
        "detector": payload.detector or upload_type.removeprefix("detector-"),
        "issuesCount": len(severities), "bySeverity": count_by(severities),
    })


def analysis(payload: insight.AnalysisResults, upload_type: str) -> Summary:
    severities = [d.severity_word for diags in payload.diagnostics.values() for d in diags]
    files_with = sum(1 for diags in payload.diagnostics.values() if diags)
    return Summary(timestamp=_timestamp(payload), fields={
        "diagnosticsCount": len(severities), "filesCount": files_with, "bySeverity": count_by(severities),
    })


def training(payload: insight.MlTraining, upload_type: str) -> Summary:
    samples = payload.samples or payload.records or payload.signatures or []
    return Summary(timestamp=_timestamp(payload), fields={"samplesCount": len(samples)})



def items(upload_type: str, data: Any) -> tuple[str, list[dict[str, Any]]]:
    """The payload's issues, flattened (file, severity, message, line, column, code, source)."""
    if upload_type == "analysis-results":
        diagnostics = data.get("diagnostics") if isinstance(data, dict) else None
        flat: list[dict[str, Any]] = []
        if isinstance(diagnostics, dict):
            for path, diags in diagnostics.items():
                for d in diags or []:
                    flat.append(_issue(path, d))
        elif isinstance(diagnostics, list):
            for entry in diagnostics:
                path = entry.get("file") or entry.get("filePath") or entry.get("uri") or ""
                flat.extend(_issue(path, d) for d in entry.get("diagnostics", []))
        return "issues", flat
    if upload_type.startswith("detector-"):
        return "issues", [_issue(i.get("file") or i.get("filePath"), i) for i in first_list(data, "issues")]
    return "samples", [s if isinstance(s, dict) else {"value": s} for s in first_list(data, "samples", "records", "signatures")]


def _issue(path: Any, d: dict[str, Any]) -> dict[str, Any]:
    code = d.get("code")
    if isinstance(code, dict):
        code = code.get("value")
    return {**d, "file": path, "severity": normalize_severity(d.get("severity")), "code": code}


def _timestamp(payload: Any) -> str | None:
    extra = payload.model_extra or {}
    for name in ("timestamp", "exportedAt", "generatedAt"):
        if isinstance(extra.get(name), str):
            return extra[name]
    return None
