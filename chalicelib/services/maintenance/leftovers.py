"""Retention's part of crash-safe deletion: finish the work a deletion's markers still name (objects
to delete, a run's attachments to release) once they are older than a grace period."""
from __future__ import annotations

from datetime import datetime

from chalicelib import clock
from chalicelib.services import blobs
from chalicelib.services.cleanup import ATTACHMENTS, OBJECT
from chalicelib.store import cleanups, objects


def resume(org_id: str, older_than: datetime, limit: int) -> tuple[int, int]:
    """Retention: finish up to ``limit`` pieces of work whose markers are older than ``older_than``;
    (count, bytes freed). Each piece is idempotent, so finishing one a live request is still doing is harmless."""
    count = freed = 0
    for marker in cleanups.pending(org_id, clock.iso(older_than), limit):
        if marker.get("kind") == OBJECT:
            objects.delete(str(marker["key"]))
        elif marker.get("kind") == ATTACHMENTS:
            freed += blobs.release_run(org_id, str(marker["product"]), str(marker["runRef"]))
        cleanups.forget(org_id, [marker["ref"]])
        count += 1
    return count, freed
