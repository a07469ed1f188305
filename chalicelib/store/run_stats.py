"""Run-list aggregates, kept in the runs table beside the runs they count.

One item per (organization, product, scope, bucket): scope is a project id or ``*`` (every
project); bucket is ``TOTAL``, ``DAY#yyyy-mm-dd`` or ``HOUR#yyyy-mm-ddThh`` (UTC). Inside, each
facet (a combination of the documented list filters a run has) is ``f.<hash>`` (its JSON) and its
counters ``c.<hash>.<name>``, moved with ADD in the run's own transaction, so the numbers are
always those of the runs that exist."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.store import pages, transact
from chalicelib.store.tables import table, table_name

TOTAL = "TOTAL"


def stats_pk(org_id: str, product: str, scope: str) -> str:
    return f"STATS#{org_id}#{product}#{scope}"


def bucket_entry(org_id: str, product: str, scope: str, bucket: str, facet_hash: str, facet_json: str,
                 counters: dict[str, int | float]) -> dict[str, Any]:
    """A transaction entry adding ``counters`` (negative to subtract) to one facet of one bucket."""
    names = {"#f": f"f.{facet_hash}"}
    values: dict[str, Any] = {":f": facet_json}
    adds = []
    for i, (name, amount) in enumerate(sorted(counters.items())):
        names[f"#c{i}"] = f"c.{facet_hash}.{name}"
        values[f":c{i}"] = Decimal(str(amount))
        adds.append(f"#c{i} :c{i}")
    expression = "SET #f = if_not_exists(#f, :f)" + (" ADD " + ", ".join(adds) if adds else "")
    return transact.update(table_name("runs"), {"pk": stats_pk(org_id, product, scope), "sk": bucket},
                           expression, names=names, values=values)


def get_bucket(org_id: str, product: str, scope: str, bucket: str) -> dict[str, Any] | None:
    return table("runs").get_item(Key={"pk": stats_pk(org_id, product, scope), "sk": bucket},
                                  ConsistentRead=True).get("Item")


def buckets(org_id: str, product: str, scope: str, sk_from: str, sk_to: str) -> Iterator[dict[str, Any]]:
    """The bucket items whose sort key lies in [sk_from, sk_to] (one Query, paged by DynamoDB's 1 MB)."""
    condition = Key("pk").eq(stats_pk(org_id, product, scope)) & Key("sk").between(sk_from, sk_to)
    yield from pages.items(table("runs").query, KeyConditionExpression=condition, ConsistentRead=True)


def uncounted_runs(limit: int) -> Iterator[dict[str, Any]]:
    """Run items not yet in the aggregates (stored before they existed), up to ``limit``: a Scan, for
    the one-time operator migration only."""
    condition = Attr("sk").begins_with("RUN#") & Attr("pk").begins_with("RUNS#") & Attr("statsCounted").not_exists()
    for count, item in enumerate(pages.items(table("runs").scan, FilterExpression=condition)):
        if count >= limit:
            return
        yield item


def counted_entry(run_key: dict[str, Any]) -> dict[str, Any]:
    """Marks a run stored before the aggregates existed as counted, once (backfill)."""
    return transact.update(table_name("runs"), run_key, "SET statsCounted = :t",
                           condition="attribute_exists(pk) AND attribute_not_exists(statsCounted)",
                           values={":t": True})
