//! The resource kinds: one driver per kind behind [`crate::engine::Driver`].

mod cdc_user;
mod common;
mod db_cluster;
mod db_instance;
mod db_parameter_group;
mod db_subnet_group;
mod ec2;
mod eip;
mod iam_role;
mod instance;
mod internet_gateway;
mod log_group;
mod msk_cluster;
mod msk_configuration;
mod msk_connect;
mod nat_gateway;
mod rds;
mod redshift;
mod route_table;
mod s3_bucket;
mod secret;
mod security_group;
mod subnet;
mod vpc;

use std::sync::Arc;

use crate::aws::Aws;
use crate::engine::typed::Typed;
use crate::engine::{Driver, Registry};

/// Every driver, by kind.
pub fn registry(aws: &Arc<Aws>) -> Registry {
    let drivers: Vec<Arc<dyn Driver>> = vec![
        Arc::new(Typed::new(vpc::VpcDriver { aws: aws.clone() })),
        Arc::new(Typed::new(subnet::SubnetDriver { aws: aws.clone() })),
        Arc::new(internet_gateway::InternetGateway),
        Arc::new(eip::Eip),
        Arc::new(nat_gateway::NatGateway),
        Arc::new(route_table::RouteTable),
        Arc::new(security_group::SecurityGroup),
        Arc::new(instance::Instance),
        Arc::new(db_parameter_group::ParameterGroup),
        Arc::new(db_subnet_group::SubnetGroup),
        Arc::new(db_cluster::Cluster),
        Arc::new(db_instance::Instance),
        Arc::new(cdc_user::CdcUser),
        Arc::new(secret::SecretDriver),
        Arc::new(msk_configuration::Configuration),
        Arc::new(msk_cluster::Cluster),
        Arc::new(Typed::new(s3_bucket::BucketDriver { aws: aws.clone() })),
        Arc::new(Typed::new(s3_bucket::ObjectDriver { aws: aws.clone() })),
        Arc::new(iam_role::Role),
        Arc::new(iam_role::RolePolicy),
        Arc::new(Typed::new(log_group::LogGroupDriver { aws: aws.clone() })),
        Arc::new(Typed::new(msk_connect::PluginDriver { aws: aws.clone() })),
        Arc::new(Typed::new(msk_connect::WorkerConfigurationDriver {
            aws: aws.clone(),
        })),
        Arc::new(Typed::new(msk_connect::ConnectorDriver {
            aws: aws.clone(),
        })),
        Arc::new(redshift::Namespace),
        Arc::new(redshift::Workgroup),
    ];
    drivers.into_iter().map(|d| (d.kind(), d)).collect()
}
