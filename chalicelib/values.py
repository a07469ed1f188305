"""Converting between JSON values and what DynamoDB stores (Decimal instead of float)."""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def to_dynamo(value: Any) -> Any:
    """Floats to Decimal (non-finite ones to None), recursively."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(round(value, 6))) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(v) for v in value]
    return value


def to_plain(value: Any) -> Any:
    """Decimal back to int or float, recursively."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
