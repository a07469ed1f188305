"""Fixtures of the CLI tests: an isolated ODAVL_HOME, and a runner for the real ``odavl`` executable."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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
