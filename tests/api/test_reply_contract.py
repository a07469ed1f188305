"""Every route publishes the model of its reply, and what it sends is checked against it.

The suites run with ``ODAVL_CHECK_REPLIES=1`` (tests/conftest.py): each reply of every request in
the API, e2e and CLI tests is validated against its route's model, unknown fields refused. These
tests pin the parts that make that check mean something."""
from __future__ import annotations

import os
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from chalicelib import groups
from chalicelib.web.route import REGISTRY, ReplyMismatch, RouteSpec, check_reply
from tests.conftest import Org, body

groups.import_all()
SPECS = sorted({(s.method, s.path): s for s in REGISTRY}.values(), key=lambda s: (s.path, s.method))


def test_replies_are_checked_in_the_suites() -> None:
    assert os.environ.get("ODAVL_CHECK_REPLIES") == "1"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.method} {s.path}")
def test_every_route_names_its_reply_model_in_its_signature(spec: RouteSpec) -> None:
    """A route without a model answers 204 only; the model comes from the return annotation."""
    if spec.status == 204:
        assert spec.response is None
        return
    assert spec.response is not None, f"{spec.name} returns {spec.handler.__annotations__.get('return')!r}"
    assert "return" in spec.handler.__annotations__


def _models_within(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        for inner in _types_within(field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                _models_within(inner, seen)


def _types_within(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    return [hint] if not args else [t for a in args for t in _types_within(a)]


def test_every_reply_model_and_its_parts_refuse_unknown_fields() -> None:
    seen: set[type[BaseModel]] = set()
    for spec in SPECS:
        if spec.response is not None:
            _models_within(spec.response, seen)
    assert len(seen) > 20
    open_models = sorted(m.__name__ for m in seen if m.model_config.get("extra") != "forbid")
    assert not open_models


def _spec(method: str, path: str) -> RouteSpec:
    return next(s for s in SPECS if s.method == method and s.path == path)


def test_a_reply_with_a_field_its_model_lacks_is_refused(client, org: Org) -> None:
    sent = body(client.http.get("/v1/whoami", headers=org.headers))
    spec = _spec("GET", "/v1/whoami")
    check_reply(spec, 200, sent)  # what the route sends passes
    with pytest.raises(ReplyMismatch, match="extra"):
        check_reply(spec, 200, {**sent, "internalKey": "x"})
    with pytest.raises(ReplyMismatch, match="plan"):
        check_reply(spec, 200, {k: v for k, v in sent.items() if k != "plan"})
    with pytest.raises(ReplyMismatch, match="204"):
        check_reply(_spec("DELETE", "/v1/api-keys/{keyId}"), 204, {"gone": True})
