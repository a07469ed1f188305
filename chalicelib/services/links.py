"""Where the dashboard shows a run: its own module, so that reading runs does not import the
ingest pipeline (compare, pages, summaries) on a cold start."""
from __future__ import annotations

from chalicelib.config import get_settings


def run_url(product: str, run_id: str) -> str:
    """The dashboard's page of a run."""
    return f"{get_settings().dashboard_url}/{product}/runs/{run_id}"
