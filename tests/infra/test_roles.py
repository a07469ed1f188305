"""Least privilege per function: each role grants exactly what its function's code calls, as recorded by
botocore hooks while the tests run, on exactly the stage's resources, and nothing of another group."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.package import NO_RESOURCE_LEVEL, PERMISSIONS, function_ids, granted, package
from tests.infra import aws_actions

pytestmark = pytest.mark.xdist_group("package")


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return json.loads(package("prod", tmp_path_factory.mktemp("roles") / "prod").read_text())


def _token(resource: Any) -> str:
    """A policy resource back in infra/permissions.json's notation."""
    if resource == "*":
        return "*"
    if "Fn::GetAtt" in resource:
        return resource["Fn::GetAtt"][0]
    text = resource["Fn::Sub"]
    return text.replace("${", "").replace(".Arn}", "") if text.startswith("${") else text


def role_grants(doc: dict[str, Any], logical_id: str) -> dict[str, set[str]]:
    """{action: resources} of the function's role, its log group statements aside."""
    resources = doc["Resources"]
    role = resources[resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]]
    [policy] = role["Properties"]["Policies"]
    found: dict[str, set[str]] = {}
    for statement in policy["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        if statement["Sid"] in ("LogGroup", "LogEvents"):
            assert all(a.startswith("logs:") for a in statement["Action"])
            assert f"/aws/lambda/${{AWS::StackName}}-{logical_id}-*" in statement["Resource"]["Fn::Sub"]
            continue
        for action in statement["Action"]:
            found.setdefault(action, set()).update(_token(r) for r in statement["Resource"])
    return found


def test_each_role_is_what_infra_permissions_json_grants(prod):
    for name, logical_id in function_ids().items():
        expected = {a: set(r) for a, r in granted()[name].items()}
        assert role_grants(prod, logical_id) == expected, name


def test_nothing_has_a_wildcard_on_data(prod):
    for name, logical_id in function_ids().items():
        for action, targets in role_grants(prod, logical_id).items():
            assert "*" not in action, (name, action)
            if "*" in targets:
                assert action in NO_RESOURCE_LEVEL and targets == {"*"}, (name, action)
            for target in targets - {"*"}:
                # a table, an index, a table's backups, the bucket or its objects, a queue, a stage parameter
                assert not target.startswith("*") and (target.split("/")[0] in prod["Resources"]
                                                       or target.startswith("arn:${AWS::Partition}:ssm:")), target


def test_groups_keep_to_their_own_business(prod):
    grants = {name: role_grants(prod, logical_id) for name, logical_id in function_ids().items()}
    usage = grants["usage"]
    assert not [a for a in usage if a.startswith(("s3:", "sqs:"))]
    assert {t for targets in usage.values() for t in targets} <= {"UsageTable", "OrgsTable", "ApiKeysTable"}
    assert not [a for a in grants["storage"] if a.startswith("sqs:")]
    assert "IngestQueue" in grants["upload"]["sqs:SendMessage"]
    assert not [a for a in grants["api"] if "Backup" in a]
    # SQS delivers to the worker with the worker's role: its event source mapping receives and deletes
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(grants["ingest_worker"])
    for name, actions in grants.items():
        if name != "ingest_worker":
            assert "sqs:ReceiveMessage" not in actions, name


def test_the_dashboard_session_key_parameter_is_the_one_granted(prod):
    env = prod["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["ODAVL_SESSION_SECRET_PARAMETER"] == "/odavl/prod/dashboard-session-secret"
    [arn] = role_grants(prod, "APIHandler")["ssm:GetParameter"]
    assert arn.endswith(":parameter/odavl/${Stage}/dashboard-session-secret")
    for name, logical_id in function_ids().items():
        if name != "api":
            assert not [a for a in role_grants(prod, logical_id) if a.startswith("ssm:")], name


@pytest.mark.slow
@pytest.mark.xdist_group("actions")  # minutes of API tests in one process: beside the packaging, not after it
def test_each_role_grants_exactly_the_actions_its_code_calls(tmp_path: Path):
    """Run the recorded tests with botocore hooks; every operation of every function is granted, and
    every granted action was used. After a change: python -m tests.infra.aws_actions --write, review."""
    found = aws_actions.collect(tmp_path / "actions.json")
    declared = json.loads(PERMISSIONS.read_text())["functions"]
    recorded = found["functions"]
    report = []
    for name in sorted(set(declared) | set(recorded)):
        have = {(a, r) for a, rs in declared.get(name, {}).items() for r in rs}
        used = {(a, r) for a, rs in recorded.get(name, {}).items() for r in rs}
        if used - have:
            report.append(f"{name} misses {sorted(used - have)}")
        if have - used:
            report.append(f"{name} never uses {sorted(have - used)}")
    assert not report, "\n".join(report) + f"\n(recorded tests: {found['pytest']})"
    assert set(recorded) == set(function_ids())  # every function's code ran
