"""What a deletion leaves to do after its transaction: S3 objects to delete, a run's attachments to
release. The deleting transaction also writes a marker per piece of work (``Plan.entries``); the
work runs right after and removes its markers. When it cannot finish (a crash, an S3 error), the
record is gone but the markers stay, and the retention job resumes the work (``resume``) — so a
deletion never strands an object nor a blob reference, and nothing is done twice to harm."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.logs import logger
from chalicelib.store import cleanups, objects

OBJECT = "object"
ATTACHMENTS = "attachments"


@dataclass
class Plan:
    """The markers of one deletion: ``entries`` go into its transaction, ``refs`` name them."""

    org_id: str
    refs: list[str] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)


def plan(org_id: str, *, object_keys: Iterable[str] = (), runs: Iterable[tuple[str, str]] = ()) -> Plan:
    """Markers for deleting ``object_keys`` and releasing the attachments of ``runs`` ((product, ref))."""
    now = clock.iso()
    made = Plan(org_id)
    for key in object_keys:
        made.refs.append(cleanups.object_ref(key))
        made.entries.append(cleanups.put_entry(org_id, made.refs[-1], {"kind": OBJECT, "key": key}, now))
    for product, ref in runs:
        made.refs.append(cleanups.attachments_ref(product, ref))
        made.entries.append(cleanups.put_entry(org_id, made.refs[-1],
                                               {"kind": ATTACHMENTS, "product": product, "runRef": ref}, now))
    return made


def carry_out(made: Plan, work: Callable[[], int | None]) -> int:
    """Run ``work`` (after the transaction committed) and forget the markers; the bytes it freed. A
    failure is logged and leaves the markers for the retention job: the deletion itself happened."""
    try:
        freed = work() or 0
        cleanups.forget(made.org_id, made.refs)
    except Exception:
        logger.warning("cleanup left for the retention job", extra={"org_id": made.org_id, "refs": made.refs},
                       exc_info=True)
        return 0
    return freed


def resume(org_id: str, older_than: datetime, limit: int) -> tuple[int, int]:
    """Retention: finish up to ``limit`` pieces of work whose markers are older than ``older_than``;
    (count, bytes freed). Each piece is idempotent, so finishing one a live request is still doing is harmless."""
    from chalicelib.services import blobs

    count = freed = 0
    for marker in cleanups.pending(org_id, clock.iso(older_than), limit):
        if marker.get("kind") == OBJECT:
            objects.delete(str(marker["key"]))
        elif marker.get("kind") == ATTACHMENTS:
            freed += blobs.release_run(org_id, str(marker["product"]), str(marker["runRef"]))
        cleanups.forget(org_id, [marker["ref"]])
        count += 1
    return count, freed
