"""Usage bodies: the current period per metric, past periods, internal metering events."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.models.base import ApiModel, ApiResponse
from chalicelib.plans import Metric


class MetricUsage(ApiResponse):
    used: int
    limit: int | None = Field(description="null: unlimited on this plan")
    remaining: int | None
    percent: float | None = Field(description="used / limit x 100, one decimal; null when unlimited")
    warning: Literal[80, 90, 100] | None = Field(description="highest threshold crossed (80, 90, 100), else null")


class UsageView(ApiResponse):
    organization_id: str
    plan: str
    period: str = Field(description="UTC calendar month, YYYY-MM")
    period_start: str
    resets_at: str
    metrics: dict[str, MetricUsage] = Field(description="by metric: api_calls, storage_bytes (a gauge), insight_analyses, ...")


class HistoryQuery(ApiModel):
    months: int = Field(default=6, ge=1, le=24, description="how many periods, the current one included")


class PeriodSummary(ApiResponse):
    period: str
    current: bool
    closed: bool = Field(description="whether the monthly roll-over archived this period")
    plan: str | None = None
    metrics: dict[str, int]
    limits: dict[str, int | None]
    storage_bytes: int | None = None
    closed_at: str | None = None


class UsageHistory(ApiResponse):
    organization_id: str
    months: int
    items: list[PeriodSummary] = Field(description="newest first")


class IncrementRequest(ApiModel):
    metric: Metric
    amount: int = Field(default=1, ge=1, le=1_000_000_000)
    event_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$",
                          description="dedupe key: an event with a seen id counts nothing")


class IncrementResult(ApiResponse):
    event_id: str
    metric: str
    amount: int
    counted: bool = Field(description="false when this event id was already counted")
    used: int
    limit: int | None
    remaining: int | None
    period: str
