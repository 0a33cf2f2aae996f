//! MSK Connect: the custom plugin (the Debezium zip), the worker
//! configuration and the connector.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Desired, Form, IN_PLACE, Kind, Known, Lift, REPLACE, REPLACE_SET, Tags, is_null};

pub struct Plugin;

/// Where MSK Connect reads the plugin zip from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct PluginLocation<F: Form = Known> {
    pub bucket_arn: F::Of<String>,
    pub file_key: F::Of<String>,
    /// The object version cdcstack uploaded; none for a zip named by URL.
    #[serde(skip_serializing_if = "is_null")]
    pub object_version: F::Of<Option<String>>,
}

impl Lift for PluginLocation<Desired> {
    type Known = PluginLocation;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct PluginAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub description: F::Of<String>,
    pub content_type: F::Of<String>,
    pub location: F::Of<PluginLocation>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct PluginOutputs<F: Form = Known> {
    pub arn: F::Of<String>,
    pub latest_revision: F::Of<i64>,
    /// `CREATING`, `ACTIVE`, `CREATE_FAILED`…; not known right after the create call.
    #[serde(skip_serializing_if = "is_null")]
    pub state: F::Of<Option<String>>,
}

impl Kind for Plugin {
    const NAME: &'static str = "mskconnect_custom_plugin";
    type Attrs<F: Form> = PluginAttrs<F>;
    type Outputs<F: Form> = PluginOutputs<F>;
    // Plugins cannot change after creation, only their tags can.
    const CHANGES: PluginAttrs<super::Rules> = PluginAttrs {
        name: REPLACE,
        description: REPLACE,
        content_type: REPLACE,
        location: REPLACE,
        tags: IN_PLACE,
    };
}

pub struct WorkerConfiguration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct WorkerConfigurationAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub description: F::Of<String>,
    pub properties: F::Of<BTreeMap<String, String>>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct WorkerConfigurationOutputs<F: Form = Known> {
    pub arn: F::Of<String>,
    pub latest_revision: F::Of<i64>,
}

impl Kind for WorkerConfiguration {
    const NAME: &'static str = "mskconnect_worker_configuration";
    type Attrs<F: Form> = WorkerConfigurationAttrs<F>;
    type Outputs<F: Form> = WorkerConfigurationOutputs<F>;
    // A worker configuration cannot be changed: a new one replaces it (and its connector).
    const CHANGES: WorkerConfigurationAttrs<super::Rules> = WorkerConfigurationAttrs {
        name: REPLACE,
        description: REPLACE,
        properties: REPLACE,
        tags: IN_PLACE,
    };
}

pub struct Connector;

/// Provisioned capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Capacity<F: Form = Known> {
    pub workers: F::Of<i32>,
    pub mcu: F::Of<i32>,
}

impl Lift for Capacity<Desired> {
    type Known = Capacity;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ConnectorAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub kafka_connect_version: F::Of<String>,
    pub plugin_arn: F::Of<String>,
    pub plugin_revision: F::Of<i64>,
    pub worker_configuration_arn: F::Of<String>,
    pub worker_configuration_revision: F::Of<i64>,
    pub service_execution_role_arn: F::Of<String>,
    pub capacity: F::Of<Capacity>,
    pub bootstrap_servers: F::Of<String>,
    pub subnets: F::Of<Vec<String>>,
    pub security_groups: F::Of<Vec<String>>,
    /// `IAM` or `NONE`.
    pub client_authentication: F::Of<String>,
    /// `TLS` or `PLAINTEXT`.
    pub encryption_in_transit: F::Of<String>,
    /// The CloudWatch Logs group the workers write to.
    pub log_group: F::Of<String>,
    pub configuration: F::Of<BTreeMap<String, String>>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ConnectorOutputs<F: Form = Known> {
    pub arn: F::Of<String>,
    /// The rest are not known right after the create call.
    #[serde(skip_serializing_if = "is_null")]
    pub current_version: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub state: F::Of<Option<String>>,
    /// Why it is FAILED.
    #[serde(skip_serializing_if = "is_null")]
    pub state_description: F::Of<Option<String>>,
}

impl Kind for Connector {
    const NAME: &'static str = "mskconnect_connector";
    type Attrs<F: Form> = ConnectorAttrs<F>;
    type Outputs<F: Form> = ConnectorOutputs<F>;
    // Only capacity and the connector configuration change in place.
    const CHANGES: ConnectorAttrs<super::Rules> = ConnectorAttrs {
        name: REPLACE,
        kafka_connect_version: REPLACE,
        plugin_arn: REPLACE,
        plugin_revision: REPLACE,
        worker_configuration_arn: REPLACE,
        worker_configuration_revision: REPLACE,
        service_execution_role_arn: REPLACE,
        capacity: IN_PLACE,
        bootstrap_servers: REPLACE,
        subnets: REPLACE_SET,
        security_groups: REPLACE_SET,
        client_authentication: REPLACE,
        encryption_in_transit: REPLACE,
        log_group: REPLACE,
        configuration: IN_PLACE,
        tags: IN_PLACE,
    };
    const VOLATILE: &'static [&'static str] = &["current_version", "state"];

    /// A connector keeps working while the brokers it knows are still among
    /// the cluster's (adding brokers does not need a new connector).
    fn same(attr: &str, desired: &Value, live: &Value) -> bool {
        match attr {
            "bootstrap_servers" => known_brokers(desired, live),
            "configuration" => {
                let (Some(d), Some(l)) = (desired.as_object(), live.as_object()) else {
                    return desired == live;
                };
                d.len() == l.len()
                    && d.iter().all(|(k, v)| match l.get(k) {
                        Some(lv) if k.ends_with("bootstrap.servers") => known_brokers(v, lv),
                        Some(lv) => lv == v,
                        None => false,
                    })
            }
            _ => desired == live,
        }
    }
}

/// The brokers a client knows are all still among the cluster's.
fn known_brokers(desired: &Value, live: &Value) -> bool {
    let want = hosts(desired);
    let have = hosts(live);
    !have.is_empty() && have.iter().all(|h| want.contains(h))
}

fn hosts(v: &Value) -> Vec<String> {
    v.as_str()
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect()
}
