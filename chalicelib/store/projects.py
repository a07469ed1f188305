"""Project settings (base branch, gate rules) and the build indexes that find a baseline with a key
lookup, never a scan. All in the runs table, beside the run items:

  pk=PROJECT#<org>#<project>                              sk=SETTINGS          the project's settings
  pk=BRANCH#<org>#<product>#<project>#<type>#<branch>     sk=<createdAt>#<run> a branch's runs in time order
  pk=BCOMMIT#<org>#<product>#<project>#<type>#<branch>    sk=<commit>          the newest run of a commit
  pk=COMMIT#<org>#<project>#<commit>                      sk=<product>#<type>#<run>  one commit, every tool
  pk=AWAIT#<org>#<product>#<project>#<type>#<ancestor>    sk=<run>             runs waiting for their baseline
"""
from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.store import transact
from chalicelib.store.runs import run_key
from chalicelib.store.tables import table, table_name


def settings_key(org_id: str, project_id: str) -> dict[str, str]:
    return {"pk": f"PROJECT#{org_id}#{project_id}", "sk": "SETTINGS"}


def get_settings(org_id: str, project_id: str) -> dict[str, Any] | None:
    item = table("runs").get_item(Key=settings_key(org_id, project_id), ConsistentRead=True).get("Item")
    return dict(item["settings"]) if item and "settings" in item else None


def put_settings(org_id: str, project_id: str, settings: dict[str, Any], at: str) -> None:
    table("runs").put_item(Item={**settings_key(org_id, project_id), "settings": settings, "updatedAt": at})


def _branch_pk(org_id: str, product: str, project_id: str, upload_type: str, branch: str) -> str:
    return f"BRANCH#{org_id}#{product}#{project_id}#{upload_type}#{branch}"


def _commit_pk(org_id: str, product: str, project_id: str, upload_type: str, branch: str) -> str:
    return f"BCOMMIT#{org_id}#{product}#{project_id}#{upload_type}#{branch}"


def _commit_runs_pk(org_id: str, project_id: str, commit: str) -> str:
    return f"COMMIT#{org_id}#{project_id}#{commit}"


def index_entries(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Transaction entries indexing a new run by its branch and commit (none without a build)."""
    build = run.get("build") or {}
    org, product, project, kind = run["orgId"], run["product"], run.get("projectId") or "", run["type"]
    ref = {"runId": run["runId"], "createdAt": run["createdAt"], "product": product, "type": kind}
    entries = []
    if build.get("branch"):
        entries.append(transact.put(table_name("runs"), {
            "pk": _branch_pk(org, product, project, kind, build["branch"]), "sk": f"{run['createdAt']}#{run['runId']}",
            **ref, "commit": build.get("commit") or ""}))
        if build.get("commit"):
            entries.append(transact.put(table_name("runs"), {
                "pk": _commit_pk(org, product, project, kind, build["branch"]), "sk": build["commit"], **ref}))
    if build.get("commit"):
        entries.append(transact.put(table_name("runs"), {
            "pk": _commit_runs_pk(org, project, build["commit"]), "sk": f"{product}#{kind}#{run['runId']}",
            **ref, "branch": build.get("branch") or ""}))
    return entries


def _await_pk(org_id: str, product: str, project_id: str, upload_type: str, commit: str) -> str:
    return f"AWAIT#{org_id}#{product}#{project_id}#{upload_type}#{commit}"


def awaiting_entry(run: dict[str, Any]) -> dict[str, Any]:
    """A Put entry noting that ``run`` waits for a base-branch run of its ancestor (to gate it again)."""
    build = run["build"]
    return transact.put(table_name("runs"), {
        "pk": _await_pk(run["orgId"], run["product"], run.get("projectId") or "", run["type"], build["ancestor"]),
        "sk": run["runId"], "runId": run["runId"]})


def awaiting(org_id: str, product: str, project_id: str, upload_type: str, commit: str,
             limit: int = 50) -> list[str]:
    """Runs waiting for a baseline of ``commit`` (one Query, at most ``limit``)."""
    page = table("runs").query(KeyConditionExpression=Key("pk").eq(_await_pk(org_id, product, project_id, upload_type,
                                                                             commit)), Limit=limit)
    return [str(i["runId"]) for i in page.get("Items", [])]


def done_awaiting(org_id: str, product: str, project_id: str, upload_type: str, commit: str, run_id: str) -> None:
    table("runs").delete_item(Key={"pk": _await_pk(org_id, product, project_id, upload_type, commit), "sk": run_id})


def set_gate(org_id: str, product: str, run_id: str, gate: Any) -> None:
    """Replace a run's gate (its baseline arrived after it), if the run still exists."""
    try:
        table("runs").update_item(Key=run_key(org_id, product, run_id), UpdateExpression="SET gate = :g",
                                  ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":g": gate})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def unindex_entries(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Delete entries for a run's branch and commit-runs index items (the commit pointer is checked
    against its run on every lookup, so it may stay)."""
    build = run.get("build") or {}
    org, product, project, kind = run["orgId"], run["product"], run.get("projectId") or "", run["type"]
    entries = []
    if build.get("branch"):
        entries.append(transact.delete(table_name("runs"), {
            "pk": _branch_pk(org, product, project, kind, build["branch"]), "sk": f"{run['createdAt']}#{run['runId']}"}))
    if build.get("commit"):
        entries.append(transact.delete(table_name("runs"), {
            "pk": _commit_runs_pk(org, project, build["commit"]), "sk": f"{product}#{kind}#{run['runId']}"}))
    if build.get("ancestor"):
        entries.append(transact.delete(table_name("runs"), {
            "pk": _await_pk(org, product, project, kind, build["ancestor"]), "sk": run["runId"]}))
    return entries


def run_of_commit(org_id: str, product: str, project_id: str, upload_type: str, branch: str,
                  commit: str) -> str | None:
    """The newest run of ``commit`` on ``branch`` (one GetItem)."""
    item = table("runs").get_item(Key={"pk": _commit_pk(org_id, product, project_id, upload_type, branch),
                                       "sk": commit}).get("Item")
    return str(item["runId"]) if item else None


def latest_before(org_id: str, product: str, project_id: str, upload_type: str, branch: str,
                  before: str) -> str | None:
    """The newest run on ``branch`` uploaded before ``before`` (one Query of one item)."""
    page = table("runs").query(
        KeyConditionExpression=Key("pk").eq(_branch_pk(org_id, product, project_id, upload_type, branch))
        & Key("sk").lt(before), ScanIndexForward=False, Limit=1)
    items = page.get("Items", [])
    return str(items[0]["runId"]) if items else None


def runs_of_commit(org_id: str, project_id: str, commit: str) -> list[dict[str, Any]]:
    """Every tool's runs of one commit (one Query; a commit has a handful)."""
    page = table("runs").query(KeyConditionExpression=Key("pk").eq(_commit_runs_pk(org_id, project_id, commit)),
                               Limit=200)
    return list(page.get("Items", []))
