"""``make serve``: the whole service on this machine, on moto's AWS emulation.

Ports: ODAVL_MOTO_PORT (default 5000) and ODAVL_API_PORT (default 8000). Ctrl-C stops everything.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import time

from infra.local_stack import ROOT, LocalStack

# moto logs every request (the ingest worker polls its queue each second): kept out of the terminal.
MOTO_LOG = ROOT / "build" / "moto.log"


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no owner
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def main() -> int:
    for name, default in (("ODAVL_MOTO_PORT", "5000"), ("ODAVL_API_PORT", "8000")):
        port = int(os.environ.get(name, default))
        if _port_taken(port):
            print(f"port {port} is in use (another `make serve`?): stop it, or choose another port, "
                  f"e.g. {name}={port + 1} make serve", file=sys.stderr)
            return 1
    stack = LocalStack(
        moto_port=int(os.environ.get("ODAVL_MOTO_PORT", "5000")),
        api_port=int(os.environ.get("ODAVL_API_PORT", "8000")),
        quiet=False,
        moto_log=MOTO_LOG,
    )
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        print(f"starting moto on {stack.moto_url} ...", flush=True)
        stack.start_moto()
        key = stack.create_org("demo", "pro")
        print(f"starting the API on {stack.api_url} ...", flush=True)
        stack.start_api()
        stack.start_worker()
        print(
            "\n"
            "ODAVL Cloud is running locally.\n"
            f"  API:            {stack.api_url}/v1/health\n"
            f"  OpenAPI:        {stack.api_url}/v1/openapi.json\n"
            f"  Dashboard:      {stack.api_url}/dashboard/  (sign in with the key below, or `odavl dashboard`)\n"
            f"  AWS (moto):     {stack.moto_url}  (request log: {MOTO_LOG.relative_to(ROOT)})\n"
            f"  organization:   demo (plan PRO)\n"
            f"  admin API key:  {key}\n"
            "\n"
            "Log in with the CLI:\n"
            f"  .venv/bin/odavl login --api-url {stack.api_url} --api-key {key}\n"
            f"Or try:  curl -H 'Authorization: Bearer {key}' {stack.api_url}/v1/whoami\n"
            "\nOperator commands (python -m chalicelib.admin ...) against this stack, in another shell:\n"
            f"  {stack.operator_exports()}\n"
            "  .venv/bin/python -m chalicelib.admin create-org acme --plan free\n"
            "\nCtrl-C stops every process started here.\n",
            flush=True,
        )
        while all(p.poll() is None for p in stack.procs):
            time.sleep(0.5)
        print("a process of the stack exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
