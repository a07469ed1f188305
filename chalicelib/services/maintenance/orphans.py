"""Objects no record refers to: the retention pass finds and deletes them.

They come from a crash between a payload's PUT and its run's transaction, a presigned form used
again after completion (a version nothing pins), a tampered form that wrote under another key, a
delete marker, or a staging object whose job is gone or failed long ago. Each object version under
``orgs/`` older than GRACE is checked against the record its key layout names; the sweep reads the
bucket in pages, at most a batch per step, and keeps its place between passes (a cursor), so a
large bucket is read over several days' passes rather than never to the end.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from chalicelib import clock
from chalicelib.logs import logger
from chalicelib.services import run_pages
from chalicelib.store import files as file_store
from chalicelib.store import jobs as job_store
from chalicelib.store import objects
from chalicelib.store import retention as cursor_store
from chalicelib.store import runs as run_store

GRACE = timedelta(days=1)
FAILED_JOB_KEEP = timedelta(days=1)  # a failed job's staging object waits this long for a retry
PREFIX = "orgs/"
SWEEP = "orphans"


# The objects of a run by the end of their name, and the run item's field that names each
# (the comparison data before the payload: both end in .json.gz).
RUN_OBJECTS = ((".cmp.json.gz", "compareKey"), (run_pages.SUFFIX, "pagesKey"), (".json.gz", "payloadKey"))


def _run_payload(org: str, rest: list[str], version: dict[str, Any], now: datetime) -> bool:
    """A run's payload (``<runId>.json.gz``), what comparison keeps of it (``<runId>.cmp.json.gz``)
    or its pages (``<runId>.pages.bin``)."""
    if len(rest) != 2:
        return False
    for suffix, field in RUN_OBJECTS:
        if rest[1].endswith(suffix):
            item = run_store.get(org, rest[0], rest[1].removesuffix(suffix))
            return item is not None and item.get(field) == version["key"]
    return False


def _pinned(record: dict[str, Any] | None, version: dict[str, Any]) -> bool:
    """The record names this key and this version (records made before versions were pinned: any)."""
    if record is None or str(record.get("key") or "") != version["key"]:
        return False
    pinned = record.get("versionId")
    return not pinned or pinned == version["versionId"]


def _open_session(org: str, upload_id: str) -> bool:
    session = file_store.get_session(org, upload_id)
    return session is not None and session.get("status") == "pending"


def _blob(org: str, rest: list[str], version: dict[str, Any], now: datetime) -> bool:
    if len(rest) == 1:  # the layout before uploads stayed in place: orgs/<org>/blobs/<sha>
        record = file_store.get_blob(org, rest[0])
        return record is not None and not record.get("key")
    if len(rest) != 2:
        return False
    return _pinned(file_store.get_blob(org, rest[0]), version) or _open_session(org, rest[1])


def _file(org: str, rest: list[str], version: dict[str, Any], now: datetime) -> bool:
    if len(rest) != 1:
        return False
    file_id = rest[0].split(".", 1)[0]
    return _pinned(file_store.get_file(org, file_id), version) or _open_session(org, file_id)


def _staging(org: str, rest: list[str], version: dict[str, Any], now: datetime) -> bool:
    if len(rest) != 1:
        return False
    session = file_store.get_session(org, rest[0])
    if session is None:
        return False
    if session.get("status") == "pending":
        return True
    job_id = (session.get("result") or {}).get("jobId")
    job = job_store.get_job(org, str(job_id)) if job_id else None
    if job is None or job.get("s3Key") != version["key"]:
        return False
    if job.get("s3VersionId") and job["s3VersionId"] != version["versionId"]:
        return False
    if job.get("status") == "failed":
        return str(job.get("finishedAt") or "") > clock.iso(now - FAILED_JOB_KEEP)
    return job.get("status") in ("queued", "running")


# What each area under orgs/<orgId>/ holds, and how to tell whether a record still refers to it.
REFERENCED: dict[str, Callable[[str, list[str], dict[str, Any], datetime], bool]] = {
    "runs": _run_payload,
    "blobs": _blob,
    "files": _file,
    "uploads": _staging,
}


def referenced(version: dict[str, Any], now: datetime) -> bool:
    """Whether a record refers to this object version (delete markers never are)."""
    if version["marker"]:
        return False
    parts = version["key"].split("/")
    if len(parts) < 4 or parts[0] != "orgs":
        return False
    check = REFERENCED.get(parts[2])
    return check is not None and check(parts[1], parts[3:], version, now)


def sweep(now: datetime, limit: int) -> tuple[int, int, bool]:
    """Check about ``limit`` object versions from where the last pass stopped and delete those no
    record refers to: (versions deleted, bytes freed, whether the bucket's end was reached)."""
    after = cursor_store.get_cursor(SWEEP)
    versions, following = objects.list_versions(PREFIX, after, limit)
    deleted = freed = 0
    cutoff = now - GRACE
    for version in versions:
        modified = version["lastModified"]
        if modified is not None and modified > cutoff:
            continue  # an upload in flight, a transaction about to commit: not an orphan yet
        try:
            if referenced(version, now):
                continue
            objects.delete_version(version["key"], version["versionId"])
        except Exception:
            logger.warning("orphan check failed; the next pass looks again", extra={"key": version["key"]},
                           exc_info=True)
            continue
        deleted += 1
        freed += version["size"]
    cursor_store.put_cursor(SWEEP, following)
    return deleted, freed, following is None
