//! Aurora MySQL: the binlog parameter group, the DB subnet group, the
//! cluster and its instances, the CDC user's secret and the CDC user.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::network::{Subnet, Vpc};
use super::{Arn, Form, IN_PLACE, IN_PLACE_SET, Kind, Known, Nothing, REPLACE, Tags, is_null};

pub struct ParameterGroup;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ParameterGroupAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub family: F::Of<String>,
    pub description: F::Of<String>,
    pub parameters: F::Of<BTreeMap<String, String>>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ParameterGroupOutputs<F: Form = Known> {
    pub arn: F::Of<String>,
    /// Changes whenever a parameter does: what the cluster follows to know
    /// its instances run the latest parameters.
    pub parameters_digest: F::Of<String>,
}

impl Kind for ParameterGroup {
    const NAME: &'static str = "db_cluster_parameter_group";
    type Attrs<F: Form> = ParameterGroupAttrs<F>;
    type Outputs<F: Form> = ParameterGroupOutputs<F>;
    const CHANGES: ParameterGroupAttrs<super::Rules> = ParameterGroupAttrs {
        name: REPLACE,
        family: REPLACE,
        description: REPLACE,
        parameters: IN_PLACE,
        tags: IN_PLACE,
    };
    const VOLATILE: &'static [&'static str] = &["parameters_digest"];
}

pub struct SubnetGroup;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SubnetGroupAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub description: F::Of<String>,
    pub subnet_ids: F::Of<Vec<String>>,
    pub tags: F::Of<Tags>,
}

impl Kind for SubnetGroup {
    const NAME: &'static str = "db_subnet_group";
    type Attrs<F: Form> = SubnetGroupAttrs<F>;
    type Outputs<F: Form> = Arn<F>;
    const CHANGES: SubnetGroupAttrs<super::Rules> = SubnetGroupAttrs {
        name: REPLACE,
        description: IN_PLACE,
        subnet_ids: IN_PLACE_SET,
        tags: IN_PLACE,
    };
    // AWS does not move it to another VPC, nor off subnets that are
    // replaced under it (their CIDRs are taken until it leaves).
    const BOUND_TO: &'static [&'static str] = &[Vpc::NAME, Subnet::NAME];
}

pub struct Cluster;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ClusterAttrs<F: Form = Known> {
    pub identifier: F::Of<String>,
    pub engine: F::Of<String>,
    pub engine_version: F::Of<String>,
    pub database_name: F::Of<String>,
    pub master_username: F::Of<String>,
    /// RDS generates the master password into Secrets Manager.
    pub manage_master_user_password: F::Of<bool>,
    pub db_subnet_group_name: F::Of<String>,
    pub db_cluster_parameter_group_name: F::Of<String>,
    pub vpc_security_group_ids: F::Of<Vec<String>>,
    pub port: F::Of<i32>,
    pub storage_encrypted: F::Of<bool>,
    pub backup_retention_period: F::Of<i32>,
    pub deletion_protection: F::Of<bool>,
    pub enable_http_endpoint: F::Of<bool>,
    /// With `aurora.reboot_for_parameters`: the parameter group's digest the
    /// instances must run (`pending-reboot` while they do not); else unset.
    #[serde(skip_serializing_if = "is_null")]
    pub parameters_digest: F::Of<Option<String>>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ClusterOutputs<F: Form = Known> {
    pub id: F::Of<String>,
    pub arn: F::Of<String>,
    pub endpoint: F::Of<String>,
    pub reader_endpoint: F::Of<String>,
    pub master_user_secret_arn: F::Of<String>,
    /// Instances whose parameters wait for a reboot.
    pub pending_reboot: F::Of<Vec<String>>,
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The major version of an Aurora engine version (`8` of `8.0.mysql_aurora.3.08.0`).
pub fn major_version(v: &str) -> Option<u64> {
    version_parts(v).first().copied()
}

impl Kind for Cluster {
    const NAME: &'static str = "db_cluster";
    type Attrs<F: Form> = ClusterAttrs<F>;
    type Outputs<F: Form> = ClusterOutputs<F>;
    const CHANGES: ClusterAttrs<super::Rules> = ClusterAttrs {
        identifier: REPLACE,
        engine: REPLACE,
        engine_version: IN_PLACE,
        database_name: REPLACE,
        master_username: REPLACE,
        manage_master_user_password: IN_PLACE,
        db_subnet_group_name: REPLACE,
        db_cluster_parameter_group_name: IN_PLACE,
        vpc_security_group_ids: IN_PLACE_SET,
        port: IN_PLACE,
        storage_encrypted: REPLACE,
        backup_retention_period: IN_PLACE,
        deletion_protection: IN_PLACE,
        enable_http_endpoint: IN_PLACE,
        parameters_digest: IN_PLACE,
        tags: IN_PLACE,
    };
    // AWS does not move it to another VPC, nor off subnets that are
    // replaced under it (their CIDRs are taken until it leaves).
    const BOUND_TO: &'static [&'static str] = &[Vpc::NAME, Subnet::NAME];
    const DATA_LOST_ON_REPLACE: Option<&'static str> =
        Some("the cluster's databases and data (no final snapshot is taken)");

    fn replaces(attr: &str, before: Option<&Value>, after: Option<&Value>) -> Option<bool> {
        // Upgrades happen in place; Aurora cannot go back to an older version.
        (attr == "engine_version").then(|| {
            let v =
                |x: Option<&Value>| version_parts(x.and_then(Value::as_str).unwrap_or_default());
            v(after) < v(before)
        })
    }
}

pub struct Instance;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct InstanceAttrs<F: Form = Known> {
    pub identifier: F::Of<String>,
    pub cluster_identifier: F::Of<String>,
    pub engine: F::Of<String>,
    pub instance_class: F::Of<String>,
    pub publicly_accessible: F::Of<bool>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct InstanceOutputs<F: Form = Known> {
    pub id: F::Of<String>,
    /// Not known right after the create call.
    #[serde(skip_serializing_if = "is_null")]
    pub arn: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub endpoint: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub status: F::Of<Option<String>>,
}

impl Kind for Instance {
    const NAME: &'static str = "db_instance";
    type Attrs<F: Form> = InstanceAttrs<F>;
    type Outputs<F: Form> = InstanceOutputs<F>;
    const CHANGES: InstanceAttrs<super::Rules> = InstanceAttrs {
        identifier: REPLACE,
        cluster_identifier: REPLACE,
        engine: REPLACE,
        instance_class: IN_PLACE,
        publicly_accessible: IN_PLACE,
        tags: IN_PLACE,
    };
    const BOUND_TO: &'static [&'static str] = &[Vpc::NAME, Subnet::NAME];
}

pub struct Secret;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SecretAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub description: F::Of<String>,
    /// What the generated value is made of (the value itself is never read back).
    pub username: F::Of<String>,
    pub password_length: F::Of<u32>,
    pub tags: F::Of<Tags>,
}

impl Kind for Secret {
    const NAME: &'static str = "secret";
    type Attrs<F: Form> = SecretAttrs<F>;
    type Outputs<F: Form> = Arn<F>;
    const CHANGES: SecretAttrs<super::Rules> = SecretAttrs {
        name: REPLACE,
        description: IN_PLACE,
        username: IN_PLACE,
        password_length: IN_PLACE,
        tags: IN_PLACE,
    };
}

pub struct CdcUser;

/// How the CDC user is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CdcUserMethod {
    /// Through the RDS Data API.
    DataApi,
    /// By the SQL cdcstack prints.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct CdcUserAttrs<F: Form = Known> {
    pub username: F::Of<String>,
    pub grants: F::Of<String>,
    pub method: F::Of<CdcUserMethod>,
    pub cluster_arn: F::Of<String>,
    pub cluster_endpoint: F::Of<String>,
    pub master_username: F::Of<String>,
    pub master_secret_arn: F::Of<String>,
    pub user_secret_arn: F::Of<String>,
    pub database: F::Of<String>,
}

impl Kind for CdcUser {
    const NAME: &'static str = "db_cdc_user";
    type Attrs<F: Form> = CdcUserAttrs<F>;
    type Outputs<F: Form> = Nothing<F>;
    // The statements are idempotent: any other change runs them again.
    const CHANGES: CdcUserAttrs<super::Rules> = CdcUserAttrs {
        username: REPLACE,
        grants: IN_PLACE,
        method: REPLACE,
        cluster_arn: REPLACE,
        cluster_endpoint: IN_PLACE,
        master_username: IN_PLACE,
        master_secret_arn: IN_PLACE,
        user_secret_arn: IN_PLACE,
        database: IN_PLACE,
    };
}
