"""Run items: one per upload, the summary of its payload (never the payload itself).

Key: pk=RUNS#<orgId>#<product>, sk=RUN#<runId> (runId is time-sortable, so sk order is upload
order and a time range is a key range). When the run has a project: gsi1pk=RUNS#<orgId>#<product>#P#<projectId>,
gsi1sk=RUN#<runId> lists one project's runs the same way."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from chalicelib.store import pages, transact
from chalicelib.store.tables import table, table_name


def run_pk(org_id: str, product: str) -> str:
    return f"RUNS#{org_id}#{product}"


def project_pk(org_id: str, product: str, project_id: str) -> str:
    return f"RUNS#{org_id}#{product}#P#{project_id}"


def run_sk(run_id: str) -> str:
    return f"RUN#{run_id}"


def run_key(org_id: str, product: str, run_id: str) -> dict[str, str]:
    return {"pk": run_pk(org_id, product), "sk": run_sk(run_id)}


def put_entry(item: dict[str, Any]) -> dict[str, Any]:
    """A Put entry for a new run item (``item`` holds orgId, product, runId, projectId, ...)."""
    record = {**run_key(item["orgId"], item["product"], item["runId"]), **item}
    if item.get("projectId"):
        record["gsi1pk"] = project_pk(item["orgId"], item["product"], item["projectId"])
        record["gsi1sk"] = run_sk(item["runId"])
    return transact.put(table_name("runs"), record, condition="attribute_not_exists(pk)")


def delete_entry(org_id: str, product: str, run_id: str) -> dict[str, Any]:
    """A Delete entry that cancels the transaction when the run is already gone."""
    return transact.delete(table_name("runs"), run_key(org_id, product, run_id), condition="attribute_exists(pk)")


def get(org_id: str, product: str, run_id: str) -> dict[str, Any] | None:
    """The run item, or None (also for another organization's run: the key holds the org)."""
    return table("runs").get_item(Key=run_key(org_id, product, run_id), ConsistentRead=True).get("Item")


def iterate(org_id: str, product: str, *, project_id: str | None = None, sk_from: str | None = None,
            sk_to: str | None = None, filters: dict[str, Any] | None = None, start_key: dict[str, Any] | None = None,
            batch: int = 100, projection: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Matching run items, newest first, fetched ``batch`` evaluated items at a time; ``filters`` maps
    attribute paths (``build.branch``) to the value each must equal."""
    for items, _ in query_pages(org_id, product, project_id=project_id, sk_from=sk_from, sk_to=sk_to,
                                filters=filters, start_key=start_key, batch=batch, projection=projection):
        yield from items


def query_pages(org_id: str, product: str, *, project_id: str | None = None, sk_from: str | None = None,
                sk_to: str | None = None, filters: dict[str, Any] | None = None,
                start_key: dict[str, Any] | None = None, batch: int = 100,
                projection: list[str] | None = None) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
    """One (matching items, key to resume after this Query or None at the end) per Query call."""
    if project_id:
        hash_name, range_name, hash_value = "gsi1pk", "gsi1sk", project_pk(org_id, product, project_id)
    else:
        hash_name, range_name, hash_value = "pk", "sk", run_pk(org_id, product)
    condition = Key(hash_name).eq(hash_value)
    if sk_from and sk_to:
        condition &= Key(range_name).between(sk_from, sk_to)
    elif sk_from:
        condition &= Key(range_name).gte(sk_from)
    elif sk_to:
        condition &= Key(range_name).lte(sk_to)
    else:
        condition &= Key(range_name).begins_with("RUN#")
    kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ScanIndexForward": False, "Limit": batch}
    if project_id:
        kwargs["IndexName"] = "gsi1"
    if filters:
        kwargs["FilterExpression"] = _all_equal(filters)
    if projection:
        names = {f"#p{i}": name for i, name in enumerate(projection)}
        kwargs["ProjectionExpression"] = ", ".join(names)
        kwargs["ExpressionAttributeNames"] = names
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    tbl = table("runs")
    while True:
        page = tbl.query(**kwargs)
        yield page.get("Items", []), page.get("LastEvaluatedKey")
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def page_key(item: dict[str, Any], by_project: bool) -> dict[str, Any]:
    """The key to resume a query after ``item``."""
    names = ("pk", "sk", "gsi1pk", "gsi1sk") if by_project else ("pk", "sk")
    return {name: item[name] for name in names}


def _all_equal(filters: dict[str, Any]) -> ConditionBase | None:
    """One filter expression: every attribute equals its value (None for no filter)."""
    combined: ConditionBase | None = None
    for name, value in filters.items():
        condition = Attr(name).eq(value)
        combined = condition if combined is None else combined & condition
    return combined


def older_than(org_id: str, product: str, sk_before: str, batch: int = 100) -> Iterator[dict[str, Any]]:
    """Run items whose sort key sorts before ``sk_before`` (oldest first; key attributes and sizes only)."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(run_pk(org_id, product)) & Key("sk").between("RUN#", sk_before),
        "ScanIndexForward": True, "Limit": batch,
        "ProjectionExpression": "runId, createdAt, storedBytes, projectId, #t",
        "ExpressionAttributeNames": {"#t": "type"},
    }
    yield from pages.items(table("runs").query, **kwargs)
