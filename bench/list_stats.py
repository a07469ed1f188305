"""List + stats: ``GET /v1/runs/guardian`` (a page of 20 and the stats of the whole filtered set) at 100,
1,000 and 10,000 runs, served in-process by the app on in-process moto (a fresh stack per size): the
DynamoDB requests and read units of one call, unfiltered, filtered (passed=true, a project and an
environment) and over a range. Goal: the same requests at every size. Before the aggregates the
same call made 11 queries and read 1,000 RRU at 10,000 runs, and stopped there (``complete: false``).

The runs are written straight to the table with the service's own item and aggregate entries (the
aggregate entries summed per bucket before they are applied): ingesting 10,000 runs one transaction
at a time would only measure moto's TransactWriteItems, which copies the tables it touches."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from bench.awscalls import Tally, counting
from bench.common import Result, in_process_aws

NAME = "list_stats"
TITLE = "DynamoDB requests of one list + stats call at 100, 1,000 and 10,000 runs (goal: equal)"
SIZES = (100, 1_000, 10_000)
ORG = "bench-list"
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
QUERIES = {
    "unfiltered": "limit=20",
    "passed=true": "limit=20&passed=true",
    "project+environment": "limit=20&projectId=web&environment=production",
    "range (10 days)": "limit=20&from=2026-10-02T05:30:00Z&to=2026-10-12T17:10:00Z",
}


def _item(i: int) -> dict[str, Any]:
    at = START + timedelta(minutes=7 * i)
    failed = i % 5 == 0
    return {
        "orgId": ORG, "product": "guardian", "type": "test-results", "runId": f"{int(at.timestamp() * 1000):012x}{i:08d}",
        "uploadId": f"up-{i}", "timestamp": at.isoformat().replace("+00:00", "Z"), "metadataJson": "{}",
        "projectId": ("web", "api")[i % 3 == 0], "createdAt": at.isoformat().replace("+00:00", "Z"),
        "status": "failed" if failed else "passed", "passed": not failed,
        "environment": ("production", "staging")[i % 2], "statsCounted": True,
        "summary": {"testsCount": 2, "accessibilityScore": Decimal(str(60 + i % 40)), "vulnerabilities": i % 3},
    }


def _store(n: int) -> None:
    from chalicelib.services import run_stats
    from chalicelib.store import runs as run_store
    from chalicelib.store.tables import table

    sums: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    runs = table("runs")
    with runs.batch_writer() as batch:
        for i in range(n):
            item = _item(i)
            record = {**run_store.run_key(ORG, "guardian", item["runId"]), **item}
            record["gsi1pk"], record["gsi1sk"] = run_store.project_pk(ORG, "guardian", item["projectId"]), record["sk"]
            batch.put_item(Item=record)
            for entry in run_stats.entries(item):
                update = entry["Update"]
                key = (update["Key"]["pk"]["S"], update["Key"]["sk"]["S"])
                names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
                for alias, name in names.items():
                    value = values[":" + alias[1:]]
                    if name.startswith("f."):
                        sums[key][name] = value["S"]
                    else:
                        sums[key][name] = sums[key].get(name, 0) + float(value["N"])
    with runs.batch_writer() as batch:
        for (pk, sk), attributes in sums.items():
            batch.put_item(Item={"pk": pk, "sk": sk, **{k: (v if isinstance(v, str) else Decimal(str(v)))
                                                        for k, v in attributes.items()}})


def _measure(n: int) -> dict[str, tuple[Tally, dict[str, Any]]]:
    from chalice.test import Client

    with in_process_aws():
        from app import app
        from chalicelib.services import orgs
        from chalicelib.store import clients

        _, key = orgs.create_org(ORG, "enterprise")
        headers = {"Authorization": f"Bearer {key}"}
        _store(n)
        out = {}
        with Client(app) as client:
            client.http.get("/v1/runs/guardian?limit=1", headers=headers)  # warm: clients, models
            for label, query in QUERIES.items():
                with counting(clients.all_clients()) as tally:
                    reply = client.http.get(f"/v1/runs/guardian?{query}", headers=headers)
                assert reply.status_code == 200, reply.body[:300]
                out[label] = (tally, json.loads(reply.body))
        return out


def _ddb(tally: Tally) -> int:
    return sum(v for k, v in tally.requests.items() if k.startswith("dynamodb."))


def run() -> Result:
    result = Result(name=NAME, title=TITLE)
    by_size = {n: _measure(n) for n in SIZES}
    for label in QUERIES:
        cells = []
        for n in SIZES:
            tally, reply = by_size[n][label]
            cells.append(f"{n:,} runs: {_ddb(tally)} DynamoDB requests, {tally.rru:g} RRU, stats.runs={reply['stats']['runs']}")
        result.add(f"{label}: " + "; ".join(cells))
    tally, _ = by_size[SIZES[-1]]["unfiltered"]
    result.add(f"at {SIZES[-1]:,} runs, unfiltered: {tally.summary()}")
    result.add("before the aggregates (issue 18's measurement): 11 queries and 1,000 RRU per call at 10,000 runs, "
               "stopping there with complete: false; status=failed at 1,000 runs: 49 queries, 2,000 items read")
    counts = {label: [_ddb(by_size[n][label][0]) for n in SIZES] for label in QUERIES}
    equal = all(len(set(v)) == 1 for v in counts.values())
    result.ratio_label = f"DynamoDB requests at {SIZES[-1]:,} ÷ at {SIZES[0]:,} runs (unfiltered)"
    result.ratio = counts["unfiltered"][-1] / counts["unfiltered"][0]
    result.goal = "1.0 (and equal for every filter)"
    result.met = equal
    if not equal:
        result.add("unequal: " + json.dumps(counts))
    return result
