"""Package a stage for CloudFormation: the infra template with the stage baked in, merged by
``chalice package --merge-template`` into the SAM template of the app, then split by endpoint group.

    python -m infra.package prod build/prod     # writes build/prod/sam.json, prints paths and roles
    python -m infra.package --show build/prod/sam.json

Chalice makes one API handler for every route. The merged template is rewritten so that each
endpoint group of chalicelib/groups.py is a function of its own (handler
``chalicelib.functions.<group>.app``) and each path's API Gateway integration invokes its group's
function. Every function (groups, schedules, worker) gets its own role listing exactly the actions
on exactly the resources of infra/permissions.json, and its group's memory, timeout and reserved
concurrency of .chalice/config.json.
"""
from __future__ import annotations

import copy
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.template import ROOT, load_template


# API Gateway's own answers (unknown path, throttling, a body over 10 MB, ...) in the documented error
# shape. Only in the packaged template: they belong to the API that Chalice creates (``RestAPI``),
# not to the data stack that infra/resources.json can also deploy on its own.
GATEWAY_RESPONSES = ROOT / "infra" / "gateway_responses.json"
# function name -> {IAM action: [resource]}: what each function's code calls (tests/infra checks it).
PERMISSIONS = ROOT / "infra" / "permissions.json"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
# Actions that have no resource-level permission in IAM (their resource can only be "*").
NO_RESOURCE_LEVEL = frozenset({"dynamodb:ListBackups"})
API = "APIHandler"
# The dashboard's session signing key, an SSM SecureString per stage (not in the plain environment). Set on
# the packaged api function only: ``chalice local`` keeps signing with its per-process key on loopback.
SESSION_SECRET_PARAMETER = "/odavl/{stage}/dashboard-session-secret"
SIZING_KEYS = {"lambda_memory_size": "MemorySize", "lambda_timeout": "Timeout",
               "reserved_concurrency": "ReservedConcurrentExecutions"}


def stage_template(stage: str, out_dir: Path) -> Path:
    """infra/resources.json with the Stage parameter defaulting to ``stage``, plus the gateway responses."""
    template = load_template()
    template["Parameters"]["Stage"]["Default"] = stage
    template["Resources"].update(json.loads(GATEWAY_RESPONSES.read_text())["Resources"])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"resources-{stage}.json"
    path.write_text(json.dumps(template, indent=2))
    return path


def package(stage: str, out_dir: Path) -> Path:
    """Run ``chalice package`` for ``stage`` into ``out_dir`` and split it by group; returns the SAM template path."""
    merge = stage_template(stage, out_dir.parent / f"{out_dir.name}-merge")
    env = {**os.environ, "ODAVL_STAGE": stage, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    chalice = str(Path(sys.executable).with_name("chalice"))
    subprocess.run(
        [chalice, "package", "--stage", stage, "--merge-template", str(merge), str(out_dir)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    sam = out_dir / "sam.json"
    doc = split_by_group(json.loads(sam.read_text()), stage, route_groups())
    sam.write_text(json.dumps(doc, indent=2))
    return sam


def route_groups() -> dict[tuple[str, str], str]:
    """(path, METHOD) -> endpoint group, for every route of the whole app (by the module that declares it)."""
    from chalicelib import groups

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    app = importlib.import_module("app").app
    found: dict[tuple[str, str], str] = {}
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            module = entry.view_function.__module__
            group = groups.group_of_module(module)
            if group is None:
                raise ValueError(f"{method} {path} ({module}) is in no endpoint group: list {module} in chalicelib/groups.py")
            found[(path, method)] = group
    return found


def function_ids() -> dict[str, str]:
    """Permission name (a group, or a Chalice function name such as ``ingest_worker``) -> logical id."""
    from chalicelib import groups

    names = json.loads(PERMISSIONS.read_text())["functions"]
    return {name: groups.FUNCTIONS.get(name) or _camel(name) for name in names}


def granted() -> dict[str, dict[str, list[str]]]:
    """Function name -> {action: resources} its role grants: what its code calls, plus what AWS does
    with the role on its behalf (an SQS event source mapping receives and deletes with it)."""
    doc = json.loads(PERMISSIONS.read_text())
    merged = {name: {a: list(r) for a, r in actions.items()} for name, actions in doc["functions"].items()}
    for name, actions in doc.get("platform", {}).items():
        for action, targets in actions.items():
            merged[name][action] = sorted(set(merged[name].get(action, [])) | set(targets))
    return merged


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def sizing(stage: str, name: str) -> dict[str, int]:
    """MemorySize / Timeout / ReservedConcurrentExecutions of function ``name`` on ``stage``, resolved
    as Chalice resolves its own: stage's function entry, stage, top-level function entry, top level."""
    config = json.loads(CHALICE_CONFIG.read_text())
    stage_config = config.get("stages", {}).get(stage, {})
    layers = [config, config.get("lambda_functions", {}).get(name, {}), stage_config,
              stage_config.get("lambda_functions", {}).get(name, {})]
    found: dict[str, int] = {}
    for layer in layers:
        for key, prop in SIZING_KEYS.items():
            if key in layer:
                found[prop] = int(layer[key])
    return found


def split_by_group(doc: dict[str, Any], stage: str, routes: dict[tuple[str, str], str]) -> dict[str, Any]:
    """The merged template with one function, role and invoke permission per endpoint group, each
    path integrated with its group's function, and every function's role least-privilege."""
    from chalicelib import groups

    resources = doc["Resources"]
    api_function = resources[API]
    pristine = copy.deepcopy(api_function)
    permission = resources[f"{API}InvokePermission"]
    for group, logical_id in groups.FUNCTIONS.items():
        if logical_id != API:
            resources[logical_id] = copy.deepcopy(pristine)
            resources[logical_id]["Properties"]["Role"] = {"Fn::GetAtt": [f"{logical_id}Role", "Arn"]}
            resources[f"{logical_id}InvokePermission"] = copy.deepcopy(permission)
            resources[f"{logical_id}InvokePermission"]["Properties"]["FunctionName"] = {"Ref": logical_id}
            doc.setdefault("Outputs", {})[f"{logical_id}Name"] = {"Value": {"Ref": logical_id}}
        props = resources[logical_id]["Properties"]
        props["Handler"] = groups.entry(group)
        props.update(sizing(stage, f"{group}_handler"))
    # Only the api function (the dashboard) signs sessions; the operator stores the key (SecureString) there.
    api_function["Properties"]["Environment"]["Variables"]["ODAVL_SESSION_SECRET_PARAMETER"] = (
        SESSION_SECRET_PARAMETER.format(stage=stage))

    body = resources["RestAPI"]["Properties"]["DefinitionBody"]
    seen = set()
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            group = routes.get((path, method.upper()))
            if group is None:
                raise ValueError(f"{method.upper()} {path} is in the API but not a route of the app")
            seen.add((path, method.upper()))
            function = groups.FUNCTIONS[group]
            operation["x-amazon-apigateway-integration"]["uri"] = {"Fn::Sub": (
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                f"${{{function}.Arn}}/invocations")}
    if seen != set(routes):
        raise ValueError(f"routes missing from the API: {sorted(set(routes) - seen)}")

    assume = resources[api_function["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]["AssumeRolePolicyDocument"]
    permissions = granted()
    functions = {k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    ids = function_ids()
    if set(ids.values()) != functions:
        raise ValueError(f"infra/permissions.json names {sorted(ids.values())}, the template has {sorted(functions)}")
    for name, logical_id in ids.items():
        role_id = resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        resources[role_id] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": copy.deepcopy(assume),
            "Policies": [{"PolicyName": f"{logical_id}Policy",
                          "PolicyDocument": policy_document(logical_id, permissions[name], resources)}],
        }}
    return doc


def policy_document(logical_id: str, actions: dict[str, list[str]], resources: dict[str, Any]) -> dict[str, Any]:
    """One statement per set of resources: the function's own log group, then its data actions."""
    log_group = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/${{AWS::StackName}}-{logical_id}-*"
    statements: list[dict[str, Any]] = [
        {"Sid": "LogGroup", "Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": {"Fn::Sub": log_group}},
        {"Sid": "LogEvents", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": {"Fn::Sub": f"{log_group}:*"}},
    ]
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, targets in sorted(actions.items()):
        by_resources.setdefault(tuple(sorted(targets)), []).append(action)
    for targets, grouped in by_resources.items():
        sid = re.sub(r"[^A-Za-z0-9]", "", "".join(t.split("/")[0] for t in targets[:2]))[:60] or "Any"
        statements.append({"Sid": f"S{len(statements)}{sid}", "Effect": "Allow", "Action": grouped,
                           "Resource": [arn(t, resources) for t in targets]})
    return {"Version": "2012-10-17", "Statement": statements}


def arn(token: str, resources: dict[str, Any]) -> Any:
    """The ARN of a resource token of infra/permissions.json: ``RunsTable``, ``RunsTable/index/gsi1``,
    ``PayloadBucket/*`` (its objects), ``*`` (actions without resource-level permissions only)."""
    if token == "*":
        return "*"
    if token.startswith("arn:"):
        return {"Fn::Sub": token}  # not a resource of the template (an SSM parameter of the stage)
    logical_id, _, rest = token.partition("/")
    if logical_id not in resources:
        raise ValueError(f"infra/permissions.json names {token!r}: no resource {logical_id} in the template")
    if not rest:
        return {"Fn::GetAtt": [logical_id, "Arn"]}
    return {"Fn::Sub": f"${{{logical_id}.Arn}}/{rest}"}


def show(doc: dict[str, Any]) -> str:
    """The path -> function map and each function's role actions, as text."""
    resources = doc["Resources"]
    lines = ["Paths -> functions:"]
    for path, operations in sorted(resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"].items()):
        for method, operation in sorted(operations.items()):
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            function = re.search(r"\$\{(\w+)\.Arn\}", uri).group(1)  # type: ignore[union-attr]
            lines.append(f"  {method.upper():<7}{path:<58} {function}")
    lines.append("Functions -> role actions (besides their own log group):")
    for logical_id, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        sizes = f"{props.get('MemorySize')} MB, {props.get('Timeout')} s, reserved {props.get('ReservedConcurrentExecutions', '-')}"
        lines.append(f"  {logical_id} ({props['Handler']}; {sizes})")
        role = resources[props["Role"]["Fn::GetAtt"][0]]
        for statement in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][2:]:
            targets = ", ".join(_short(r) for r in statement["Resource"])
            lines.append(f"      {' '.join(statement['Action'])}  on  {targets}")
    return "\n".join(lines)


def _short(resource: Any) -> str:
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return resource["Fn::GetAtt"][0]
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        return re.sub(r"\$\{(\w+)\.Arn\}", r"\1", resource["Fn::Sub"])
    return str(resource)


if __name__ == "__main__":
    if sys.argv[1] == "--show":
        print(show(json.loads(Path(sys.argv[2]).read_text())))
    else:
        stage_name, target = sys.argv[1], Path(sys.argv[2]).resolve()
        sam_path = package(stage_name, target)
        print(sam_path)
        print(show(json.loads(sam_path.read_text())))
