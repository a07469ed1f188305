"""`chalice package` turns each schedule (maintenance, usage roll-over) into a function with its intended cron expression."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.package import package

pytestmark = pytest.mark.xdist_group("package")

EXPECTED = {
    "DailyBackups": "cron(0 3 * * ? *)",
    "DailyRetention": "cron(30 3 * * ? *)",
    "MonthlyRollover": "cron(0 0 1 * ? *)",
}


@pytest.fixture(scope="module")
def sam(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = package("prod", tmp_path_factory.mktemp("sched") / "prod")
    return json.loads(Path(path).read_text())


def _schedules(doc: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, resource in doc["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "Schedule":
                found.setdefault(name, []).append(event["Properties"]["Schedule"])
    return found


def test_each_schedule_has_its_cron_expression(sam):
    schedules = _schedules(sam)
    for function, expression in EXPECTED.items():
        assert schedules.get(function) == [expression], schedules


def test_scheduled_functions_run_the_maintenance_handlers_with_stage_settings(sam):
    for function in EXPECTED:
        props = sam["Resources"][function]["Properties"]
        handler = {"DailyBackups": "maintenance.daily_backups", "DailyRetention": "maintenance.daily_retention",
                   "MonthlyRollover": "usage.monthly_rollover"}[function]
        assert props["Handler"] == f"chalicelib.routes.{handler}"
        env = props["Environment"]["Variables"]
        assert env["ODAVL_STAGE"] == "prod" and env["ODAVL_BACKUP_RETENTION_DAYS"] == "30"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "ODAVLCloud"
        assert props["Timeout"] == 900  # bounded work needs room: the handlers stop 15 s before it
