"""``chalice local`` with a listen backlog for bursts of clients.

chalice's local server is a threaded ``http.server`` whose listen backlog is socketserver's
default of 5: with 120 clients connecting at once, 40-57 connections were reset before a thread
took them. API Gateway queues them; so does this. Arguments are chalice's own
(``python -m infra.api_server local --port 8000 ...``)."""
from __future__ import annotations

import sys

BACKLOG = 512


def main() -> int:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = BACKLOG
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
