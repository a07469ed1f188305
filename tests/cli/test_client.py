"""HTTP failures become one-line CliErrors, classified retryable or not (which decides queueing)."""
from __future__ import annotations

import httpx
import pytest

from odavl_cli.client import ApiClient, CliError, NotLoggedIn
from odavl_cli.config import Settings

SETTINGS = Settings("http://api.test", "odavl_abcdef0123456789_secretsecret", None, None)


def client_answering(handler) -> ApiClient:
    return ApiClient(SETTINGS, transport=httpx.MockTransport(handler))


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    body = {"error": {"code": code, "message": message, "details": {}}, "requestId": "r1"}
    return lambda request: httpx.Response(status, json=body, headers=headers or {})


@pytest.mark.parametrize("status,code,retryable", [
    (400, "validation_failed", False), (401, "revoked_api_key", False), (403, "missing_scope", False),
    (404, "not_found", False), (409, "idempotency_conflict", False), (413, "payload_too_large", False),
    (429, "rate_limited", True), (500, "internal", True), (502, "bad_gateway", True), (503, "queue_unavailable", True),
])
def test_status_classification(status, code, retryable):
    with client_answering(error(status, code, "Something\nhappened.")) as client, pytest.raises(CliError) as caught:
        client.get("/v1/whoami")
    exc = caught.value
    assert (exc.status, exc.code, exc.retryable) == (status, code, retryable)
    assert exc.message == f"Something happened. ({status} {code})"  # one line


def test_retry_after_is_read():
    handler = error(429, "quota_exceeded", "Slow down.", {"Retry-After": "12"})
    with client_answering(handler) as client, pytest.raises(CliError) as caught:
        client.post("/v1/upload/insight", json={})
    assert caught.value.retry_after == 12.0 and caught.value.retryable


def test_network_failures_and_timeouts_are_retryable():
    def refuse(request):
        raise httpx.ConnectError("Connection refused", request=request)

    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    for handler, code in ((refuse, "network"), (slow, "timeout")):
        with client_answering(handler) as client, pytest.raises(CliError) as caught:
            client.get("/v1/whoami")
        assert caught.value.retryable and caught.value.code == code
        assert "http://api.test" in caught.value.message


def test_a_non_json_error_page_is_one_line():
    with client_answering(lambda r: httpx.Response(502, text="<html>\n<body>Bad gateway</body>\n</html>")) as client:
        with pytest.raises(CliError) as caught:
            client.get("/v1/runs/insight")
    assert "\n" not in caught.value.message and caught.value.retryable


def test_an_unknown_route_is_named_and_the_key_is_never_echoed():
    body = {"message": f"Authorization header requires 'Credential' parameter. Authorization=Bearer {SETTINGS.api_key}"}
    with client_answering(lambda r: httpx.Response(403, json=body)) as client, pytest.raises(CliError) as caught:
        client.get("/v1/nothing")
    assert "has no route GET /v1/nothing" in caught.value.message
    assert "secret" not in caught.value.message and not caught.value.retryable


def test_key_is_sent_as_bearer_and_json_is_decoded():
    seen = {}

    def handler(request):
        seen["auth"] = request.headers["Authorization"]
        return httpx.Response(200, json={"ok": True})

    with client_answering(handler) as client:
        assert client.get("/v1/whoami") == {"ok": True}
    assert seen["auth"] == f"Bearer {SETTINGS.api_key}"


def test_no_key_is_not_logged_in():
    with pytest.raises(NotLoggedIn) as caught:
        ApiClient(Settings("http://api.test", None, None, None))
    assert caught.value.exit_code == 5  # ExitStatus.NOT_LOGGED_IN: never click's 2
