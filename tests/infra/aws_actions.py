"""Records the IAM actions each deployed function's code needs, by watching botocore while tests run.

A pytest plugin: ``pytest -p tests.infra.aws_actions tests/api ...`` with ``ODAVL_ACTIONS_OUT=<file>``
writes ``{function: {action: [resource, ...]}}``. Every botocore client made during the run gets
two hooks: ``before-parameter-build`` (every API call and every presigned URL, with its parameters)
and ``before-sign`` (presigned POST policies, which build no parameters). Each operation is
attributed to the function that would run it: the endpoint group of the route whose view Chalice
is calling (by the module that declares it), or the worker / schedule whose service entry point is running.
Calls made by test set-up (creating tables, organizations) belong to no function and are ignored.
Resources are named as infra/resources.json names them (``RunsTable``, ``RunsTable/index/gsi1``,
``PayloadBucket/*``), so the result compares directly with infra/permissions.json.
"""
from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import botocore.session

ROOT = Path(__file__).resolve().parents[2]

# The tests whose AWS calls make infra/permissions.json (python -m tests.infra.aws_actions runs them).
RECORDED_TESTS: tuple[str, ...] = ("tests/api", "tests/infra/test_dashboard_calls.py", "tests/infra/test_schedule_calls.py",
                                   "tests/unit/test_jobs_worker.py", "tests/unit/maintenance", "tests/unit/usage")

# Lambda entry points other than routes: (module, function) -> the function name in permissions.json.
ENTRY_POINTS: dict[tuple[str, str], str] = {
    ("chalicelib.services.jobs", "process_message"): "ingest_worker",
    ("chalicelib.services.jobs", "back_off"): "ingest_worker",
    ("chalicelib.services.maintenance.backups", "run_backups"): "daily_backups",
    ("chalicelib.services.maintenance.retention", "run_retention"): "daily_retention",
    ("chalicelib.services.usage.rollover", "close_period"): "monthly_rollover",
}

# S3 operations whose IAM action is not s3:<operation>; (action, object-level?)
S3_ACTIONS: dict[str, tuple[str, bool]] = {
    "HeadObject": ("s3:GetObject", True),
    "GetObject": ("s3:GetObject", True),
    "PutObject": ("s3:PutObject", True),
    "CreateMultipartUpload": ("s3:PutObject", True),
    "UploadPart": ("s3:PutObject", True),
    "CompleteMultipartUpload": ("s3:PutObject", True),
    "CopyObject": ("s3:PutObject", True),
    "DeleteObject": ("s3:DeleteObject", True),
    "DeleteObjects": ("s3:DeleteObject", True),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", True),
    "ListParts": ("s3:ListMultipartUploadParts", True),
    "ListObjects": ("s3:ListBucket", False),
    "ListObjectsV2": ("s3:ListBucket", False),
    "HeadBucket": ("s3:ListBucket", False),
    "ListMultipartUploads": ("s3:ListBucketMultipartUploads", False),
    "ListObjectVersions": ("s3:ListBucketVersions", False),
}
VERSIONED = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion",
             "s3:GetObjectTagging": "s3:GetObjectVersionTagging"}
SQS_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
             "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem"}

_lock = threading.Lock()
_current: list[str] = []  # the function running now (outermost first)
# Per-process caches that spare AWS calls, kept per function: each deployed function is its own process,
# so the first call of each one pays the look-up (e.g. GetQueueUrl) and must be allowed it.
PROCESS_CACHES: tuple[tuple[str, str], ...] = (("chalicelib.store.queue", "_urls"),)
_caches: dict[str, dict[tuple[str, str], Any]] = defaultdict(dict)
RECORDED: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
UNATTRIBUTED: set[str] = set()


def _name_patterns() -> list[tuple[re.Pattern[str], str]]:
    """Resource name patterns of infra/resources.json (any stage) -> logical id."""
    template = json.loads((ROOT / "infra" / "resources.json").read_text())
    found = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("TableName", "BucketName", "QueueName"):
            value = props.get(key)
            if isinstance(value, dict) and "Fn::Sub" in value:
                pattern = re.escape(value["Fn::Sub"]).replace(re.escape("${Stage}"), "[a-z0-9]+")
                found.append((re.compile(f"^{pattern}$"), logical_id))
    return found


_PATTERNS = _name_patterns()


def logical(name: str) -> str:
    """The logical id of a stage resource name (the raw name when the template has no such resource)."""
    for pattern, logical_id in _PATTERNS:
        if pattern.match(name):
            return logical_id
    return name


def actions_of(service: str, operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    """(IAM action, resource) pairs one operation with these parameters needs."""
    if service == "dynamodb":
        return _dynamodb(operation, params)
    if service == "s3":
        action, on_object = S3_ACTIONS.get(operation, (f"s3:{operation}", "Key" in params))
        versioned = "VersionId" in params or any("VersionId" in o for o in (params.get("Delete") or {}).get("Objects", []))
        if versioned and action in VERSIONED:
            action = VERSIONED[action]  # a request naming a version needs the *Version action
        bucket = logical(str(params.get("Bucket", "*")))
        pairs = {(action, f"{bucket}/*" if on_object else bucket)}
        if operation == "CopyObject":
            source = params.get("CopySource")
            src_bucket = source.get("Bucket") if isinstance(source, dict) else str(source).lstrip("/").split("/")[0]
            src_versioned = (isinstance(source, dict) and "VersionId" in source) or "versionId=" in str(source)
            pairs.add(("s3:GetObjectVersion" if src_versioned else "s3:GetObject", f"{logical(str(src_bucket))}/*"))
        return pairs
    if service == "sqs":
        queue = params.get("QueueName") or str(params.get("QueueUrl", "*")).rstrip("/").rsplit("/", 1)[-1]
        return {(f"sqs:{SQS_BATCH.get(operation, operation)}", logical(queue))}
    if service == "ssm" and "Name" in params:
        # parameters of a stage are /odavl/<stage>/...: named for the template's Stage parameter
        name = re.sub(r"^/odavl/[a-z0-9]+/", "/odavl/${Stage}/", str(params["Name"]))
        return {(f"ssm:{operation}", f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{name}")}
    prefix = {"secrets-manager": "secretsmanager", "cloudwatch": "cloudwatch"}.get(service, service)
    resource = params.get("SecretId") or params.get("Name") or "*"
    return {(f"{prefix}:{operation}", str(resource))}


def _dynamodb(operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        pairs = set()
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                pairs.add((f"dynamodb:{TRANSACT[kind]}", logical(body["TableName"])))
        return pairs
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return {(f"dynamodb:{operation}", logical(t)) for t in params.get("RequestItems", {})}
    if operation in ("DescribeBackup", "DeleteBackup"):
        match = re.search(r":table/([^/]+)/backup/", str(params.get("BackupArn", "")))
        return {(f"dynamodb:{operation}", f"{logical(match.group(1))}/backup/*" if match else "*")}
    if operation == "ListBackups":
        return {("dynamodb:ListBackups", "*")}  # no resource-level permission exists for it
    table = logical(str(params.get("TableName", "*")))
    if params.get("IndexName"):
        return {(f"dynamodb:{operation}", f"{table}/index/{params['IndexName']}")}
    return {(f"dynamodb:{operation}", table)}


def record(pairs: set[tuple[str, str]]) -> None:
    with _lock:
        if not _current:
            UNATTRIBUTED.update(f"{a} {r}" for a, r in pairs)
            return
        for action, resource in pairs:
            RECORDED[_current[0]][action].add(resource)


def _on_parameters(params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
    if model.name == "CreateBucket" and (context or {}).get("is_presign_request"):
        return  # botocore builds a presigned POST with CreateBucket's model; _on_sign records its PutObject
    record(actions_of(model.service_model.service_name, model.name, params))


def _on_sign(request: Any, operation_name: str, signature_version: Any = None, **_: Any) -> None:
    if "presign-post" in str(signature_version):
        bucket = str(getattr(request, "url", "") or "").rstrip("/").rsplit("/", 1)[-1]
        record({("s3:PutObject", f"{logical(bucket)}/*")})


def _hooked_get_session(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_session(*args: Any, **kwargs: Any) -> Any:
        session = original(*args, **kwargs)
        session.register("before-parameter-build", _on_parameters, unique_id="odavl-record-params")
        session.register("before-sign", _on_sign, unique_id="odavl-record-sign")
        return session

    return get_session


def attributed(function: Callable[..., Any], name_of: Callable[..., str]) -> Callable[..., Any]:
    """``function`` marking what it runs as the work of function ``name_of(*args)``."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = name_of(*args, **kwargs)
        with _lock:
            outermost = not _current
            _current.append(name)
        saved = _swap_caches(name) if outermost else {}
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _current.pop()
            for (module, attr), value in saved.items():
                setattr(sys.modules[module], attr, value)

    return wrapper


def _swap_caches(name: str) -> dict[tuple[str, str], Any]:
    """Give function ``name`` its own process caches; returns the ones to put back."""
    saved = {}
    for module, attr in PROCESS_CACHES:
        if module in sys.modules:
            saved[(module, attr)] = getattr(sys.modules[module], attr)
            setattr(sys.modules[module], attr, _caches[name].setdefault((module, attr), {}))
    return saved


def install() -> None:
    """Hook botocore sessions made from now on and the entry points of every function."""
    import importlib

    import boto3
    import chalice.app

    from chalicelib import groups
    from chalicelib.store import clients

    botocore.session.get_session = _hooked_get_session(botocore.session.get_session)
    boto3.DEFAULT_SESSION = None
    clients.reset()

    def group_of(handler: Any, view_function: Any, *_: Any, **__: Any) -> str:
        module = getattr(view_function, "__module__", "?")
        return groups.group_of_module(module) or f"unknown:{module}"

    # where Chalice calls a route's view: every route, declared with chalicelib.web.route or not
    events = chalice.app.RestAPIEventHandler
    events._get_view_function_response = attributed(events._get_view_function_response, group_of)
    for (module_name, attr), name in ENTRY_POINTS.items():
        module = importlib.import_module(module_name)
        setattr(module, attr, attributed(getattr(module, attr), lambda *a, _n=name, **k: _n))


def as_json() -> dict[str, Any]:
    with _lock:
        return {
            "functions": {f: {a: sorted(r) for a, r in sorted(acts.items())} for f, acts in sorted(RECORDED.items())},
            "unattributed": sorted(UNATTRIBUTED),
        }


def pytest_configure(config: Any) -> None:
    if os.environ.get("ODAVL_ACTIONS_OUT"):
        install()


def pytest_unconfigure(config: Any) -> None:
    out = os.environ.get("ODAVL_ACTIONS_OUT")
    xdist_controller = bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")
    if out and not xdist_controller:  # the worker that ran the tests writes, not the controller
        Path(out).write_text(json.dumps(as_json(), indent=2, sort_keys=True) + "\n")


def collect(out: Path, extra_args: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run RECORDED_TESTS in one fresh pytest process with this plugin; the recorded actions."""
    import subprocess

    env = {**os.environ, "ODAVL_ACTIONS_OUT": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.infra.aws_actions", "-p", "no:xdist",
                           *extra_args, *RECORDED_TESTS], cwd=ROOT, env=env, capture_output=True, text=True)
    result = json.loads(out.read_text())
    result["pytest"] = {"returncode": done.returncode, "tail": done.stdout[-2000:]}
    return result


if __name__ == "__main__":
    # python -m tests.infra.aws_actions [--write]: print what the code calls; --write puts it in infra/permissions.json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        found = collect(Path(tmp) / "actions.json")
    print(json.dumps(found["functions"], indent=2))
    if "--write" in sys.argv:
        path = ROOT / "infra" / "permissions.json"
        doc = json.loads(path.read_text())
        doc["functions"] = found["functions"]
        path.write_text(json.dumps(doc, indent=2) + "\n")
