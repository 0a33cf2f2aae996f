"""One test per entry of motoext.ec2_patch.PATCHES (EC2 states and dependency traps)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from conftest import make_network, scale_for, unique, wait_for
from motoext import ec2_patch


def test_every_patch_has_a_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_patch_")}
    assert {p.__name__ for p in ec2_patch.PATCHES} == tested


def error_code(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def nat_state(ec2, nat_id: str) -> str:
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def test_patch_nat_gateway_states(emulator, network):
    ec2 = emulator.client("ec2")
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    emulator.set_time_scale(scale_for("ec2.nat_gateway.create", 0.3))
    nat = ec2.create_nat_gateway(SubnetId=network.subnet_ids[0], AllocationId=eip)["NatGateway"]
    assert nat["State"] == "pending"
    assert nat_state(ec2, nat["NatGatewayId"]) == "pending"
    wait_for(lambda: nat_state(ec2, nat["NatGatewayId"]) == "available")
    emulator.set_time_scale(scale_for("ec2.nat_gateway.delete", 0.3))
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert nat_state(ec2, nat["NatGatewayId"]) == "deleting"
    wait_for(lambda: nat_state(ec2, nat["NatGatewayId"]) == "deleted")
    # deleted NATs stay listed; filtering by state hides them
    live = ec2.describe_nat_gateways(Filter=[{"Name": "state", "Values": ["pending", "available"]},
                                             {"Name": "vpc-id", "Values": [network.vpc_id]}])["NatGateways"]
    assert live == []
    ec2.release_address(AllocationId=eip)  # free once the NAT is deleted
    assert error_code(ec2.delete_nat_gateway, NatGatewayId="nat-0123456789abcdef0")[0] == "NatGatewayNotFound"


def instance_state(ec2, instance_id: str) -> str:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


def test_patch_instance_states(emulator, network):
    ec2 = emulator.client("ec2")
    emulator.set_time_scale(scale_for("ec2.instance.start", 0.3))
    instance = ec2.run_instances(ImageId="ami-12345678", InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                 SubnetId=network.subnet_ids[0], SecurityGroupIds=[network.sg_id])["Instances"][0]
    instance_id = instance["InstanceId"]
    assert instance_state(ec2, instance_id) == "pending"
    wait_for(lambda: instance_state(ec2, instance_id) == "running")
    emulator.set_time_scale(scale_for("ec2.instance.terminate", 0.3))
    ec2.terminate_instances(InstanceIds=[instance_id])
    assert instance_state(ec2, instance_id) == "shutting-down"
    # its network interface keeps the subnet and the group busy until it is terminated
    assert error_code(ec2.delete_subnet, SubnetId=network.subnet_ids[0])[0] == "DependencyViolation"
    wait_for(lambda: instance_state(ec2, instance_id) == "terminated")
    ec2.delete_security_group(GroupId=network.sg_id)
    ec2.delete_subnet(SubnetId=network.subnet_ids[0])


def test_patch_subnet_in_use(emulator, network):
    ec2 = emulator.client("ec2")
    eni = ec2.create_network_interface(SubnetId=network.subnet_ids[1])["NetworkInterface"]["NetworkInterfaceId"]
    code, message = error_code(ec2.delete_subnet, SubnetId=network.subnet_ids[1])
    assert code == "DependencyViolation"
    assert message == f"The subnet '{network.subnet_ids[1]}' has dependencies and cannot be deleted."
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=network.subnet_ids[1])


def test_patch_security_group_in_use(emulator, network):
    ec2 = emulator.client("ec2")
    other = ec2.create_security_group(GroupName=unique("sg"), Description="x", VpcId=network.vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": network.sg_id}]}])
    code, message = error_code(ec2.delete_security_group, GroupId=network.sg_id)
    assert (code, message) == ("DependencyViolation", f"resource {network.sg_id} has a dependent object")
    ec2.revoke_security_group_ingress(GroupId=other, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": network.sg_id}]}])
    eni = ec2.create_network_interface(SubnetId=network.subnet_ids[0], Groups=[network.sg_id])["NetworkInterface"]
    assert error_code(ec2.delete_security_group, GroupId=network.sg_id)[0] == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_security_group(GroupId=network.sg_id)


def test_patch_igw_mapped_addresses(emulator, network):
    ec2 = emulator.client("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=network.vpc_id)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=network.subnet_ids[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    code, message = error_code(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=network.vpc_id)
    assert code == "DependencyViolation"
    assert message == (f"Network {network.vpc_id} has some mapped public address(es). "
                       "Please unmap those public address(es) before detaching the gateway.")
    emulator.set_time_scale(scale_for("ec2.nat_gateway.delete", 0.3))
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert error_code(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=network.vpc_id)[0] == "DependencyViolation"
    wait_for(lambda: nat_state(ec2, nat) == "deleted")
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=network.vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw)


def test_patch_eip_in_use(emulator, network):
    ec2 = emulator.client("ec2")
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=network.subnet_ids[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    emulator.set_time_scale(scale_for("ec2.nat_gateway.delete", 0.3))
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert error_code(ec2.release_address, AllocationId=eip)[0] == "InvalidIPAddress.InUse"  # still deleting
    wait_for(lambda: nat_state(ec2, nat) == "deleted")
    ec2.release_address(AllocationId=eip)


def test_patch_vpc_dependencies(emulator):
    network = make_network(emulator, subnets=1)
    ec2 = emulator.client("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=network.vpc_id)
    ec2.delete_subnet(SubnetId=network.subnet_ids[0])
    assert error_code(ec2.delete_vpc, VpcId=network.vpc_id)[0] == "DependencyViolation"  # igw + group
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=network.vpc_id)
    assert error_code(ec2.delete_vpc, VpcId=network.vpc_id)[0] == "DependencyViolation"  # group
    ec2.delete_security_group(GroupId=network.sg_id)
    ec2.delete_vpc(VpcId=network.vpc_id)


def test_lingering_enis_of_a_connector_and_workgroup_then_success(emulator, network):
    """A deleted workgroup's ENIs keep the subnet in use for the scaled linger time, then free it."""
    rs = emulator.client("redshift-serverless")
    ns = unique("ns")
    rs.create_namespace(namespaceName=ns)
    wg = unique("wg")
    rs.create_workgroup(workgroupName=wg, namespaceName=ns, baseCapacity=8,
                        subnetIds=network.subnet_ids, securityGroupIds=[network.sg_id])
    emulator.set_time_scale(scale_for("redshiftserverless.eni.linger", 0.6))
    rs.delete_workgroup(workgroupName=wg)  # delete 300 s → 0.3 s, linger 600 s → 0.6 s
    ec2 = emulator.client("ec2")
    wait_for(lambda: wg not in [w["workgroupName"] for w in rs.list_workgroups()["workgroups"]])
    assert error_code(ec2.delete_security_group, GroupId=network.sg_id)[0] == "DependencyViolation"
    assert error_code(ec2.delete_subnet, SubnetId=network.subnet_ids[0])[0] == "DependencyViolation"
    started = time.time()

    def freed() -> bool:
        try:
            ec2.delete_subnet(SubnetId=network.subnet_ids[0])
            return True
        except ClientError:
            return False

    wait_for(freed, timeout=5)
    assert time.time() - started > 0.2
    ec2.delete_security_group(GroupId=network.sg_id)


def test_patch_client_token_idempotency(emulator, network):
    ec2 = emulator.client("ec2")
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    token = unique("nat")
    first = ec2.create_nat_gateway(SubnetId=network.subnet_ids[0], AllocationId=eip, ClientToken=token)["NatGateway"]
    again = ec2.create_nat_gateway(SubnetId=network.subnet_ids[0], AllocationId=eip, ClientToken=token)["NatGateway"]
    assert again["NatGatewayId"] == first["NatGatewayId"]  # moto: Resource.AlreadyAssociated
    live = ec2.describe_nat_gateways(Filter=[{"Name": "subnet-id", "Values": [network.subnet_ids[0]]}])
    assert len(live["NatGateways"]) == 1
    assert error_code(ec2.create_nat_gateway, SubnetId=network.subnet_ids[1], AllocationId=eip,
                      ClientToken=token)[0] == "IdempotentParameterMismatch"

    token = unique("bastion")
    run = dict(ImageId="ami-12345678", InstanceType="t3.micro", MinCount=1, MaxCount=1,
               SubnetId=network.subnet_ids[0], ClientToken=token)
    first = ec2.run_instances(**run)
    again = ec2.run_instances(**run)  # moto: a second instance
    assert again["ReservationId"] == first["ReservationId"]
    assert [i["InstanceId"] for i in again["Instances"]] == [i["InstanceId"] for i in first["Instances"]]
    reservations = ec2.describe_instances(Filters=[{"Name": "subnet-id", "Values": [network.subnet_ids[0]]}])["Reservations"]
    assert sum(len(r["Instances"]) for r in reservations) == 1
    assert error_code(ec2.run_instances, **{**run, "InstanceType": "t3.small"})[0] == "IdempotentParameterMismatch"
    # without a token, every call creates
    del run["ClientToken"]
    assert ec2.run_instances(**run)["ReservationId"] != first["ReservationId"]


def test_patch_nat_gateway_tag_filters(emulator, network):
    ec2 = emulator.client("ec2")
    ours, theirs = unique("stack"), unique("stack")
    for stack, subnet in ((ours, network.subnet_ids[0]), (theirs, network.subnet_ids[1])):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, TagSpecifications=[{
            "ResourceType": "natgateway", "Tags": [{"Key": "cdcstack:stack", "Value": stack}]}])

    def ids(*filters) -> list[str]:
        return [n["SubnetId"] for n in ec2.describe_nat_gateways(Filter=list(filters))["NatGateways"]]

    assert ids({"Name": "tag:cdcstack:stack", "Values": [ours]}) == [network.subnet_ids[0]]  # moto: both
    assert sorted(ids({"Name": "tag:cdcstack:stack", "Values": [ours, theirs]})) == sorted(network.subnet_ids[:2])
    assert ids({"Name": "tag:cdcstack:stack", "Values": [ours[:-2] + "*"]}) == [network.subnet_ids[0]]  # wildcards
    assert ids({"Name": "tag:cdcstack:stack", "Values": [unique("nobody")]}) == []
    assert len(ids({"Name": "tag-key", "Values": ["cdcstack:stack"]}, {"Name": "vpc-id", "Values": [network.vpc_id]})) == 2
    assert ids({"Name": "tag-value", "Values": [theirs]}) == [network.subnet_ids[1]]
    assert ids({"Name": "tag:cdcstack:stack", "Values": [ours]}, {"Name": "state", "Values": ["deleted"]}) == []
