"""The AWS deployment: ``chalice package --merge-template`` output is cfn-lint clean and least-privilege."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.package import package

pytestmark = pytest.mark.xdist_group("package")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pkg")
    return {stage: package(stage, root / stage) for stage in ("prod", "staging")}


def _template(path: Path) -> dict:
    return json.loads(path.read_text())


def test_cfn_lint_reports_no_errors(packaged):
    for stage, sam in packaged.items():
        cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
        result = subprocess.run([cfn_lint, "--format", "json", str(sam)], capture_output=True, text=True)
        findings = json.loads(result.stdout or "[]")
        errors = [f for f in findings if f["Level"] == "Error"]
        assert errors == [], (stage, errors)


def test_resources_are_named_for_their_stage(packaged):
    doc = _template(packaged["prod"])
    assert doc["Parameters"]["Stage"]["Default"] == "prod"
    kinds = {r["Type"] for r in doc["Resources"].values()}
    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Serverless::Function"} <= kinds
    env = doc["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["ODAVL_STAGE"] == "prod"
    assert env["ODAVL_BACKUP_RETENTION_DAYS"] == "30"


def test_tables_bucket_and_queue_are_hardened(packaged):
    doc = _template(packaged["prod"])
    tables = [r for r in doc["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 7
    for table in tables:
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["TimeToLiveSpecification"]["Enabled"] is True
    bucket = doc["Resources"]["PayloadBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["LifecycleConfiguration"]["Rules"][0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    statement = doc["Resources"]["PayloadBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    queue = doc["Resources"]["IngestQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3


def test_lambda_policy_is_least_privilege():
    for stage in ("dev", "staging", "prod"):
        policy = json.loads((Path(__file__).resolve().parents[2] / ".chalice" / f"policy-{stage}.json").read_text())
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions), statement
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if any(a.startswith(("dynamodb:Get", "dynamodb:Put", "s3:", "sqs:")) for a in actions):
                assert all(f"odavl-{stage}-" in r for r in resources), statement


def test_api_gateway_answers_its_own_errors_in_the_documented_shape(packaged):
    resources = _template(packaged["prod"])["Resources"]
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in resources.values()
                 if r["Type"] == "AWS::ApiGateway::GatewayResponse"}
    assert set(responses) == {"MISSING_AUTHENTICATION_TOKEN", "REQUEST_TOO_LARGE", "THROTTLED", "DEFAULT_4XX",
                              "DEFAULT_5XX"}
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"  # an unknown path, not a 403
    assert "/v1/uploads" in responses["REQUEST_TOO_LARGE"]["ResponseTemplates"]["application/json"]
    for kind, props in responses.items():
        assert props["RestApiId"] == {"Ref": "RestAPI"} and "RestAPI" in resources
        # filled in as API Gateway does ($context variables only: these templates are not VTL)
        filled = (props["ResponseTemplates"]["application/json"]
                  .replace("$context.error.messageString", '"Missing Authentication Token"')
                  .replace("$context.requestId", "r-1"))
        payload = json.loads(filled)
        assert set(payload) == {"error", "requestId"} and payload["requestId"] == "r-1", kind
        assert set(payload["error"]) == {"code", "message", "details"}, kind
        assert payload["error"]["code"].islower() and payload["error"]["message"], kind
