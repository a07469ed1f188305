"""Idempotency records: one per (organization, product, scope) where scope is an Idempotency-Key
or a client's natural id. Key: pk=IDEM#<orgId>#<product>#<sha256(scope)>, sk=IDEM; expires by ``ttl``.

A record whose ``ttl`` passed counts as absent even before DynamoDB's TTL sweep removes it."""
from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.store import transact
from chalicelib.store.tables import table, table_name


def key(org_id: str, product: str, scope: str) -> dict[str, str]:
    digest = hashlib.sha256(scope.encode()).hexdigest()
    return {"pk": f"IDEM#{org_id}#{product}#{digest}", "sk": "IDEM"}


def get(org_id: str, product: str, scope: str, now_epoch: int) -> dict[str, Any] | None:
    """The live record of a scope, or None."""
    item = table("idempotency").get_item(Key=key(org_id, product, scope), ConsistentRead=True).get("Item")
    if item is None or int(item.get("ttl", 0)) <= now_epoch:
        return None
    return item


def put_entry(org_id: str, product: str, scope: str, request_hash: str, result: dict[str, Any],
              ttl: int, now_epoch: int) -> dict[str, Any]:
    """A Put entry claiming a scope; cancels the transaction when a live record already holds it."""
    item = {**key(org_id, product, scope), "orgId": org_id, "requestHash": request_hash, "result": result, "ttl": ttl}
    return transact.put(table_name("idempotency"), item, condition="attribute_not_exists(pk) OR #ttl <= :now",
                        names={"#ttl": "ttl"}, values={":now": now_epoch})


def delete_entry(pk: str) -> dict[str, Any]:
    """A Delete entry for a record by its pk (the run item lists the pks it claimed)."""
    return transact.delete(table_name("idempotency"), {"pk": pk, "sk": "IDEM"})
