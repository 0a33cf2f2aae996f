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
        Arc::new(Typed::new(internet_gateway::InternetGatewayDriver {
            aws: aws.clone(),
        })),
        Arc::new(Typed::new(eip::EipDriver { aws: aws.clone() })),
        Arc::new(Typed::new(nat_gateway::NatGatewayDriver {
            aws: aws.clone(),
        })),
        Arc::new(Typed::new(route_table::RouteTableDriver {
            aws: aws.clone(),
        })),
        Arc::new(Typed::new(security_group::SecurityGroupDriver {
            aws: aws.clone(),
        })),
        Arc::new(Typed::new(instance::InstanceDriver { aws: aws.clone() })),
        Arc::new(db_parameter_group::ParameterGroup),
        Arc::new(db_subnet_group::SubnetGroup),
        Arc::new(db_cluster::Cluster),
        Arc::new(db_instance::Instance),
        Arc::new(cdc_user::CdcUser),
        Arc::new(secret::SecretDriver),
        Arc::new(Typed::new(msk_configuration::ConfigurationDriver {
            aws: aws.clone(),
        })),
        Arc::new(Typed::new(msk_cluster::ClusterDriver { aws: aws.clone() })),
        Arc::new(s3_bucket::Bucket),
        Arc::new(s3_bucket::Object),
        Arc::new(Typed::new(iam_role::RoleDriver { aws: aws.clone() })),
        Arc::new(Typed::new(iam_role::RolePolicyDriver { aws: aws.clone() })),
        Arc::new(log_group::LogGroup),
        Arc::new(msk_connect::PluginKind),
        Arc::new(msk_connect::WorkerKind),
        Arc::new(msk_connect::ConnectorKind),
        Arc::new(Typed::new(redshift::NamespaceDriver { aws: aws.clone() })),
        Arc::new(Typed::new(redshift::WorkgroupDriver { aws: aws.clone() })),
    ];
    drivers.into_iter().map(|d| (d.kind(), d)).collect()
}
