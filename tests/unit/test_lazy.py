"""Lazy modules: declaring routes loads no service or model code; the first attribute read does,
once, even when two threads read at the same moment."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chalicelib.lazy import LazyModule, lazy_module

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter at the project root; it prints one JSON line."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_app_import_and_health_load_neither_pydantic_nor_the_ingest_code():
    seen = _fresh("""
        import json, sys
        import app
        from chalice.test import Client
        with Client(app.app) as client:
            status = client.http.get("/v1/health").status_code
        print(json.dumps({"status": status, "pydantic": "pydantic" in sys.modules,
                          "ingest": "chalicelib.services.ingest" in sys.modules}))
    """)
    assert seen == {"status": 200, "pydantic": False, "ingest": False}


def test_first_attribute_read_imports_the_module():
    seen = _fresh("""
        import json, sys
        from chalicelib.lazy import lazy_module
        inline = lazy_module("chalicelib.services.ingest.inline")
        before = "chalicelib.services.ingest" in sys.modules or "pydantic" in sys.modules
        limit = inline.max_body_bytes(3)
        print(json.dumps({"before": before, "after": "pydantic" in sys.modules, "limit": limit,
                          "forwards": inline.ingest_inline is sys.modules["chalicelib.services.ingest.inline"].ingest_inline}))
    """)
    assert seen == {"before": False, "after": True, "limit": 4 + 64 * 1024, "forwards": True}


def test_two_threads_reading_first_both_see_the_whole_module():
    seen = _fresh("""
        import json, threading
        from chalicelib.lazy import lazy_module
        models = lazy_module("chalicelib.models.runs")
        start, got, errors = threading.Barrier(8), [], []
        def read():
            start.wait()
            try:
                got.append(models.RunDetail)
            except Exception as exc:
                errors.append(repr(exc))
        threads = [threading.Thread(target=read) for _ in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(json.dumps({"errors": errors, "one_class": len({id(c) for c in got}) == 1, "reads": len(got)}))
    """)
    assert seen == {"errors": [], "one_class": True, "reads": 8}


def test_an_already_imported_module_is_returned_as_is():
    from chalicelib import clock

    assert lazy_module("chalicelib.clock") is clock


@pytest.mark.parametrize("name", ["chalicelib.no_such_module", "chalicelib.services.nope.deeper", "nope_pkg.x"])
def test_a_missing_module_fails_at_once(name):
    with pytest.raises(ModuleNotFoundError):
        lazy_module(name)


def test_the_proxy_says_what_it_stands_for():
    proxy = LazyModule("chalicelib.version")
    assert "not loaded yet" in repr(proxy)
    assert proxy.VERSION and "loaded" in repr(proxy)
