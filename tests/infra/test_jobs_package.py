"""The packaged ingest worker: a Lambda on the stage's ingest queue whose handler is the one the local worker calls."""
from __future__ import annotations

import importlib
import json

import pytest

from infra.package import package

pytestmark = pytest.mark.xdist_group("package")


def test_ingest_worker_is_wired_to_the_stage_queue(tmp_path):
    doc = json.loads(package("staging", tmp_path / "staging").read_text())
    worker = doc["Resources"]["IngestWorker"]["Properties"]
    [event] = worker["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["Queue"]["Fn::Sub"].endswith(":odavl-staging-ingest")
    module, _, attribute = worker["Handler"].rpartition(".")
    handler = getattr(importlib.import_module(module), attribute)
    from infra import worker as local_worker

    assert local_worker.handle_ingest is handler
    assert worker["Timeout"] == 150 and worker["MemorySize"] == 8192  # a 64 MiB payload within half of it
    assert worker["Timeout"] * 6 <= doc["Resources"]["IngestQueue"]["Properties"]["VisibilityTimeout"]
