"""What every benchmark shares: its result, the 'skipped' signal, the machine description,
and ways to get an AWS to run against (in-process moto or the local stack)."""
from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Environment that points the service at moto's in-process emulation (same as the test suite).
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "ODAVL_STAGE": "bench",
    "ODAVL_PUBLIC_URL": "http://testserver",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_NAMESPACE": "ODAVLCloud",
}


class Skipped(Exception):
    """A piece the benchmark needs is missing; the message says which."""


@dataclass
class Result:
    """Figures of one benchmark: human lines, the headline ratio and its goal."""

    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    ratio: float | None = None
    ratio_label: str = ""
    goal: str = ""
    met: bool | None = None
    skipped: str | None = None

    def add(self, line: str) -> None:
        self.lines.append(line)

    def text(self) -> str:
        out = [f"== {self.name}: {self.title}"]
        if self.skipped:
            out.append(f"skipped: {self.skipped}")
            return "\n".join(out)
        out.extend(f"  {line}" for line in self.lines)
        if self.ratio is not None:
            verdict = "" if self.met is None else ("  [goal met]" if self.met else "  [goal NOT met]")
            out.append(f"  ratio {self.ratio_label} = {self.ratio:.4g}  (goal {self.goal}){verdict}")
        return "\n".join(out)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def machine() -> dict[str, str]:
    """nproc, memory, Python and the CPU model, for RESULTS.md."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    return {
        "load": load,
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "python": sys.version.split()[0],
        "cpu": cpu,
        "platform": platform.platform(),
    }


@contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block, restoring the previous values after."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def in_process_aws() -> Iterator[dict[str, str]]:
    """In-process moto with the template's resources for stage 'bench' (as the API tests do)."""
    import boto3
    from moto import mock_aws

    from chalicelib import config
    from chalicelib.store import clients
    from infra.template import create_resources

    with environ(MOTO_ENV):
        saved_endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)
        config.reset_settings()
        clients.reset()
        try:
            with mock_aws():
                yield create_resources(boto3.session.Session(region_name="us-east-1"), "bench")
        finally:
            clients.reset()
            config.reset_settings()
            if saved_endpoint is not None:
                os.environ["AWS_ENDPOINT_URL"] = saved_endpoint


def has_route(path: str, method: str) -> bool:
    """Whether the app serves ``method path`` right now."""
    from app import app

    return method.upper() in app.routes.get(path, {})


def require_route(path: str, method: str) -> None:
    if not has_route(path, method):
        raise Skipped(f"route {method.upper()} {path} is not served yet")


def require_module(name: str) -> Any:
    """Import ``name`` or skip, naming what is missing."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Skipped(f"module {name} is missing ({exc})") from exc
