"""Redshift Serverless backend (motoext.redshiftserverless): operations, states and AWS's errors."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import error_code_or_none, scale_for, tagged_resources, unique, wait_for


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def rs(emulator):
    return emulator.client("redshift-serverless")


def test_namespace_lifecycle(emulator, rs):
    role = emulator.client("iam").create_role(RoleName=unique("stream"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    name = unique("ns")
    ns = rs.create_namespace(namespaceName=name, dbName="analytics", adminUsername="admin", manageAdminPassword=True,
                             iamRoles=[role], logExports=["userlog", "connectionlog", "useractivitylog"],
                             tags=[{"key": "team", "value": "data"}])["namespace"]
    assert ns["status"] == "AVAILABLE" and ns["dbName"] == "analytics" and ns["adminUsername"] == "admin"
    assert ns["iamRoles"] == [role]
    assert sorted(ns["logExports"]) == ["connectionlog", "useractivitylog", "userlog"]
    secrets = emulator.client("secretsmanager")
    secret = json.loads(secrets.get_secret_value(SecretId=ns["adminPasswordSecretArn"])["SecretString"])
    assert secret["username"] == "admin" and secret["password"]
    assert rs.list_tags_for_resource(resourceArn=ns["namespaceArn"])["tags"] == [{"key": "team", "value": "data"}]
    assert error(rs.create_namespace, namespaceName=name)[0] == "ConflictException"
    assert error(rs.create_namespace, namespaceName=unique("ns"), manageAdminPassword=True,
                 adminUserPassword="Secret123!")[0] == "ValidationException"
    assert any(n["namespaceName"] == name for n in rs.list_namespaces()["namespaces"])

    emulator.set_time_scale(scale_for("redshiftserverless.namespace.modify", 0.3))
    updated = rs.update_namespace(namespaceName=name, logExports=["userlog"])["namespace"]
    assert updated["status"] == "MODIFYING" and updated["logExports"] == ["userlog"]
    assert error(rs.update_namespace, namespaceName=name, iamRoles=[])[0] == "ConflictException"
    wait_for(lambda: rs.get_namespace(namespaceName=name)["namespace"]["status"] == "AVAILABLE")

    emulator.set_time_scale(scale_for("redshiftserverless.namespace.delete", 0.3))
    assert rs.delete_namespace(namespaceName=name)["namespace"]["status"] == "DELETING"
    wait_for(lambda: error_code_or_none(rs.get_namespace, namespaceName=name) == "ResourceNotFoundException")
    assert error(secrets.describe_secret, SecretId=ns["adminPasswordSecretArn"])[0] == "ResourceNotFoundException"


def test_workgroup_lifecycle(emulator, rs, network):
    ns = unique("ns")
    rs.create_namespace(namespaceName=ns)
    name = unique("wg")
    emulator.set_time_scale(scale_for("redshiftserverless.workgroup.create", 0.3))
    wg = rs.create_workgroup(workgroupName=name, namespaceName=ns, baseCapacity=8, enhancedVpcRouting=True,
                             publiclyAccessible=False, subnetIds=network.subnet_ids,
                             securityGroupIds=[network.sg_id])["workgroup"]
    assert wg["status"] == "CREATING"
    assert error(rs.update_workgroup, workgroupName=name, baseCapacity=16)[0] == "ConflictException"
    assert error(rs.delete_namespace, namespaceName=ns)[0] == "ConflictException"
    assert error(rs.create_workgroup, workgroupName=unique("wg"), namespaceName=ns)[0] == "ConflictException"
    wait_for(lambda: rs.get_workgroup(workgroupName=name)["workgroup"]["status"] == "AVAILABLE")
    got = rs.get_workgroup(workgroupName=name)["workgroup"]
    assert got["endpoint"]["address"] == f"{name}.123456789012.us-east-1.redshift-serverless.amazonaws.com"
    assert got["endpoint"]["port"] == 5439
    interfaces = got["endpoint"]["vpcEndpoints"][0]["networkInterfaces"]
    assert sorted(i["subnetId"] for i in interfaces) == sorted(network.subnet_ids)
    assert got["baseCapacity"] == 8 and got["enhancedVpcRouting"] is True and got["publiclyAccessible"] is False
    assert got["subnetIds"] == network.subnet_ids and got["securityGroupIds"] == [network.sg_id]

    code, message = error(rs.update_workgroup, workgroupName=name, baseCapacity=16, publiclyAccessible=True)
    assert code == "ValidationException"
    assert message == f"Can't update multiple configurations at the same time for workgroup {name}."
    for bad in (12, 4, 2048):
        assert error(rs.update_workgroup, workgroupName=name, baseCapacity=bad)[0] == "ValidationException"
    emulator.set_time_scale(scale_for("redshiftserverless.workgroup.modify", 0.3))
    assert rs.update_workgroup(workgroupName=name, baseCapacity=32)["workgroup"]["status"] == "MODIFYING"
    wait_for(lambda: rs.get_workgroup(workgroupName=name)["workgroup"]["status"] == "AVAILABLE")
    assert rs.get_workgroup(workgroupName=name)["workgroup"]["baseCapacity"] == 32
    assert any(w["workgroupName"] == name for w in rs.list_workgroups()["workgroups"])

    emulator.set_time_scale(scale_for("redshiftserverless.workgroup.delete", 0.3))
    assert rs.delete_workgroup(workgroupName=name)["workgroup"]["status"] == "DELETING"
    assert error(rs.delete_workgroup, workgroupName=name)[0] == "ConflictException"
    wait_for(lambda: error_code_or_none(rs.get_workgroup, workgroupName=name) == "ResourceNotFoundException")
    emulator.set_time_scale(0)
    rs.delete_namespace(namespaceName=ns)


def test_workgroup_validation(rs, network):
    assert error(rs.create_workgroup, workgroupName=unique("wg"), namespaceName="missing-ns")[0] == "ResourceNotFoundException"
    ns = unique("ns")
    rs.create_namespace(namespaceName=ns)
    assert error(rs.create_workgroup, workgroupName=unique("wg"), namespaceName=ns, baseCapacity=10)[0] == "ValidationException"
    assert error(rs.create_workgroup, workgroupName=unique("wg"), namespaceName=ns,
                 subnetIds=["subnet-00000000000000000"])[0] == "ValidationException"
    assert error(rs.get_workgroup, workgroupName="missing")[0] == "ResourceNotFoundException"


def test_tags(rs):
    ns = rs.create_namespace(namespaceName=unique("ns"))["namespace"]
    rs.tag_resource(resourceArn=ns["namespaceArn"], tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    rs.untag_resource(resourceArn=ns["namespaceArn"], tagKeys=["a"])
    assert rs.list_tags_for_resource(resourceArn=ns["namespaceArn"])["tags"] == [{"key": "b", "value": "2"}]
    missing = "arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/nope"
    assert error(rs.list_tags_for_resource, resourceArn=missing)[0] == "ResourceNotFoundException"


def test_tagging_api(emulator, rs, network):
    """The backend is a TaggableResourcesMixin: GetResources lists namespaces and workgroups with
    their current tags; TagResources/UntagResources reach them; deleted ones go."""
    key = unique("tagk")
    ns_name, wg_name = unique("ns"), unique("wg")
    ns = rs.create_namespace(namespaceName=ns_name, tags=[{"key": key, "value": "ns"}])["namespace"]["namespaceArn"]
    wg = rs.create_workgroup(workgroupName=wg_name, namespaceName=ns_name, subnetIds=network.subnet_ids,
                             securityGroupIds=[network.sg_id],
                             tags=[{"key": key, "value": "wg"}, {"key": "team", "value": "data"}])["workgroup"]["workgroupArn"]
    assert ns.startswith("arn:aws:redshift-serverless:us-east-1:123456789012:namespace/")
    assert wg.startswith("arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/")
    filters = [{"Key": key}]
    assert tagged_resources(emulator, TagFilters=filters) == {ns: {key: "ns"}, wg: {key: "wg", "team": "data"}}
    assert list(tagged_resources(emulator, TagFilters=filters, ResourceTypeFilters=["redshift-serverless:namespace"])) == [ns]
    assert list(tagged_resources(emulator, TagFilters=filters, ResourceTypeFilters=["redshift-serverless:workgroup"])) == [wg]
    assert len(tagged_resources(emulator, TagFilters=filters, ResourceTypeFilters=["redshift-serverless"])) == 2

    rs.tag_resource(resourceArn=wg, tags=[{"key": "team", "value": "platform"}])
    rs.untag_resource(resourceArn=ns, tagKeys=[key])
    assert tagged_resources(emulator, TagFilters=filters) == {wg: {key: "wg", "team": "platform"}}

    tagging = emulator.client("resourcegroupstaggingapi")
    assert tagging.tag_resources(ResourceARNList=[ns], Tags={key: "again"})["FailedResourcesMap"] == {}
    assert rs.list_tags_for_resource(resourceArn=ns)["tags"] == [{"key": key, "value": "again"}]
    assert tagging.untag_resources(ResourceARNList=[wg], TagKeys=["team"])["FailedResourcesMap"] == {}
    assert rs.list_tags_for_resource(resourceArn=wg)["tags"] == [{"key": key, "value": "wg"}]

    emulator.set_time_scale(scale_for("redshiftserverless.workgroup.delete", 0.3))
    rs.delete_workgroup(workgroupName=wg_name)
    assert wg in tagged_resources(emulator, TagFilters=filters)  # DELETING: still exists
    wait_for(lambda: error_code_or_none(rs.get_workgroup, workgroupName=wg_name) == "ResourceNotFoundException")
    assert list(tagged_resources(emulator, TagFilters=filters)) == [ns]
    emulator.set_time_scale(0)
    rs.delete_namespace(namespaceName=ns_name)
    assert tagged_resources(emulator, TagFilters=filters) == {}
