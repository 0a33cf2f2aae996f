"""Resource Groups Tagging API end to end: every tagged resource of the services cdcstack uses.

The Rust SDK (aws-sdk-resourcegroupstagging) signs with the SigV4 name
`tagging` and sends JSON 1.1 (`X-Amz-Target: ResourceGroupsTaggingAPI_20170126.GetResources`),
as boto3 does.  src/aws/tag_index.rs asks for both ownership tags
(`cdcstack:stack`, `cdcstack:env`), the resource types below and 100
resources a page.  This file runs its own emulator: GetResources must
return exactly the resources created here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import Emulator, make_network, start_emulator, tagged_resources, unique

ACCOUNT = "123456789012"
REGION = "us-east-1"
OWNED = {"cdcstack:stack": "s1", "cdcstack:env": "dev"}
OWNED_FILTERS = [{"Key": "cdcstack:stack", "Values": ["s1"]}, {"Key": "cdcstack:env", "Values": ["dev"]}]
# src/aws/tag_index.rs TYPES
INDEX_TYPES = ["rds:cluster-pg", "rds:subgrp", "logs:log-group", "kafkaconnect", "redshift-serverless", "s3"]


@pytest.fixture(scope="module")
def emu(tmp_path_factory: Any) -> Iterator[Emulator]:
    emulator = start_emulator(tmp_path_factory.mktemp("tagging"), "--time-scale", "0")
    yield emulator
    emulator.stop()


def tag_list(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


def test_signing_name_routing_and_request_log(emu):
    tagging = emu.client("resourcegroupstaggingapi")
    assert tagging.meta.service_model.signing_name == "tagging"
    emu.control("DELETE", "requests")
    response = tagging.get_resources(ResourcesPerPage=100)
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    tagging.get_tag_keys()
    entries = emu.control("GET", "requests?service=tagging")
    assert [(e["service"], e["operation"], e["method"], e["path"], e["status"]) for e in entries] == [
        ("tagging", "GetResources", "POST", "/", 200),
        ("tagging", "GetTagKeys", "POST", "/", 200),
    ]
    assert emu.control("GET", "requests?operation=GetResources")[0]["region"] == REGION


def test_raw_json_request_as_the_rust_sdk_sends_it(emu):
    """The target and content type of the Rust SDK's request, with a SigV4 scope for `tagging`."""
    import requests

    body = json.dumps({"TagFilters": [{"Key": "none-such", "Values": ["x"]}], "ResourcesPerPage": 100})
    headers = {
        "X-Amz-Target": "ResourceGroupsTaggingAPI_20170126.GetResources",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/tagging/aws4_request, "
                         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
        "X-Amz-Date": "20260101T000000Z",
    }
    response = requests.post(emu.url + "/", data=body, headers=headers, timeout=30)
    assert response.status_code == 200
    assert response.json()["ResourceTagMappingList"] == []
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    entry = emu.control("GET", "requests?service=tagging")[-1]
    assert (entry["service"], entry["operation"]) == ("tagging", "GetResources")


def test_throttling_fault_has_the_models_code(emu):
    emu.control("POST", "faults/next", json={"kind": "throttle", "count": 1, "service": "tagging"})
    with pytest.raises(ClientError) as e:
        emu.client("resourcegroupstaggingapi").get_resources()
    assert e.value.response["Error"]["Code"] == "ThrottledException"  # the Rust SDK retries it as throttling
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    emu.control("DELETE", "faults")


def test_every_tagged_resource_of_cdcstack(emu):
    ec2, rds, logs, s3 = emu.client("ec2"), emu.client("rds"), emu.client("logs"), emu.client("s3")
    kc, rs, kafka = emu.client("kafkaconnect"), emu.client("redshift-serverless"), emu.client("kafka")
    secrets, iam = emu.client("secretsmanager"), emu.client("iam")
    network = make_network(emu)  # untagged: subnets/SG of the services below
    expected: dict[str, dict[str, str]] = {}

    # EC2 VPC
    vpc_id = ec2.create_vpc(CidrBlock="10.250.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": tag_list(OWNED)}])["Vpc"]["VpcId"]
    vpc = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc_id}"
    expected[vpc] = dict(OWNED)

    # CloudWatch log group (the Tagging API's ARN has no trailing :*)
    log_group_name = "/cdcstack/s1/dev/connector"
    logs.create_log_group(logGroupName=log_group_name, tags=OWNED)
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group_name}"
    expected[log_group] = dict(OWNED)

    # RDS cluster parameter group and subnet group
    pg_name, subnets_name = "s1-dev-binlog", "s1-dev-subnets"
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=pg_name, DBParameterGroupFamily="aurora-mysql8.0",
                                          Description="binlog", Tags=tag_list(OWNED))
    rds.create_db_subnet_group(DBSubnetGroupName=subnets_name, DBSubnetGroupDescription="db",
                               SubnetIds=network.subnet_ids, Tags=tag_list(OWNED))
    cluster_pg = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-pg:{pg_name}"
    subgrp = f"arn:aws:rds:{REGION}:{ACCOUNT}:subgrp:{subnets_name}"
    expected[cluster_pg] = dict(OWNED)
    expected[subgrp] = dict(OWNED)

    # S3 bucket
    bucket_name = unique("s1-dev-artifacts")
    s3.create_bucket(Bucket=bucket_name)
    s3.put_bucket_tagging(Bucket=bucket_name, Tagging={"TagSet": tag_list(OWNED)})
    bucket = f"arn:aws:s3:::{bucket_name}"
    expected[bucket] = dict(OWNED)

    # Secrets Manager secret
    secret = secrets.create_secret(Name="cdcstack/s1/dev/cdc-user", SecretString="{}", Tags=tag_list(OWNED))["ARN"]
    assert secret.startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:cdcstack/s1/dev/cdc-user-")
    expected[secret] = dict(OWNED)

    # MSK cluster
    msk = kafka.create_cluster_v2(ClusterName="s1-dev", Tags=OWNED, Provisioned={
        "KafkaVersion": "3.9.x", "NumberOfBrokerNodes": 3,
        "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ClientSubnets": network.subnet_ids,
                                "SecurityGroups": [network.sg_id], "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}}},
    })["ClusterArn"]
    assert msk.startswith(f"arn:aws:kafka:{REGION}:{ACCOUNT}:cluster/s1-dev/")
    expected[msk] = dict(OWNED)

    # MSK Connect custom plugin, worker configuration, connector
    s3.put_object(Bucket=bucket_name, Key="debezium.zip", Body=b"PK\x03\x04 fake zip")
    plugin = kc.create_custom_plugin(name="s1-dev-debezium", contentType="ZIP", tags=OWNED, location={
        "s3Location": {"bucketArn": bucket, "fileKey": "debezium.zip"}})["customPluginArn"]
    worker = kc.create_worker_configuration(
        name="s1-dev-worker", tags=OWNED,
        propertiesFileContent=base64.b64encode(b"key.converter=org.apache.kafka.connect.json.JsonConverter\n").decode(),
    )["workerConfigurationArn"]
    role = iam.create_role(RoleName="s1-dev-connect", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    connector = kc.create_connector(
        connectorName="s1-dev-cdc", tags=OWNED,
        capacity={"provisionedCapacity": {"mcuCount": 1, "workerCount": 1}},
        connectorConfiguration={"connector.class": "io.debezium.connector.mysql.MySqlConnector", "tasks.max": "1"},
        kafkaCluster={"apacheKafkaCluster": {"bootstrapServers": "b-1.s1dev.x.c2.kafka.us-east-1.amazonaws.com:9098",
                                             "vpc": {"subnets": network.subnet_ids, "securityGroups": [network.sg_id]}}},
        kafkaClusterClientAuthentication={"authenticationType": "IAM"},
        kafkaClusterEncryptionInTransit={"encryptionType": "TLS"},
        kafkaConnectVersion="3.7.x",
        plugins=[{"customPlugin": {"customPluginArn": plugin, "revision": 1}}],
        workerConfiguration={"workerConfigurationArn": worker, "revision": 1},
        serviceExecutionRoleArn=role,
    )["connectorArn"]
    for kind, arn in (("custom-plugin/s1-dev-debezium/", plugin), ("worker-configuration/s1-dev-worker/", worker),
                      ("connector/s1-dev-cdc/", connector)):
        assert arn.startswith(f"arn:aws:kafkaconnect:{REGION}:{ACCOUNT}:{kind}")
        expected[arn] = dict(OWNED)

    # Redshift Serverless namespace and workgroup
    namespace = rs.create_namespace(namespaceName="s1-dev", tags=tag_list(OWNED, "key", "value"))["namespace"]["namespaceArn"]
    workgroup = rs.create_workgroup(workgroupName="s1-dev", namespaceName="s1-dev", subnetIds=network.subnet_ids,
                                    securityGroupIds=[network.sg_id],
                                    tags=tag_list(OWNED, "key", "value"))["workgroup"]["workgroupArn"]
    assert namespace.startswith(f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:namespace/")
    assert workgroup.startswith(f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/")
    expected[namespace] = dict(OWNED)
    expected[workgroup] = dict(OWNED)

    # Not ours: another environment, and a resource with only one of the two tags (the filters AND)
    logs.create_log_group(logGroupName="/cdcstack/s1/prod/connector", tags={**OWNED, "cdcstack:env": "prod"})
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="s1-prod-binlog", DBParameterGroupFamily="aurora-mysql8.0",
                                          Description="binlog", Tags=tag_list({**OWNED, "cdcstack:env": "prod"}))
    s3.create_bucket(Bucket="s1-stack-only")
    s3.put_bucket_tagging(Bucket="s1-stack-only", Tagging={"TagSet": [{"Key": "cdcstack:stack", "Value": "s1"}]})

    # --- GetResources with both ownership tags: exactly ours, with their tags
    assert tagged_resources(emu, TagFilters=OWNED_FILTERS, ResourcesPerPage=100) == expected
    # what src/aws/tag_index.rs asks for
    index_types = {cluster_pg, subgrp, log_group, plugin, worker, connector, namespace, workgroup, bucket}
    assert tagged_resources(emu, TagFilters=OWNED_FILTERS, ResourceTypeFilters=INDEX_TYPES,
                            ResourcesPerPage=100) == {arn: expected[arn] for arn in index_types}
    # one filter at a time: the prod resources and the stack-only bucket come in
    assert len(tagged_resources(emu, TagFilters=OWNED_FILTERS[:1])) == len(expected) + 3
    prod = tagged_resources(emu, TagFilters=[{"Key": "cdcstack:env", "Values": ["prod"]}])
    assert set(prod) == {f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/cdcstack/s1/prod/connector",
                         f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-pg:s1-prod-binlog"}
    # resource types, each alone
    by_type = {
        "ec2:vpc": {vpc}, "logs:log-group": {log_group}, "rds:cluster-pg": {cluster_pg}, "rds:subgrp": {subgrp},
        "s3:bucket": {bucket}, "s3": {bucket}, "secretsmanager:secret": {secret}, "kafka:cluster": {msk},
        "kafkaconnect:custom-plugin": {plugin}, "kafkaconnect:worker-configuration": {worker},
        "kafkaconnect:connector": {connector}, "kafkaconnect": {plugin, worker, connector},
        "redshift-serverless:namespace": {namespace}, "redshift-serverless:workgroup": {workgroup},
        "redshift-serverless": {namespace, workgroup},
    }
    for resource_type, arns in by_type.items():
        assert set(tagged_resources(emu, TagFilters=OWNED_FILTERS, ResourceTypeFilters=[resource_type])) == arns, resource_type

    # --- each service's own TagResource: a new tag shows
    rev = {"cdcstack:rev": "2"}
    ec2.create_tags(Resources=[vpc_id], Tags=tag_list(rev))
    logs.tag_resource(resourceArn=log_group, tags=rev)
    rds.add_tags_to_resource(ResourceName=cluster_pg, Tags=tag_list(rev))
    rds.add_tags_to_resource(ResourceName=subgrp, Tags=tag_list(rev))
    s3.put_bucket_tagging(Bucket=bucket_name, Tagging={"TagSet": tag_list({**OWNED, **rev})})
    secrets.tag_resource(SecretId=secret, Tags=tag_list(rev))
    kafka.tag_resource(ResourceArn=msk, Tags=rev)
    for arn in (plugin, worker, connector):
        kc.tag_resource(resourceArn=arn, tags=rev)
    for arn in (namespace, workgroup):
        rs.tag_resource(resourceArn=arn, tags=tag_list(rev, "key", "value"))
    assert tagged_resources(emu, TagFilters=OWNED_FILTERS) == {arn: {**OWNED, **rev} for arn in expected}

    # … and a changed ownership tag takes the resource out
    logs.tag_resource(resourceArn=log_group, tags={"cdcstack:env": "prod"})
    kc.tag_resource(resourceArn=connector, tags={"cdcstack:env": "prod"})
    rs.untag_resource(resourceArn=workgroup, tagKeys=["cdcstack:env"])
    rds.remove_tags_from_resource(ResourceName=subgrp, TagKeys=["cdcstack:stack"])
    now = tagged_resources(emu, TagFilters=OWNED_FILTERS)
    assert set(now) == set(expected) - {log_group, connector, workgroup, subgrp}
    logs.tag_resource(resourceArn=log_group, tags=OWNED)
    kc.tag_resource(resourceArn=connector, tags=OWNED)
    rs.tag_resource(resourceArn=workgroup, tags=tag_list(OWNED, "key", "value"))
    rds.add_tags_to_resource(ResourceName=subgrp, Tags=tag_list(OWNED))
    assert set(tagged_resources(emu, TagFilters=OWNED_FILTERS)) == set(expected)

    # --- deletes: each resource goes from GetResources
    kc.delete_connector(connectorArn=connector)
    kc.delete_custom_plugin(customPluginArn=plugin)
    kc.delete_worker_configuration(workerConfigurationArn=worker)
    rs.delete_workgroup(workgroupName="s1-dev")
    rs.delete_namespace(namespaceName="s1-dev")
    kafka.delete_cluster(ClusterArn=msk)
    rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName=pg_name)
    rds.delete_db_subnet_group(DBSubnetGroupName=subnets_name)
    logs.delete_log_group(logGroupName=log_group_name)
    s3.delete_object(Bucket=bucket_name, Key="debezium.zip")
    s3.delete_bucket(Bucket=bucket_name)
    secrets.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    ec2.delete_vpc(VpcId=vpc_id)
    emu.client("ec2").describe_vpcs()  # settles the (immediate, time scale 0) transitions
    assert tagged_resources(emu, TagFilters=OWNED_FILTERS) == {}
    assert len(tagged_resources(emu, TagFilters=[{"Key": "cdcstack:env", "Values": ["prod"]}])) == 2
