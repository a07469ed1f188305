"""Fault injection on the service's real boto3 clients: a botocore event handler that raises a
ClientError (as AWS answers a throttled or failing call) at the n-th call of one operation.

``before-call`` faults mean AWS never did the work; ``after-call`` faults mean AWS did it but the
answer was lost on the way back (a timeout after the commit), the harder case for cleanup."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.store import clients

_ids = itertools.count()


@dataclass(frozen=True)
class Fault:
    """Fail the ``nth`` call (1-based, counted within the armed block) of ``service.operation``."""

    service: str             # dynamodb | s3 | sqs
    operation: str           # e.g. TransactWriteItems, PutObject
    nth: int = 1
    phase: str = "before"    # before: AWS never saw it; after: AWS did it, the answer was lost
    code: str = "InternalServerError"


@dataclass
class Recorder:
    """Every AWS call made while armed, in order, as 'service.Operation'."""

    calls: list[str] = field(default_factory=list)
    fired: bool = False


def _clients() -> list[Any]:
    # Make sure every client exists (they are created lazily) so the handler is on all of them.
    clients.dynamodb(), clients.dynamodb_resource(), clients.s3(), clients.sqs()
    return clients.all_clients()


@contextmanager
def armed(fault: Fault | None = None) -> Iterator[Recorder]:
    """Record calls, and raise ``fault`` when its call comes."""
    recorder = Recorder()
    seen: dict[str, int] = {}
    uid = f"fault-{next(_ids)}"

    def before(event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        name = f"{service}.{operation}"
        recorder.calls.append(name)
        seen[name] = seen.get(name, 0) + 1
        if fault and fault.phase == "before":
            _maybe_raise(name, seen[name])

    def after(event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        if fault and fault.phase == "after":
            _maybe_raise(f"{service}.{operation}", seen.get(f"{service}.{operation}", 0))

    def _maybe_raise(name: str, count: int) -> None:
        assert fault is not None
        if name == f"{fault.service}.{fault.operation}" and count == fault.nth and not recorder.fired:
            recorder.fired = True
            raise ClientError({"Error": {"Code": fault.code, "Message": "injected fault"},
                               "ResponseMetadata": {"HTTPStatusCode": 500}}, fault.operation)

    for client in _clients():
        client.meta.events.register("before-call", before, unique_id=f"{uid}-before-{id(client.meta.events)}")
        client.meta.events.register("after-call", after, unique_id=f"{uid}-after-{id(client.meta.events)}")
    try:
        yield recorder
    finally:
        for client in _clients():
            client.meta.events.unregister("before-call", unique_id=f"{uid}-before-{id(client.meta.events)}")
            client.meta.events.unregister("after-call", unique_id=f"{uid}-after-{id(client.meta.events)}")
