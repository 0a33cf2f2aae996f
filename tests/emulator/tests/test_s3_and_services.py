"""S3 conditional writes/deletes (state + lock), routing of every signing name, the SSM AMI parameter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import unique


def code_status(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_conditional_put(emulator):
    s3 = emulator.client("s3")
    bucket = unique("state")
    s3.create_bucket(Bucket=bucket)
    first = s3.put_object(Bucket=bucket, Key="lock", Body=b"1", IfNoneMatch="*")
    assert code_status(s3.put_object, Bucket=bucket, Key="lock", Body=b"2", IfNoneMatch="*") == ("PreconditionFailed", 412)
    second = s3.put_object(Bucket=bucket, Key="lock", Body=b"3", IfMatch=first["ETag"])
    assert code_status(s3.put_object, Bucket=bucket, Key="lock", Body=b"4", IfMatch=first["ETag"]) == ("PreconditionFailed", 412)
    assert code_status(s3.put_object, Bucket=bucket, Key="missing", Body=b"4", IfMatch=second["ETag"]) == ("NoSuchKey", 404)


def test_conditional_delete(emulator):
    """moto 5.2.5 already honours If-Match on DeleteObject (no patch needed); this pins it."""
    s3 = emulator.client("s3")
    bucket = unique("state")
    s3.create_bucket(Bucket=bucket)
    put = s3.put_object(Bucket=bucket, Key="cdc/dev.tfstate.tflock", Body=b'{"ID": "a"}')
    s3.put_object(Bucket=bucket, Key="cdc/dev.tfstate.tflock", Body=b'{"ID": "b"}')  # someone else's lock now
    assert code_status(s3.delete_object, Bucket=bucket, Key="cdc/dev.tfstate.tflock", IfMatch=put["ETag"]) == ("PreconditionFailed", 412)
    current = s3.head_object(Bucket=bucket, Key="cdc/dev.tfstate.tflock")["ETag"]
    s3.delete_object(Bucket=bucket, Key="cdc/dev.tfstate.tflock", IfMatch=current)
    assert code_status(s3.head_object, Bucket=bucket, Key="cdc/dev.tfstate.tflock")[1] == 404


def test_twenty_concurrent_lock_attempts_have_one_winner(emulator):
    s3 = emulator.client("s3")
    bucket = unique("race")
    s3.create_bucket(Bucket=bucket)

    def attempt(i: int) -> bool:
        try:
            s3.put_object(Bucket=bucket, Key="lock", Body=f"{i}".encode(), IfNoneMatch="*")
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "PreconditionFailed"
            return False

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert results.count(True) == 1


def test_every_signing_name_routes_through_aws_endpoint_url(emulator):
    """Clients built with only AWS_ENDPOINT_URL (no endpoint_url) reach every service."""
    script = textwrap.dedent("""
        import boto3, json
        from botocore.config import Config
        cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        c = lambda s: boto3.client(s, config=cfg)
        c("ec2").describe_vpcs()
        c("rds").describe_db_clusters()
        c("kafka").list_clusters_v2()
        c("kafkaconnect").list_custom_plugins()
        c("redshift-serverless").list_workgroups()
        c("iam").list_roles()
        c("s3").list_buckets()
        c("secretsmanager").list_secrets()
        c("logs").describe_log_groups()
        assert c("sts").get_caller_identity()["Account"] == "123456789012"
        c("ssm").get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        c("rds-data").execute_statement(resourceArn="arn:aws:rds:us-east-1:123456789012:cluster:x",
                                        secretArn="arn:aws:secretsmanager:us-east-1:123456789012:secret:x", sql="SELECT 1")
        print("ok")
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=emulator.url, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="us-east-1")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
    services = {e["service"] for e in emulator.control("GET", "requests")}
    assert {"ec2", "rds", "kafka", "kafkaconnect", "redshift-serverless", "iam", "s3", "secretsmanager",
            "logs", "sts", "ssm", "rds-data"} <= services


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_ssm_public_al2023_parameter(emulator, region):
    name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    value = emulator.client("ssm", region=region).get_parameter(Name=name)["Parameter"]["Value"]
    assert value.startswith("ami-")
    reservation = emulator.client("ec2", region=region).run_instances(ImageId=value, MinCount=1, MaxCount=1,
                                                                      InstanceType="t3.micro")
    assert reservation["Instances"][0]["ImageId"] == value


def test_rust_sdk_style_x_id_query(emulator):
    """The Rust SDK adds ?x-id=<Operation> to object operations; conditional calls still work."""
    s3 = emulator.client("s3", user_agent_extra="x-id")  # a client of its own for the hook

    def add_x_id(request, operation_name=None, **_):
        if operation_name in ("PutObject", "GetObject", "DeleteObject"):
            request.url += ("&" if "?" in request.url else "?") + f"x-id={operation_name}"

    s3.meta.events.register("before-sign.s3", add_x_id)
    bucket = unique("xid")
    s3.create_bucket(Bucket=bucket)
    put = s3.put_object(Bucket=bucket, Key="cdc/dev/cdcstack.tfstate", Body=b"{}", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="cdc/dev/cdcstack.tfstate")["Body"].read() == b"{}"
    assert code_status(s3.put_object, Bucket=bucket, Key="cdc/dev/cdcstack.tfstate", Body=b"x",
                       IfNoneMatch="*") == ("PreconditionFailed", 412)
    s3.delete_object(Bucket=bucket, Key="cdc/dev/cdcstack.tfstate", IfMatch=put["ETag"])
    operations = [e["operation"] for e in emulator.control("GET", "requests")[-5:]]
    assert operations == ["CreateBucket", "PutObject", "GetObject", "PutObject", "DeleteObject"]


def test_aws_managed_policies_can_be_attached(emulator):
    iam = emulator.client("iam")
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonS3ReadOnlyAccess"]
