"""``make serve``: the whole service on this machine, on moto's AWS emulation.

Ports: ODAVL_MOTO_PORT (default 5000) and ODAVL_API_PORT (default 8000). Ctrl-C stops everything.
"""
from __future__ import annotations

import os
import signal
import sys
import time

from infra.local_stack import LocalStack


def main() -> int:
    stack = LocalStack(
        moto_port=int(os.environ.get("ODAVL_MOTO_PORT", "5000")),
        api_port=int(os.environ.get("ODAVL_API_PORT", "8000")),
        quiet=False,
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
            f"  AWS (moto):     {stack.moto_url}\n"
            f"  organization:   demo (plan PRO)\n"
            f"  admin API key:  {key}\n"
            "\n"
            "Log in with the CLI:\n"
            f"  .venv/bin/odavl login --api-url {stack.api_url} --api-key {key}\n"
            f"Or try:  curl -H 'Authorization: Bearer {key}' {stack.api_url}/v1/whoami\n"
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
