"""kafkaconnect request handlers: parameters parsed and responses serialised by
moto from the botocore service model (automated_parameter_parsing + ActionResult)."""

from __future__ import annotations

from moto.core.responses import ActionResult, BaseResponse

from .models import KafkaConnectBackend, kafkaconnect_backends


class KafkaConnectResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="kafkaconnect")
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> KafkaConnectBackend:
        return kafkaconnect_backends[self.current_account][self.region]

    # custom plugins
    def create_custom_plugin(self) -> ActionResult:
        plugin = self.backend.create_custom_plugin(
            self._get_param("name"), self._get_param("contentType"), self._get_param("location"),
            self._get_param("description"), self._get_param("tags"),
        )
        return ActionResult({"customPluginArn": plugin.arn, "customPluginState": plugin.state,
                             "name": plugin.name, "revision": 1})

    def describe_custom_plugin(self) -> ActionResult:
        return ActionResult(self.backend.get_custom_plugin(self._get_param("customPluginArn")).describe())

    def list_custom_plugins(self) -> ActionResult:
        plugins = self.backend.list_custom_plugins(self._get_param("namePrefix"))
        return ActionResult({"customPlugins": [p.summary() for p in plugins]})

    def delete_custom_plugin(self) -> ActionResult:
        plugin = self.backend.delete_custom_plugin(self._get_param("customPluginArn"))
        return ActionResult({"customPluginArn": plugin.arn, "customPluginState": plugin.state})

    # worker configurations
    def create_worker_configuration(self) -> ActionResult:
        worker = self.backend.create_worker_configuration(
            self._get_param("name"), self._get_param("propertiesFileContent"),
            self._get_param("description"), self._get_param("tags"),
        )
        return ActionResult({
            "creationTime": worker.creation_time,
            "latestRevision": worker.revision(False),
            "name": worker.name,
            "workerConfigurationArn": worker.arn,
            "workerConfigurationState": worker.state,
        })

    def describe_worker_configuration(self) -> ActionResult:
        return ActionResult(self.backend.get_worker_configuration(self._get_param("workerConfigurationArn")).describe())

    def list_worker_configurations(self) -> ActionResult:
        workers = self.backend.list_worker_configurations(self._get_param("namePrefix"))
        return ActionResult({"workerConfigurations": [w.summary() for w in workers]})

    def delete_worker_configuration(self) -> ActionResult:
        worker = self.backend.delete_worker_configuration(self._get_param("workerConfigurationArn"))
        return ActionResult({"workerConfigurationArn": worker.arn, "workerConfigurationState": worker.state})

    # connectors
    def create_connector(self) -> ActionResult:
        params = dict(self.params)
        tags = params.pop("tags", None)
        connector = self.backend.create_connector(params, tags)
        return ActionResult({"connectorArn": connector.arn, "connectorName": connector.name,
                             "connectorState": connector.state})

    def describe_connector(self) -> ActionResult:
        return ActionResult(self.backend.get_connector(self._get_param("connectorArn")).describe())

    def list_connectors(self) -> ActionResult:
        connectors = self.backend.list_connectors(self._get_param("connectorNamePrefix"))
        return ActionResult({"connectors": [c.summary() for c in connectors]})

    def update_connector(self) -> ActionResult:
        connector, operation_arn = self.backend.update_connector(
            self._get_param("connectorArn"), self._get_param("currentVersion"),
            self._get_param("capacity"), self._get_param("connectorConfiguration"),
        )
        return ActionResult({"connectorArn": connector.arn, "connectorState": connector.state,
                             "connectorOperationArn": operation_arn})

    def delete_connector(self) -> ActionResult:
        connector = self.backend.delete_connector(self._get_param("connectorArn"), self._get_param("currentVersion"))
        return ActionResult({"connectorArn": connector.arn, "connectorState": connector.state})

    def describe_connector_operation(self) -> ActionResult:
        arn = self._get_param("connectorOperationArn")
        operation = self.backend.operations.get(arn)
        if operation is None:
            from .models import not_found

            raise not_found(arn)
        result = dict(operation)
        result["connectorArn"] = arn.replace(":connector-operation/", ":connector/", 1).rsplit("/", 1)[0]
        return ActionResult(result)

    def list_connector_operations(self) -> ActionResult:
        connector = self.backend.get_connector(self._get_param("connectorArn"))
        return ActionResult({"connectorOperations": [
            {k: v for k, v in op.items()} for op in connector.operations
        ]})

    # tags
    def tag_resource(self) -> ActionResult:
        self.backend.tag_resource(self._get_param("resourceArn"), self._get_param("tags") or {})
        return ActionResult({})

    def untag_resource(self) -> ActionResult:
        self.backend.untag_resource(self._get_param("resourceArn"), self._get_param("tagKeys") or [])
        return ActionResult({})

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.backend.list_tags_for_resource(self._get_param("resourceArn"))})
