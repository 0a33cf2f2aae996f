"""One test per entry of motoext.rds_patch / secrets_patch / rdsdata_patch PATCHES (Aurora)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import scale_for, tagged_resources, unique, wait_for
from motoext import rds_patch, rdsdata_patch, secrets_patch

ALL_PATCHES = rds_patch.PATCHES + secrets_patch.PATCHES + rdsdata_patch.PATCHES


def test_every_patch_has_a_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_patch_")}
    assert {p.__name__ for p in ALL_PATCHES} == tested


def make_cluster(emu, network, **extra) -> str:
    rds = emu.client("rds")
    group = unique("subnets")
    rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="db", SubnetIds=network.subnet_ids)
    cluster_id = unique("aurora")
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id, Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="admin", ManageMasterUserPassword=True, DBSubnetGroupName=group,
        VpcSecurityGroupIds=[network.sg_id], **extra,
    )
    return cluster_id


def cluster(emu, cluster_id: str) -> dict:
    return emu.client("rds").describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]


def instance(emu, instance_id: str) -> dict:
    return emu.client("rds").describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]


def add_writer(emu, cluster_id: str) -> str:
    instance_id = f"{cluster_id}-w"
    emu.client("rds").create_db_instance(DBInstanceIdentifier=instance_id, DBClusterIdentifier=cluster_id,
                                         Engine="aurora-mysql", DBInstanceClass="db.r6g.large")
    return instance_id


def code_of(call, **kwargs) -> str:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"]


def code_or_none(call, **kwargs) -> str | None:
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def test_patch_cluster_states(emulator, network):
    # Long enough that four requests on a loaded CI machine still see it creating.
    emulator.set_time_scale(scale_for("rds.cluster.create", 2.0))
    cluster_id = make_cluster(emulator, network)
    assert cluster(emulator, cluster_id)["Status"] == "creating"
    assert cluster(emulator, cluster_id)["Status"] == "creating"  # not "available" on the second read
    rds = emulator.client("rds")
    assert code_of(rds.modify_db_cluster, DBClusterIdentifier=cluster_id, BackupRetentionPeriod=3,
                   ApplyImmediately=True) == "InvalidDBClusterStateFault"
    wait_for(lambda: cluster(emulator, cluster_id)["Status"] == "available")
    emulator.set_time_scale(scale_for("rds.cluster.modify", 0.3))
    modified = rds.modify_db_cluster(DBClusterIdentifier=cluster_id, BackupRetentionPeriod=3, ApplyImmediately=True)
    assert modified["DBCluster"]["Status"] == "modifying"
    wait_for(lambda: cluster(emulator, cluster_id)["Status"] == "available")
    assert cluster(emulator, cluster_id)["BackupRetentionPeriod"] == 3


def test_patch_cluster_delete(emulator, network):
    rds = emulator.client("rds")
    cluster_id = make_cluster(emulator, network)
    instance_id = add_writer(emulator, cluster_id)
    assert code_of(rds.delete_db_cluster, DBClusterIdentifier=cluster_id,
                   SkipFinalSnapshot=True) == "InvalidDBClusterStateFault"  # instance still there
    rds.delete_db_instance(DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True)
    secret_arn = cluster(emulator, cluster_id)["MasterUserSecret"]["SecretArn"]
    emulator.set_time_scale(scale_for("rds.cluster.delete", 2.0))
    deleted = rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)["DBCluster"]
    assert deleted["Status"] == "deleting"
    assert cluster(emulator, cluster_id)["Status"] == "deleting"
    wait_for(lambda: code_or_none(rds.describe_db_clusters, DBClusterIdentifier=cluster_id) == "DBClusterNotFoundFault")
    assert code_of(emulator.client("secretsmanager").describe_secret, SecretId=secret_arn) == "ResourceNotFoundException"


def test_patch_instance_states(emulator, network):
    rds = emulator.client("rds")
    cluster_id = make_cluster(emulator, network)
    emulator.set_time_scale(scale_for("rds.instance.create", 0.3))
    instance_id = add_writer(emulator, cluster_id)
    assert instance(emulator, instance_id)["DBInstanceStatus"] == "creating"
    # the instance's ENI makes its security group busy
    assert code_of(emulator.client("ec2").delete_security_group, GroupId=network.sg_id) == "DependencyViolation"
    wait_for(lambda: instance(emulator, instance_id)["DBInstanceStatus"] == "available")
    emulator.set_time_scale(scale_for("rds.instance.modify", 0.3))
    rds.modify_db_instance(DBInstanceIdentifier=instance_id, DBInstanceClass="db.r6g.xlarge", ApplyImmediately=True)
    assert instance(emulator, instance_id)["DBInstanceStatus"] == "modifying"
    wait_for(lambda: instance(emulator, instance_id)["DBInstanceStatus"] == "available")
    emulator.set_time_scale(scale_for("rds.instance.delete", 0.3))
    assert rds.delete_db_instance(DBInstanceIdentifier=instance_id)["DBInstance"]["DBInstanceStatus"] == "deleting"
    assert instance(emulator, instance_id)["DBInstanceStatus"] == "deleting"
    assert code_of(rds.delete_db_instance, DBInstanceIdentifier=instance_id) == "InvalidDBInstanceState"
    wait_for(lambda: code_or_none(rds.describe_db_instances, DBInstanceIdentifier=instance_id) == "DBInstanceNotFound")


def test_patch_parameter_group_status(emulator, network):
    rds = emulator.client("rds")
    group = unique("pg")
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=group,
                                          DBParameterGroupFamily="aurora-mysql8.0", Description="cdc")
    cluster_id = make_cluster(emulator, network, DBClusterParameterGroupName=group)
    add_writer(emulator, cluster_id)
    members = cluster(emulator, cluster_id)["DBClusterMembers"]
    assert [m["DBClusterParameterGroupStatus"] for m in members] == ["in-sync"]
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=[
        {"ParameterName": "binlog_format", "ParameterValue": "ROW", "ApplyMethod": "pending-reboot"}])
    members = cluster(emulator, cluster_id)["DBClusterMembers"]
    assert [m["DBClusterParameterGroupStatus"] for m in members] == ["pending-reboot"]
    # moving the cluster to another group also waits for a reboot
    other_cluster = make_cluster(emulator, network)
    add_writer(emulator, other_cluster)
    rds.modify_db_cluster(DBClusterIdentifier=other_cluster, DBClusterParameterGroupName=group, ApplyImmediately=True)
    members = cluster(emulator, other_cluster)["DBClusterMembers"]
    assert [m["DBClusterParameterGroupStatus"] for m in members] == ["pending-reboot"]


def test_patch_reboot(emulator, network):
    rds = emulator.client("rds")
    group = unique("pg")
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=group,
                                          DBParameterGroupFamily="aurora-mysql8.0", Description="cdc")
    cluster_id = make_cluster(emulator, network, DBClusterParameterGroupName=group)
    instance_id = add_writer(emulator, cluster_id)
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=[
        {"ParameterName": "binlog_row_image", "ParameterValue": "FULL", "ApplyMethod": "pending-reboot"}])
    emulator.set_time_scale(scale_for("rds.instance.reboot", 0.3))
    assert rds.reboot_db_instance(DBInstanceIdentifier=instance_id)["DBInstance"]["DBInstanceStatus"] == "rebooting"
    assert instance(emulator, instance_id)["DBInstanceStatus"] == "rebooting"
    assert cluster(emulator, cluster_id)["DBClusterMembers"][0]["DBClusterParameterGroupStatus"] == "pending-reboot"
    wait_for(lambda: instance(emulator, instance_id)["DBInstanceStatus"] == "available")
    assert cluster(emulator, cluster_id)["DBClusterMembers"][0]["DBClusterParameterGroupStatus"] == "in-sync"


def test_patch_master_secret_username(emulator, network):
    rds = emulator.client("rds")
    group = unique("subnets")
    rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="db", SubnetIds=network.subnet_ids)
    cluster_id = unique("aurora")
    created = rds.create_db_cluster(DBClusterIdentifier=cluster_id, Engine="aurora-mysql",
                                    EngineVersion="8.0.mysql_aurora.3.08.0", MasterUsername="dbmaster",
                                    ManageMasterUserPassword=True, DBSubnetGroupName=group)["DBCluster"]
    value = emulator.client("secretsmanager").get_secret_value(SecretId=created["MasterUserSecret"]["SecretArn"])
    secret = json.loads(value["SecretString"])
    assert secret["username"] == "dbmaster" and len(secret["password"]) >= 16


def test_patch_create_over_scheduled_deletion(emulator):
    sm = emulator.client("secretsmanager")
    name = unique("secret")
    sm.create_secret(Name=name, SecretString="one")
    with pytest.raises(ClientError) as live:
        sm.create_secret(Name=name, SecretString="two")
    assert live.value.response["Error"]["Code"] == "ResourceExistsException"
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    with pytest.raises(ClientError) as scheduled:
        sm.create_secret(Name=name, SecretString="two")
    error = scheduled.value.response["Error"]
    assert error["Code"] == "InvalidRequestException" and "scheduled for deletion" in error["Message"]
    sm.restore_secret(SecretId=name)
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)


def test_patch_record_statements(emulator):
    emulator.control("DELETE", "rds-data/statements")
    data = emulator.client("rds-data")
    arn = "arn:aws:rds:us-east-1:123456789012:cluster:aurora"
    sql = "CREATE USER 'debezium'@'%' IDENTIFIED BY 'x'"
    result = data.execute_statement(resourceArn=arn, secretArn="arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
                                    database="app", sql=sql)
    assert result["records"] == []
    statements = emulator.control("GET", "rds-data/statements")
    assert [(s["resourceArn"], s["database"], s["sql"]) for s in statements] == [(arn, "app", sql)]


def user_parameters(emu, group: str) -> dict[str, str]:
    params = emu.client("rds").describe_db_cluster_parameters(DBClusterParameterGroupName=group, Source="user")
    return {p["ParameterName"]: p["ParameterValue"] for p in params["Parameters"]}


def test_patch_reset_cluster_parameter_group(emulator, network):
    rds = emulator.client("rds")
    group = unique("pg")
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=group,
                                          DBParameterGroupFamily="aurora-mysql8.0", Description="cdc")
    binlog = [{"ParameterName": name, "ParameterValue": value, "ApplyMethod": "pending-reboot"}
              for name, value in (("binlog_format", "ROW"), ("binlog_row_image", "FULL"), ("binlog_checksum", "NONE"))]
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=binlog)
    cluster_id = make_cluster(emulator, network, DBClusterParameterGroupName=group)
    add_writer(emulator, cluster_id)
    assert cluster(emulator, cluster_id)["DBClusterMembers"][0]["DBClusterParameterGroupStatus"] == "in-sync"

    # Named parameters: only those go back to the engine default (no longer "user").
    reset = rds.reset_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=[
        {"ParameterName": "binlog_checksum", "ApplyMethod": "pending-reboot"}])
    assert reset["DBClusterParameterGroupName"] == group
    assert user_parameters(emulator, group) == {"binlog_format": "ROW", "binlog_row_image": "FULL"}
    assert cluster(emulator, cluster_id)["DBClusterMembers"][0]["DBClusterParameterGroupStatus"] == "pending-reboot"

    rds.reset_db_cluster_parameter_group(DBClusterParameterGroupName=group, ResetAllParameters=True)
    assert user_parameters(emulator, group) == {}
    assert code_of(rds.reset_db_cluster_parameter_group, DBClusterParameterGroupName=group) == \
        "InvalidParameterCombination"
    assert code_of(rds.reset_db_cluster_parameter_group, DBClusterParameterGroupName=unique("nope"),
                   ResetAllParameters=True) == "DBParameterGroupNotFound"  # the model's DBParameterGroupNotFoundFault


@pytest.mark.parametrize("version, enabled", [
    ("8.0.mysql_aurora.3.08.0", True),
    ("8.0.mysql_aurora.3.07.1", True),
    ("8.0.mysql_aurora.3.05.2", False),  # the Data API needs Aurora MySQL 3.07+
])
def test_patch_http_endpoint(emulator, network, version, enabled):
    rds = emulator.client("rds")
    group = unique("subnets")
    rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="db", SubnetIds=network.subnet_ids)
    cluster_id = unique("aurora")
    created = rds.create_db_cluster(DBClusterIdentifier=cluster_id, Engine="aurora-mysql", EngineVersion=version,
                                    MasterUsername="admin", ManageMasterUserPassword=True, DBSubnetGroupName=group,
                                    EnableHttpEndpoint=True)["DBCluster"]
    assert created["HttpEndpointEnabled"] is enabled
    assert cluster(emulator, cluster_id)["HttpEndpointEnabled"] is enabled
    without = make_cluster(emulator, network)  # not asked for: off
    assert cluster(emulator, without)["HttpEndpointEnabled"] is False


def test_patch_modify_subnet_group(emulator, network):
    rds = emulator.client("rds")
    group = unique("subnets")
    rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="two",
                               SubnetIds=network.subnet_ids[:2])
    modified = rds.modify_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="three",
                                          SubnetIds=network.subnet_ids)["DBSubnetGroup"]
    assert modified["DBSubnetGroupDescription"] == "three"
    described = rds.describe_db_subnet_groups(DBSubnetGroupName=group)["DBSubnetGroups"][0]  # moto: NotFound
    assert described["DBSubnetGroupDescription"] == "three"
    assert sorted(s["SubnetIdentifier"] for s in described["Subnets"]) == sorted(network.subnet_ids)
    assert described["VpcId"] == network.vpc_id
    assert code_of(rds.modify_db_subnet_group, DBSubnetGroupName=unique("nope"),
                   SubnetIds=network.subnet_ids) == "DBSubnetGroupNotFoundFault"


def test_patch_tagging_api_rds_groups(emulator, network):
    rds = emulator.client("rds")
    key = unique("tagk")
    cpg, pg, subnets = unique("cpg"), unique("pg"), unique("subnets")
    cpg_arn = rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=cpg, DBParameterGroupFamily="aurora-mysql8.0", Description="binlog",
        Tags=[{"Key": key, "Value": "cpg"}],
    )["DBClusterParameterGroup"]["DBClusterParameterGroupArn"]
    pg_arn = rds.create_db_parameter_group(
        DBParameterGroupName=pg, DBParameterGroupFamily="aurora-mysql8.0", Description="instance",
        Tags=[{"Key": key, "Value": "pg"}],
    )["DBParameterGroup"]["DBParameterGroupArn"]
    subnets_arn = rds.create_db_subnet_group(
        DBSubnetGroupName=subnets, DBSubnetGroupDescription="db", SubnetIds=network.subnet_ids,
        Tags=[{"Key": key, "Value": "subgrp"}, {"Key": "team", "Value": "data"}],
    )["DBSubnetGroup"]["DBSubnetGroupArn"]
    # the real ARN formats, which ListTagsForResource takes
    assert cpg_arn == f"arn:aws:rds:us-east-1:123456789012:cluster-pg:{cpg}"
    assert pg_arn == f"arn:aws:rds:us-east-1:123456789012:pg:{pg}"
    assert subnets_arn == f"arn:aws:rds:us-east-1:123456789012:subgrp:{subnets}"

    def own_tags(arn: str) -> dict:
        return {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}

    filters = [{"Key": key}]
    listed = tagged_resources(emulator, TagFilters=filters)
    assert listed == {cpg_arn: {key: "cpg"}, pg_arn: {key: "pg"}, subnets_arn: {key: "subgrp", "team": "data"}}
    assert all(listed[arn] == own_tags(arn) for arn in listed)
    for resource_type, arn in (("rds:cluster-pg", cpg_arn), ("rds:pg", pg_arn), ("rds:subgrp", subnets_arn)):
        assert list(tagged_resources(emulator, TagFilters=filters, ResourceTypeFilters=[resource_type])) == [arn]
    assert len(tagged_resources(emulator, TagFilters=filters, ResourceTypeFilters=["rds"])) == 3

    # AddTagsToResource / RemoveTagsFromResource show; TagResources reaches the groups
    rds.add_tags_to_resource(ResourceName=subnets_arn, Tags=[{"Key": "team", "Value": "platform"}])
    rds.remove_tags_from_resource(ResourceName=pg_arn, TagKeys=[key])
    assert tagged_resources(emulator, TagFilters=filters) == {cpg_arn: {key: "cpg"}, subnets_arn: {key: "subgrp", "team": "platform"}}
    tagging = emulator.client("resourcegroupstaggingapi")
    assert tagging.tag_resources(ResourceARNList=[cpg_arn], Tags={"rev": "2"})["FailedResourcesMap"] == {}
    assert own_tags(cpg_arn) == {key: "cpg", "rev": "2"}

    # deleted groups disappear
    rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName=cpg)
    rds.delete_db_subnet_group(DBSubnetGroupName=subnets)
    rds.delete_db_parameter_group(DBParameterGroupName=pg)
    assert tagged_resources(emulator, TagFilters=filters) == {}


def test_patch_cluster_automated_backups(emulator, network):
    rds = emulator.client("rds")
    emulator.set_time_scale(0)
    cluster_id = make_cluster(emulator, network)
    group = cluster(emulator, cluster_id)["DBSubnetGroup"]
    rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
    wait_for(lambda: code_or_none(rds.describe_db_clusters, DBClusterIdentifier=cluster_id) == "DBClusterNotFoundFault")
    # The same identifier again, within the same minute.
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id, Engine="aurora-mysql", EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="admin", ManageMasterUserPassword=True, DBSubnetGroupName=group,
        VpcSecurityGroupIds=[network.sg_id],
    )
    assert cluster(emulator, cluster_id)["DBClusterIdentifier"] == cluster_id
