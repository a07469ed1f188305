"""Fixtures of the CLI tests: an isolated ODAVL_HOME, and a runner for the real ``odavl`` executable."""
from __future__ import annotations


import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.addressing import declare

ROOT = Path(__file__).resolve().parents[2]
ODAVL = str(Path(sys.executable).with_name("odavl"))
FIXTURE_WORKSPACE = ROOT / "tests" / "fixtures" / "workspace"
ENV_VARS = ("ODAVL_HOME", "ODAVL_CLOUD_API", "ODAVL_API_KEY", "ODAVL_ORGANIZATION_ID", "ODAVL_PROJECT_ID")


@pytest.fixture
def odavl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ODAVL_HOME and none of the ODAVL_* overrides from the outer environment."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "odavl-home"
    monkeypatch.setenv("ODAVL_HOME", str(home))
    return home


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_odavl(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120) -> Run:
    """Run the installed ``odavl`` executable with ``env`` on top of a clean environment."""
    base = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    base.update({"COLUMNS": "200", "NO_COLOR": "1"})
    base.update(env or {})
    proc = subprocess.run([ODAVL, *args], env=base, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """A copy of the sample workspace (every kind of .odavl/ file), safe to modify."""
    target = tmp_path / "shop-web"
    shutil.copytree(FIXTURE_WORKSPACE, target)
    yield target


class Cli:
    """``odavl`` bound to one organization of the stack and a private ODAVL_HOME."""

    def __init__(self, stack: Any, home: Path, org_id: str, key: str) -> None:
        self.stack, self.home, self.org_id, self.key = stack, home, org_id, key

    def env(self, **extra: str) -> dict[str, str]:
        return {"ODAVL_HOME": str(self.home), "ODAVL_CLOUD_API": self.stack.api_url, "ODAVL_API_KEY": self.key, **extra}

    def __call__(self, *args: str, **extra: str) -> Run:
        return run_odavl(*args, env=self.env(**extra))

    def json(self, *args: str, **extra: str) -> Any:
        result = self(*args, "--json", **extra)
        assert result.code == 0, result.output
        return json.loads(result.stdout)

    def blob(self, data: bytes) -> bytes:
        """The stored bytes of this organization's blob of ``data`` (exactly one object under its prefix)."""
        s3 = self.stack.client("s3")
        bucket = self.stack.resources.get("bucket") or next(v for k, v in self.stack.resources.items() if "bucket" in k.lower())
        prefix = f"orgs/{self.org_id}/blobs/{declare(data)['sha256']}/"  # the content address
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        assert len(keys) == 1, keys
        return self.s3_object(keys[0])

    def s3_object(self, key: str) -> bytes:
        bucket = self.stack.resources.get("bucket") or next(v for k, v in self.stack.resources.items() if "bucket" in k.lower())
        return self.stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def cli(stack: Any, tmp_path: Path) -> Cli:
    """A fresh organization (ENTERPRISE: no quota in the way) for every test, so counts are exact."""
    org_id = f"cli-{uuid.uuid4().hex[:10]}"
    return Cli(stack, tmp_path / "home", org_id, stack.create_org(org_id, "enterprise"))




@pytest.fixture
def ws(workspace: Path) -> Path:
    return workspace
