"""Fixtures shared by every test: a moto-backed AWS with the template's resources,
the Chalice test client, organizations with keys, and the local stack for end-to-end tests."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
# Every reply is validated against the model its route publishes (unknown fields refused).
os.environ["ODAVL_CHECK_REPLIES"] = "1"

from chalicelib import config  # noqa: E402
from chalicelib.store import clients  # noqa: E402

BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "ODAVL_STAGE": "test",
    "ODAVL_PUBLIC_URL": "http://testserver",
    "POWERTOOLS_METRICS_NAMESPACE": "ODAVLCloud",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """In-process moto with every resource of infra/resources.json created for stage 'test'."""
    from moto import mock_aws

    from infra.template import create_resources

    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    config.reset_settings()
    clients.reset()
    with mock_aws():
        names = create_resources(boto3.session.Session(region_name="us-east-1"), "test")
        yield names
    clients.reset()
    config.reset_settings()


@pytest.fixture
def client(aws: dict[str, str]) -> Iterator[Any]:
    """chalice.test.Client over the app, against the in-process moto."""
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


@dataclass
class Org:
    org_id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}


def make_org(org_id: str, plan: str = "pro") -> Org:
    from chalicelib.services import orgs

    _, key = orgs.create_org(org_id, plan)
    return Org(org_id, key)


@pytest.fixture
def org(aws: dict[str, str]) -> Org:
    """An organization on plan PRO with an admin key."""
    return make_org("acme", "pro")


@pytest.fixture
def other_org(aws: dict[str, str]) -> Org:
    """A second organization, to prove isolation."""
    return make_org("globex", "pro")


def body(response: Any) -> Any:
    """JSON body of a chalice test client response."""
    return json.loads(response.body) if response.body else None


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the documented error shape with this status (and code)."""
    assert response.status_code == status, response.body
    payload = body(response)
    assert set(payload) == {"error", "requestId"}, payload
    assert set(payload["error"]) == {"code", "message", "details"}, payload
    assert isinstance(payload["error"]["message"], str) and payload["error"]["message"]
    assert payload["requestId"]
    if code is not None:
        assert payload["error"]["code"] == code, payload
    return payload


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    """The local stack (moto's server + chalice local + worker), shared by end-to-end tests."""
    from infra.local_stack import LocalStack

    with LocalStack(quiet=os.environ.get("ODAVL_STACK_LOGS") != "1") as running:
        running.admin_key = running.create_org("e2e", "enterprise")
        yield running
