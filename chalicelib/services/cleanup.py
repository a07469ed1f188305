"""What a deletion leaves to do after its transaction: S3 objects to delete, a run's attachments to
release. The deleting transaction also writes a marker per piece of work (``Plan.entries``); the
work runs right after and removes its markers. When it cannot finish (a crash, an S3 error), the
record is gone but the markers stay, and the retention job resumes the work
(``services.maintenance.leftovers``) — so a
deletion never strands an object nor a blob reference, and nothing is done twice to harm."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.logs import logger
from chalicelib.services import storage_accounting
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


def release_with_object(items: list[dict[str, Any]], org_id: str, area: str, content_type: str, size: int,
                        key: str) -> bool:
    """``write_release`` of a record that owns the object at ``key``, then the object's deletion. A
    cleanup marker written in the same transaction lets the retention job finish a deletion cut short."""
    leftovers = plan(org_id, object_keys=[key])
    if not storage_accounting.write_release(items, org_id, area, content_type, size, leftovers.entries):
        return False
    carry_out(leftovers, lambda: objects.delete(key))
    return True
