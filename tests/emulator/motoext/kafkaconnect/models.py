"""MSK Connect (kafkaconnect) backend: custom plugins, worker configurations, connectors.

moto 5.2.5 has no kafkaconnect.  This package is registered under
`moto.kafkaconnect` (motoext/__init__.py); its module path starts with
"moto" and its second part is the service name, which is what moto's model
registry, URL lookup and error serialisation expect.

Behaviour follows the service model (botocore kafkaconnect) and
aws-resources.md §4: plugins CREATING → ACTIVE (CREATE_FAILED when the S3
object is missing), connectors CREATING → RUNNING, UPDATING → RUNNING,
DELETING → gone, with one ENI per client subnet that lingers after delete.

The backend is a moto `TaggableResourcesMixin`: the Resource Groups Tagging
API (GetResources, TagResources, UntagResources) sees custom plugins
("kafkaconnect:custom-plugin"), worker configurations
("kafkaconnect:worker-configuration") and connectors ("kafkaconnect:connector")
with their current tags, until they are gone.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import uuid
from datetime import datetime, timezone
from collections.abc import Iterator
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel
from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
from moto.iam.models import iam_backends
from moto.s3.models import s3_backends
from moto.utilities.tagging_service import TaggingService
from moto.utilities.utils import get_partition

from .. import enis
from ..clock import CLOCK
from ..errors import service_error

CONNECT_VERSIONS = ("2.7.1", "3.7.x")


def _error(code: str, message: str) -> Exception:
    return service_error("kafkaconnect", code, message)


def bad_request(message: str) -> Exception:
    return _error("BadRequestException", message)


def not_found(arn: str) -> Exception:
    return _error("NotFoundException", f"Resource with arn {arn} was not found.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _suffix() -> str:
    return f"{uuid.uuid4()}-{random.randint(1, 9)}"


def _require(value: Any, name: str) -> Any:
    if value is None or value == "" or value == []:
        raise bad_request(f"{name} is a required parameter.")
    return value


def _check_name(name: str, what: str) -> None:
    _require(name, "name")
    if not re.fullmatch(r"[a-zA-Z0-9-]{1,128}", name):
        raise bad_request(
            f"The {what} name '{name}' is invalid: it must be 1-128 characters of letters, digits and hyphens."
        )


class CustomPlugin(BaseModel):
    def __init__(self, backend: KafkaConnectBackend, name: str, content_type: str,
                 location: dict[str, Any], description: str | None) -> None:
        self.name = name
        self.arn = f"arn:{backend.partition}:kafkaconnect:{backend.region_name}:{backend.account_id}:custom-plugin/{name}/{_suffix()}"
        self.content_type = content_type
        self.location = location
        self.description = description
        self.creation_time = _now()
        self.state = "CREATING"
        self.state_description: dict[str, str] | None = None
        self.file_description: dict[str, Any] | None = None

    def revision(self) -> dict[str, Any]:
        rev: dict[str, Any] = {
            "contentType": self.content_type,
            "creationTime": self.creation_time,
            "location": self.location,
            "revision": 1,
        }
        if self.description:
            rev["description"] = self.description
        if self.file_description:
            rev["fileDescription"] = self.file_description
        return rev

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "creationTime": self.creation_time,
            "customPluginArn": self.arn,
            "customPluginState": self.state,
            "latestRevision": self.revision(),
            "name": self.name,
        }
        if self.description:
            data["description"] = self.description
        return data

    def describe(self) -> dict[str, Any]:
        data = self.summary()
        if self.state_description:
            data["stateDescription"] = self.state_description
        return data


class WorkerConfiguration(BaseModel):
    def __init__(self, backend: KafkaConnectBackend, name: str, content: str, description: str | None) -> None:
        self.name = name
        self.arn = f"arn:{backend.partition}:kafkaconnect:{backend.region_name}:{backend.account_id}:worker-configuration/{name}/{_suffix()}"
        self.content = content
        self.description = description
        self.creation_time = _now()
        self.state = "ACTIVE"

    def revision(self, with_content: bool) -> dict[str, Any]:
        rev: dict[str, Any] = {"creationTime": self.creation_time, "revision": 1}
        if self.description:
            rev["description"] = self.description
        if with_content:
            rev["propertiesFileContent"] = self.content
        return rev

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "creationTime": self.creation_time,
            "latestRevision": self.revision(False),
            "name": self.name,
            "workerConfigurationArn": self.arn,
            "workerConfigurationState": self.state,
        }
        if self.description:
            data["description"] = self.description
        return data

    def describe(self) -> dict[str, Any]:
        data = self.summary()
        data["latestRevision"] = self.revision(True)
        return data


class Connector(BaseModel):
    def __init__(self, backend: KafkaConnectBackend, params: dict[str, Any]) -> None:
        self.name = params["connectorName"]
        self.arn = f"arn:{backend.partition}:kafkaconnect:{backend.region_name}:{backend.account_id}:connector/{self.name}/{_suffix()}"
        self.description = params.get("connectorDescription")
        self.capacity = params["capacity"]
        self.configuration = dict(params["connectorConfiguration"])
        self.kafka_cluster = params["kafkaCluster"]
        self.client_authentication = params["kafkaClusterClientAuthentication"]
        self.encryption_in_transit = params["kafkaClusterEncryptionInTransit"]
        self.kafka_connect_version = params["kafkaConnectVersion"]
        self.log_delivery = params.get("logDelivery")
        self.plugins = params["plugins"]
        self.service_execution_role_arn = params["serviceExecutionRoleArn"]
        self.worker_configuration = params.get("workerConfiguration")
        self.network_type = params.get("networkType") or "IPV4"
        self.creation_time = _now()
        self.state = "CREATING"
        self.current_version = self._new_version()
        self.state_description: dict[str, str] | None = None
        self.eni_ids: list[str] = []
        self.operations: list[dict[str, Any]] = []

    @staticmethod
    def _new_version() -> str:
        # Real connector versions are opaque strings of this shape.
        return "".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=14))

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "capacity": self.capacity,
            "connectorArn": self.arn,
            "connectorName": self.name,
            "connectorState": self.state,
            "creationTime": self.creation_time,
            "currentVersion": self.current_version,
            "kafkaCluster": self.kafka_cluster,
            "kafkaClusterClientAuthentication": self.client_authentication,
            "kafkaClusterEncryptionInTransit": self.encryption_in_transit,
            "kafkaConnectVersion": self.kafka_connect_version,
            "networkType": self.network_type,
            "plugins": self.plugins,
            "serviceExecutionRoleArn": self.service_execution_role_arn,
        }
        if self.description:
            data["connectorDescription"] = self.description
        if self.log_delivery:
            data["logDelivery"] = self.log_delivery
        if self.worker_configuration:
            data["workerConfiguration"] = self.worker_configuration
        return data

    def describe(self) -> dict[str, Any]:
        data = self.summary()
        data["connectorConfiguration"] = self.configuration
        if self.state_description:
            data["stateDescription"] = self.state_description
        return data


class KafkaConnectBackend(BaseBackend, TaggableResourcesMixin):
    # The service of the ARNs (arn:aws:kafkaconnect:…): the Tagging API routes
    # TagResources/UntagResources of those ARNs here.
    SERVICE_NAMESPACE = "kafkaconnect"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.custom_plugins: dict[str, CustomPlugin] = {}
        self.worker_configurations: dict[str, WorkerConfiguration] = {}
        self.connectors: dict[str, Connector] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.tagger = TaggingService()

    # ------------------------------------------------------------ tags

    def _tag(self, arn: str, tags: dict[str, str] | None) -> None:
        if tags:
            self.tagger.tag_resource(arn, [{"Key": k, "Value": v} for k, v in tags.items()])

    def _known_arn(self, arn: str) -> None:
        if arn not in self.custom_plugins and arn not in self.worker_configurations and arn not in self.connectors:
            raise not_found(arn)

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        self._known_arn(arn)
        self._tag(arn, tags)

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        self._known_arn(arn)
        self.tagger.untag_resource_using_names(arn, keys)

    def list_tags_for_resource(self, arn: str) -> dict[str, str]:
        self._known_arn(arn)
        return self.tagger.get_tag_dict_for_resource(arn)

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        """Every resource that still exists (DELETING included), for the Tagging API."""
        for resource_type, resources in (
            ("kafkaconnect:custom-plugin", self.custom_plugins),
            ("kafkaconnect:worker-configuration", self.worker_configurations),
            ("kafkaconnect:connector", self.connectors),
        ):
            for arn in list(resources):
                yield TaggedResource(arn=arn, tags=self.tagger.get_tag_dict_for_resource(arn),
                                     resource_type=resource_type)

    # ------------------------------------------------------------ custom plugins

    def _s3_object(self, location: dict[str, Any]) -> Any:
        s3 = location["s3Location"]
        bucket = s3["bucketArn"].split(":::", 1)[-1]
        backend = s3_backends[self.account_id][get_partition(self.region_name)]
        try:
            return backend.get_object(bucket, s3["fileKey"], version_id=s3.get("objectVersion"))
        except Exception:
            return None

    def create_custom_plugin(self, name: str, content_type: str, location: dict[str, Any],
                             description: str | None, tags: dict[str, str] | None) -> CustomPlugin:
        _check_name(name, "custom plugin")
        if content_type not in ("JAR", "ZIP"):
            raise bad_request(f"contentType must be one of JAR, ZIP; got {content_type}.")
        s3 = (location or {}).get("s3Location") or {}
        _require(s3.get("bucketArn"), "location.s3Location.bucketArn")
        _require(s3.get("fileKey"), "location.s3Location.fileKey")
        if not str(s3["bucketArn"]).startswith("arn:"):
            raise bad_request(f"Invalid bucketArn: {s3['bucketArn']}.")
        if any(p.name == name for p in self.custom_plugins.values()):
            raise _error("ConflictException", f"A custom plugin with name {name} already exists.")
        plugin = CustomPlugin(self, name, content_type, location, description)
        self.custom_plugins[plugin.arn] = plugin
        self._tag(plugin.arn, tags)
        obj = self._s3_object(location)

        def done(_t: float) -> None:
            if plugin.state != "CREATING":
                return
            if obj is None:
                plugin.state = "CREATE_FAILED"
                plugin.state_description = {
                    "code": "S3_OBJECT_NOT_FOUND",
                    "message": f"The S3 object s3://{s3['bucketArn'].split(':::', 1)[-1]}/{s3['fileKey']} does not exist "
                    "or the service cannot access it.",
                }
            else:
                plugin.state = "ACTIVE"
                body = obj.value
                plugin.file_description = {"fileMd5": hashlib.md5(body).hexdigest(), "fileSize": len(body)}

        CLOCK.after("kafkaconnect.custom_plugin.create", done, label=f"custom plugin create {name}")
        return plugin

    def get_custom_plugin(self, arn: str) -> CustomPlugin:
        plugin = self.custom_plugins.get(arn)
        if plugin is None:
            raise not_found(arn)
        return plugin

    def list_custom_plugins(self, name_prefix: str | None) -> list[CustomPlugin]:
        return [p for p in self.custom_plugins.values() if not name_prefix or p.name.startswith(name_prefix)]

    def _live_connectors(self) -> list[Connector]:
        return list(self.connectors.values())

    def delete_custom_plugin(self, arn: str) -> CustomPlugin:
        plugin = self.get_custom_plugin(arn)
        users = [c.name for c in self._live_connectors()
                 if any(p.get("customPlugin", {}).get("customPluginArn") == arn for p in c.plugins)]
        # The service model lists no ConflictException for DeleteCustomPlugin,
        # so "in use" is a BadRequestException.
        if users:
            raise bad_request(f"The custom plugin {arn} is in use by connector(s): {', '.join(users)}.")
        if plugin.state != "DELETING":
            plugin.state = "DELETING"

            def gone(_t: float) -> None:
                self.custom_plugins.pop(arn, None)
                self.tagger.delete_all_tags_for_resource(arn)

            CLOCK.after("kafkaconnect.custom_plugin.delete", gone, label=f"custom plugin delete {plugin.name}")
        return plugin

    # ------------------------------------------------------------ worker configurations

    def create_worker_configuration(self, name: str, content: str, description: str | None,
                                    tags: dict[str, str] | None) -> WorkerConfiguration:
        _check_name(name, "worker configuration")
        _require(content, "propertiesFileContent")
        try:
            decoded = base64.b64decode(content, validate=True).decode("utf-8")
        except Exception as e:
            raise bad_request("propertiesFileContent must be base64-encoded.") from e
        for line in decoded.splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" not in line:
                raise bad_request(f"Invalid worker property: {line}")
        if any(w.name == name for w in self.worker_configurations.values()):
            raise _error("ConflictException", f"A worker configuration with name {name} already exists.")
        worker = WorkerConfiguration(self, name, content, description)
        self.worker_configurations[worker.arn] = worker
        self._tag(worker.arn, tags)
        return worker

    def get_worker_configuration(self, arn: str) -> WorkerConfiguration:
        worker = self.worker_configurations.get(arn)
        if worker is None:
            raise not_found(arn)
        return worker

    def list_worker_configurations(self, name_prefix: str | None) -> list[WorkerConfiguration]:
        return [w for w in self.worker_configurations.values() if not name_prefix or w.name.startswith(name_prefix)]

    def delete_worker_configuration(self, arn: str) -> WorkerConfiguration:
        worker = self.get_worker_configuration(arn)
        users = [c.name for c in self._live_connectors()
                 if (c.worker_configuration or {}).get("workerConfigurationArn") == arn]
        if users:  # no ConflictException in the model for this operation either
            raise bad_request(f"The worker configuration {arn} is in use by connector(s): {', '.join(users)}.")
        if worker.state != "DELETING":
            worker.state = "DELETING"

            def gone(_t: float) -> None:
                self.worker_configurations.pop(arn, None)
                self.tagger.delete_all_tags_for_resource(arn)

            CLOCK.after("kafkaconnect.worker_configuration.delete", gone, label=f"worker configuration delete {worker.name}")
        return worker

    # ------------------------------------------------------------ connectors

    @staticmethod
    def _check_capacity(capacity: dict[str, Any]) -> None:
        provisioned = capacity.get("provisionedCapacity")
        auto = capacity.get("autoScaling")
        if bool(provisioned) == bool(auto):
            raise bad_request("Exactly one of capacity.provisionedCapacity and capacity.autoScaling must be specified.")
        mcu = (provisioned or auto).get("mcuCount")
        if mcu not in (1, 2, 4, 8):
            raise bad_request(f"mcuCount must be one of 1, 2, 4, 8; got {mcu}.")
        if provisioned and not 1 <= int(provisioned.get("workerCount") or 0) <= 10:
            raise bad_request("provisionedCapacity.workerCount must be between 1 and 10.")
        if auto and not 1 <= int(auto.get("minWorkerCount") or 0) <= int(auto.get("maxWorkerCount") or 0) <= 10:
            raise bad_request("autoScaling worker counts must satisfy 1 <= minWorkerCount <= maxWorkerCount <= 10.")

    def _check_plugins(self, plugins: list[dict[str, Any]]) -> None:
        for plugin_ref in plugins:
            ref = plugin_ref.get("customPlugin") or {}
            plugin = self.custom_plugins.get(ref.get("customPluginArn", ""))
            if plugin is None:
                raise bad_request(f"The custom plugin {ref.get('customPluginArn')} does not exist.")
            if plugin.state != "ACTIVE":
                raise bad_request(f"The custom plugin {plugin.arn} is in {plugin.state} state, not ACTIVE.")
            if int(ref.get("revision", 1)) != 1:
                raise bad_request(f"Revision {ref.get('revision')} of custom plugin {plugin.arn} does not exist.")

    def _check_worker_configuration(self, ref: dict[str, Any] | None) -> None:
        if not ref:
            return
        worker = self.worker_configurations.get(ref.get("workerConfigurationArn", ""))
        if worker is None or worker.state != "ACTIVE":
            raise bad_request(f"The worker configuration {ref.get('workerConfigurationArn')} does not exist.")
        if int(ref.get("revision", 1)) != 1:
            raise bad_request(f"Revision {ref.get('revision')} of worker configuration {worker.arn} does not exist.")

    def _check_role(self, role_arn: str) -> None:
        roles = iam_backends[self.account_id][get_partition(self.region_name)]
        try:
            roles.get_role_by_arn(role_arn)
        except Exception as e:
            raise bad_request(
                f"The service execution role {role_arn} does not exist or cannot be assumed by kafkaconnect.amazonaws.com."
            ) from e

    def create_connector(self, params: dict[str, Any], tags: dict[str, str] | None) -> Connector:
        for field in ("capacity", "connectorConfiguration", "connectorName", "kafkaCluster",
                      "kafkaClusterClientAuthentication", "kafkaClusterEncryptionInTransit",
                      "kafkaConnectVersion", "plugins", "serviceExecutionRoleArn"):
            _require(params.get(field), field)
        name = params["connectorName"]
        _check_name(name, "connector")
        if any(c.name == name for c in self.connectors.values()):
            raise _error("ConflictException", f"A connector with name {name} already exists.")
        if params["kafkaConnectVersion"] not in CONNECT_VERSIONS:
            raise bad_request(f"Unsupported kafkaConnectVersion {params['kafkaConnectVersion']}; use one of {', '.join(CONNECT_VERSIONS)}.")
        self._check_capacity(params["capacity"])
        cluster = (params["kafkaCluster"] or {}).get("apacheKafkaCluster") or {}
        _require(cluster.get("bootstrapServers"), "kafkaCluster.apacheKafkaCluster.bootstrapServers")
        vpc = cluster.get("vpc") or {}
        subnets = _require(vpc.get("subnets"), "kafkaCluster.apacheKafkaCluster.vpc.subnets")
        groups = vpc.get("securityGroups") or []
        enis.check_network(self.account_id, self.region_name, subnets, groups, "kafkaconnect", "BadRequestException")
        self._check_plugins(params["plugins"])
        self._check_worker_configuration(params.get("workerConfiguration"))
        self._check_role(params["serviceExecutionRoleArn"])
        log_group = (((params.get("logDelivery") or {}).get("workerLogDelivery") or {}).get("cloudWatchLogs") or {})
        if log_group.get("enabled") and log_group.get("logGroup"):
            from moto.logs.models import logs_backends

            groups_backend = logs_backends[self.account_id][self.region_name]
            if log_group["logGroup"] not in groups_backend.groups:
                raise bad_request(f"The log group {log_group['logGroup']} does not exist.")

        connector = Connector(self, params)
        self.connectors[connector.arn] = connector
        self._tag(connector.arn, tags)
        connector.eni_ids = enis.create(
            self.account_id, self.region_name, subnets, groups, len(subnets),
            f"MSK Connect network interface for connector {connector.arn}",
        )

        def running(_t: float) -> None:
            if connector.state == "CREATING":
                connector.state = "RUNNING"

        CLOCK.after("kafkaconnect.connector.create", running, label=f"connector create {name}")
        return connector

    def get_connector(self, arn: str) -> Connector:
        connector = self.connectors.get(arn)
        if connector is None:
            raise not_found(arn)
        return connector

    def list_connectors(self, name_prefix: str | None) -> list[Connector]:
        return [c for c in self.connectors.values() if not name_prefix or c.name.startswith(name_prefix)]

    def update_connector(self, arn: str, current_version: str, capacity: dict[str, Any] | None,
                         configuration: dict[str, str] | None) -> tuple[Connector, str]:
        connector = self.get_connector(arn)
        # The service model lists no ConflictException for UpdateConnector: a
        # stale version or a connector that is not RUNNING is a BadRequest.
        if current_version != connector.current_version:
            raise bad_request(
                f"The current version {current_version} does not match the connector's version {connector.current_version}."
            )
        if connector.state != "RUNNING":
            raise bad_request(f"The connector is in {connector.state} state; it can be updated only when RUNNING.")
        if not capacity and configuration is None:
            raise bad_request("Specify capacity and/or connectorConfiguration to update.")
        if capacity:
            self._check_capacity(capacity)
        connector.state = "UPDATING"
        operation_arn = arn.replace(":connector/", ":connector-operation/", 1) + f"/{uuid.uuid4()}"
        operation = {
            "connectorOperationArn": operation_arn,
            "connectorOperationType": "UPDATE_WORKER_SETTING" if capacity else "UPDATE_CONNECTOR_CONFIGURATION",
            "connectorOperationState": "PENDING",
            "creationTime": _now(),
        }
        self.operations[operation_arn] = operation
        connector.operations.append(operation)

        def done(_t: float) -> None:
            if capacity:
                connector.capacity = capacity
            if configuration is not None:
                connector.configuration = dict(configuration)
            connector.current_version = connector._new_version()
            if connector.state == "UPDATING":
                connector.state = "RUNNING"
            operation["connectorOperationState"] = "UPDATE_COMPLETE"
            operation["endTime"] = _now()

        CLOCK.after("kafkaconnect.connector.update", done, label=f"connector update {connector.name}")
        return connector, operation_arn

    def delete_connector(self, arn: str, current_version: str | None) -> Connector:
        connector = self.get_connector(arn)
        if current_version and current_version != connector.current_version:
            raise bad_request(
                f"The current version {current_version} does not match the connector's version {connector.current_version}."
            )
        if connector.state != "DELETING":
            connector.state = "DELETING"

            def gone(t: float) -> None:
                if self.connectors.get(arn) is connector:
                    del self.connectors[arn]
                    self.tagger.delete_all_tags_for_resource(arn)
                    enis.release_later(self.account_id, self.region_name, connector.eni_ids,
                                       "kafkaconnect.eni.linger", t)

            CLOCK.after("kafkaconnect.connector.delete", gone, label=f"connector delete {connector.name}")
        return connector


kafkaconnect_backends = BackendDict(KafkaConnectBackend, "kafkaconnect")
