"""Job records, one item per job, partitioned by organization so a job is only reachable
through its owner (another organization's id simply finds nothing).

Key: pk=ORG#<orgId>, sk=JOB#<jobId>; jobIds sort by creation, so a reverse query lists newest first.
State changes are conditional updates: a transition names the states it may start from.
"""
from __future__ import annotations

from itertools import islice
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.store import pages
from chalicelib.store.tables import table

_PAGE = 200


def key(org_id: str, job_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": f"JOB#{job_id}"}


def put_job(item: dict[str, Any]) -> None:
    """Store a new job (``item`` holds orgId, jobId and the job's fields)."""
    table("jobs").put_item(
        Item={**key(item["orgId"], item["jobId"]), **item}, ConditionExpression="attribute_not_exists(pk)"
    )


def get_job(org_id: str, job_id: str) -> dict[str, Any] | None:
    """The job, or None (also for another organization's job id)."""
    return table("jobs").get_item(Key=key(org_id, job_id), ConsistentRead=True).get("Item")


def transition(
    org_id: str,
    job_id: str,
    allowed_from: tuple[str, ...],
    fields: dict[str, Any],
    *,
    remove: tuple[str, ...] = (),
    add_attempt: bool = False,
) -> dict[str, Any] | None:
    """Set ``fields`` only if the job exists and its status is one of ``allowed_from``.

    Returns the updated job, or None when the condition failed (unknown job or wrong state)."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values: dict[str, Any] = {f":v{i}": value for i, value in enumerate(fields.values())}
    sets = [f"#f{i} = :v{i}" for i in range(len(fields))]
    if add_attempt:
        sets.append("attempts = if_not_exists(attempts, :zero) + :one")
        values.update({":zero": 0, ":one": 1})
    expression = "SET " + ", ".join(sets)
    if remove:
        names.update({f"#r{i}": name for i, name in enumerate(remove)})
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    names["#status"] = "status"
    allowed = {f":from{i}": status for i, status in enumerate(allowed_from)}
    values.update(allowed)
    try:
        response = table("jobs").update_item(
            Key=key(org_id, job_id),
            UpdateExpression=expression,
            ConditionExpression=f"attribute_exists(pk) AND #status IN ({', '.join(allowed)})",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return response["Attributes"]


def list_jobs(
    org_id: str, *, status: str | None, job_type: str | None, limit: int, start_after: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` jobs newest first, after job ``start_after``; returns (jobs, last jobId when more may follow)."""
    condition = Key("pk").eq(f"ORG#{org_id}") & Key("sk").begins_with("JOB#")
    kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ScanIndexForward": False, "Limit": _PAGE}
    filters = []
    if status:
        filters.append(Attr("status").eq(status))
    if job_type:
        filters.append(Attr("type").eq(job_type))
    if filters:
        combined = filters[0]
        for extra in filters[1:]:
            combined = combined & extra
        kwargs["FilterExpression"] = combined
    if start_after:
        kwargs["ExclusiveStartKey"] = key(org_id, start_after)
    found: list[dict[str, Any]] = []
    tbl = table("jobs")
    while True:
        page = tbl.query(**kwargs)
        for item in page.get("Items", []):
            found.append(item)
            if len(found) == limit:
                more = item is not page["Items"][-1] or "LastEvaluatedKey" in page
                return found, (item["jobId"] if more else None)
        if "LastEvaluatedKey" not in page:
            return found, None
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def finished_before(org_id: str | None, before: str, statuses: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` jobs in ``statuses`` whose finishedAt is before ``before`` (one org, or every org)."""
    tbl = table("jobs")
    ended = Attr("finishedAt").lt(before) & Attr("status").is_in(list(statuses))
    kwargs: dict[str, Any] = {"FilterExpression": ended, "Limit": _PAGE}
    if org_id is not None:
        kwargs["KeyConditionExpression"] = Key("pk").eq(f"ORG#{org_id}") & Key("sk").begins_with("JOB#")
    return list(islice(pages.items(tbl.query if org_id is not None else tbl.scan, **kwargs), limit))


def delete_if_status(org_id: str, job_id: str, statuses: tuple[str, ...]) -> bool:
    """Delete the job if it is (still) in one of ``statuses``; False otherwise."""
    allowed = {f":s{i}": status for i, status in enumerate(statuses)}
    try:
        table("jobs").delete_item(
            Key=key(org_id, job_id),
            ConditionExpression=f"#status IN ({', '.join(allowed)})",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=allowed,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
