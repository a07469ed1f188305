"""The two upload doors validate the fields they share the same way: a value one door refuses
the other refuses too (400), and one it accepts the other accepts."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.api.uploads_inline.helpers import encode, fixture
from tests.conftest import Org

DATA = json.dumps(fixture("insight", "analysis-results")).encode()

PROJECT_IDS = ["ok-project", "team/app:web", "a\x00b", "a\nb", "a#b", "..", "a/../b", "x" * 129, "-lead", ""]
METADATA = [{"branch": "main"}, {"ratio": float("nan")}, {"big": float("inf")}, {"pad": "x" * (17 * 1024)}]
TYPES = ["analysis-results", "detector-security.v2", "detector-sec_1", "detector-../x", "detector-", "nope"]


def _inline(client: Any, org: Org, **fields: Any) -> int:
    request = {"type": "analysis-results", "projectId": "p", "data": encode(DATA), "compressed": True, **fields}
    text = json.dumps(request, allow_nan=True)
    return client.http.post("/v1/upload/insight", headers=org.headers, body=text).status_code


def _large(client: Any, org: Org, **fields: Any) -> int:
    request = {"product": "insight", "type": "analysis-results", "fileName": "export.json",
               "contentType": "application/json", "size": len(DATA), "sha256": hashlib.sha256(DATA).hexdigest(),
               "projectId": "p", **fields}
    text = json.dumps(request, allow_nan=True)
    return client.http.post("/v1/uploads", headers=org.headers, body=text).status_code


def _accepted(status: int) -> bool:
    assert status < 500, status
    return status in (200, 201)


@pytest.mark.parametrize("field,values", [("projectId", PROJECT_IDS), ("metadata", METADATA), ("type", TYPES)])
def test_both_doors_accept_and_refuse_the_same_values(client: Any, org: Org, field: str, values: list[Any]) -> None:
    for value in values:
        inline, large = _inline(client, org, **{field: value}), _large(client, org, **{field: value})
        assert _accepted(inline) == _accepted(large), (field, value, inline, large)
    # and the doors are not simply refusing everything
    assert _accepted(_inline(client, org, **{field: values[0]})) and _accepted(_large(client, org, **{field: values[0]}))


def test_a_dotted_detector_name_goes_through_both_doors(client: Any, org: Org) -> None:
    assert _accepted(_inline(client, org, type="detector-security.v2"))
    assert _accepted(_large(client, org, type="detector-security.v2"))
