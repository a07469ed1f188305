"""Bounded numbers of the payload formats. Every number a payload model keeps either reaches a run
item (DynamoDB holds at most 38 digits and magnitudes below 1e126) or a summary computed from it,
so a value outside these ranges is refused as ``validation_failed`` instead of failing the write.
Inside the ranges pydantic's lax mode stays on (``12.0`` or ``"12"`` is a line number as older
exports wrote it); infinities and NaN are never numbers here."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

INT32_MAX = 2**31 - 1

# 0-based or 1-based line/column of a diagnostic or finding.
Position = Annotated[int, Field(ge=0, le=INT32_MAX)]
# How many of something (tests passed, failed, ...).
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
# A Lighthouse category score (0..1).
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
# An accessibility score (0..100).
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
# A recipe's trust (a fraction, or a percentage in older ledgers).
Trust = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
# A test's duration (seconds or milliseconds: up to ~31 years either way).
Duration = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
