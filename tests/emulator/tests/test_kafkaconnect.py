"""MSK Connect backend (motoext.kafkaconnect): operations, states and AWS's errors."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from conftest import error_code_or_none, scale_for, tagged_resources, unique, wait_for


def error(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def kc(emulator):
    return emulator.client("kafkaconnect")


@pytest.fixture
def plugin_object(emulator) -> tuple[str, str]:
    s3 = emulator.client("s3")
    bucket = unique("artifacts")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="debezium.zip", Body=b"PK\x03\x04 fake zip")
    return f"arn:aws:s3:::{bucket}", "debezium.zip"


@pytest.fixture
def role_arn(emulator) -> str:
    return emulator.client("iam").create_role(RoleName=unique("mskc"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def make_plugin(kc, location) -> str:
    bucket_arn, key = location
    return kc.create_custom_plugin(name=unique("plugin"), contentType="ZIP",
                                   location={"s3Location": {"bucketArn": bucket_arn, "fileKey": key}})["customPluginArn"]


def make_worker(kc) -> str:
    content = base64.b64encode(b"key.converter=org.apache.kafka.connect.json.JsonConverter\n").decode()
    return kc.create_worker_configuration(name=unique("worker"), propertiesFileContent=content)["workerConfigurationArn"]


def connector_args(network, plugin: str, worker: str | None, role: str, **extra) -> dict:
    args = dict(
        connectorName=unique("debezium"),
        capacity={"provisionedCapacity": {"mcuCount": 1, "workerCount": 1}},
        connectorConfiguration={"connector.class": "io.debezium.connector.mysql.MySqlConnector", "tasks.max": "1"},
        kafkaCluster={"apacheKafkaCluster": {"bootstrapServers": "b-1.x.c2.kafka.us-east-1.amazonaws.com:9098",
                                             "vpc": {"subnets": network.subnet_ids, "securityGroups": [network.sg_id]}}},
        kafkaClusterClientAuthentication={"authenticationType": "IAM"},
        kafkaClusterEncryptionInTransit={"encryptionType": "TLS"},
        kafkaConnectVersion="2.7.1",
        plugins=[{"customPlugin": {"customPluginArn": plugin, "revision": 1}}],
        serviceExecutionRoleArn=role,
    )
    if worker:
        args["workerConfiguration"] = {"workerConfigurationArn": worker, "revision": 1}
    args.update(extra)
    return args


def test_custom_plugin_lifecycle(emulator, kc, plugin_object):
    emulator.set_time_scale(scale_for("kafkaconnect.custom_plugin.create", 0.3))
    arn = make_plugin(kc, plugin_object)
    assert kc.describe_custom_plugin(customPluginArn=arn)["customPluginState"] == "CREATING"
    wait_for(lambda: kc.describe_custom_plugin(customPluginArn=arn)["customPluginState"] == "ACTIVE")
    described = kc.describe_custom_plugin(customPluginArn=arn)
    assert described["latestRevision"]["revision"] == 1
    assert described["latestRevision"]["fileDescription"]["fileSize"] == len(b"PK\x03\x04 fake zip")
    name = described["name"]
    assert [p["customPluginArn"] for p in kc.list_custom_plugins(namePrefix=name)["customPlugins"]] == [arn]
    assert kc.list_custom_plugins(namePrefix="zzz-none")["customPlugins"] == []
    assert error(kc.create_custom_plugin, name=name, contentType="ZIP",
                 location={"s3Location": {"bucketArn": plugin_object[0], "fileKey": plugin_object[1]}}) == ("ConflictException", 409)
    emulator.set_time_scale(0)
    assert kc.delete_custom_plugin(customPluginArn=arn)["customPluginState"] == "DELETING"
    assert error(kc.describe_custom_plugin, customPluginArn=arn) == ("NotFoundException", 404)


def test_custom_plugin_with_missing_s3_object_fails(emulator, kc, plugin_object):
    arn = make_plugin(kc, (plugin_object[0], "missing.zip"))
    described = kc.describe_custom_plugin(customPluginArn=arn)
    assert described["customPluginState"] == "CREATE_FAILED"
    assert described["stateDescription"]["code"]


def test_worker_configuration_lifecycle(kc):
    arn = make_worker(kc)
    described = kc.describe_worker_configuration(workerConfigurationArn=arn)
    assert described["workerConfigurationState"] == "ACTIVE"
    assert base64.b64decode(described["latestRevision"]["propertiesFileContent"]).startswith(b"key.converter=")
    name = described["name"]
    assert [w["name"] for w in kc.list_worker_configurations(namePrefix=name)["workerConfigurations"]] == [name]
    assert error(kc.create_worker_configuration, name=name, propertiesFileContent="eD15") == ("ConflictException", 409)
    assert error(kc.create_worker_configuration, name=unique("w"), propertiesFileContent="not base64!")[0] == "BadRequestException"
    kc.delete_worker_configuration(workerConfigurationArn=arn)
    assert error(kc.describe_worker_configuration, workerConfigurationArn=arn) == ("NotFoundException", 404)


def test_connector_lifecycle(emulator, kc, network, plugin_object, role_arn):
    plugin, worker = make_plugin(kc, plugin_object), make_worker(kc)
    emulator.set_time_scale(scale_for("kafkaconnect.connector.create", 0.3))
    args = connector_args(network, plugin, worker, role_arn, tags={"team": "data"})
    created = kc.create_connector(**args)
    arn = created["connectorArn"]
    assert created["connectorState"] == "CREATING"
    version = kc.describe_connector(connectorArn=arn)["currentVersion"]
    # an update while CREATING is refused
    assert error(kc.update_connector, connectorArn=arn, currentVersion=version,
                 capacity={"provisionedCapacity": {"mcuCount": 2, "workerCount": 1}})[0] == "BadRequestException"
    wait_for(lambda: kc.describe_connector(connectorArn=arn)["connectorState"] == "RUNNING")
    described = kc.describe_connector(connectorArn=arn)
    for field in ("capacity", "kafkaCluster", "kafkaClusterClientAuthentication", "kafkaClusterEncryptionInTransit",
                  "kafkaConnectVersion", "plugins", "serviceExecutionRoleArn", "workerConfiguration",
                  "connectorConfiguration", "connectorState", "currentVersion"):
        assert field in described, field
    assert described["kafkaClusterClientAuthentication"] == {"authenticationType": "IAM"}
    assert kc.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "data"}
    assert [c["connectorArn"] for c in kc.list_connectors(connectorNamePrefix=args["connectorName"])["connectors"]] == [arn]
    # a stale currentVersion is refused
    assert error(kc.update_connector, connectorArn=arn, currentVersion="STALE",
                 capacity={"provisionedCapacity": {"mcuCount": 2, "workerCount": 1}})[0] == "BadRequestException"
    emulator.set_time_scale(scale_for("kafkaconnect.connector.update", 0.3))
    updated = kc.update_connector(connectorArn=arn, currentVersion=described["currentVersion"],
                                  capacity={"provisionedCapacity": {"mcuCount": 2, "workerCount": 1}},
                                  connectorConfiguration={"tasks.max": "1", "snapshot.mode": "when_needed"})
    assert updated["connectorState"] == "UPDATING"
    wait_for(lambda: kc.describe_connector(connectorArn=arn)["connectorState"] == "RUNNING")
    after = kc.describe_connector(connectorArn=arn)
    assert after["capacity"]["provisionedCapacity"]["mcuCount"] == 2
    assert after["connectorConfiguration"]["snapshot.mode"] == "when_needed"
    assert after["currentVersion"] != described["currentVersion"]
    # plugin and worker configuration are in use while the connector lives
    assert error(kc.delete_custom_plugin, customPluginArn=plugin)[0] == "BadRequestException"
    assert error(kc.delete_worker_configuration, workerConfigurationArn=worker)[0] == "BadRequestException"
    emulator.set_time_scale(scale_for("kafkaconnect.connector.delete", 0.3))
    assert kc.delete_connector(connectorArn=arn)["connectorState"] == "DELETING"
    assert kc.describe_connector(connectorArn=arn)["connectorState"] == "DELETING"
    wait_for(lambda: error_code_or_none(kc.describe_connector, connectorArn=arn) == "NotFoundException")
    kc.delete_custom_plugin(customPluginArn=plugin)
    kc.delete_worker_configuration(workerConfigurationArn=worker)


def test_connector_validation(kc, network, plugin_object, role_arn):
    plugin = make_plugin(kc, plugin_object)
    missing_plugin = plugin.replace("custom-plugin/", "custom-plugin/nope")
    assert error(kc.create_connector, **connector_args(network, missing_plugin, None, role_arn))[0] == "BadRequestException"
    missing_worker = "arn:aws:kafkaconnect:us-east-1:123456789012:worker-configuration/nope/x-1"
    assert error(kc.create_connector, **connector_args(network, plugin, missing_worker, role_arn))[0] == "BadRequestException"
    missing_role = "arn:aws:iam::123456789012:role/does-not-exist"
    assert error(kc.create_connector, **connector_args(network, plugin, None, missing_role))[0] == "BadRequestException"
    bad_capacity = {"provisionedCapacity": {"mcuCount": 3, "workerCount": 1}}
    assert error(kc.create_connector, **connector_args(network, plugin, None, role_arn, capacity=bad_capacity))[0] == "BadRequestException"
    args = connector_args(network, plugin, None, role_arn)
    kc.create_connector(**args)
    assert error(kc.create_connector, **args) == ("ConflictException", 409)


def test_tags_on_all_three_arns(kc, plugin_object):
    plugin, worker = make_plugin(kc, plugin_object), make_worker(kc)
    for arn in (plugin, worker):
        kc.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
        kc.untag_resource(resourceArn=arn, tagKeys=["a"])
        assert kc.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    missing = "arn:aws:kafkaconnect:us-east-1:123456789012:connector/nope/x-1"
    assert error(kc.list_tags_for_resource, resourceArn=missing) == ("NotFoundException", 404)


def test_tagging_api(emulator, kc, network, plugin_object, role_arn):
    """The backend is a TaggableResourcesMixin: GetResources lists plugins, worker configurations and
    connectors with their current tags; TagResources/UntagResources reach them; deleted ones go."""
    key = unique("tagk")
    bucket_arn, file_key = plugin_object
    plugin = kc.create_custom_plugin(name=unique("plugin"), contentType="ZIP", tags={key: "p"},
                                     location={"s3Location": {"bucketArn": bucket_arn, "fileKey": file_key}})["customPluginArn"]
    content = base64.b64encode(b"key.converter=org.apache.kafka.connect.json.JsonConverter\n").decode()
    worker = kc.create_worker_configuration(name=unique("worker"), propertiesFileContent=content,
                                            tags={key: "w"})["workerConfigurationArn"]
    connector = kc.create_connector(**connector_args(network, plugin, worker, role_arn, tags={key: "c", "team": "data"}))["connectorArn"]
    untagged = make_worker(kc)
    assert plugin.startswith("arn:aws:kafkaconnect:us-east-1:123456789012:custom-plugin/")
    assert worker.startswith("arn:aws:kafkaconnect:us-east-1:123456789012:worker-configuration/")
    assert connector.startswith("arn:aws:kafkaconnect:us-east-1:123456789012:connector/")

    filters = [{"Key": key}]
    assert tagged_resources(emulator, TagFilters=filters) == {
        plugin: {key: "p"}, worker: {key: "w"}, connector: {key: "c", "team": "data"},
    }
    assert untagged not in tagged_resources(emulator, ResourceTypeFilters=["kafkaconnect"])  # never tagged
    for resource_type, arn in (("kafkaconnect:custom-plugin", plugin),
                               ("kafkaconnect:worker-configuration", worker),
                               ("kafkaconnect:connector", connector)):
        assert list(tagged_resources(emulator, TagFilters=filters, ResourceTypeFilters=[resource_type])) == [arn]
    assert len(tagged_resources(emulator, TagFilters=filters, ResourceTypeFilters=["kafkaconnect"])) == 3

    # the service's own TagResource/UntagResource show in GetResources
    kc.tag_resource(resourceArn=connector, tags={"team": "platform"})
    kc.untag_resource(resourceArn=plugin, tagKeys=[key])
    assert tagged_resources(emulator, TagFilters=filters) == {worker: {key: "w"}, connector: {key: "c", "team": "platform"}}

    # the Tagging API's TagResources/UntagResources show in the service's ListTagsForResource
    tagging = emulator.client("resourcegroupstaggingapi")
    assert tagging.tag_resources(ResourceARNList=[plugin, worker], Tags={key: "again"})["FailedResourcesMap"] == {}
    assert kc.list_tags_for_resource(resourceArn=plugin)["tags"] == {key: "again"}
    assert tagging.untag_resources(ResourceARNList=[connector], TagKeys=["team"])["FailedResourcesMap"] == {}
    assert kc.list_tags_for_resource(resourceArn=connector)["tags"] == {key: "c"}

    # deleted resources disappear (DELETING ones are still listed, as they still exist)
    emulator.set_time_scale(scale_for("kafkaconnect.connector.delete", 0.3))
    kc.delete_connector(connectorArn=connector)
    assert connector in tagged_resources(emulator, TagFilters=filters)
    wait_for(lambda: error_code_or_none(kc.describe_connector, connectorArn=connector) == "NotFoundException")
    emulator.set_time_scale(0)
    kc.delete_custom_plugin(customPluginArn=plugin)
    kc.delete_worker_configuration(workerConfigurationArn=worker)
    assert tagged_resources(emulator, TagFilters=filters) == {}
