//! Redshift Serverless: the namespace and the workgroup.

use serde::{Deserialize, Serialize};

use super::network::{Subnet, Vpc};
use super::{Form, IN_PLACE, IN_PLACE_SET, Kind, Known, REPLACE, Tags, is_null};

pub struct Namespace;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NamespaceAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub db_name: F::Of<String>,
    pub admin_username: F::Of<String>,
    /// Redshift generates the admin password into Secrets Manager.
    pub manage_admin_password: F::Of<bool>,
    pub iam_roles: F::Of<Vec<String>>,
    pub log_exports: F::Of<Vec<String>>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NamespaceOutputs<F: Form = Known> {
    pub arn: F::Of<String>,
    pub id: F::Of<String>,
    pub admin_password_secret_arn: F::Of<String>,
}

impl Kind for Namespace {
    const NAME: &'static str = "redshift_namespace";
    type Attrs<F: Form> = NamespaceAttrs<F>;
    type Outputs<F: Form> = NamespaceOutputs<F>;
    // The admin username only changes together with a password we never hold.
    const CHANGES: NamespaceAttrs<super::Rules> = NamespaceAttrs {
        name: REPLACE,
        db_name: REPLACE,
        admin_username: REPLACE,
        manage_admin_password: IN_PLACE,
        iam_roles: IN_PLACE_SET,
        log_exports: IN_PLACE_SET,
        tags: IN_PLACE,
    };
    const DATA_LOST_ON_REPLACE: Option<&'static str> =
        Some("the namespace's databases and all their data");
}

pub struct Workgroup;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct WorkgroupAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub namespace_name: F::Of<String>,
    pub base_capacity: F::Of<i32>,
    pub subnet_ids: F::Of<Vec<String>>,
    pub security_group_ids: F::Of<Vec<String>>,
    pub publicly_accessible: F::Of<bool>,
    pub enhanced_vpc_routing: F::Of<bool>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct WorkgroupOutputs<F: Form = Known> {
    /// Not known right after the create call.
    #[serde(skip_serializing_if = "is_null")]
    pub arn: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub id: F::Of<Option<String>>,
    /// `host:port`.
    #[serde(skip_serializing_if = "is_null")]
    pub endpoint: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub status: F::Of<Option<String>>,
}

impl Kind for Workgroup {
    const NAME: &'static str = "redshift_workgroup";
    type Attrs<F: Form> = WorkgroupAttrs<F>;
    type Outputs<F: Form> = WorkgroupOutputs<F>;
    const CHANGES: WorkgroupAttrs<super::Rules> = WorkgroupAttrs {
        name: REPLACE,
        namespace_name: REPLACE,
        base_capacity: IN_PLACE,
        subnet_ids: IN_PLACE_SET,
        security_group_ids: IN_PLACE_SET,
        publicly_accessible: IN_PLACE,
        enhanced_vpc_routing: IN_PLACE,
        tags: IN_PLACE,
    };
    // AWS does not move it to another VPC, nor off subnets that are
    // replaced under it (their CIDRs are taken until it leaves).
    const BOUND_TO: &'static [&'static str] = &[Vpc::NAME, Subnet::NAME];
}
