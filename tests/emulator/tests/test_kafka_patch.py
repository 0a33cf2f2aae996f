"""One test per entry of motoext.kafka_patch.PATCHES (MSK gaps of moto 5.2.5)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from conftest import Network, scale_for, unique, wait_for
from motoext import kafka_patch


def create_cluster(emu, network: Network, name: str | None = None, brokers: int = 3, **extra):
    kafka = emu.client("kafka")
    provisioned = {
        "KafkaVersion": "3.9.x",
        "NumberOfBrokerNodes": brokers,
        "BrokerNodeGroupInfo": {
            "InstanceType": "kafka.m5.large",
            "ClientSubnets": network.subnet_ids,
            "SecurityGroups": [network.sg_id],
            "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}},
        },
        "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
        "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
        **extra,
    }
    return kafka.create_cluster_v2(ClusterName=name or unique("msk"), Provisioned=provisioned)["ClusterArn"]


def describe(emu, arn: str) -> dict:
    return emu.client("kafka").describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]


def test_every_patch_has_a_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_patch_")}
    assert {p.__name__ for p in kafka_patch.PATCHES} == tested


def test_patch_time_based_state(emulator, network):
    emulator.set_time_scale(scale_for("msk.cluster.create", 0.5))
    arn = create_cluster(emulator, network)
    assert describe(emulator, arn)["State"] == "CREATING"
    listed = emulator.client("kafka").list_clusters_v2()["ClusterInfoList"]
    assert any(c["ClusterArn"] == arn and c["State"] == "CREATING" for c in listed)
    wait_for(lambda: describe(emulator, arn)["State"] == "ACTIVE", timeout=5)
    info = describe(emulator, arn)
    assert info["Provisioned"]["NumberOfBrokerNodes"] == 3
    assert "/" + info["ClusterName"] + "/" in arn  # real ARN shape: cluster/<name>/<uuid>
    assert info["CreationTime"].tzinfo is not None


def test_patch_create_keeps_security(emulator, network):
    arn = create_cluster(emulator, network)
    provisioned = describe(emulator, arn)["Provisioned"]
    assert provisioned["ClientAuthentication"] == {"Sasl": {"Iam": {"Enabled": True}}}
    assert provisioned["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}
    # one requester-managed ENI per broker in the client subnets
    enis = emulator.client("ec2").describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": network.subnet_ids}])["NetworkInterfaces"]
    assert len([e for e in enis if arn in e.get("Description", "")]) == 3
    with pytest.raises(ClientError) as e:
        create_cluster(emulator, network, brokers=4)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert "multiple of Availability Zones" in e.value.response["Error"]["Message"]


def test_patch_bootstrap_brokers(emulator, network):
    emulator.set_time_scale(scale_for("msk.cluster.create", 0.3))
    name = unique("Demo-Cluster")
    arn = create_cluster(emulator, network, name=name)
    kafka = emulator.client("kafka")
    assert "BootstrapBrokerStringSaslIam" not in kafka.get_bootstrap_brokers(ClusterArn=arn)  # empty while CREATING
    wait_for(lambda: describe(emulator, arn)["State"] == "ACTIVE")
    brokers = kafka.get_bootstrap_brokers(ClusterArn=arn)
    hosts = brokers["BootstrapBrokerStringSaslIam"].split(",")
    assert len(hosts) == 3
    label = "".join(c for c in name.lower() if c.isalnum())
    for i, host in enumerate(hosts, 1):
        assert host.startswith(f"b-{i}.{label}.")
        assert host.endswith(".c2.kafka.us-east-1.amazonaws.com:9098")
    assert "BootstrapBrokerStringTls" not in brokers  # IAM only, unauthenticated off
    plain = create_cluster(emulator, network, ClientAuthentication={"Unauthenticated": {"Enabled": True}},
                           EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT", "InCluster": True}})
    wait_for(lambda: describe(emulator, plain)["State"] == "ACTIVE")
    other = kafka.get_bootstrap_brokers(ClusterArn=plain)
    assert other["BootstrapBrokerStringTls"].endswith(":9094")
    assert other["BootstrapBrokerString"].endswith(":9092")


def test_patch_configurations(emulator, network):
    kafka = emulator.client("kafka")
    name = unique("cfg")
    created = kafka.create_configuration(Name=name, KafkaVersions=["3.9.x"],
                                         ServerProperties=b"auto.create.topics.enable=true\n")
    arn = created["Arn"]
    assert created["LatestRevision"]["Revision"] == 1 and created["State"] == "ACTIVE"
    with pytest.raises(ClientError) as e:
        kafka.create_configuration(Name=name, ServerProperties=b"a=b\n")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    updated = kafka.update_configuration(Arn=arn, ServerProperties=b"auto.create.topics.enable=false\n")
    assert updated["LatestRevision"]["Revision"] == 2
    assert kafka.describe_configuration(Arn=arn)["LatestRevision"]["Revision"] == 2
    rev1 = kafka.describe_configuration_revision(Arn=arn, Revision=1)
    assert rev1["ServerProperties"] == b"auto.create.topics.enable=true\n"
    assert [r["Revision"] for r in kafka.list_configuration_revisions(Arn=arn)["Revisions"]] == [1, 2]
    assert any(c["Arn"] == arn for c in kafka.list_configurations()["Configurations"])
    cluster = create_cluster(emulator, network, ConfigurationInfo={"Arn": arn, "Revision": 2})
    software = describe(emulator, cluster)["Provisioned"]["CurrentBrokerSoftwareInfo"]
    assert software == {"ConfigurationArn": arn, "ConfigurationRevision": 2, "KafkaVersion": "3.9.x"}
    with pytest.raises(ClientError) as e:
        kafka.delete_configuration(Arn=arn)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    other = kafka.create_configuration(Name=unique("cfg"), ServerProperties=b"a=b\n")["Arn"]
    assert kafka.delete_configuration(Arn=other)["State"] == "DELETING"
    with pytest.raises(ClientError) as e:
        kafka.describe_configuration(Arn=other)
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_patch_cluster_updates(emulator, network):
    kafka = emulator.client("kafka")
    emulator.set_time_scale(0)
    arn = create_cluster(emulator, network, KafkaVersion="3.8.x")
    config = kafka.create_configuration(Name=unique("cfg"), KafkaVersions=["3.8.x", "3.9.x"],
                                        ServerProperties=b"a=b\n")["Arn"]
    version = describe(emulator, arn)["CurrentVersion"]

    def expect_bad(call, **kwargs):
        with pytest.raises(ClientError) as e:
            call(ClusterArn=arn, **kwargs)
        assert e.value.response["Error"]["Code"] == "BadRequestException", e.value.response
        return e.value.response["Error"]["Message"]

    # stale version, decreases and non-multiples are refused
    expect_bad(kafka.update_broker_count, CurrentVersion="K0000000000000", TargetNumberOfBrokerNodes=6)
    expect_bad(kafka.update_broker_count, CurrentVersion=version, TargetNumberOfBrokerNodes=2)
    expect_bad(kafka.update_broker_count, CurrentVersion=version, TargetNumberOfBrokerNodes=4)

    emulator.set_time_scale(scale_for("msk.cluster.update_broker_count", 0.4))
    op = kafka.update_broker_count(ClusterArn=arn, CurrentVersion=version, TargetNumberOfBrokerNodes=6)
    info = describe(emulator, arn)
    assert info["State"] == "UPDATING" and info["ActiveOperationArn"] == op["ClusterOperationArn"]
    assert "only allowed on a cluster in ACTIVE state" in expect_bad(
        kafka.update_broker_type, CurrentVersion=version, TargetInstanceType="kafka.m5.xlarge")
    wait_for(lambda: describe(emulator, arn)["State"] == "ACTIVE")
    info = describe(emulator, arn)
    assert info["Provisioned"]["NumberOfBrokerNodes"] == 6 and info["CurrentVersion"] != version
    operation = kafka.describe_cluster_operation_v2(ClusterOperationArn=op["ClusterOperationArn"])["ClusterOperationInfo"]
    assert operation["OperationState"] == "UPDATE_COMPLETE"

    emulator.set_time_scale(0)
    steps = [
        (kafka.update_broker_type, {"TargetInstanceType": "kafka.m5.xlarge"}),
        (kafka.update_broker_storage, {"TargetBrokerEBSVolumeInfo": [{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 200}]}),
        (kafka.update_cluster_configuration, {"ConfigurationInfo": {"Arn": config, "Revision": 1}}),
        (kafka.update_cluster_kafka_version, {"TargetKafkaVersion": "3.9.x"}),
    ]
    for call, kwargs in steps:
        call(ClusterArn=arn, CurrentVersion=describe(emulator, arn)["CurrentVersion"], **kwargs)
        assert describe(emulator, arn)["State"] == "ACTIVE"
    provisioned = describe(emulator, arn)["Provisioned"]
    assert provisioned["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m5.xlarge"
    assert provisioned["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"]["VolumeSize"] == 200
    assert provisioned["CurrentBrokerSoftwareInfo"]["ConfigurationArn"] == config
    assert provisioned["CurrentBrokerSoftwareInfo"]["KafkaVersion"] == "3.9.x"
    listed = [c for c in kafka.list_clusters_v2()["ClusterInfoList"] if c["ClusterArn"] == arn][0]
    assert listed["Provisioned"]["NumberOfBrokerNodes"] == 6
    # storage can only grow
    expect_bad(kafka.update_broker_storage, CurrentVersion=describe(emulator, arn)["CurrentVersion"],
               TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 150}])


def test_patch_delete_cluster(emulator, network):
    kafka = emulator.client("kafka")
    ec2 = emulator.client("ec2")
    emulator.set_time_scale(scale_for("msk.cluster.create", 0.3))
    arn = create_cluster(emulator, network)
    with pytest.raises(ClientError) as e:
        kafka.delete_cluster(ClusterArn=arn)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert "CREATING" in e.value.response["Error"]["Message"]
    wait_for(lambda: describe(emulator, arn)["State"] == "ACTIVE")
    emulator.set_time_scale(scale_for("msk.cluster.delete", 0.3))
    assert kafka.delete_cluster(ClusterArn=arn)["State"] == "DELETING"
    assert describe(emulator, arn)["State"] == "DELETING"
    wait_for(lambda: not any(c["ClusterArn"] == arn for c in kafka.list_clusters_v2()["ClusterInfoList"]))
    # the broker ENIs linger a while after the cluster is gone (linger 300 s vs delete 900 s: 0.1 s here)
    time.sleep(0.3)
    ec2.delete_security_group(GroupId=network.sg_id)


def test_patch_not_found(emulator):
    kafka = emulator.client("kafka")
    missing = "arn:aws:kafka:us-east-1:123456789012:cluster/nope/00000000-0000-0000-0000-000000000000-1"
    for call in (kafka.describe_cluster_v2, kafka.describe_cluster, kafka.get_bootstrap_brokers, kafka.delete_cluster):
        with pytest.raises(ClientError) as e:
            call(ClusterArn=missing)
        assert e.value.response["Error"]["Code"] == "NotFoundException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

