//! MSK: the configuration (server properties) and the provisioned cluster.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Form, IN_PLACE, Kind, Known, REPLACE, REPLACE_SET, Tags, is_null};

pub struct Configuration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ConfigurationAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub description: F::Of<String>,
    pub server_properties: F::Of<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ConfigurationOutputs<F: Form = Known> {
    pub arn: F::Of<String>,
    pub latest_revision: F::Of<i64>,
}

impl Kind for Configuration {
    const NAME: &'static str = "msk_configuration";
    type Attrs<F: Form> = ConfigurationAttrs<F>;
    type Outputs<F: Form> = ConfigurationOutputs<F>;
    // A change is a new revision of the same configuration, never a
    // replacement, so a cluster using it is never in the way.
    const CHANGES: ConfigurationAttrs<super::Rules> = ConfigurationAttrs {
        name: REPLACE,
        description: IN_PLACE,
        server_properties: IN_PLACE,
    };
    const VOLATILE: &'static [&'static str] = &["latest_revision"];
}

pub struct Cluster;

/// How clients authenticate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientAuthentication {
    pub sasl_iam: bool,
}

/// Encryption in transit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptionInTransit {
    /// `TLS`, `TLS_PLAINTEXT` or `PLAINTEXT`.
    pub client_broker: String,
    pub in_cluster: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ClusterAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub kafka_version: F::Of<String>,
    pub broker_count: F::Of<i32>,
    pub instance_type: F::Of<String>,
    pub ebs_volume_gb: F::Of<i32>,
    pub client_subnets: F::Of<Vec<String>>,
    pub security_groups: F::Of<Vec<String>>,
    pub configuration_arn: F::Of<String>,
    pub configuration_revision: F::Of<i64>,
    pub client_authentication: F::Of<ClientAuthentication>,
    pub encryption_in_transit: F::Of<EncryptionInTransit>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ClusterOutputs<F: Form = Known> {
    pub arn: F::Of<String>,
    /// The rest are not known right after the create call.
    #[serde(skip_serializing_if = "is_null")]
    pub current_version: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub state: F::Of<Option<String>>,
    /// IAM policies name topics and groups by the cluster's name and UUID.
    #[serde(skip_serializing_if = "is_null")]
    pub topic_arn: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub group_arn: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub bootstrap_brokers_sasl_iam: F::Of<Option<String>>,
}

/// True when Kafka version `a` is newer than `b` (`3.9.x` > `3.8.x`).
pub fn newer(a: &str, b: &str) -> bool {
    let parts = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(u64::MAX))
            .collect::<Vec<_>>()
    };
    parts(a) > parts(b)
}

impl Kind for Cluster {
    const NAME: &'static str = "msk_cluster";
    type Attrs<F: Form> = ClusterAttrs<F>;
    type Outputs<F: Form> = ClusterOutputs<F>;
    // Every change AWS can make in place is made in place.
    const CHANGES: ClusterAttrs<super::Rules> = ClusterAttrs {
        name: REPLACE,
        kafka_version: IN_PLACE,
        broker_count: IN_PLACE,
        instance_type: IN_PLACE,
        ebs_volume_gb: IN_PLACE,
        client_subnets: REPLACE_SET,
        security_groups: REPLACE_SET,
        configuration_arn: IN_PLACE,
        configuration_revision: IN_PLACE,
        client_authentication: IN_PLACE,
        encryption_in_transit: REPLACE,
        tags: IN_PLACE,
    };
    const VOLATILE: &'static [&'static str] = &["current_version"];
    const DATA_LOST_ON_REPLACE: Option<&'static str> =
        Some("every topic and its messages (the connector starts again from its snapshot mode)");

    fn replaces(attr: &str, before: Option<&Value>, after: Option<&Value>) -> Option<bool> {
        let (b, a) = (
            before.unwrap_or(&Value::Null),
            after.unwrap_or(&Value::Null),
        );
        match attr {
            // Brokers and storage only grow in place; Kafka only upgrades.
            "broker_count" | "ebs_volume_gb" => Some(a.as_i64() < b.as_i64()),
            "kafka_version" => Some(newer(
                b.as_str().unwrap_or_default(),
                a.as_str().unwrap_or_default(),
            )),
            _ => None,
        }
    }
}
