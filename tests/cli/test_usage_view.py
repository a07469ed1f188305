"""``odavl usage``: a bar per metric, coloured warnings at 80/90/100 %, the reset date."""
from __future__ import annotations

import pytest
from rich.console import Console

from odavl_cli.commands import usage

VIEW = {
    "organizationId": "acme", "plan": "FREE", "period": "2026-11", "periodStart": "2026-11-01T00:00:00Z",
    "resetsAt": "2026-12-01T00:00:00Z",
    "metrics": {
        "api_calls": {"used": 50, "limit": 100, "remaining": 50, "percent": 50.0, "warning": None},
        "autopilot_runs": {"used": 4, "limit": 5, "remaining": 1, "percent": 80.0, "warning": 80},
        "guardian_tests": {"used": 19, "limit": 20, "remaining": 1, "percent": 95.0, "warning": 90},
        "insight_analyses": {"used": 10, "limit": 10, "remaining": 0, "percent": 100.0, "warning": 100},
        "storage_bytes": {"used": 5 * 1024 * 1024, "limit": None, "remaining": None, "percent": None, "warning": None},
    },
}


@pytest.mark.parametrize("percent,colour", [(None, "green"), (0.0, "green"), (79.9, "green"), (80.0, "yellow"),
                                            (90.0, "red"), (99.9, "red"), (100.0, "bold red")])
def test_colour_thresholds(percent, colour):
    assert usage._colour(percent) == colour


def test_render_shows_every_metric_with_its_warning_and_the_reset(monkeypatch):
    console = Console(record=True, width=160, force_terminal=True, color_system="truecolor")
    monkeypatch.setattr(usage, "console", console)
    usage.render_usage(VIEW)
    styled = console.export_text(styles=True, clear=False)
    text = console.export_text()
    assert "acme on plan FREE, period 2026-11 (resets 2026-12-01T00:00:00Z)" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip() and line.split()[0] in VIEW["metrics"]}
    assert set(lines) == set(VIEW["metrics"])
    assert "50 / 100" in lines["api_calls"] and "over" not in lines["api_calls"]
    assert "over 80 %" in lines["autopilot_runs"]
    assert "over 90 %" in lines["guardian_tests"]
    assert "quota reached" in lines["insight_analyses"]
    assert "5.0 MB / unlimited" in lines["storage_bytes"]
    coloured = {line.split()[0]: line for line in styled.splitlines() if "over" in line or "reached" in line}
    assert "\x1b[33mover 80 %" in coloured["autopilot_runs"]  # yellow
    assert "\x1b[31mover 90 %" in coloured["guardian_tests"]  # red
    assert "\x1b[1;31mquota reached" in coloured["insight_analyses"]  # bold red
