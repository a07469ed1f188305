"""The hostile corpus (cases.py) against the app: every bad request gets a 4xx in the documented
error shape, and the snapshot of every table, the bucket and the queues is the same after it."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from app import app  # noqa: F401  (registers every route, so the corpus covers them all)
from chalicelib import clock
from chalicelib.web.route import REGISTRY
from tests.api.hostile import snapshot
from tests.api.hostile.cases import DEFAULT_ID, Case, corpus
from tests.api.hostile.world import LATER, World, build
from tests.conftest import assert_error_shape

CASES = corpus()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with build() as built:
        yield built


def _resolve(path: str, world: World) -> str | None:
    """Fill {own:x}/{foreign:x} placeholders; None when the world has no such resource."""
    for scope, ids in (("own", world.own), ("foreign", world.foreign)):
        for name, value in ids.items():
            path = path.replace(f"{{{scope}:{name}}}", value)
    for name, value in world.own.items():
        path = path.replace(f"{{own?:{name}}}", value)
    path = re.sub(r"{own\?:[^}]+}", DEFAULT_ID, path)
    return None if "{own:" in path or "{foreign:" in path else path


def send(world: World, case: Case) -> Any:
    path = _resolve(case.path, world)
    if path is None:
        pytest.skip(f"the world has no resource for {case.path}")
    headers = {**world.authorization(case.credential), **case.headers}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    if case.later:
        with clock.frozen(world.created_at + LATER):
            return world.client.http.request(case.method, path, headers=headers, body=case.body or b"")
    return world.client.http.request(case.method, path, headers=headers, body=case.body or b"")


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_bad_request_is_refused_cleanly_and_changes_nothing(world: World, case: Case) -> None:
    # The previous row left the world as it found it (or failed), so its 'after' is this 'before'.
    before = world.last_snapshot or snapshot.take()
    world.last_snapshot = None
    response = send(world, case)
    after = snapshot.take()
    assert response.status_code < 500, f"{case.id}: {response.status_code} {response.body[:500]!r}"
    assert 400 <= response.status_code < 500, f"{case.id}: accepted with {response.status_code}: {response.body[:300]!r}"
    assert_error_shape(response, case.status or response.status_code, case.code)
    assert snapshot.diff(before, after) == []
    world.last_snapshot = after


def test_corpus_is_large_and_covers_every_authenticated_route() -> None:
    per_route = Counter(case.route for case in CASES)
    for spec in REGISTRY:
        if spec.auth:
            assert per_route[f"{spec.method} {spec.path}"] >= 5, f"{spec.method} {spec.path} has too few rows"
    if len(REGISTRY) > 10:  # once the upload/runs/usage routes are served, the corpus is 200+ rows
        assert len(CASES) >= 200, len(CASES)


def test_snapshot_sees_a_change(world: World) -> None:
    """The snapshot is able to fail: creating a key shows up in it."""
    world.last_snapshot = None
    before = snapshot.take()
    reply = world.client.http.post("/v1/api-keys", headers={**world.authorization("admin"),
                                   "Content-Type": "application/json"}, body=b'{"name": "seen"}')
    assert reply.status_code == 201
    changes = snapshot.diff(before, snapshot.take())
    assert any("api-keys added" in line for line in changes), changes
    key_id = reply.json_body["keyId"]
    assert world.client.http.delete(f"/v1/api-keys/{key_id}", headers=world.authorization("admin")).status_code == 204
