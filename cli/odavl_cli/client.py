"""HTTP to ODAVL Cloud. Every failure becomes one ``CliError`` with a one-line message and a
``retryable`` flag (network, timeout, 5xx, 429) that decides between queueing and giving up."""
from __future__ import annotations

import re
import time
from typing import Any

import httpx

from odavl_cli import __version__
from odavl_cli.config import Settings
from odavl_cli.exits import ExitStatus

RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}


class CliError(Exception):
    """A failure to show the user in one line; ``exit_code`` is what the process exits with."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None,
                 code: str | None = None, retry_after: float | None = None,
                 exit_code: int = ExitStatus.FAILED, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}  # the server's error details (what a caller can act on)
        self.retryable = retryable
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.exit_code = exit_code

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "status": self.status, "code": self.code, "retryable": self.retryable}


class NotLoggedIn(CliError):
    def __init__(self) -> None:
        super().__init__("Not logged in: run `odavl login --api-key <key>` or set ODAVL_API_KEY.",
                         exit_code=ExitStatus.NOT_LOGGED_IN)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> CliError:
    """The server's error shape turned into a CliError (falls back to the status line)."""
    status = response.status_code
    code = None
    details: dict[str, Any] = {}
    message = f"HTTP {status}"
    try:
        payload = response.json()
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            code = err.get("code")
            details = err["details"] if isinstance(err.get("details"), dict) else {}
            message = str(err.get("message") or message)
            said = describe_details(err.get("details"))
            if said:
                message = f"{message.rstrip('.')}: {said}"
        elif isinstance(payload, dict) and status in (403, 404) and "Authorization" in str(payload.get("message", "")):
            # API Gateway (and chalice local) answer an unknown route this way, echoing the header.
            request = response.request
            message = f"The API at {request.url.scheme}://{request.url.host}:{request.url.port} has no route {request.method} {request.url.path}"
            code = "no_such_route"
        elif isinstance(payload, dict) and payload.get("message"):
            message = str(payload["message"])
    except ValueError:
        text = response.text.strip().splitlines()
        if text:
            message = f"HTTP {status}: {text[0][:200]}"
    message = _redact(" ".join(message.split()))
    label = f"{status} {code}" if code else str(status)
    return CliError(
        f"{message} ({label})", retryable=status in RETRYABLE_STATUS or status >= 500, status=status,
        code=code, retry_after=parse_retry_after(response.headers.get("Retry-After")), details=details,
    )


MAX_DETAILS = 3


def describe_details(details: Any) -> str:
    """The first few things the server's ``details`` say, in one readable line: validation errors
    as ``field: problem``, then lists such as the allowed values, then other simple facts."""
    if not isinstance(details, dict) or not details:
        return ""
    said: list[str] = []
    errors = details.get("errors")
    if isinstance(errors, list):
        for error in errors[:MAX_DETAILS]:
            if isinstance(error, dict):
                where = ".".join(str(p) for p in error.get("loc") or [] if str(p) not in ("body", "query"))
                said.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
        extra = int(details.get("errorCount") or len(errors)) - min(len(errors), MAX_DETAILS)
        if extra > 0:
            said.append(f"and {extra} more")
    for name, value in details.items():
        if name in ("errors", "errorCount") or len(said) >= MAX_DETAILS + 1:
            continue
        if isinstance(value, list) and value and all(isinstance(v, (str, int, float)) for v in value):
            shown = ", ".join(str(v) for v in value[:8]) + (", ..." if len(value) > 8 else "")
            said.append(f"{name}: {shown}")
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and name not in ("requestId",):
            said.append(f"{name}: {value}")
    return "; ".join(said)


def _redact(message: str) -> str:
    """Never echo an API key back to the terminal or a CI log."""
    return re.sub(r"odavl_[A-Za-z0-9]+_[A-Za-z0-9_-]+", "odavl_***", message)


def network_error(exc: httpx.HTTPError, url: str) -> CliError:
    if isinstance(exc, httpx.TimeoutException):
        return CliError(f"Timed out talking to {url}.", retryable=True, code="timeout")
    reason = str(exc).split("\n")[0] or type(exc).__name__
    return CliError(f"Cannot reach {url}: {reason}", retryable=True, code="network")


# A 429 rate_limited whose Retry-After is at most this long is waited for (a few times) in place.
RATE_LIMIT_MAX_WAIT = 60.0
RATE_LIMIT_RETRIES = 3


class ApiClient:
    """Thin wrapper over httpx.Client: auth header, JSON in and out, errors as CliError."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0, require_key: bool = True,
                 transport: httpx.BaseTransport | None = None) -> None:
        if require_key and not settings.api_key:
            raise NotLoggedIn()
        self.settings = settings
        headers = {"User-Agent": f"odavl-cli/{__version__}", "Accept": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        self.http = httpx.Client(base_url=settings.api_url, headers=headers, timeout=timeout, transport=transport)
        # A second client without our auth header, for presigned S3 URLs.
        self.raw = httpx.Client(timeout=max(timeout, 120.0), transport=transport)

    def close(self) -> None:
        self.http.close()
        self.raw.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> Any:
        """Send a request; return the decoded JSON body (None when empty) or raise CliError."""
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response = self.http.request(method, path, json=json, params=params, headers=headers)
            except httpx.HTTPError as exc:
                raise network_error(exc, self.settings.api_url) from None
            if response.status_code < 400:
                break
            error = error_from_response(response)
            # The per-minute rate window frees up within a minute: wait for it here rather than queue.
            wait = error.retry_after
            if (error.code != "rate_limited" or wait is None or wait > RATE_LIMIT_MAX_WAIT
                    or attempt == RATE_LIMIT_RETRIES):
                raise error
            time.sleep(max(wait, 0.5))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(f"Unexpected non-JSON reply from {path} ({response.status_code}).", retryable=True) from None

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def wait_job(self, job_id: str, *, timeout: float = 300.0, interval: float = 0.5) -> dict[str, Any]:
        """Poll GET /v1/jobs/{id} until it ends; return the job view."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(f"/v1/jobs/{job_id}")
            if job.get("status") in ("succeeded", "failed", "cancelled"):
                return job
            if time.monotonic() > deadline:
                raise CliError(f"Job {job_id} still {job.get('status')} after {timeout:.0f}s; check `odavl jobs show {job_id}`.",
                               retryable=False)
            time.sleep(interval)
            interval = min(interval * 1.5, 3.0)
