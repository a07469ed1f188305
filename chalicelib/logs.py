"""Structured JSON logs (Powertools Logger) shared by routes and schedules."""
from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="odavl-cloud")
