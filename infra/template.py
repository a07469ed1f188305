"""Read infra/resources.json and turn its resources into boto3 calls, so the local stack
(moto) gets exactly the tables, bucket and queues that CloudFormation deploys."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = Path(__file__).with_name("resources.json")
ACCOUNT_ID = "123456789012"


def load_template() -> dict[str, Any]:
    return json.loads(TEMPLATE_PATH.read_text())


def _resolve(value: Any, stage: str, region: str, names: dict[str, str]) -> Any:
    """Resolve the intrinsic functions the template uses (Fn::Sub, Ref, Fn::GetAtt Arn)."""
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Sub":
            def sub(m: re.Match[str]) -> str:
                var = m.group(1)
                return {"Stage": stage, "AWS::Region": region, "AWS::AccountId": ACCOUNT_ID}.get(var, names.get(var, var))
            return re.sub(r"\$\{([^}]+)\}", sub, arg)
        if fn == "Ref":
            return stage if arg == "Stage" else names[arg]
        if fn == "Fn::GetAtt":
            return f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{names[arg[0]]}"
    if isinstance(value, dict):
        return {k: _resolve(v, stage, region, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, stage, region, names) for v in value]
    return value


def create_resources(session: Any, stage: str = "dev", endpoint_url: str | None = None) -> dict[str, str]:
    """Create every resource of the template that does not exist yet; returns logical id -> name."""
    template = load_template()
    region = session.region_name or "us-east-1"
    ddb = session.client("dynamodb", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    names: dict[str, str] = {}
    resources = template["Resources"]
    # queues referenced by others (dead-letter) first
    order = sorted(resources, key=lambda r: 0 if "RedrivePolicy" not in resources[r].get("Properties", {}) else 1)
    for logical_id in order:
        res = resources[logical_id]
        props = _resolve(res.get("Properties", {}), stage, region, names)
        kind = res["Type"]
        if kind == "AWS::DynamoDB::Table":
            names[logical_id] = _create_table(ddb, props)
        elif kind == "AWS::S3::Bucket":
            names[logical_id] = _create_bucket(s3, props, region)
        elif kind == "AWS::SQS::Queue":
            names[logical_id] = _create_queue(sqs, props)
    return names


def _create_table(ddb: Any, props: dict[str, Any]) -> str:
    name = props["TableName"]
    if name in ddb.list_tables().get("TableNames", []):
        return name
    kwargs: dict[str, Any] = {
        "TableName": name,
        "BillingMode": props["BillingMode"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    ddb.create_table(**kwargs)
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True})
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return name


def _create_bucket(s3: Any, props: dict[str, Any], region: str) -> str:
    name = props["BucketName"]
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if name not in existing:
        kwargs: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "BucketEncryption" in props:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]},
        )
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]})
    if "LifecycleConfiguration" in props:
        rules = [
            {"ID": r["Id"], "Status": r["Status"], "Filter": {"Prefix": ""},
             "AbortIncompleteMultipartUpload": r["AbortIncompleteMultipartUpload"]}
            for r in props["LifecycleConfiguration"]["Rules"]
        ]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    if "CorsConfiguration" in props:
        rules = [
            {"AllowedMethods": r["AllowedMethods"], "AllowedOrigins": r["AllowedOrigins"],
             "AllowedHeaders": r.get("AllowedHeaders", []), "ExposeHeaders": r.get("ExposedHeaders", []),
             "MaxAgeSeconds": r.get("MaxAge", 0)}
            for r in props["CorsConfiguration"]["CorsRules"]
        ]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    return name


def _create_queue(sqs: Any, props: dict[str, Any]) -> str:
    name = props["QueueName"]
    attributes: dict[str, str] = {}
    if "VisibilityTimeout" in props:
        attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
    if "MessageRetentionPeriod" in props:
        attributes["MessageRetentionPeriod"] = str(props["MessageRetentionPeriod"])
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    sqs.create_queue(QueueName=name, Attributes=attributes)
    return name
