"""The whole service on one machine: moto's server, the template's resources, ``chalice local``
and the ingest worker, each a child process on 127.0.0.1. Used by ``make serve`` and the
end-to-end tests, so both exercise the same stack."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx

from infra.template import create_resources

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.HTTPError as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


@dataclass
class LocalStack:
    """Start with ``start()``, stop with ``stop()`` (or use as a context manager)."""

    moto_port: int = 0
    api_port: int = 0
    stage: str = "dev"
    worker: bool = True
    quiet: bool = True
    moto_log: Path | None = None  # where moto's request log goes when not quiet (None: the terminal)
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    resources: dict[str, str] = field(default_factory=dict)
    admin_key: str = ""

    def __post_init__(self) -> None:
        self.moto_port = self.moto_port or free_port()
        self.api_port = self.api_port or free_port()

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self) -> dict[str, str]:
        """Environment for every process of the stack (and for tests talking to it)."""
        env = dict(os.environ)
        env.update(
            {
                "AWS_ENDPOINT_URL": self.moto_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_REGION": "us-east-1",
                "ODAVL_STAGE": self.stage,
                "ODAVL_PUBLIC_URL": self.api_url,
                "POWERTOOLS_LOG_LEVEL": env.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
                "POWERTOOLS_METRICS_NAMESPACE": "ODAVLCloud",
                "PYTHONPATH": str(ROOT),
            }
        )
        env.update(self.extra_env)
        return env

    def operator_env(self) -> dict[str, str]:
        """What an operator command (``python -m chalicelib.admin ...``) needs to act on this stack;
        ``make serve`` prints it as the line to paste."""
        return {
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "ODAVL_STAGE": self.stage,
        }

    def operator_exports(self) -> str:
        return "export " + " ".join(f"{k}={v}" for k, v in self.operator_env().items())

    def boto3_session(self) -> boto3.session.Session:
        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )

    def client(self, service: str) -> Any:
        """A boto3 client pointed at this stack's moto server."""
        return self.boto3_session().client(service, endpoint_url=self.moto_url)

    def _spawn(self, args: list[str], log: Path | None = None) -> subprocess.Popen[bytes]:
        out: Any = subprocess.DEVNULL if self.quiet else None
        if log is not None and not self.quiet:
            log.parent.mkdir(parents=True, exist_ok=True)
            out = log.open("ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=out, stderr=out)
        if hasattr(out, "close"):
            out.close()  # the child holds its own descriptor
        self.procs.append(proc)
        return proc

    def start_moto(self) -> None:
        proc = self._spawn([sys.executable, "-m", "infra.moto_server", str(self.moto_port)], self.moto_log)
        _wait_http(f"{self.moto_url}/moto-api/", 60, proc)
        self.resources = create_resources(self.boto3_session(), self.stage, self.moto_url)

    def create_org(self, org_id: str, plan: str) -> str:
        """Create an organization through the operator command; returns its admin key."""
        out = subprocess.run(
            [sys.executable, "-m", "chalicelib.admin", "create-org", org_id, "--plan", plan],
            cwd=ROOT, env=self.env(), check=True, capture_output=True, text=True,
        ).stdout
        return str(json.loads(out)["apiKey"])

    def start_api(self) -> None:
        proc = self._spawn([sys.executable, "-m", "infra.api_server", "local", "--host", "127.0.0.1",
                            "--port", str(self.api_port), "--stage", self.stage,
                            "--no-autoreload"])  # a file saved elsewhere in the tree must not restart it mid-test
        _wait_http(f"{self.api_url}/v1/health", 60, proc)

    def start_worker(self) -> None:
        worker = ROOT / "infra" / "worker.py"
        if worker.exists():
            self._spawn([sys.executable, "-m", "infra.worker"])

    def start(self) -> "LocalStack":
        try:
            self.start_moto()
            self.start_api()
            if self.worker:
                self.start_worker()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
