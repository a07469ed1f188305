"""One Lambda per endpoint group: every path is integrated with its group's function, each function
answers its own routes from a fresh interpreter and 404s the others', and sizes are the stage's."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chalicelib import groups
from infra.package import package

pytestmark = pytest.mark.xdist_group("package")

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "staging", "prod")
WORKSPACE = ROOT / "tests" / "fixtures" / "workspace" / ".odavl"


def expected_group(path: str) -> str:
    """DESIGN.md "Deployment shape", by path: the oracle the table in chalicelib/groups.py must agree with."""
    if path.startswith("/v1/upload/") or path == "/v1/uploads" or path.startswith("/v1/uploads/"):
        return "upload"
    if path == "/v1/usage" or path.startswith("/v1/usage/"):
        return "usage"
    if path.startswith("/v1/storage/"):
        return "storage"
    return "api"


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("functions")
    return {stage: json.loads(package(stage, root / stage).read_text()) for stage in STAGES}


def app_routes() -> set[tuple[str, str]]:
    """(path, METHOD) of every route of the whole app, as ``chalice local`` serves them."""
    from app import app

    return {(path, method) for path, methods in app.routes.items() for method in methods}


def integrations(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(path, METHOD) -> the logical id of the function its API Gateway integration invokes."""
    found = {}
    for path, operations in doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"].items():
        for method, operation in operations.items():
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            [function] = re.findall(r"\$\{(\w+)\.Arn\}", uri)
            found[(path, method.upper())] = function
    return found


def test_every_route_is_integrated_with_its_group_function(packaged):
    routes = app_routes()
    assert len(routes) >= 28
    expected = {route: groups.FUNCTIONS[expected_group(route[0])] for route in routes}
    for stage, doc in packaged.items():
        assert integrations(doc) == expected, stage
        functions = {k for k, r in doc["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
        assert set(groups.FUNCTIONS.values()) <= functions
        for logical_id in groups.FUNCTIONS.values():
            permission = doc["Resources"][f"{logical_id}InvokePermission"]["Properties"]
            assert permission["FunctionName"] == {"Ref": logical_id}
            assert permission["Principal"] == "apigateway.amazonaws.com"


def test_each_group_function_runs_its_own_entry_with_its_own_role(packaged):
    for stage, doc in packaged.items():
        resources = doc["Resources"]
        functions = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
        roles = [props["Role"]["Fn::GetAtt"][0] for props in functions.values()]
        assert len(set(roles)) == len(roles), (stage, roles)  # no two functions share a role
        for group, logical_id in groups.FUNCTIONS.items():
            props = functions[logical_id]
            assert props["Handler"] == f"chalicelib.functions.{group}.app"
            assert props["Environment"]["Variables"]["ODAVL_STAGE"] == stage


def test_each_function_is_sized_for_its_stage(packaged):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage, doc in packaged.items():
        settings = config["stages"][stage]["lambda_functions"]
        for group, logical_id in groups.FUNCTIONS.items():
            props = doc["Resources"][logical_id]["Properties"]
            mine = settings[f"{group}_handler"]
            assert (props["MemorySize"], props["Timeout"], props["ReservedConcurrentExecutions"]) == (
                mine["lambda_memory_size"], mine["lambda_timeout"], mine["reserved_concurrency"]), (stage, group)
            assert props["Timeout"] <= 29  # API Gateway stops waiting after 29 s
        worker = doc["Resources"]["IngestWorker"]["Properties"]
        assert worker["ReservedConcurrentExecutions"] == settings["ingest_worker"]["reserved_concurrency"]
        for schedule in ("DailyBackups", "DailyRetention", "MonthlyRollover"):
            assert doc["Resources"][schedule]["Properties"]["ReservedConcurrentExecutions"] == 1  # never two at once
    prod, dev = packaged["prod"]["Resources"], packaged["dev"]["Resources"]
    # upload hashes, decompresses and validates up to 5 MiB per request: the largest API function
    assert prod["UploadHandler"]["Properties"]["MemorySize"] == max(
        prod[f]["Properties"]["MemorySize"] for f in groups.FUNCTIONS.values())
    assert prod["UploadHandler"]["Properties"]["MemorySize"] > dev["UploadHandler"]["Properties"]["MemorySize"]


def test_no_accepted_payload_needs_more_than_half_of_its_function():
    """Ingest peaks near INGEST_MEMORY_PER_JSON_BYTE x the JSON it holds (bench ingest_memory): the
    inline door's bound must fit half of every stage's upload function, the large door's the worker's."""
    from chalicelib.config import Settings, INGEST_MEMORY_PER_JSON_BYTE
    from infra.package import sizing

    settings = Settings()
    needs = {"upload_handler": settings.inline_decompressed_max_bytes, "ingest_worker": settings.decompressed_max_bytes}
    for stage in ("dev", "staging", "prod"):
        for function, json_bytes in needs.items():
            memory = sizing(stage, function)["MemorySize"] * 2**20
            assert INGEST_MEMORY_PER_JSON_BYTE * json_bytes <= memory / 2, (stage, function, memory)


def test_cfn_lint_reports_nothing(packaged, tmp_path):
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    for stage, doc in packaged.items():
        sam = tmp_path / f"{stage}.json"
        sam.write_text(json.dumps(doc))
        result = subprocess.run([cfn_lint, "--format", "json", str(sam)], capture_output=True, text=True)
        assert json.loads(result.stdout or "[]") == [], stage  # no error, no warning, no informational


# One route each function answers (with a real key against moto), and another group's route.
PROBES: dict[str, tuple[str, str, str, str]] = {
    # group: (method, resource path, concrete path, another group's path)
    "upload": ("POST", "/v1/upload/{product}", "/v1/upload/insight", "/v1/usage"),
    "usage": ("GET", "/v1/usage", "/v1/usage", "/v1/storage/stats"),
    "storage": ("GET", "/v1/storage/stats", "/v1/storage/stats", "/v1/whoami"),
    "api": ("GET", "/v1/whoami", "/v1/whoami", "/v1/upload/{product}"),
}

FRESH = r"""
import base64, json, sys, importlib
from moto import mock_aws
import boto3

handler_path, method, resource, path, foreign, body = sys.argv[1:7]

def event(method, resource, path, key, body):
    params = {"product": path.rsplit("/", 1)[-1]} if "{product}" in resource else None
    headers = {"Host": "api.example", "Authorization": f"Bearer {key}", "Content-Type": "application/json",
               "Idempotency-Key": "fresh-interpreter-1"}
    return {
        "resource": resource, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": params,
        "stageVariables": None, "body": body or None, "isBase64Encoded": False,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": "/api" + path,
                           "requestId": "req-fresh-1", "stage": "api", "apiId": "fresh",
                           "identity": {"sourceIp": "203.0.113.9"}},
    }

class Context:
    function_name = "odavl-fresh"; aws_request_id = "req-fresh-1"; memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:odavl-fresh"
    def get_remaining_time_in_millis(self): return 29000

with mock_aws():
    from infra.template import create_resources
    create_resources(boto3.session.Session(region_name="us-east-1"), "test")
    from chalicelib.services import orgs
    _, key = orgs.create_org("fresh", "pro")
    module_name, _, attribute = handler_path.rpartition(".")
    before = set(sys.modules)
    app = getattr(importlib.import_module(module_name), attribute)
    loaded = sorted(m for m in set(sys.modules) - before if m.startswith("chalicelib.routes."))
    own = app(event(method, resource, path, key, body), Context())
    other = app(event("GET" if "{" not in foreign else "POST", foreign, foreign.replace("{product}", "insight"), key, ""), Context())
print(json.dumps({"own": own, "other": other, "loaded": loaded}))
"""


def _upload_body() -> str:
    raw = (WORKSPACE / "problems-panel-export.json").read_bytes()
    import base64

    return json.dumps({"type": "analysis-results", "projectId": "fresh-web", "data": base64.b64encode(raw).decode()})


@pytest.mark.parametrize("group", list(PROBES))
def test_each_function_answers_its_routes_and_404s_the_others_in_a_fresh_interpreter(packaged, group):
    from tests.conftest import BASE_ENV

    handler = packaged["prod"]["Resources"][groups.FUNCTIONS[group]]["Properties"]["Handler"]
    method, resource, path, foreign = PROBES[group]
    assert expected_group(resource) == group and expected_group(foreign) != group
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), **BASE_ENV,
           "POWERTOOLS_LOG_LEVEL": "WARNING"}
    body = _upload_body() if method == "POST" else ""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(FRESH), handler, method, resource, path, foreign, body],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    own, other = seen["own"], seen["other"]
    assert 200 <= own["statusCode"] < 300, own
    assert own["headers"]["X-Request-Id"] == "req-fresh-1"
    assert other["statusCode"] == 404, other
    payload = json.loads(other["body"])
    assert set(payload) == {"error", "requestId"} and payload["requestId"] == "req-fresh-1"
    assert set(payload["error"]) == {"code", "message", "details"} and payload["error"]["code"] == "not_found"
    # its cold start loads its own route modules only
    assert seen["loaded"] == sorted(m for m in groups.GROUPS[group] if m.startswith("chalicelib.routes.")), seen["loaded"]


def test_each_function_serves_exactly_its_groups_routes():
    """Every route of the whole app is served by its group's entry app, and by no other."""
    script = textwrap.dedent("""
        import importlib, json, sys
        group = sys.argv[1]
        app = importlib.import_module(f"chalicelib.functions.{group}").app
        print(json.dumps(sorted([p, m] for p, ms in app.routes.items() for m in ms)))
    """)
    routes = app_routes()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
    for group in groups.GROUPS:
        out = subprocess.run([sys.executable, "-c", script, group], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True)
        served = {tuple(r) for r in json.loads(out.stdout.strip().splitlines()[-1])}
        assert served == {r for r in routes if expected_group(r[0]) == group}, group


SCHEDULED = r"""
import json, sys, importlib
from moto import mock_aws
import boto3

class Context:
    function_name = "odavl-fresh"; aws_request_id = "req-fresh-2"; memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:odavl-fresh"
    def get_remaining_time_in_millis(self): return 900000

event = {"version": "0", "id": "e-1", "detail-type": "Scheduled Event", "source": "aws.events",
         "account": "123456789012", "time": "2026-12-01T03:00:00Z", "region": "us-east-1",
         "resources": ["arn:aws:events:us-east-1:123456789012:rule/odavl"], "detail": {}}
with mock_aws():
    from infra.template import create_resources
    create_resources(boto3.session.Session(region_name="us-east-1"), "test")
    module_name, _, attribute = sys.argv[1].rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    print(json.dumps(handler(event, Context()), default=str))
"""


@pytest.mark.parametrize("function", ["DailyBackups", "DailyRetention", "MonthlyRollover"])
def test_each_scheduled_function_runs_from_a_fresh_interpreter(packaged, function):
    from tests.conftest import BASE_ENV

    handler = packaged["prod"]["Resources"][function]["Properties"]["Handler"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), **BASE_ENV,
           "POWERTOOLS_LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(SCHEDULED), handler], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert isinstance(result, dict) and result, result
    assert result.get("ok", True) is not False and not result.get("failures"), result


def test_the_api_functions_openapi_document_covers_every_group():
    """The api function serves /v1/openapi.json: the contract of every function, not only its own routes."""
    script = textwrap.dedent("""
        import json
        from chalicelib.functions.api import app
        event = {"resource": "/v1/openapi.json", "path": "/v1/openapi.json", "httpMethod": "GET",
                 "headers": {"Host": "api.example"}, "multiValueHeaders": {"Host": ["api.example"]},
                 "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
                 "stageVariables": None, "body": None, "isBase64Encoded": False,
                 "requestContext": {"resourcePath": "/v1/openapi.json", "httpMethod": "GET", "path": "/api/v1/openapi.json",
                                    "requestId": "req-doc", "stage": "api", "apiId": "fresh", "identity": {"sourceIp": "203.0.113.9"}}}
        reply = app(event, None)
        print(json.dumps({"status": reply["statusCode"], "paths": sorted(json.loads(reply["body"])["paths"])}))
    """)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1",
           "POWERTOOLS_LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    v1 = {path for path, _ in app_routes() if path.startswith("/v1/")}
    assert set(seen["paths"]) == v1


def test_every_route_module_is_in_a_group():
    """A blueprint added under chalicelib/routes/ but not listed in chalicelib/groups.py would be served
    by nothing: every one is listed, in one group (or among the event-only modules)."""
    import importlib
    import pkgutil

    from chalice import Blueprint

    import chalicelib.routes

    listed = [m for modules in groups.GROUPS.values() for m in modules] + list(groups.EVENT_MODULES)
    assert len(listed) == len(set(listed))
    for info in pkgutil.iter_modules(chalicelib.routes.__path__):
        name = f"chalicelib.routes.{info.name}"
        if isinstance(getattr(importlib.import_module(name), "bp", None), Blueprint):
            assert name in listed, f"{name} is in no group of chalicelib/groups.py"
