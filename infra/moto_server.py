"""moto's server as the local stack, the tests and the benchmarks run it: each request applied
as one step, as DynamoDB applies a condition and its update.

moto's plain threaded server applies one UpdateItem's condition and its update in separate steps
that other request threads can interleave (measured: 52 of 100 admitted against a limit of 50;
40 uploads against a limit of 10 stored runs that were answered 429). Here a lock runs moto's
app for one DynamoDB request at a time; S3 and SQS requests (a large part upload, a long poll)
run as moto runs them, concurrently.

``python -m infra.moto_server <port>`` serves on 127.0.0.1."""
from __future__ import annotations

import io
import sys
import threading
from typing import Any


def atomic_app() -> Any:
    """moto's WSGI app with each request's handling behind one lock."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def atomic(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return app(environ, start_response)  # S3 and SQS (long polls included) as moto serves them
        length = environ.get("CONTENT_LENGTH")
        if length and length.isdigit():  # read the body outside the lock
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))
        with lock:
            return list(app(environ, start_response))

    return atomic


def serve(port: int, host: str = "127.0.0.1") -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    run_simple(host, port, atomic_app(), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
