"""Cost per upload: the AWS requests one Insight upload makes (inline door, in-process moto,
counted on the service's own boto3 clients) for 1 and for 10,000 diagnostics, priced per million
uploads, beside the anchor design that stores one DynamoDB item per diagnostic.
Goal: the two request counts are equal (DynamoDB writes do not grow with the payload)."""
from __future__ import annotations

import base64
import gzip
import json
import uuid
from typing import Any

from bench.awscalls import PRICE_S3_PUT, PRICE_WRU, PRICES_TEXT, Tally, counting, item_size, _python_to_dynamo
from bench.common import Result, in_process_aws, require_route
from bench.data import insight_export

NAME = "cost"
TITLE = "AWS requests and cost per Insight upload (1 vs 10,000 diagnostics) vs one item per diagnostic"
SIZES = (1, 10_000)
MILLION = 1_000_000


def _upload(client: Any, key: str, export: dict[str, Any]) -> Any:
    raw = json.dumps(export).encode()
    body = {"type": "analysis-results", "data": base64.b64encode(gzip.compress(raw, 6, mtime=0)).decode(),
            "compressed": True}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    reply = client.http.post("/v1/upload/insight", headers=headers, body=json.dumps(body))
    if reply.status_code != 201:
        raise RuntimeError(f"upload answered {reply.status_code}: {reply.body[:300]!r}")
    return reply


def _per_diagnostic_anchor(export: dict[str, Any]) -> tuple[float, int]:
    """WRU of writing every diagnostic as its own item (BatchWriteItem, 25 a request), and the requests."""
    wru, count = 0.0, 0
    for path, diagnostics in export["diagnostics"].items():
        for i, diag in enumerate(diagnostics):
            item = {"pk": "RUN#org#01JD000000000000", "sk": f"DIAG#{path}#{i:06d}", **diag,
                    "code": json.dumps(diag.get("code"))}
            wru += max(1, -(-item_size(_python_to_dynamo(item)) // 1024))
            count += 1
    return wru, -(-count // 25)


def run() -> Result:
    result = Result(NAME, TITLE, goal="requests(10,000) ÷ requests(1) = 1", ratio_label="requests(10,000) ÷ requests(1)")
    with in_process_aws():
        require_route("/v1/upload/{product}", "POST")
        from chalice.test import Client

        from app import app
        from chalicelib.services import orgs
        from chalicelib.store import clients

        _, key = orgs.create_org("bench-cost", "enterprise")
        tallies: dict[int, Tally] = {}
        with Client(app) as client:
            _upload(client, key, insight_export(3, seed=1))  # every client exists, lastUsedAt is fresh
            for size in SIZES:
                with counting(clients.all_clients()) as tally:
                    _upload(client, key, insight_export(size, seed=size))
                tallies[size] = tally
    result.add(f"prices: {PRICES_TEXT}")
    result.add("request units: item sizes from the request parameters; transactions count 2× per item; "
               "UpdateItem and DeleteItem counted as 1 WRU")
    for size, tally in tallies.items():
        result.add(f"{size:>6,} diagnostics: {tally.summary()}")
        result.add(f"        cost per upload ${tally.cost():.8f}; per million uploads ${tally.cost() * MILLION:,.2f}")
    big = insight_export(SIZES[-1], seed=SIZES[-1])
    anchor_wru, anchor_batches = _per_diagnostic_anchor(big)
    ours = tallies[SIZES[-1]]
    anchor_cost = anchor_wru * PRICE_WRU + PRICE_S3_PUT * 0
    result.add(f"anchor, one DynamoDB item per diagnostic ({SIZES[-1]:,}): {anchor_wru:,.0f} WRU in {anchor_batches} "
               f"BatchWriteItem requests = ${anchor_cost:.6f} per upload, ${anchor_cost * MILLION:,.2f} per million uploads "
               "(writes alone, before any read or storage)")
    result.add(f"ours ÷ anchor (cost per upload of {SIZES[-1]:,} diagnostics): {ours.cost() / anchor_cost:.5f}")
    small_n, big_n = (sum(tallies[s].requests.values()) for s in SIZES)
    result.ratio = big_n / small_n
    result.met = tallies[SIZES[0]].requests == tallies[SIZES[-1]].requests
    return result
