"""The local stack's resources are built by moto's own CloudFormation from infra/resources.json, and
what moto's CloudFormation leaves undone is completed from the same template."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from infra.template import COMPLETED_BY_HAND, create_resources, load_template


@pytest.fixture()
def session(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")


def test_the_stack_holds_every_supported_resource_and_the_hand_completed_properties(session) -> None:
    names = create_resources(session, stage="t1")
    template = load_template()["Resources"]
    stack = session.client("cloudformation").list_stack_resources(StackName="odavl-cloud-data-t1")
    built = {r["LogicalResourceId"] for r in stack["StackResourceSummaries"]
             if r.get("ResourceStatus") == "CREATE_COMPLETE" and r.get("LogicalResourceId")}
    expected = {lid for lid, res in template.items() if res["Type"] != "AWS::S3::BucketPolicy"}
    assert built == expected
    assert set(COMPLETED_BY_HAND) == {res["Type"] for res in template.values()} - {"AWS::SQS::Queue"}

    ddb, s3, sqs = (session.client(s) for s in ("dynamodb", "s3", "sqs"))
    for lid, res in template.items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::DynamoDB::Table":
            table = ddb.describe_table(TableName=names[lid])["Table"]
            assert table["KeySchema"] == props["KeySchema"]
            assert len(table.get("GlobalSecondaryIndexes", [])) == len(props.get("GlobalSecondaryIndexes", []))
            ttl = ddb.describe_time_to_live(TableName=names[lid])["TimeToLiveDescription"]
            if props.get("TimeToLiveSpecification", {}).get("Enabled"):
                assert ttl == {"TimeToLiveStatus": "ENABLED",
                               "AttributeName": props["TimeToLiveSpecification"]["AttributeName"]}
            backups = ddb.describe_continuous_backups(TableName=names[lid])["ContinuousBackupsDescription"]
            pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
            assert pitr == ("ENABLED" if props.get("PointInTimeRecoverySpecification") else "DISABLED")
        elif res["Type"] == "AWS::S3::Bucket":
            bucket = names[lid]
            assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == props["VersioningConfiguration"]["Status"]
            assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == \
                props["PublicAccessBlockConfiguration"]
            rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
            assert [r["ID"] for r in rules] == [r["Id"] for r in props["LifecycleConfiguration"]["Rules"]]
            assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedMethods"] == \
                props["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"]
        elif res["Type"] == "AWS::SQS::Queue":
            url = sqs.get_queue_url(QueueName=names[lid])["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            for name in ("VisibilityTimeout", "MessageRetentionPeriod"):
                if name in props:
                    assert int(attributes[name]) == props[name]
            assert ("RedrivePolicy" in attributes) == ("RedrivePolicy" in props)


def test_creating_again_changes_nothing(session) -> None:
    first = create_resources(session, stage="t2")
    assert create_resources(session, stage="t2") == first
    assert len(session.client("cloudformation").describe_stacks()["Stacks"]) == 1
