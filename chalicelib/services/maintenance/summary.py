"""How maintenance jobs report: one summary log line per run and CloudWatch metrics in EMF,
flushed at once (a scheduled Lambda has no request-scoped metrics flush)."""
from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.config import get_settings
from chalicelib.logs import logger

# The namespace when POWERTOOLS_METRICS_NAMESPACE is not set (an operator's shell): the deployed one.
DEFAULT_NAMESPACE = "ODAVLCloud"


def emit_metric(name: str, value: float, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """Emit one metric now (namespace from POWERTOOLS_METRICS_NAMESPACE, else the default), dimensioned by stage."""
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    with single_metric(name=name, unit=unit, value=value, namespace=namespace) as metric:
        metric.add_dimension(name="stage", value=get_settings().stage)
        for key, val in dimensions.items():
            metric.add_dimension(name=key, value=val)


def log_summary(job: str, counts: dict[str, Any], *, failed: bool = False) -> str:
    """Log one line: ``<job>: key=value ...`` (also as structured fields); returns the line."""
    line = f"{job}: " + " ".join(f"{key}={value}" for key, value in counts.items())
    if failed:
        logger.error(line, extra={"job": job, "counts": counts})
    else:
        logger.info(line, extra={"job": job, "counts": counts})
    return line
