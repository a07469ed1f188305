"""Operator commands: backup, restore-drill and retention print their reports as JSON."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from chalicelib import admin, clock
from chalicelib.config import TABLE_NAMES
from chalicelib.store import tables

NOW = datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc)


def _run(capsys, *argv: str) -> dict:
    capsys.readouterr()
    assert admin.main(list(argv)) == 0
    out = capsys.readouterr().out
    return json.loads(out[out.index("{\n"):])


def test_backup_then_restore_drill(aws, capsys):
    tables.table("orgs").put_item(Item={"pk": "ORG#x", "sk": "ORG", "orgId": "x", "plan": "FREE"})
    with clock.frozen(NOW):
        backup = _run(capsys, "backup")
        again = _run(capsys, "backup")
        drill = _run(capsys, "restore-drill", "--table", "orgs")
    assert backup["ok"] and len(backup["created"]) == len(TABLE_NAMES)
    assert again["created"] == [] and len(again["reused"]) == len(TABLE_NAMES)
    assert drill["ok"] and drill["restored_items"] == drill["source_items"] == 1
    assert drill["temporary_table_deleted"]


def test_retention_command_prints_counts(aws, capsys):
    with clock.frozen(NOW):
        report = _run(capsys, "retention", "--deadline", "60")
    assert {"runsDeleted", "filesDeleted", "bytesFreed", "complete"} <= set(report)


def test_create_org_from_a_name_then_change_its_plan(aws, capsys):
    from chalicelib.services import auth

    created = _run(capsys, "create-org", "--name", "Acme Corp", "--plan", "free")
    assert created["organizationId"] == "acme-corp" and created["plan"] == "FREE"
    assert auth.authenticate(created["apiKey"]).plan == "FREE"
    assert _run(capsys, "set-plan", "acme-corp", "--plan", "pro") == {"organizationId": "acme-corp", "plan": "PRO"}
    assert auth.authenticate(created["apiKey"]).plan == "PRO"  # effective on the next request
    capsys.readouterr()
    assert admin.main(["create-org", "--name", "Acme Corp"]) == 1  # the id is taken
    assert "already exists" in capsys.readouterr().err
