"""The served stack under a burst, over real HTTP: 40 concurrent Insight uploads against a FREE
organization (10 analyses a month) store exactly 10 runs and answer exactly 10 201s and 30 429s,
with no 5xx and no connection reset; 120 connections at once are all answered."""
from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.uploads_inline.helpers import encode, fixture

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _burst(count: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(count)

    def one(i: int) -> Any:
        barrier.wait()
        try:
            return call(i)
        except httpx.HTTPError as exc:  # a reset or refused connection is a result here, not a crash
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_forty_concurrent_uploads_against_a_free_quota_store_exactly_ten_runs(stack: Any) -> None:
    key = stack.create_org(f"burst-{uuid.uuid4().hex[:8]}", "free")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    payload = fixture("insight", "analysis-results")

    def upload(i: int) -> int:
        data = encode({**payload, "exportedAt": f"2026-11-22T10:00:{i:02d}Z"})
        request = {"type": "analysis-results", "projectId": "burst", "compressed": True, "data": data}
        response = httpx.post(f"{stack.api_url}/v1/upload/insight", json=request,
                              headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, timeout=60)
        return response.status_code

    statuses = _burst(40, upload)
    errors = [s for s in statuses if not isinstance(s, int)]
    assert errors == [], errors[:3]
    assert sorted(statuses) == [201] * 10 + [429] * 30, statuses
    runs = httpx.get(f"{stack.api_url}/v1/runs/insight?projectId=burst&limit=100", headers=headers, timeout=30).json()
    assert len(runs["items"]) == 10, json.dumps(runs)[:300]


def test_a_hundred_and_twenty_connections_at_once_are_all_answered(stack: Any) -> None:
    statuses = _burst(120, lambda _: httpx.get(f"{stack.api_url}/v1/health", timeout=60).status_code)
    assert statuses == [200] * 120, [s for s in statuses if s != 200][:3]
