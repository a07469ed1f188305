"""Usage items: monthly counters, the storage gauge, per-key rate windows, event markers
and closed-period history. Every increment is one atomic conditional write (no read-modify-write).

Keys (usage table):
  counter    pk=ORG#<orgId>  sk=PERIOD#<YYYY-MM>#<metric>   used
  gauge      pk=ORG#<orgId>  sk=GAUGE#storage_bytes          used
  event      pk=ORG#<orgId>  sk=EVENT#<eventId>              (dedupe marker, ttl)
  history    pk=ORG#<orgId>  sk=HIST#<YYYY-MM>               metrics, limits, plan, closedAt
  rate       pk=KEY#<keyId>  sk=RATE#<YYYYMMDDHHMM>          used, ttl
"""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.values import to_plain
from chalicelib.store import clients, pages, transact
from chalicelib.store.tables import table, table_name

STORAGE = "storage_bytes"


class LimitReached(Exception):
    """A conditional increment was refused: it would pass the limit."""


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def counter_key(org_id: str, period: str, metric: str) -> dict[str, str]:
    return {"pk": org_pk(org_id), "sk": f"PERIOD#{period}#{metric}"}


def gauge_key(org_id: str, metric: str = STORAGE) -> dict[str, str]:
    return {"pk": org_pk(org_id), "sk": f"GAUGE#{metric}"}


def rate_key(key_id: str, minute: str) -> dict[str, str]:
    return {"pk": f"KEY#{key_id}", "sk": f"RATE#{minute}"}


def event_key(org_id: str, event_id: str) -> dict[str, str]:
    return {"pk": org_pk(org_id), "sk": f"EVENT#{event_id}"}


def history_key(org_id: str, period: str) -> dict[str, str]:
    return {"pk": org_pk(org_id), "sk": f"HIST#{period}"}


def _bounded_add(key: dict[str, str], amount: int, limit: int | None, ttl: int | None = None) -> dict[str, Any]:
    """Arguments of an ``ADD used :n`` that is refused when the result would pass ``limit``.

    ``used <= limit - n`` alone is false on a missing attribute, hence the ``attribute_not_exists``
    branch; when ``n > limit`` even the first increment must fail, so that branch is left out.
    """
    expression = "ADD used :n"
    values: dict[str, Any] = {":n": amount}
    names: dict[str, str] | None = None
    if ttl is not None:
        expression += " SET #ttl = if_not_exists(#ttl, :ttl)"
        values[":ttl"] = ttl
        names = {"#ttl": "ttl"}
    args: dict[str, Any] = {"key": key, "expression": expression, "values": values, "names": names, "condition": None}
    if limit is not None:
        ceiling = limit - amount
        values[":max"] = ceiling
        args["condition"] = "attribute_not_exists(used) OR used <= :max" if ceiling >= 0 else "used <= :max"
    return args


def _entry(args: dict[str, Any]) -> dict[str, Any]:
    return transact.update(table_name("usage"), args["key"], args["expression"], condition=args["condition"],
                           names=args["names"], values=args["values"])


def _apply(args: dict[str, Any]) -> int:
    kwargs: dict[str, Any] = {
        "Key": args["key"],
        "UpdateExpression": args["expression"],
        "ExpressionAttributeValues": args["values"],
        "ReturnValues": "UPDATED_NEW",
    }
    if args["names"]:
        kwargs["ExpressionAttributeNames"] = args["names"]
    if args["condition"]:
        kwargs["ConditionExpression"] = args["condition"]
    try:
        result = table("usage").update_item(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise LimitReached(args["key"]["sk"]) from exc
        raise
    return int(result["Attributes"]["used"])


# --- monthly counters -------------------------------------------------------------------------

def counter_entry(org_id: str, metric: str, amount: int, limit: int | None, period: str) -> dict[str, Any]:
    """A TransactWriteItems entry adding ``amount`` to a counter, refused past ``limit`` (None: unlimited)."""
    return _entry(_bounded_add(counter_key(org_id, period, metric), amount, limit))


def consume(org_id: str, metric: str, amount: int, limit: int | None, period: str) -> int:
    """Add ``amount`` in one conditional write; the new total, or LimitReached."""
    return _apply(_bounded_add(counter_key(org_id, period, metric), amount, limit))


def entry_key(entry: dict[str, Any]) -> dict[str, str]:
    """The plain key of a counter's transaction entry (what ``give_back_entry`` takes)."""
    key = entry["Update"]["Key"]
    return {"pk": key["pk"]["S"], "sk": key["sk"]["S"]}


def give_back_entry(key: dict[str, str], amount: int = 1) -> dict[str, Any]:
    """A TransactWriteItems entry taking back ``amount`` counted earlier on a counter item (never below zero)."""
    return transact.update(table_name("usage"), key, "ADD used :n", condition="used >= :d",
                           values={":n": -amount, ":d": amount})


def counters(org_id: str, period: str) -> dict[str, int]:
    """The counters of one period, by metric."""
    prefix = f"PERIOD#{period}#"
    items = _query(Key("pk").eq(org_pk(org_id)) & Key("sk").begins_with(prefix))
    return {item["sk"][len(prefix):]: int(item.get("used", 0)) for item in items}


def counters_between(org_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
    """Counters of the periods ``first``..``last`` (inclusive), by period then metric."""
    items = _query(Key("pk").eq(org_pk(org_id)) & Key("sk").between(f"PERIOD#{first}#", f"PERIOD#{last}#~"))
    found: dict[str, dict[str, int]] = {}
    for item in items:
        _, period, metric = item["sk"].split("#", 2)
        found.setdefault(period, {})[metric] = int(item.get("used", 0))
    return found


def expire_counters(org_id: str, period: str, ttl: int) -> int:
    """Set a TTL on a closed period's counters (only where none is set); how many changed."""
    changed = 0
    prefix = f"PERIOD#{period}#"
    for item in _query(Key("pk").eq(org_pk(org_id)) & Key("sk").begins_with(prefix)):
        try:
            table("usage").update_item(
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET #ttl = :ttl",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#ttl)",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":ttl": ttl},
            )
            changed += 1
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    return changed


# --- event markers (internal metering dedupe) -----------------------------------------------

def event_entry(org_id: str, event_id: str, metric: str, amount: int, at: str, ttl: int) -> dict[str, Any]:
    """A Put entry for an event marker; cancels the transaction when the event was seen before."""
    item = {**event_key(org_id, event_id), "metric": metric, "amount": amount, "at": at, "ttl": ttl}
    return transact.put(table_name("usage"), item, condition="attribute_not_exists(pk)")


def operation_start_entry(org_id: str, event_id: str, at: int, expires: int) -> dict[str, Any]:
    """A Put entry starting a metered operation (one request so far); cancels the transaction when
    the operation is already under way (an unexpired marker)."""
    item = {**event_key(org_id, event_id), "metric": "operation", "requests": 1, "at": at, "expiresAt": expires,
            "ttl": expires}
    return transact.put(table_name("usage"), item, condition="attribute_not_exists(pk) OR expiresAt <= :now",
                        values={":now": at})


def operation_join_entry(org_id: str, event_id: str, at: int, cap: int) -> dict[str, Any]:
    """An Update entry adding one request to an operation under way; cancels the transaction when
    there is none, it expired, or it already holds ``cap`` requests."""
    return transact.update(table_name("usage"), event_key(org_id, event_id), "ADD requests :one",
                           condition="attribute_exists(pk) AND expiresAt > :now AND requests < :cap",
                           values={":one": 1, ":now": at, ":cap": cap})


def forget_event_entry(org_id: str, event_id: str) -> dict[str, Any]:
    """A Delete entry for an event marker (absent is fine)."""
    return transact.delete(table_name("usage"), event_key(org_id, event_id))


def get_event(org_id: str, event_id: str) -> dict[str, Any] | None:
    return table("usage").get_item(Key=event_key(org_id, event_id), ConsistentRead=True).get("Item")


# --- storage gauge ----------------------------------------------------------------------------

def gauge_entry(org_id: str, delta: int, limit: int | None = None) -> dict[str, Any]:
    """A TransactWriteItems entry moving the storage gauge by ``delta`` bytes.

    Up: refused when the gauge would pass ``limit``. Down: refused when it would go below zero
    (callers decrement by the size stored in the record they delete in the same transaction,
    conditioned on that record existing, so a second delete cancels and subtracts nothing).
    """
    if delta >= 0:
        return _entry(_bounded_add(gauge_key(org_id), delta, limit))
    return transact.update(
        table_name("usage"), gauge_key(org_id), "ADD used :n", condition="used >= :d",
        values={":n": delta, ":d": -delta},
    )


def gauge(org_id: str, metric: str = STORAGE) -> int:
    """Current gauge value (0 when never written)."""
    item = table("usage").get_item(Key=gauge_key(org_id, metric), ConsistentRead=True).get("Item")
    return int(item.get("used", 0)) if item else 0


def gauge_add(org_id: str, delta: int, limit: int | None = None) -> int:
    """Raise the gauge outside a transaction, refused past ``limit``; the new value."""
    return _apply(_bounded_add(gauge_key(org_id), delta, limit))


def gauge_decrement(org_id: str, amount: int, attempts: int = 8) -> int:
    """Lower the gauge by ``amount`` without a transaction, clamped at zero; the new value.

    One conditional ADD when enough is there; otherwise a compare-and-set to 0 on the seen value.
    """
    key = gauge_key(org_id)
    for _ in range(attempts):
        try:
            return _apply({"key": key, "expression": "ADD used :n", "values": {":n": -amount, ":d": amount},
                           "names": None, "condition": "used >= :d"})
        except LimitReached:
            pass
        seen = table("usage").get_item(Key=key, ConsistentRead=True).get("Item")
        if not seen or int(seen.get("used", 0)) == 0:
            return 0
        try:
            table("usage").update_item(
                Key=key, UpdateExpression="SET used = :zero", ConditionExpression="used = :seen",
                ExpressionAttributeValues={":zero": 0, ":seen": seen["used"]},
            )
            return 0
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    raise RuntimeError("storage gauge kept changing; decrement not applied")


# --- per-key rate windows ---------------------------------------------------------------------

def rate_entry(key_id: str, minute: str, limit: int, ttl: int) -> dict[str, Any]:
    """A TransactWriteItems entry counting one request in a key's fixed one-minute window."""
    return _entry(_bounded_add(rate_key(key_id, minute), 1, limit, ttl=ttl))


def rate_consume(key_id: str, minute: str, limit: int, ttl: int) -> int:
    """Count one request in the window in one conditional write; the new count, or LimitReached."""
    return _apply(_bounded_add(rate_key(key_id, minute), 1, limit, ttl=ttl))


def rate_used(key_id: str, minute: str) -> int:
    item = table("usage").get_item(Key=rate_key(key_id, minute), ConsistentRead=True).get("Item")
    return int(item.get("used", 0)) if item else 0


def read_used(keys: list[dict[str, str]]) -> list[int]:
    """``used`` of several usage items in one consistent batch read (0 for a missing item)."""
    name = table_name("usage")
    response = clients.dynamodb_resource().batch_get_item(
        RequestItems={name: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "pk, sk, used"}}
    )
    found = {(i["pk"], i["sk"]): int(i.get("used", 0)) for i in response.get("Responses", {}).get(name, [])}
    return [found.get((k["pk"], k["sk"]), 0) for k in keys]


# --- history ----------------------------------------------------------------------------------

def put_history(org_id: str, period: str, record: dict[str, Any]) -> bool:
    """Write a closed period's summary once; False when it already exists (nothing changes)."""
    item = {**history_key(org_id, period), "period": period, **record}
    try:
        table("usage").put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def history(org_id: str, first: str, last: str) -> list[dict[str, Any]]:
    """History records of periods ``first``..``last`` (inclusive), newest first."""
    items = _query(Key("pk").eq(org_pk(org_id)) & Key("sk").between(f"HIST#{first}", f"HIST#{last}"), newest_first=True)
    return [to_plain(item) for item in items]


def _query(condition: Any, newest_first: bool = False) -> list[dict[str, Any]]:
    tbl = table("usage")
    kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True,
                              "ScanIndexForward": not newest_first}
    return list(pages.items(tbl.query, **kwargs))
