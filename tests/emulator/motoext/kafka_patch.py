"""MSK (kafka) gaps of moto 5.2.5 filled by patching moto's kafka classes.

moto 5.2.5 leaves clusters in CREATING forever, drops ClientAuthentication
and EncryptionInfo from CreateClusterV2, has no GetBootstrapBrokers, no
configurations, no cluster updates, deletes clusters at once and answers 500
(KeyError) for an unknown ARN.  Each entry of PATCHES below fixes one of
these; tests/test_kafka_patch.py has one test per entry, so a moto upgrade
that breaks one fails loudly.  The moto version is pinned in requirements.txt.

State lives on moto's own FakeKafkaCluster objects (so moto's reset, tagging
and ListTagsForResource keep working); time-based transitions go through
clock.CLOCK.
"""

from __future__ import annotations

import base64
import json
import random
import string
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from moto.kafka import urls as kafka_urls
from moto.kafka.models import FakeKafkaCluster, KafkaBackend
from moto.kafka.responses import KafkaResponse

from . import enis
from .clock import CLOCK
from .errors import kafka_error

KAFKA_VERSIONS = ["2.8.1", "3.5.1", "3.6.0", "3.7.x", "3.7.x.kraft", "3.8.x", "3.8.x.kraft", "3.9.x", "3.9.x.kraft", "4.0.x.kraft"]


def _iso(ts: float | None = None) -> str:
    # MSK timestamps are ISO 8601 in UTC with a zone designator; the Rust SDK
    # refuses moto's naive datetime.now().isoformat().
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _new_version() -> str:
    # Real cluster versions are opaque 14-character strings such as K3AEGXETSR30VB.
    return "K" + "".join(random.choices(string.ascii_uppercase + string.digits, k=13))


def _resource_suffix() -> str:
    return f"{uuid.uuid4()}-{random.randint(1, 25)}"


def _bad_request(message: str) -> Exception:
    return kafka_error("BadRequestException", message)


def _not_found(arn: str) -> Exception:
    return kafka_error(
        "NotFoundException",
        f"The resource {arn} doesn't exist or you don't have access to it.",
    )


def _host_label(name: str) -> str:
    label = "".join(c for c in name.lower() if c.isalnum())
    return (label or "cluster")[:40]


# ---------------------------------------------------------------- models


class Configuration:
    def __init__(self, account_id: str, region: str, name: str, description: str,
                 kafka_versions: list[str], server_properties: bytes) -> None:
        self.name = name
        self.arn = f"arn:aws:kafka:{region}:{account_id}:configuration/{name}/{_resource_suffix()}"
        self.description = description or ""
        self.kafka_versions = kafka_versions or []
        self.creation_time = _iso()
        self.state = "ACTIVE"
        self.revisions: list[dict[str, Any]] = []
        self.add_revision(description, server_properties)

    def add_revision(self, description: str | None, server_properties: bytes) -> dict[str, Any]:
        revision = {
            "revision": len(self.revisions) + 1,
            "creationTime": _iso(),
            "description": description if description is not None else self.description,
            "serverProperties": server_properties,
        }
        self.revisions.append(revision)
        return revision

    def revision_summary(self, revision: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in revision.items() if k != "serverProperties"}

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "creationTime": self.creation_time,
            "description": self.description,
            "kafkaVersions": self.kafka_versions,
            "latestRevision": self.revision_summary(self.revisions[-1]),
            "name": self.name,
            "state": self.state,
        }


class ClusterOperation:
    def __init__(self, cluster: FakeKafkaCluster, operation_type: str,
                 source: dict[str, Any], target: dict[str, Any]) -> None:
        self.arn = (
            f"arn:aws:kafka:{cluster.region_name}:{cluster.account_id}:cluster-operation/"
            f"{cluster.cluster_name}/{cluster.arn.rsplit('/', 1)[-1]}/{uuid.uuid4()}"
        )
        self.cluster_arn = cluster.arn
        self.operation_type = operation_type
        self.state = "UPDATE_IN_PROGRESS"
        self.start_time = _iso()
        self.end_time: str | None = None
        self.source = source
        self.target = target

    def to_json_v1(self) -> dict[str, Any]:
        info = {
            "clusterArn": self.cluster_arn,
            "creationTime": self.start_time,
            "operationArn": self.arn,
            "operationState": self.state,
            "operationType": self.operation_type,
            "sourceClusterInfo": self.source,
            "targetClusterInfo": self.target,
        }
        if self.end_time:
            info["endTime"] = self.end_time
        return info

    def to_json_v2(self) -> dict[str, Any]:
        info = {
            "clusterArn": self.cluster_arn,
            "clusterType": "PROVISIONED",
            "startTime": self.start_time,
            "operationArn": self.arn,
            "operationState": self.state,
            "operationType": self.operation_type,
            "provisioned": {"sourceClusterInfo": self.source, "targetClusterInfo": self.target},
        }
        if self.end_time:
            info["endTime"] = self.end_time
        return info


# ---------------------------------------------------------------- backend


def _get_cluster(self: KafkaBackend, arn: str) -> FakeKafkaCluster:
    cluster = self.clusters.get(arn)
    if cluster is None:
        raise _not_found(arn)
    return cluster


def _get_configuration(self: KafkaBackend, arn: str) -> Configuration:
    configuration = self.configurations.get(arn)
    if configuration is None:
        raise _not_found(arn)
    return configuration


def _check_configuration_info(self: KafkaBackend, info: dict[str, Any] | None, kafka_version: str | None) -> None:
    if not info:
        return
    configuration = self.configurations.get(info.get("arn", ""))
    if configuration is None:
        raise _bad_request(f"The configuration {info.get('arn')} does not exist.")
    revision = int(info.get("revision", 0))
    if not 1 <= revision <= len(configuration.revisions):
        raise _bad_request(f"Revision {revision} of configuration {configuration.arn} does not exist.")
    if kafka_version and configuration.kafka_versions and kafka_version not in configuration.kafka_versions:
        raise _bad_request(
            f"The configuration {configuration.arn} does not support Apache Kafka version {kafka_version}."
        )


def _create_provisioned(self: KafkaBackend, cluster_name: str, tags: dict[str, str] | None,
                        provisioned: dict[str, Any]) -> FakeKafkaCluster:
    if not cluster_name:
        raise _bad_request("clusterName is a required parameter.")
    if any(c.cluster_name == cluster_name for c in self.clusters.values()):
        raise kafka_error("ConflictException", f"A cluster with name {cluster_name} already exists.")
    bngi = dict(provisioned.get("brokerNodeGroupInfo") or {})
    subnets = list(bngi.get("clientSubnets") or [])
    security_groups = list(bngi.get("securityGroups") or [])
    if not bngi.get("instanceType") or not subnets:
        raise _bad_request("brokerNodeGroupInfo.instanceType and brokerNodeGroupInfo.clientSubnets are required.")
    kafka_version = provisioned.get("kafkaVersion")
    if not kafka_version:
        raise _bad_request("kafkaVersion is a required parameter.")
    brokers = int(provisioned.get("numberOfBrokerNodes") or 0)
    if brokers < 1 or brokers % len(subnets) != 0:
        raise _bad_request(
            "The number of broker nodes must be a multiple of Availability Zones in the Client Subnets parameter."
        )
    enis.check_network(self.account_id, self.region_name, subnets, security_groups, "kafka", "BadRequestException")
    _check_configuration_info(self, provisioned.get("configurationInfo"), kafka_version)
    bngi.setdefault("brokerAZDistribution", "DEFAULT")
    bngi.setdefault("storageInfo", {"ebsStorageInfo": {"volumeSize": 1000}})
    bngi.setdefault("securityGroups", security_groups)

    cluster = FakeKafkaCluster(
        cluster_name=cluster_name,
        account_id=self.account_id,
        region_name=self.region_name,
        cluster_type="PROVISIONED",
        broker_node_group_info=bngi,
        kafka_version=kafka_version,
        number_of_broker_nodes=brokers,
        configuration_info=provisioned.get("configurationInfo"),
        encryption_info=provisioned.get("encryptionInfo")
        or {
            "encryptionAtRest": {
                "dataVolumeKMSKeyId": f"arn:aws:kms:{self.region_name}:{self.account_id}:key/{uuid.uuid4()}"
            },
            "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
        },
        enhanced_monitoring=provisioned.get("enhancedMonitoring") or "DEFAULT",
        open_monitoring=provisioned.get("openMonitoring"),
        logging_info=provisioned.get("loggingInfo"),
        storage_mode=provisioned.get("storageMode") or "LOCAL",
        client_authentication=provisioned.get("clientAuthentication")
        or {"unauthenticated": {"enabled": True}},
        current_version=_new_version(),
        tags=tags,
    )
    _start_creating(self, cluster, tags)
    cluster.eni_ids = enis.create(
        self.account_id, self.region_name, subnets, security_groups, brokers,
        f"Amazon MSK network interface for cluster {cluster.arn}",
    )
    return cluster


def _start_creating(self: KafkaBackend, cluster: FakeKafkaCluster, tags: dict[str, str] | None) -> None:
    cluster.state = "CREATING"
    cluster.creation_time = _iso()
    cluster.eni_ids = []
    cluster.active_operation_arn = None
    cluster.host_id = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
    self.clusters[cluster.arn] = cluster
    if tags:
        self.tag_resource(cluster.arn, tags)

    def become_active(_t: float) -> None:
        if cluster.state == "CREATING":
            cluster.state = "ACTIVE"

    CLOCK.after("msk.cluster.create", become_active, label=f"msk create {cluster.cluster_name}")


def create_cluster_v2(self: KafkaBackend, cluster_name: str, tags: dict[str, str] | None,
                      provisioned: dict[str, Any] | None, serverless: dict[str, Any] | None):
    if provisioned:
        cluster = _create_provisioned(self, cluster_name, tags, provisioned)
    elif serverless:
        cluster = FakeKafkaCluster(
            cluster_name=cluster_name, account_id=self.account_id, region_name=self.region_name,
            cluster_type="SERVERLESS", serverless_config=serverless, tags=tags,
            current_version=_new_version(),
        )
        _start_creating(self, cluster, tags)
    else:
        raise _bad_request("Either provisioned or serverless must be specified.")
    return cluster.arn, cluster.cluster_name, cluster.state, cluster.cluster_type


def create_cluster(self: KafkaBackend, broker_node_group_info: dict[str, Any],
                   client_authentication: dict[str, Any] | None, cluster_name: str,
                   configuration_info: dict[str, Any] | None = None,
                   encryption_info: dict[str, Any] | None = None,
                   enhanced_monitoring: str = "DEFAULT", open_monitoring: dict[str, Any] | None = None,
                   kafka_version: str = "2.8.1", logging_info: dict[str, Any] | None = None,
                   number_of_broker_nodes: int = 1, tags: dict[str, str] | None = None,
                   storage_mode: str = "LOCAL"):
    provisioned = {
        "brokerNodeGroupInfo": broker_node_group_info,
        "clientAuthentication": client_authentication,
        "configurationInfo": configuration_info,
        "encryptionInfo": encryption_info,
        "enhancedMonitoring": enhanced_monitoring,
        "openMonitoring": open_monitoring,
        "kafkaVersion": kafka_version,
        "loggingInfo": logging_info,
        "numberOfBrokerNodes": number_of_broker_nodes,
        "storageMode": storage_mode,
    }
    cluster = _create_provisioned(self, cluster_name, tags, provisioned)
    return cluster.arn, cluster.cluster_name, cluster.state


def _software_info(cluster: FakeKafkaCluster) -> dict[str, Any]:
    info: dict[str, Any] = {"kafkaVersion": cluster.kafka_version}
    if cluster.configuration_info:
        info["configurationArn"] = cluster.configuration_info["arn"]
        info["configurationRevision"] = int(cluster.configuration_info["revision"])
    return info


def _provisioned_info(self: KafkaBackend, cluster: FakeKafkaCluster) -> dict[str, Any]:
    info = {
        "brokerNodeGroupInfo": cluster.broker_node_group_info or {},
        "clientAuthentication": cluster.client_authentication or {},
        "currentBrokerSoftwareInfo": _software_info(cluster),
        "encryptionInfo": cluster.encryption_info or {},
        "enhancedMonitoring": cluster.enhanced_monitoring,
        "numberOfBrokerNodes": cluster.number_of_broker_nodes or 0,
        "storageMode": cluster.storage_mode,
        "customerActionStatus": "NONE",
    }
    if cluster.open_monitoring:
        info["openMonitoring"] = cluster.open_monitoring
    if cluster.logging_info:
        info["loggingInfo"] = cluster.logging_info
    if cluster.state in ("ACTIVE", "UPDATING"):
        label = _host_label(cluster.cluster_name)
        info["zookeeperConnectString"] = ",".join(
            f"z-{i}.{label}.{cluster.host_id}.c2.kafka.{cluster.region_name}.amazonaws.com:2181" for i in (1, 2, 3)
        )
        info["zookeeperConnectStringTls"] = info["zookeeperConnectString"].replace(":2181", ":2182")
    return info


def _cluster_common(self: KafkaBackend, cluster: FakeKafkaCluster) -> dict[str, Any]:
    info = {
        "clusterArn": cluster.arn,
        "clusterName": cluster.cluster_name,
        "creationTime": cluster.creation_time,
        "currentVersion": cluster.current_version,
        "state": cluster.state,
        "tags": self.list_tags_for_resource(cluster.arn),
    }
    if cluster.active_operation_arn:
        info["activeOperationArn"] = cluster.active_operation_arn
    return info


def describe_cluster_v2(self: KafkaBackend, cluster_arn: str) -> dict[str, Any]:
    cluster = _get_cluster(self, cluster_arn)
    info = _cluster_common(self, cluster)
    info["clusterType"] = cluster.cluster_type
    if cluster.cluster_type == "PROVISIONED":
        info["provisioned"] = _provisioned_info(self, cluster)
    else:
        config = cluster.serverless_config or {}
        info["serverless"] = {
            "vpcConfigs": config.get("vpcConfigs", []),
            "clientAuthentication": config.get("clientAuthentication", {}),
        }
    return info


def describe_cluster(self: KafkaBackend, cluster_arn: str) -> dict[str, Any]:
    cluster = _get_cluster(self, cluster_arn)
    info = _cluster_common(self, cluster)
    if cluster.cluster_type == "PROVISIONED":
        info.update(_provisioned_info(self, cluster))
    return info


def list_clusters_v2(self: KafkaBackend, cluster_name_filter: str | None, cluster_type_filter: str | None):
    result = []
    for cluster in list(self.clusters.values()):
        if cluster_name_filter and not cluster.cluster_name.startswith(cluster_name_filter):
            continue
        if cluster_type_filter and cluster_type_filter.upper() != "ALL" and cluster.cluster_type != cluster_type_filter.upper():
            continue
        result.append(describe_cluster_v2(self, cluster.arn))
    return result


def list_clusters(self: KafkaBackend, cluster_name_filter: str | None):
    return [
        describe_cluster(self, c.arn)
        for c in list(self.clusters.values())
        if c.cluster_type == "PROVISIONED"
        and (not cluster_name_filter or c.cluster_name.startswith(cluster_name_filter))
    ]


def delete_cluster(self: KafkaBackend, cluster_arn: str, current_version: str | None):
    cluster = _get_cluster(self, cluster_arn)
    if cluster.state == "CREATING":
        raise _bad_request("You can't delete cluster in CREATING state.")
    if cluster.state == "DELETING":
        raise _bad_request("You can't delete cluster in DELETING state.")
    if current_version and current_version != cluster.current_version:
        raise _bad_request(
            f"The version of the cluster is {cluster.current_version}, but the request specified {current_version}."
        )
    cluster.state = "DELETING"

    def gone(t: float) -> None:
        if self.clusters.get(cluster.arn) is cluster:
            del self.clusters[cluster.arn]
            self.tagger.delete_all_tags_for_resource(cluster.arn)
            enis.release_later(self.account_id, self.region_name, cluster.eni_ids, "msk.eni.linger", t)

    CLOCK.after("msk.cluster.delete", gone, label=f"msk delete {cluster.cluster_name}")
    return cluster.arn, cluster.state


def get_bootstrap_brokers(self: KafkaBackend, cluster_arn: str) -> dict[str, str]:
    cluster = _get_cluster(self, cluster_arn)
    if cluster.cluster_type != "PROVISIONED" or cluster.state not in ("ACTIVE", "UPDATING"):
        return {}  # empty until the cluster is ACTIVE (aws-resources.md §3)
    in_transit = (cluster.encryption_info or {}).get("encryptionInTransit") or {}
    client_broker = in_transit.get("clientBroker", "TLS")
    tls_ok = client_broker in ("TLS", "TLS_PLAINTEXT")
    plaintext_ok = client_broker in ("PLAINTEXT", "TLS_PLAINTEXT")
    auth = cluster.client_authentication or {}
    sasl = auth.get("sasl") or {}
    unauthenticated = (auth.get("unauthenticated") or {}).get("enabled", False) or not auth
    tls_auth = bool((auth.get("tls") or {}).get("enabled") or (auth.get("tls") or {}).get("certificateAuthorityArnList"))
    label = _host_label(cluster.cluster_name)

    def brokers(port: int) -> str:
        return ",".join(
            f"b-{i}.{label}.{cluster.host_id}.c2.kafka.{cluster.region_name}.amazonaws.com:{port}"
            for i in range(1, (cluster.number_of_broker_nodes or 0) + 1)
        )

    result = {}
    if plaintext_ok and unauthenticated:
        result["bootstrapBrokerString"] = brokers(9092)
    if tls_ok and (unauthenticated or tls_auth):
        result["bootstrapBrokerStringTls"] = brokers(9094)
    if tls_ok and (sasl.get("scram") or {}).get("enabled"):
        result["bootstrapBrokerStringSaslScram"] = brokers(9096)
    if (sasl.get("iam") or {}).get("enabled"):
        result["bootstrapBrokerStringSaslIam"] = brokers(9098)
    return result


def _cluster_snapshot(cluster: FakeKafkaCluster) -> dict[str, Any]:
    storage = ((cluster.broker_node_group_info or {}).get("storageInfo") or {}).get("ebsStorageInfo") or {}
    return {
        "numberOfBrokerNodes": cluster.number_of_broker_nodes,
        "instanceType": (cluster.broker_node_group_info or {}).get("instanceType"),
        "kafkaVersion": cluster.kafka_version,
        "configurationInfo": cluster.configuration_info,
        "brokerEBSVolumeInfo": [{"kafkaBrokerNodeId": "ALL", "volumeSizeGB": storage.get("volumeSize")}],
    }


def _begin_update(self: KafkaBackend, cluster_arn: str, current_version: str | None,
                  operation_type: str, duration_key: str, apply, target: dict[str, Any]) -> ClusterOperation:
    """Common rules of every MSK update: optimistic lock on CurrentVersion, ACTIVE
    only (one operation at a time), UPDATING for the scaled duration, then the
    new values and a new CurrentVersion."""
    cluster = _get_cluster(self, cluster_arn)
    if not current_version:
        raise _bad_request("currentVersion is a required parameter.")
    if current_version != cluster.current_version:
        raise _bad_request(
            f"The version of the cluster is {cluster.current_version}, but the request specified {current_version}."
        )
    if cluster.state != "ACTIVE":
        raise _bad_request(
            f"This operation is only allowed on a cluster in ACTIVE state; the cluster is {cluster.state}."
        )
    operation = ClusterOperation(cluster, operation_type, _cluster_snapshot(cluster), target)
    self.operations[operation.arn] = operation
    cluster.state = "UPDATING"
    cluster.active_operation_arn = operation.arn

    def done(t: float) -> None:
        apply()
        cluster.current_version = _new_version()
        cluster.active_operation_arn = None
        if cluster.state == "UPDATING":
            cluster.state = "ACTIVE"
        operation.state = "UPDATE_COMPLETE"
        operation.end_time = _iso(t)

    CLOCK.after(duration_key, done, label=f"msk {operation_type} {cluster.cluster_name}")
    return operation


def update_broker_count(self: KafkaBackend, cluster_arn: str, current_version: str, target: int) -> ClusterOperation:
    cluster = _get_cluster(self, cluster_arn)
    subnets = (cluster.broker_node_group_info or {}).get("clientSubnets") or []
    security_groups = (cluster.broker_node_group_info or {}).get("securityGroups") or []
    target = int(target or 0)
    if target <= (cluster.number_of_broker_nodes or 0):
        raise _bad_request(
            f"The target number of broker nodes ({target}) must be greater than the current number "
            f"({cluster.number_of_broker_nodes})."
        )
    if subnets and target % len(subnets) != 0:
        raise _bad_request(
            "The number of broker nodes must be a multiple of Availability Zones in the Client Subnets parameter."
        )

    def apply() -> None:
        added = target - cluster.number_of_broker_nodes
        cluster.eni_ids += enis.create(
            cluster.account_id, cluster.region_name, subnets, security_groups, added,
            f"Amazon MSK network interface for cluster {cluster.arn}",
        )
        cluster.number_of_broker_nodes = target

    return _begin_update(self, cluster_arn, current_version, "INCREASE_BROKER_COUNT",
                         "msk.cluster.update_broker_count", apply, {"numberOfBrokerNodes": target})


def update_broker_type(self: KafkaBackend, cluster_arn: str, current_version: str, target: str) -> ClusterOperation:
    cluster = _get_cluster(self, cluster_arn)
    if not target or not target.startswith("kafka."):
        raise _bad_request(f"Unsupported broker instance type: {target}.")
    if target == cluster.broker_node_group_info.get("instanceType"):
        raise _bad_request(f"The cluster already uses broker type {target}.")

    def apply() -> None:
        cluster.broker_node_group_info["instanceType"] = target

    return _begin_update(self, cluster_arn, current_version, "UPDATE_BROKER_TYPE",
                         "msk.cluster.update_broker_type", apply, {"instanceType": target})


def update_broker_storage(self: KafkaBackend, cluster_arn: str, current_version: str,
                          volume_infos: list[dict[str, Any]]) -> ClusterOperation:
    cluster = _get_cluster(self, cluster_arn)
    if not volume_infos:
        raise _bad_request("targetBrokerEBSVolumeInfo is a required parameter.")
    storage = cluster.broker_node_group_info.setdefault("storageInfo", {}).setdefault("ebsStorageInfo", {})
    size = volume_infos[0].get("volumeSizeGB")
    if size is not None and int(size) <= int(storage.get("volumeSize") or 0):
        raise _bad_request(
            f"The target volume size ({size} GiB) must be greater than the current size ({storage.get('volumeSize')} GiB)."
        )
    throughput = volume_infos[0].get("provisionedThroughput")

    def apply() -> None:
        if size is not None:
            storage["volumeSize"] = int(size)
        if throughput is not None:
            storage["provisionedThroughput"] = throughput

    return _begin_update(self, cluster_arn, current_version, "UPDATE_BROKER_STORAGE",
                         "msk.cluster.update_broker_storage", apply, {"brokerEBSVolumeInfo": volume_infos})


def update_cluster_configuration(self: KafkaBackend, cluster_arn: str, current_version: str,
                                 configuration_info: dict[str, Any]) -> ClusterOperation:
    cluster = _get_cluster(self, cluster_arn)
    if not configuration_info:
        raise _bad_request("configurationInfo is a required parameter.")
    _check_configuration_info(self, configuration_info, cluster.kafka_version)
    info = {"arn": configuration_info["arn"], "revision": int(configuration_info["revision"])}

    def apply() -> None:
        cluster.configuration_info = info

    return _begin_update(self, cluster_arn, current_version, "UPDATE_CLUSTER_CONFIGURATION",
                         "msk.cluster.update_configuration", apply, {"configurationInfo": info})


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split(".")[:3])


def update_cluster_kafka_version(self: KafkaBackend, cluster_arn: str, current_version: str,
                                 target_version: str, configuration_info: dict[str, Any] | None) -> ClusterOperation:
    cluster = _get_cluster(self, cluster_arn)
    if not target_version or target_version not in KAFKA_VERSIONS:
        raise _bad_request(f"Unsupported Apache Kafka version: {target_version}.")
    if _version_key(target_version) <= _version_key(cluster.kafka_version or "0"):
        raise _bad_request(
            f"Cannot update Apache Kafka version from {cluster.kafka_version} to {target_version}: only upgrades are supported."
        )
    _check_configuration_info(self, configuration_info, target_version)

    def apply() -> None:
        cluster.kafka_version = target_version
        if configuration_info:
            cluster.configuration_info = {"arn": configuration_info["arn"], "revision": int(configuration_info["revision"])}

    return _begin_update(self, cluster_arn, current_version, "UPDATE_CLUSTER_KAFKA_VERSION",
                         "msk.cluster.update_kafka_version", apply, {"kafkaVersion": target_version})


def _decode_properties(blob: str | None) -> bytes:
    if not blob:
        raise _bad_request("serverProperties is a required parameter.")
    try:
        data = base64.b64decode(blob, validate=True)
    except Exception as e:
        raise _bad_request("serverProperties must be base64-encoded.") from e
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" not in line:
            raise _bad_request(f"Invalid server property: {line}")
    return data


def create_configuration(self: KafkaBackend, name: str, description: str,
                         kafka_versions: list[str], server_properties: str) -> Configuration:
    if not name:
        raise _bad_request("name is a required parameter.")
    if any(c.name == name for c in self.configurations.values()):
        raise kafka_error("ConflictException", f"A configuration with name {name} already exists.")
    configuration = Configuration(self.account_id, self.region_name, name, description,
                                  kafka_versions, _decode_properties(server_properties))
    self.configurations[configuration.arn] = configuration
    return configuration


def update_configuration(self: KafkaBackend, arn: str, description: str | None, server_properties: str):
    configuration = _get_configuration(self, arn)
    if configuration.state != "ACTIVE":
        raise _bad_request(f"The configuration is in {configuration.state} state.")
    return configuration.add_revision(description, _decode_properties(server_properties))


def delete_configuration(self: KafkaBackend, arn: str) -> Configuration:
    configuration = _get_configuration(self, arn)
    users = [
        c.cluster_name for c in self.clusters.values()
        if (c.configuration_info or {}).get("arn") == arn
    ]
    if users:
        raise _bad_request(
            f"Configuration {arn} is in use by the following clusters: {', '.join(users)}. "
            "Delete the clusters or move them to another configuration first."
        )
    if configuration.state == "ACTIVE":
        configuration.state = "DELETING"

        def gone(_t: float) -> None:
            self.configurations.pop(arn, None)

        CLOCK.after("msk.configuration.delete", gone, label=f"msk configuration delete {configuration.name}")
    return configuration


def _backend_init(original):
    def __init__(self: KafkaBackend, region_name: str, account_id: str) -> None:
        original(self, region_name, account_id)
        self.configurations: dict[str, Configuration] = {}
        self.operations: dict[str, ClusterOperation] = {}

    return __init__


def _generate_arn(self: FakeKafkaCluster) -> str:
    # Real MSK ARNs carry the name: cluster/<name>/<uuid>-<n>.  Callers take the
    # cluster UUID from the last segment (topic and group ARNs need it).
    kind = "cluster" if self.cluster_type == "PROVISIONED" else "serverless-cluster"
    return (
        f"arn:aws:kafka:{self.region_name}:{self.account_id}:{kind}/"
        f"{self.cluster_name}/{self.cluster_id}-{random.randint(1, 25)}"
    )


# ---------------------------------------------------------------- responses


def _body(self: KafkaResponse) -> dict[str, Any]:
    try:
        return json.loads(self.body) if self.body else {}
    except ValueError as e:
        raise _bad_request("The request body is not valid JSON.") from e


def _uri(self: KafkaResponse, name: str) -> str:
    self._get_action()  # fills self.uri_match from the botocore model
    return unquote(self.uri_match[name])


def _resp_describe_cluster_v2(self: KafkaResponse) -> str:
    return json.dumps({"clusterInfo": self.kafka_backend.describe_cluster_v2(_uri(self, "clusterArn"))})


def _resp_describe_cluster(self: KafkaResponse) -> str:
    return json.dumps({"clusterInfo": self.kafka_backend.describe_cluster(_uri(self, "clusterArn"))})


def _resp_delete_cluster(self: KafkaResponse) -> str:
    version = self.querystring.get("currentVersion", [None])[0]
    arn, state = self.kafka_backend.delete_cluster(_uri(self, "clusterArn"), version)
    return json.dumps({"clusterArn": arn, "state": state})


def _resp_get_bootstrap_brokers(self: KafkaResponse) -> str:
    return json.dumps(self.kafka_backend.get_bootstrap_brokers(_uri(self, "clusterArn")))


def _operation_response(operation: ClusterOperation) -> str:
    return json.dumps({"clusterArn": operation.cluster_arn, "clusterOperationArn": operation.arn})


def _resp_update_broker_count(self: KafkaResponse) -> str:
    body = _body(self)
    return _operation_response(self.kafka_backend.update_broker_count(
        _uri(self, "clusterArn"), body.get("currentVersion"), body.get("targetNumberOfBrokerNodes")))


def _resp_update_broker_type(self: KafkaResponse) -> str:
    body = _body(self)
    return _operation_response(self.kafka_backend.update_broker_type(
        _uri(self, "clusterArn"), body.get("currentVersion"), body.get("targetInstanceType")))


def _resp_update_broker_storage(self: KafkaResponse) -> str:
    body = _body(self)
    return _operation_response(self.kafka_backend.update_broker_storage(
        _uri(self, "clusterArn"), body.get("currentVersion"), body.get("targetBrokerEBSVolumeInfo")))


def _resp_update_cluster_configuration(self: KafkaResponse) -> str:
    body = _body(self)
    return _operation_response(self.kafka_backend.update_cluster_configuration(
        _uri(self, "clusterArn"), body.get("currentVersion"), body.get("configurationInfo")))


def _resp_update_cluster_kafka_version(self: KafkaResponse) -> str:
    body = _body(self)
    return _operation_response(self.kafka_backend.update_cluster_kafka_version(
        _uri(self, "clusterArn"), body.get("currentVersion"), body.get("targetKafkaVersion"),
        body.get("configurationInfo")))


def _resp_describe_cluster_operation(self: KafkaResponse) -> str:
    arn = _uri(self, "clusterOperationArn")
    operation = self.kafka_backend.operations.get(arn)
    if operation is None:
        raise _not_found(arn)
    return json.dumps({"clusterOperationInfo": operation.to_json_v1()})


def _resp_describe_cluster_operation_v2(self: KafkaResponse) -> str:
    arn = _uri(self, "clusterOperationArn")
    operation = self.kafka_backend.operations.get(arn)
    if operation is None:
        raise _not_found(arn)
    return json.dumps({"clusterOperationInfo": operation.to_json_v2()})


def _resp_create_configuration(self: KafkaResponse) -> str:
    body = _body(self)
    configuration = self.kafka_backend.create_configuration(
        body.get("name"), body.get("description", ""), body.get("kafkaVersions") or [],
        body.get("serverProperties"))
    data = configuration.to_json()
    return json.dumps({k: data[k] for k in ("arn", "creationTime", "latestRevision", "name", "state")})


def _resp_describe_configuration(self: KafkaResponse) -> str:
    return json.dumps(_get_configuration(self.kafka_backend, _uri(self, "arn")).to_json())


def _resp_describe_configuration_revision(self: KafkaResponse) -> str:
    configuration = _get_configuration(self.kafka_backend, _uri(self, "arn"))
    number = int(_uri(self, "revision"))
    if not 1 <= number <= len(configuration.revisions):
        raise _not_found(f"{configuration.arn} revision {number}")
    revision = configuration.revisions[number - 1]
    return json.dumps({
        "arn": configuration.arn,
        "creationTime": revision["creationTime"],
        "description": revision["description"],
        "revision": revision["revision"],
        "serverProperties": base64.b64encode(revision["serverProperties"]).decode(),
    })


def _resp_list_configurations(self: KafkaResponse) -> str:
    return json.dumps({"configurations": [c.to_json() for c in self.kafka_backend.configurations.values()]})


def _resp_list_configuration_revisions(self: KafkaResponse) -> str:
    configuration = _get_configuration(self.kafka_backend, _uri(self, "arn"))
    return json.dumps({"revisions": [configuration.revision_summary(r) for r in configuration.revisions]})


def _resp_update_configuration(self: KafkaResponse) -> str:
    body = _body(self)
    arn = _uri(self, "arn")
    revision = self.kafka_backend.update_configuration(arn, body.get("description"), body.get("serverProperties"))
    configuration = _get_configuration(self.kafka_backend, arn)
    return json.dumps({"arn": arn, "latestRevision": configuration.revision_summary(revision)})


def _resp_delete_configuration(self: KafkaResponse) -> str:
    configuration = self.kafka_backend.delete_configuration(_uri(self, "arn"))
    return json.dumps({"arn": configuration.arn, "state": configuration.state})


def _resp_list_kafka_versions(self: KafkaResponse) -> str:
    return json.dumps({"kafkaVersions": [{"version": v, "status": "ACTIVE"} for v in KAFKA_VERSIONS]})


# ---------------------------------------------------------------- patches


def patch_time_based_state() -> None:
    """Clusters go CREATING → ACTIVE after the scaled create duration (moto: CREATING forever)."""
    KafkaBackend.__init__ = _backend_init(KafkaBackend.__init__)
    FakeKafkaCluster._generate_arn = _generate_arn
    KafkaBackend.describe_cluster_v2 = describe_cluster_v2
    KafkaBackend.describe_cluster = describe_cluster
    KafkaBackend.list_clusters_v2 = list_clusters_v2
    KafkaBackend.list_clusters = list_clusters
    KafkaResponse.describe_cluster_v2 = _resp_describe_cluster_v2
    KafkaResponse.describe_cluster = _resp_describe_cluster


def patch_create_keeps_security() -> None:
    """CreateClusterV2 keeps ClientAuthentication, EncryptionInfo, ConfigurationInfo; creates broker ENIs."""
    KafkaBackend.create_cluster_v2 = create_cluster_v2
    KafkaBackend.create_cluster = create_cluster


def patch_bootstrap_brokers() -> None:
    """GetBootstrapBrokers (moto: NotImplementedError, HTTP 500)."""
    KafkaBackend.get_bootstrap_brokers = get_bootstrap_brokers
    KafkaResponse.get_bootstrap_brokers = _resp_get_bootstrap_brokers


def patch_configurations() -> None:
    """MSK configurations (moto: no route, HTTP 404)."""
    KafkaBackend.create_configuration = create_configuration
    KafkaBackend.update_configuration = update_configuration
    KafkaBackend.delete_configuration = delete_configuration
    KafkaResponse.create_configuration = _resp_create_configuration
    KafkaResponse.describe_configuration = _resp_describe_configuration
    KafkaResponse.describe_configuration_revision = _resp_describe_configuration_revision
    KafkaResponse.list_configurations = _resp_list_configurations
    KafkaResponse.list_configuration_revisions = _resp_list_configuration_revisions
    KafkaResponse.update_configuration = _resp_update_configuration
    KafkaResponse.delete_configuration = _resp_delete_configuration
    KafkaResponse.list_kafka_versions = _resp_list_kafka_versions
    # moto builds the kafka Flask app lazily from this dict, so routes added
    # before the first kafka request are served.
    kafka_urls.url_paths.update({
        "{0}/v1/configurations$": KafkaResponse.dispatch,
        "{0}/v1/configurations/(?P<arn>.+)$": KafkaResponse.dispatch,
        "{0}/v1/kafka-versions$": KafkaResponse.dispatch,
        "{0}/v1/operations/(?P<clusterOperationArn>.+)$": KafkaResponse.dispatch,
        "{0}/api/v2/operations/(?P<clusterOperationArn>.+)$": KafkaResponse.dispatch,
    })


def patch_cluster_updates() -> None:
    """UpdateBrokerCount/Type/Storage, UpdateClusterConfiguration/KafkaVersion, DescribeClusterOperation(V2)."""
    KafkaBackend.update_broker_count = update_broker_count
    KafkaBackend.update_broker_type = update_broker_type
    KafkaBackend.update_broker_storage = update_broker_storage
    KafkaBackend.update_cluster_configuration = update_cluster_configuration
    KafkaBackend.update_cluster_kafka_version = update_cluster_kafka_version
    KafkaResponse.update_broker_count = _resp_update_broker_count
    KafkaResponse.update_broker_type = _resp_update_broker_type
    KafkaResponse.update_broker_storage = _resp_update_broker_storage
    KafkaResponse.update_cluster_configuration = _resp_update_cluster_configuration
    KafkaResponse.update_cluster_kafka_version = _resp_update_cluster_kafka_version
    KafkaResponse.describe_cluster_operation = _resp_describe_cluster_operation
    KafkaResponse.describe_cluster_operation_v2 = _resp_describe_cluster_operation_v2


def patch_delete_cluster() -> None:
    """DeleteCluster: refused while CREATING, then DELETING for a while, broker ENIs linger."""
    KafkaBackend.delete_cluster = delete_cluster
    KafkaResponse.delete_cluster = _resp_delete_cluster


def patch_not_found() -> None:
    """Unknown or deleted cluster ARN → NotFoundException 404 (moto: KeyError, HTTP 500).

    Done by _get_cluster in every patched operation; this entry only marks it."""


PATCHES = [
    patch_time_based_state,
    patch_create_keeps_security,
    patch_bootstrap_brokers,
    patch_configurations,
    patch_cluster_updates,
    patch_delete_cluster,
    patch_not_found,
]


def apply() -> None:
    for patch in PATCHES:
        patch()
