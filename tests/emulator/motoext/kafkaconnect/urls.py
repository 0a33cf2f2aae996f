"""kafkaconnect URL routes (rest-json); the operation is then picked from the botocore model."""

from .responses import KafkaConnectResponse

url_bases = [r"https?://kafkaconnect\.(.+)\.amazonaws\.com"]

url_paths = {
    "{0}/v1/custom-plugins$": KafkaConnectResponse.dispatch,
    "{0}/v1/custom-plugins/(?P<customPluginArn>.+)$": KafkaConnectResponse.dispatch,
    "{0}/v1/worker-configurations$": KafkaConnectResponse.dispatch,
    "{0}/v1/worker-configurations/(?P<workerConfigurationArn>.+)$": KafkaConnectResponse.dispatch,
    "{0}/v1/connectors$": KafkaConnectResponse.dispatch,
    "{0}/v1/connectors/(?P<connectorArn>.+)$": KafkaConnectResponse.dispatch,
    "{0}/v1/connectorOperations/(?P<connectorOperationArn>.+)$": KafkaConnectResponse.dispatch,
    "{0}/v1/tags/(?P<resourceArn>.+)$": KafkaConnectResponse.dispatch,
}
