"""One test per entry of motoext.restxml_patch / s3_patch PATCHES (S3 as AWS and strict SDKs see it)."""

from __future__ import annotations

import json
import re

import botocore.session
import pytest
from botocore.exceptions import ClientError

from conftest import unique
from motoext import restxml_patch, s3_patch

ALL_PATCHES = restxml_patch.PATCHES + s3_patch.PATCHES


def test_every_patch_has_a_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_patch_")}
    assert {p.__name__ for p in ALL_PATCHES} == tested


def code_status(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def raw_bodies(s3) -> dict[str, bytes]:
    """operation name -> raw body of its last response, for a client of its own."""
    bodies: dict[str, bytes] = {}

    def keep(http_response, model, **_):
        if not model.has_streaming_output:  # reading a streamed body here would consume it
            bodies[model.name] = http_response.content

    s3.meta.events.register("after-call.s3", keep)
    return bodies


def root_of(body: bytes) -> str:
    match = re.search(rb"<([A-Za-z_][\w.-]*)", re.sub(rb"<\?xml[^>]*\?>", b"", body))
    assert match, body
    return match.group(1).decode()


def deny(bucket: str, condition: dict | None = None, action: str = "s3:*", resource: str | None = None) -> str:
    statement = {"Effect": "Deny", "Principal": "*", "Action": action,
                 "Resource": resource or [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_patch_xml_root_element(emulator):
    s3 = emulator.client("s3", user_agent_extra="raw")  # a client of its own for the hook
    bodies = raw_bodies(s3)
    bucket = unique("roots")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    body = bodies["GetBucketVersioning"]  # moto: <GetBucketVersioningResponse>
    assert root_of(body) == "VersioningConfiguration"
    assert b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in body
    assert body.rstrip().endswith(b"</VersioningConfiguration>")
    # roots moto already got right are left alone
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.get_bucket_encryption(Bucket=bucket)
    s3.list_object_versions(Bucket=bucket)
    assert root_of(bodies["GetBucketEncryption"]) == "ServerSideEncryptionConfiguration"
    assert root_of(bodies["ListObjectVersions"]) == "ListVersionsResult"
    # errors keep their <Error> document
    assert code_status(s3.get_bucket_tagging, Bucket=bucket) == ("NoSuchTagSet", 404)
    assert root_of(bodies["GetBucketTagging"]) == "Error"

    # The table: payload members from botocore, the rest from NON_PAYLOAD_ROOTS.
    assert restxml_patch.expected_root("s3", "GetBucketEncryption") == "ServerSideEncryptionConfiguration"
    assert restxml_patch.expected_root("s3", "GetObjectRetention") == "Retention"  # member locationName
    assert restxml_patch.expected_root("s3", "GetBucketVersioning") == "VersioningConfiguration"
    assert restxml_patch.expected_root("s3", "GetObject") is None  # blob payload
    assert restxml_patch.expected_root("s3", "GetBucketPolicy") is None  # string payload
    assert restxml_patch.expected_root("s3", "PutObject") is None  # headers only
    assert restxml_patch.expected_root("ec2", "DescribeVpcs") is None  # not rest-xml
    model = botocore.session.get_session().get_service_model("s3")
    for operation in restxml_patch.NON_PAYLOAD_ROOTS["s3"]:
        output = model.operation_model(operation).output_shape
        assert "payload" not in output.serialization, operation

    assert restxml_patch.rename_root(b'<?xml version="1.0"?>\n<A xmlns="n"><A>x</A></A>\n', "B") == \
        b'<?xml version="1.0"?>\n<B xmlns="n"><A>x</A></B>\n'
    assert restxml_patch.rename_root(b"<A/>", "B") == b"<B/>"
    assert restxml_patch.rename_root(b"not xml", "B") == b"not xml"


def test_patch_bucket_policy_conditions(emulator):
    s3 = emulator.client("s3")
    bucket = unique("tls")
    s3.create_bucket(Bucket=bucket)

    # The usual "deny insecure transport" statement: requests are HTTPS in AWS, it never applies.
    s3.put_bucket_policy(Bucket=bucket, Policy=deny(bucket, {"Bool": {"aws:SecureTransport": "false"}}))
    put = s3.put_object(Bucket=bucket, Key="state", Body=b"{}", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="state")["Body"].read() == b"{}"
    s3.delete_object(Bucket=bucket, Key="state", IfMatch=put["ETag"])
    # JSON booleans work as well as strings
    s3.put_bucket_policy(Bucket=bucket, Policy=deny(bucket, {"Bool": {"aws:SecureTransport": False}}))
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")

    def denied(condition: dict) -> bool:
        s3.put_bucket_policy(Bucket=bucket, Policy=deny(bucket, condition))
        try:
            s3.put_object(Bucket=bucket, Key="k", Body=b"1")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied"
            return True
        return False

    assert denied({"Bool": {"aws:SecureTransport": "true"}})
    assert denied({"StringEquals": {"aws:PrincipalAccount": "123456789012"}})
    assert not denied({"StringEquals": {"aws:PrincipalAccount": "111111111111"}})
    assert denied({"StringLike": {"aws:PrincipalAccount": ["9*", "1234*"]}})  # values: OR
    # every operator and key must hold (AND)
    assert not denied({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:PrincipalAccount": "1"}})
    # A key absent from the request: false, except negated operators, …IfExists and Null.
    assert not denied({"StringEquals": {"aws:SourceVpce": "vpce-1"}})
    assert denied({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})
    assert denied({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}})
    assert denied({"Null": {"aws:SourceVpce": "true"}})
    assert not denied({"Null": {"aws:SecureTransport": "true"}})
    assert denied({"NumericGreaterThan": {"aws:EpochTime": "1000"}})
    # condition keys are case-insensitive
    assert denied({"Bool": {"AWS:SECURETRANSPORT": "true"}})
    s3.delete_bucket_policy(Bucket=bucket)

    context = {"aws:securetransport": "true", "s3:prefix": ["a", "b"]}
    match = s3_patch.condition_matches
    assert match("ForAllValues:StringLike", "s3:prefix", ["a", "b*"], context)
    assert not match("ForAllValues:StringEquals", "s3:prefix", ["a"], context)
    assert match("ForAnyValue:StringEquals", "s3:prefix", ["a"], context)
    assert match("ForAllValues:StringEquals", "aws:missing", ["a"], context)  # vacuously true
    assert match("ArnLike", "aws:sourcearn", "arn:aws:s3:::b*", {"aws:sourcearn": "arn:aws:s3:::bucket"})
    assert match("IpAddress", "aws:sourceip", "10.0.0.0/8", {"aws:sourceip": "10.1.2.3"})


def test_patch_access_denied_error(emulator):
    s3 = emulator.client("s3")
    bucket = unique("denied")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="secret/a", Body=b"1")
    s3.put_object(Bucket=bucket, Key="public/a", Body=b"1")
    s3.put_bucket_policy(Bucket=bucket, Policy=deny(bucket, action="s3:GetObject",
                                                    resource=f"arn:aws:s3:::{bucket}/secret/*"))
    # moto: 403 with an empty body (no error code for SDKs)
    assert code_status(s3.get_object, Bucket=bucket, Key="secret/a") == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="public/a")["Body"].read() == b"1"
    s3.put_object(Bucket=bucket, Key="secret/b", Body=b"2")  # only GetObject is denied


def test_patch_expected_bucket_owner(emulator):
    s3 = emulator.client("s3")
    bucket = unique("owner")
    s3.create_bucket(Bucket=bucket)
    s3.head_bucket(Bucket=bucket, ExpectedBucketOwner="123456789012")
    assert code_status(s3.head_bucket, Bucket=bucket, ExpectedBucketOwner="999999999999")[1] == 403
    assert code_status(s3.put_object, Bucket=bucket, Key="k", Body=b"1",
                       ExpectedBucketOwner="999999999999") == ("AccessDenied", 403)
    assert code_status(s3.head_object, Bucket=bucket, Key="k")[1] == 404  # nothing was written
    s3.put_object(Bucket=bucket, Key="k", Body=b"1", ExpectedBucketOwner="123456789012")
    assert code_status(s3.get_bucket_versioning, Bucket=bucket,
                       ExpectedBucketOwner="999999999999") == ("AccessDenied", 403)
