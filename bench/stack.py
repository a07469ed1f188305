"""The local stack (moto's server + ``chalice local``) for benchmarks that go over real HTTP, and an
httpx transport that counts the bytes a client puts on the wire."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bench.common import Skipped, environ


class CountingTransport(httpx.HTTPTransport):
    """Counts request bytes (request line, headers and body) of everything sent through it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bytes_sent = 0
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        head = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
        self.bytes_sent += len(head.encode()) + len(body)
        self.requests += 1
        return super().handle_request(request)


class TimingTransport(httpx.HTTPTransport):
    """Wall time spent in requests, by kind: API path (ids dropped) or 'S3 part PUT' / 'S3 POST'."""

    def __init__(self, api_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_url = api_url
        self.spent: dict[str, float] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import re
        import time

        started = time.perf_counter()
        response = super().handle_request(request)
        response.read()
        url = str(request.url)
        if url.startswith(self.api_url):
            kind = f"API {request.method} " + re.sub(r"/[0-9a-z]{20,}", "/{id}", request.url.path)
        else:
            kind = "S3 part PUT" if request.method == "PUT" else f"S3 {request.method}"
        self.spent[kind] = self.spent.get(kind, 0.0) + time.perf_counter() - started
        return response


@dataclass
class Running:
    stack: Any
    api_key: str
    home: str

    def cli(self, transport: httpx.BaseTransport | None = None) -> Any:
        """The ``odavl`` CLI's API client for this stack (the code every ``odavl`` command uses)."""
        from odavl_cli.client import ApiClient
        from odavl_cli.config import Settings

        return ApiClient(Settings(api_url=self.stack.api_url, api_key=self.api_key, organization_id=None,
                                  project_id="bench"), timeout=120.0, transport=transport)


@contextmanager
def local_stack(org_id: str, extra_env: dict[str, str] | None = None) -> Iterator[Running]:
    """Start moto's server and ``chalice local``; an ENTERPRISE organization; a private ODAVL_HOME."""
    try:
        import odavl_cli.transfer  # noqa: F401
    except ImportError as exc:
        raise Skipped(f"the odavl CLI's transfer module is missing ({exc})") from exc
    from infra.local_stack import LocalStack

    with tempfile.TemporaryDirectory(prefix="odavl-bench-") as home, LocalStack(worker=False, extra_env=extra_env or {}) as stack:
        key = stack.create_org(org_id, "enterprise")
        with environ({"ODAVL_HOME": home, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}):
            yield Running(stack, key, home)
