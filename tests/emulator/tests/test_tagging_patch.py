"""One test per entry of motoext.tagging_patch.PATCHES (Resource Groups Tagging API gaps of moto 5.2.5)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import tagged_resources, unique
from motoext import tagging_patch


def test_every_patch_has_a_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_patch_")}
    assert {p.__name__ for p in tagging_patch.PATCHES} == tested


def test_patch_tagging_api_log_group_type(emulator):
    logs = emulator.client("logs")
    key, name = unique("tagk"), f"/cdcstack/{unique('connector')}"
    logs.create_log_group(logGroupName=name, tags={key: "v"})
    described = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert described["arn"].endswith(":*")  # DescribeLogGroups' arn has the trailing :* …
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{name}"
    assert described["logGroupArn"] == arn
    # … the Tagging API's has not, as in AWS
    for types in (["logs:log-group"], ["logs"], None):
        kwargs = {"ResourceTypeFilters": types} if types else {}
        assert tagged_resources(emulator, TagFilters=[{"Key": key}], **kwargs) == {arn: {key: "v"}}
    assert tagged_resources(emulator, TagFilters=[{"Key": key}], ResourceTypeFilters=["logs:loggroup"]) == {}


def test_patch_tagging_api_page_size(emulator):
    logs = emulator.client("logs")
    key = unique("tagk")
    for i in range(120):
        logs.create_log_group(logGroupName=f"/paging/{key}/{i:03}", tags={key: "v", "n": str(i)})
    tagging = emulator.client("resourcegroupstaggingapi")
    filters = [{"Key": key}]

    def pages(**kwargs) -> list[int]:
        return [len(p["ResourceTagMappingList"])
                for p in tagging.get_paginator("get_resources").paginate(TagFilters=filters, **kwargs)]

    # ResourcesPerPage alone bounds a page (moto: 49 resources of 2 tags, its default 100-tag limit with >=)
    assert pages(ResourcesPerPage=100) == [100, 20]
    assert pages(ResourcesPerPage=7)[:2] == [7, 7] and sum(pages(ResourcesPerPage=7)) == 120
    assert pages() == [50, 50, 20]  # moto's default of 50
    # TagsPerPage: exactly that many tags fit (2 per resource); a resource is never split
    assert pages(TagsPerPage=100) == [50, 50, 20]
    assert pages(TagsPerPage=101) == [50, 50, 20]
    assert pages(ResourcesPerPage=100, TagsPerPage=500) == [100, 20]
    first = tagging.get_resources(TagFilters=filters, ResourcesPerPage=100)
    last = tagging.get_resources(TagFilters=filters, ResourcesPerPage=100, PaginationToken=first["PaginationToken"])
    assert not last.get("PaginationToken")
    arns = [m["ResourceARN"] for m in first["ResourceTagMappingList"] + last["ResourceTagMappingList"]]
    assert len(set(arns)) == 120
    for kwargs in ({"ResourcesPerPage": 101}, {"ResourcesPerPage": 0}, {"TagsPerPage": 99}, {"TagsPerPage": 501}):
        with pytest.raises(ClientError) as e:
            tagging.get_resources(**kwargs)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:  # a token is used once
        tagging.get_resources(TagFilters=filters, ResourcesPerPage=100, PaginationToken=first["PaginationToken"])
    assert e.value.response["Error"]["Code"] == "PaginationTokenExpiredException"


def test_patch_tagging_api_failed_resources(emulator):
    s3 = emulator.client("s3")
    bucket = unique("tagged")
    s3.create_bucket(Bucket=bucket)
    missing_connector = "arn:aws:kafkaconnect:us-east-1:123456789012:connector/nope/0f0e-1"
    missing_namespace = "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/0000"
    tagging = emulator.client("resourcegroupstaggingapi")
    emulator.client("kafkaconnect").list_connectors()  # services in use (moto walks those only)
    emulator.client("redshift-serverless").list_namespaces()
    arns = [f"arn:aws:s3:::{bucket}", missing_connector, missing_namespace]
    failed = tagging.tag_resources(ResourceARNList=arns, Tags={"k": "v"})["FailedResourcesMap"]
    assert failed[missing_connector]["StatusCode"] == 404
    assert failed[missing_connector]["ErrorCode"] == "NotFoundException"
    assert missing_connector in failed[missing_connector]["ErrorMessage"]
    assert failed[missing_namespace]["StatusCode"] == 400
    assert failed[missing_namespace]["ErrorCode"] == "ResourceNotFoundException"
    assert set(failed) == {missing_connector, missing_namespace}
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "k", "Value": "v"}]  # the others are tagged
    failed = tagging.untag_resources(ResourceARNList=arns, TagKeys=["k"])["FailedResourcesMap"]
    assert set(failed) == {missing_connector, missing_namespace}


def test_patch_tagging_api_s3_bucket_region(emulator):
    key = unique("tagk")
    east, west = unique("east"), unique("west")
    emulator.client("s3").create_bucket(Bucket=east)
    emulator.client("s3", "eu-west-1").create_bucket(
        Bucket=west, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for bucket in (east, west):
        emulator.client("s3").put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": key, "Value": bucket}]})
    filters = [{"Key": key}]
    assert tagged_resources(emulator, TagFilters=filters) == {f"arn:aws:s3:::{east}": {key: east}}
    assert tagged_resources(emulator, "eu-west-1", TagFilters=filters, ResourceTypeFilters=["s3"]) == {
        f"arn:aws:s3:::{west}": {key: west}}


def test_patch_tagging_api_elastic_ips(emulator):
    ec2 = emulator.client("ec2")
    key = unique("tagk")
    allocation = ec2.allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": [{"Key": key, "Value": "nat"}]}])["AllocationId"]
    arn = f"arn:aws:ec2:us-east-1:123456789012:elastic-ip/{allocation}"
    assert tagged_resources(emulator, TagFilters=[{"Key": key}], ResourceTypeFilters=["ec2:elastic-ip"]) == {arn: {key: "nat"}}
    ec2.create_tags(Resources=[allocation], Tags=[{"Key": key, "Value": "changed"}])
    assert tagged_resources(emulator, TagFilters=[{"Key": key}]) == {arn: {key: "changed"}}
    emulator.client("resourcegroupstaggingapi").tag_resources(ResourceARNList=[arn], Tags={"extra": "1"})
    tags = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {key: "changed", "extra": "1"}
    ec2.release_address(AllocationId=allocation)
    assert tagged_resources(emulator, TagFilters=[{"Key": key}]) == {}


def test_patch_deleted_resource_tags(emulator):
    logs, s3 = emulator.client("logs"), emulator.client("s3")
    key = unique("tagk")
    name, bucket = f"/cdcstack/{unique('lg')}", unique("bucket")
    logs.create_log_group(logGroupName=name, tags={key: "old"})
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": key, "Value": "old"}]})
    assert len(tagged_resources(emulator, TagFilters=[{"Key": key}])) == 2
    logs.delete_log_group(logGroupName=name)
    s3.delete_bucket(Bucket=bucket)
    assert tagged_resources(emulator, TagFilters=[{"Key": key}]) == {}
    # the same names again: no tags (moto: the old ones came back)
    logs.create_log_group(logGroupName=name)
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{name}"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchTagSet"
    assert tagged_resources(emulator, TagFilters=[{"Key": key}]) == {}
