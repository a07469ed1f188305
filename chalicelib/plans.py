"""Plans and their monthly limits. ``None`` means unlimited."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Plan(str, Enum):
    FREE = "FREE"
    PRO = "PRO"
    ENTERPRISE = "ENTERPRISE"


class Metric(str, Enum):
    API_CALLS = "api_calls"
    STORAGE_BYTES = "storage_bytes"
    INSIGHT_ANALYSES = "insight_analyses"
    AUTOPILOT_RUNS = "autopilot_runs"
    GUARDIAN_TESTS = "guardian_tests"


@dataclass(frozen=True)
class PlanLimits:
    """What a plan allows per UTC month (storage is a gauge, not monthly)."""

    limits: dict[Metric, int | None]
    requests_per_minute: int
    retention_days: int

    def limit(self, metric: Metric) -> int | None:
        return self.limits.get(metric)


MB = 1024 * 1024
GB = 1024 * MB

PLANS: dict[Plan, PlanLimits] = {
    Plan.FREE: PlanLimits(
        limits={
            Metric.API_CALLS: 100,
            Metric.STORAGE_BYTES: 100 * MB,
            Metric.INSIGHT_ANALYSES: 10,
            Metric.AUTOPILOT_RUNS: 5,
            Metric.GUARDIAN_TESTS: 20,
        },
        requests_per_minute=100,
        retention_days=30,
    ),
    Plan.PRO: PlanLimits(
        limits={
            Metric.API_CALLS: 10_000,
            Metric.STORAGE_BYTES: 10 * GB,
            Metric.INSIGHT_ANALYSES: None,
            Metric.AUTOPILOT_RUNS: None,
            Metric.GUARDIAN_TESTS: None,
        },
        requests_per_minute=600,
        retention_days=90,
    ),
    Plan.ENTERPRISE: PlanLimits(
        limits={metric: None for metric in Metric},
        requests_per_minute=3000,
        retention_days=365,
    ),
}


def plan_limits(plan: str | Plan) -> PlanLimits:
    """Limits of a plan by name (unknown names fall back to FREE, the safest)."""
    try:
        return PLANS[Plan(str(plan).upper())]
    except ValueError:
        return PLANS[Plan.FREE]
