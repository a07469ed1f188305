"""``chalice local`` with a listen backlog for bursts of clients.

chalice's local server is a threaded ``http.server`` whose listen backlog is socketserver's
default of 5: with 120 clients connecting at once, 40-57 connections were reset before a thread
took them. API Gateway queues them; so does this. Arguments are chalice's own
(``python -m infra.api_server local --port 8000 ...``).

With ``ODAVL_S3_READS_FILE`` set, the bytes of every S3 GetObject answer the service receives are
added up in that file (botocore event hooks on the service's S3 client): what a benchmark reads to
know how much the server read back."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

BACKLOG = 512
READS_FILE = "ODAVL_S3_READS_FILE"


def count_s3_reads(path: Path) -> None:
    """Keep in ``path`` the running total of bytes the service's S3 client got from GetObject."""
    from chalicelib.store import clients

    made, lock, hooked, total = clients.s3, threading.Lock(), set(), [0]
    path.write_text("0")

    def add(parsed: dict[str, Any], **_: Any) -> None:
        with lock:
            total[0] += int(parsed.get("ContentLength") or 0)
            path.write_text(str(total[0]))

    def counted() -> Any:
        client = made()
        if id(client) not in hooked:
            client.meta.events.register("after-call.s3.GetObject", add)
            hooked.add(id(client))
        return client

    clients.s3 = counted  # every caller goes through ``clients.s3()``


def main() -> int:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = BACKLOG
    if os.environ.get(READS_FILE):
        count_s3_reads(Path(os.environ[READS_FILE]))
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
