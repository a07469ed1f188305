"""Deletions interrupted after their transaction: the record is gone, its cleanup markers stay, and
the retention job finishes what the deletion owned (payload, screenshots only it used, the gauge)."""
from __future__ import annotations

from datetime import timedelta

from chalicelib import clock
from chalicelib.services import blobs, cleanup, usage
from chalicelib.services.maintenance import retention
from chalicelib.store import cleanups, transact
from chalicelib.store import runs as run_store
from tests.api.binary_uploads.conftest import sha
from tests.api.faults.inject import Fault, armed
from tests.api.maintenance.test_runs_retention import NOW, SHOT_OWN, SHOT_SHARED, _guardian_run, _objects
from tests.conftest import body, make_org


def _markers(org_id: str) -> list[str]:
    return sorted(m["ref"] for m in cleanups.pending(org_id, "9999", 100))


def test_a_delete_cut_off_after_its_transaction_is_finished_by_retention(client, aws):
    org = make_org("acme", "pro")
    gone = _guardian_run(client, org, "tr-gone", NOW - timedelta(minutes=30), [SHOT_OWN, SHOT_SHARED])
    kept = _guardian_run(client, org, "tr-kept", NOW - timedelta(minutes=30), [SHOT_SHARED])
    item = run_store.get("acme", "guardian", gone)
    with clock.frozen(NOW - timedelta(minutes=20)), armed(Fault("s3", "DeleteObjects", 1)):
        reply = client.http.delete(f"/v1/runs/guardian/{gone}", headers=org.headers)
    assert reply.status_code == 200, reply.body  # the run is deleted; what it owned waits
    assert run_store.get("acme", "guardian", gone) is None
    assert item["payloadKey"] in _objects("orgs/acme/runs/")
    assert blobs.get("acme", sha(SHOT_OWN))["refs"] == 1  # not released yet
    assert _markers("acme") == sorted([f"OBJECT#{item['payloadKey']}", f"OBJECT#{item['compareKey']}",
                                       f"OBJECT#{item['pagesKey']}", f"ATTACH#guardian#{gone}",
                                       "ATTACH#guardian#tr-gone"])

    with clock.frozen(NOW):
        report = retention.run_retention(steps=("cleanups",))

    assert report.cleanups_finished == 5 and report.complete and not report.failures
    assert _markers("acme") == []
    assert not {item["payloadKey"], item["compareKey"], item["pagesKey"]} & set(_objects("orgs/acme/runs/"))
    assert blobs.get("acme", sha(SHOT_OWN)) is None and blobs.get("acme", sha(SHOT_SHARED))["refs"] == 1
    blob_objects = _objects("orgs/acme/blobs/")
    assert blob_objects == {blobs.get("acme", sha(SHOT_SHARED))["key"]}
    stored = int(run_store.get("acme", "guardian", kept)["storedBytes"]) + len(SHOT_SHARED)
    assert usage.storage_used("acme") == stored  # the gauge is the sum of what is stored
    assert report.cleanup_bytes_freed == len(SHOT_OWN)


def test_markers_of_a_deletion_in_flight_are_left_to_it(client, aws):
    make_org("acme", "pro")
    with clock.frozen(NOW):
        made = cleanup.plan("acme", object_keys=["orgs/acme/runs/insight/x.json.gz"])
        transact.write(made.entries)
        report = retention.run_retention(steps=("cleanups",))
    assert report.cleanups_finished == 0 and _markers("acme") == ["OBJECT#orgs/acme/runs/insight/x.json.gz"]
    with clock.frozen(NOW + retention.CLEANUP_GRACE + timedelta(seconds=1)):
        assert retention.run_retention(steps=("cleanups",)).cleanups_finished == 1
    assert _markers("acme") == []


def test_an_uninterrupted_delete_leaves_no_marker(client, aws):
    org = make_org("acme", "pro")
    run_id = _guardian_run(client, org, "tr-1", NOW, [SHOT_OWN])
    reply = client.http.delete(f"/v1/runs/guardian/{run_id}", headers=org.headers)
    assert reply.status_code == 200 and body(reply)["bytesFreed"] > len(SHOT_OWN)
    assert _markers("acme") == [] and _objects("orgs/acme/") == set()
