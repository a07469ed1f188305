"""Lazy modules: declaring routes loads no service or model code; the first attribute read does."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

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
                          "ingest_ran": "ingest_json" in object.__getattribute__(
                              sys.modules["chalicelib.services.ingest"], "__dict__")}))
    """)
    assert seen == {"status": 200, "pydantic": False, "ingest_ran": False}


def test_first_attribute_read_executes_the_module_and_its_lazy_parents():
    seen = _fresh("""
        import json, sys
        from chalicelib.lazy import lazy_module
        inline = lazy_module("chalicelib.services.ingest.inline")
        before = "pydantic" in sys.modules
        limit = inline.max_body_bytes(3)
        print(json.dumps({"before": before, "after": "pydantic" in sys.modules, "limit": limit,
                          "same": sys.modules["chalicelib.services.ingest"].inline is inline,
                          "parent_ran": hasattr(sys.modules["chalicelib.services.ingest"], "ingest_json")}))
    """)
    assert seen == {"before": False, "after": True, "limit": 4 + 64 * 1024, "same": True, "parent_ran": True}


def test_an_already_imported_module_is_returned_as_is():
    from chalicelib import clock
    from chalicelib.lazy import lazy_module

    assert lazy_module("chalicelib.clock") is clock


def test_a_missing_module_fails_at_once():
    import pytest

    from chalicelib.lazy import lazy_module

    with pytest.raises(ModuleNotFoundError):
        lazy_module("chalicelib.no_such_module")
