"""What every payload model shares: extra fields kept (the tools add fields over time), lenient
numbers and strings where the tools are known to vary, and a bounded identifier type."""
from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

NaturalId = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class PayloadModel(BaseModel):
    """Base of every decoded payload: unknown fields allowed and kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


def to_text(value: Any) -> Any:
    """Codes arrive as strings, numbers or ``{"value": ..., "target": ...}`` objects."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict) and "value" in value:
        return to_text(value["value"])
    return json.dumps(value, sort_keys=True)[:200]


LooseText = Annotated[str | None, BeforeValidator(to_text)]

# VS Code's DiagnosticSeverity numbers, and the spellings the tools use.
_SEVERITY_NUMBERS = {0: "error", 1: "warning", 2: "info", 3: "hint"}
_SEVERITY_WORDS = {"information": "info", "informational": "info", "warn": "warning", "err": "error"}


def normalize_severity(value: Any) -> Any:
    """Lowercase word; VS Code numbers mapped to error/warning/info/hint."""
    if value is None:
        return "info"
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _SEVERITY_NUMBERS.get(value, "info")
    if isinstance(value, str):
        word = value.strip().lower()
        if word.isdigit():
            return _SEVERITY_NUMBERS.get(int(word), "info")
        return _SEVERITY_WORDS.get(word, word) or "info"
    return value


Severity = Annotated[str, BeforeValidator(normalize_severity), StringConstraints(max_length=40)]
