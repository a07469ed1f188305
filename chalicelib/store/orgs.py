"""Organization records: name and plan. Key: pk=ORG#<orgId>, sk=ORG."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.store import pages
from chalicelib.store.tables import table


class OrgExists(Exception):
    """An organization with that id already exists."""


def _key(org_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": "ORG"}


def put_org(org_id: str, name: str, plan: str, created_at: str) -> dict[str, Any]:
    """Create an organization; refuses to overwrite an existing one."""
    item = {**_key(org_id), "orgId": org_id, "name": name, "plan": plan, "createdAt": created_at}
    try:
        table("orgs").put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise OrgExists(org_id) from exc
        raise
    return item


def get_org(org_id: str) -> dict[str, Any] | None:
    """The organization item, or None."""
    return table("orgs").get_item(Key=_key(org_id), ConsistentRead=True).get("Item")


def set_plan(org_id: str, plan: str) -> bool:
    """Change an organization's plan; False when the organization does not exist."""
    try:
        table("orgs").update_item(
            Key=_key(org_id),
            UpdateExpression="SET #p = :p",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#p": "plan"},
            ExpressionAttributeValues={":p": plan},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def list_orgs() -> list[dict[str, Any]]:
    """Every organization (operator use and scheduled jobs; scans)."""
    tbl = table("orgs")
    kwargs: dict[str, Any] = {"FilterExpression": "sk = :s", "ExpressionAttributeValues": {":s": "ORG"}}
    return list(pages.items(tbl.scan, **kwargs))
