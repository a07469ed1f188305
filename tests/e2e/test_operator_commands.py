"""Every operator command, run exactly as the README shows, in a fresh process whose environment
is only what ``make serve`` prints to paste (no metrics namespace, no test settings): exit 0, one
JSON document on stdout (so ``| jq`` works), logs and metrics on stderr. And the way back in for
an organization that revoked its admin keys: ``create-key``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def admin(stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **stack.operator_env()}
    return subprocess.run([sys.executable, "-m", "chalicelib.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_printed_line_is_everything_an_operator_command_needs(stack: Any) -> None:
    exports = stack.operator_exports()
    assert exports.startswith("export ") and f"AWS_ENDPOINT_URL={stack.moto_url}" in exports
    org = f"ops-{uuid.uuid4().hex[:6]}"
    results: dict[str, dict[str, Any]] = {}
    for name, args in [("create-org", ["create-org", org, "--plan", "free"]),
                       ("create-key", ["create-key", org, "--scopes", "runs:read"]),
                       ("set-plan", ["set-plan", org, "--plan", "pro"]),
                       ("rollover", ["rollover"]),
                       ("backup", ["backup"]),
                       ("restore-drill", ["restore-drill", "--table", "orgs"]),
                       ("retention", ["retention", "--deadline", "60"])]:
        done = admin(stack, *args)
        assert done.returncode == 0, (name, done.stdout[-500:], done.stderr[-2000:])
        results[name] = json.loads(done.stdout)  # the whole of stdout is one JSON document
        assert "SchemaValidationError" not in done.stderr
    assert results["create-org"]["organizationId"] == org
    assert results["create-key"]["scopes"] == ["runs:read"]
    assert results["set-plan"]["plan"] == "PRO"


def test_an_organization_cannot_revoke_its_last_admin_key_and_an_operator_can_mint_one(stack: Any) -> None:
    org = f"lock-{uuid.uuid4().hex[:6]}"
    created = admin(stack, "create-org", org, "--plan", "pro")
    assert created.returncode == 0, created.stderr[-1000:]
    key = json.loads(created.stdout)["apiKey"]
    headers = {"Authorization": f"Bearer {key}"}
    mine = httpx.get(f"{stack.api_url}/v1/whoami", headers=headers).json()["keyId"]
    refused = httpx.delete(f"{stack.api_url}/v1/api-keys/{mine}", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "last_admin_key"
    assert httpx.get(f"{stack.api_url}/v1/whoami", headers=headers).status_code == 200

    minted = admin(stack, "create-key", org)
    assert minted.returncode == 0, minted.stderr[-1000:]
    second = json.loads(minted.stdout)["apiKey"]
    assert "keys:admin" in json.loads(minted.stdout)["scopes"]
    assert httpx.delete(f"{stack.api_url}/v1/api-keys/{mine}", headers=headers).status_code == 204
    assert httpx.get(f"{stack.api_url}/v1/whoami", headers=headers).status_code == 401
    assert httpx.get(f"{stack.api_url}/v1/whoami", headers={"Authorization": f"Bearer {second}"}).status_code == 200

    unknown = admin(stack, "create-key", "no-such-org-here")
    assert unknown.returncode == 1 and "no-such-org-here" in unknown.stderr


def test_the_readme_shows_the_line_make_serve_prints_and_its_own_design_document() -> None:
    from infra.local_stack import LocalStack

    readme = (ROOT / "README.md").read_text()
    printed = LocalStack(moto_port=5000, api_port=8000).operator_exports()
    assert printed in readme.splitlines()
    assert "(docs/DESIGN.md)" in readme and "../shared" not in readme
    design = (ROOT / "docs" / "DESIGN.md").read_text()
    for section in ("## Layout", "## Flows", "## HTTP contract", "## Metering", "## Run summaries and their bounds",
                    "## Verified bytes and orphans", "## The local stack and operator commands"):
        assert section in design, section
