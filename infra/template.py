"""Build infra/resources.json in moto with moto's own CloudFormation, so the local stack gets exactly
the tables, bucket and queues that CloudFormation deploys; the few properties moto's CloudFormation
does not apply are applied here from the same template (``COMPLETED_BY_HAND``)."""
from __future__ import annotations

import json
import re
import warnings
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
    """Create the template's resources once, as moto's own CloudFormation builds them, then apply the
    properties moto's CloudFormation accepts but does not apply (``COMPLETED_BY_HAND``); returns
    logical id -> name."""
    template = load_template()
    region = session.region_name or "us-east-1"
    cfn = session.client("cloudformation", endpoint_url=endpoint_url)
    stack = f"odavl-cloud-data-{stage}"
    if not _stack_exists(cfn, stack):
        with warnings.catch_warnings():  # moto names AWS::S3::BucketPolicy as not supported: see below
            warnings.simplefilter("ignore")
            cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template),
                             Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}])
    ddb = session.client("dynamodb", endpoint_url=endpoint_url)
    s3 = session.client("s3", endpoint_url=endpoint_url)
    names: dict[str, str] = {}
    for logical_id, res in template["Resources"].items():
        props = _resolve(res.get("Properties", {}), stage, region, names)
        kind = res["Type"]
        if kind == "AWS::DynamoDB::Table":
            names[logical_id] = _complete_table(ddb, props)
        elif kind == "AWS::S3::Bucket":
            names[logical_id] = _complete_bucket(s3, props)
        elif kind == "AWS::SQS::Queue":
            names[logical_id] = props["QueueName"]
    return names


# What moto's CloudFormation (moto 5) leaves undone from infra/resources.json, measured by comparing its
# stack with the template: it creates the tables (keys, attributes, indexes, billing), the queues (with
# their redrive policies) and the bucket (with its encryption), but applies no table TTL nor
# point-in-time recovery, and none of the bucket's versioning, public access block, lifecycle rules
# or CORS; it does not support AWS::S3::BucketPolicy at all (moto's server enforces no bucket policy,
# so locally it would change nothing). These are applied here, from the same template.
COMPLETED_BY_HAND: dict[str, tuple[str, ...]] = {
    "AWS::DynamoDB::Table": ("TimeToLiveSpecification", "PointInTimeRecoverySpecification"),
    "AWS::S3::Bucket": ("VersioningConfiguration", "PublicAccessBlockConfiguration", "LifecycleConfiguration",
                        "CorsConfiguration"),
    "AWS::S3::BucketPolicy": (),  # not supported by moto's CloudFormation; not enforced by moto's S3
}


def _stack_exists(cfn: Any, stack: str) -> bool:
    try:
        found = cfn.describe_stacks(StackName=stack)["Stacks"]
    except cfn.exceptions.ClientError:
        return False
    return any(s["StackStatus"] != "DELETE_COMPLETE" for s in found)


def _complete_table(ddb: Any, props: dict[str, Any]) -> str:
    name = props["TableName"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") != "ENABLED":
            ddb.update_time_to_live(TableName=name,
                                    TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True})
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return name


def _complete_bucket(s3: Any, props: dict[str, Any]) -> str:
    name = props["BucketName"]
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
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
