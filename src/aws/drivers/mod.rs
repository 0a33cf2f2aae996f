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
use crate::engine::typed::{Advice, Lifecycle, Typed};
use crate::engine::{Driver, Registry};

/// Every driver, by kind.
pub fn registry(aws: &Arc<Aws>) -> Registry {
    let a = || aws.clone();
    let drivers: Vec<Arc<dyn Driver>> = vec![
        typed(vpc::VpcDriver { aws: a() }),
        typed(subnet::SubnetDriver { aws: a() }),
        typed(internet_gateway::InternetGatewayDriver { aws: a() }),
        typed(eip::EipDriver { aws: a() }),
        typed(nat_gateway::NatGatewayDriver { aws: a() }),
        typed(route_table::RouteTableDriver { aws: a() }),
        typed(security_group::SecurityGroupDriver { aws: a() }),
        typed(instance::InstanceDriver { aws: a() }),
        typed(db_parameter_group::ParameterGroupDriver { aws: a() }),
        typed(db_subnet_group::SubnetGroupDriver { aws: a() }),
        typed(db_cluster::ClusterDriver { aws: a() }),
        typed(db_instance::InstanceDriver { aws: a() }),
        typed(cdc_user::CdcUserDriver { aws: a() }),
        typed(secret::SecretDriver { aws: a() }),
        typed(msk_configuration::ConfigurationDriver { aws: a() }),
        typed(msk_cluster::ClusterDriver { aws: a() }),
        typed(s3_bucket::BucketDriver { aws: a() }),
        typed(s3_bucket::ObjectDriver { aws: a() }),
        typed(iam_role::RoleDriver { aws: a() }),
        typed(iam_role::RolePolicyDriver { aws: a() }),
        typed(log_group::LogGroupDriver { aws: a() }),
        typed(msk_connect::PluginDriver { aws: a() }),
        typed(msk_connect::WorkerConfigurationDriver { aws: a() }),
        typed(msk_connect::ConnectorDriver { aws: a() }),
        typed(redshift::NamespaceDriver { aws: a() }),
        typed(redshift::WorkgroupDriver { aws: a() }),
    ];
    drivers.into_iter().map(|d| (d.schema().kind, d)).collect()
}

fn typed<D: Lifecycle + Advice>(driver: D) -> Arc<dyn Driver> {
    Arc::new(Typed::new(driver))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn the_registry_drives_every_kind_and_its_schema_lists_every_attribute() {
        let sdk = aws_config::SdkConfig::builder().build();
        let aws = std::sync::Arc::new(crate::aws::Aws::new(
            std::sync::Arc::new(crate::aws::Clients::new(sdk)),
            "us-east-1",
        ));
        let registry = crate::aws::drivers::registry(&aws);
        let kinds = crate::model::tests::kinds();
        assert_eq!(
            registry.keys().copied().collect::<BTreeSet<_>>(),
            kinds.keys().copied().collect::<BTreeSet<_>>()
        );
        for (name, driver) in &registry {
            let s = driver.schema();
            let listed: BTreeSet<&str> = s.attributes.iter().copied().collect();
            assert_eq!(&listed, &kinds[name].0, "{name}");
            assert!(s.force_new.iter().all(|f| listed.contains(f)));
            for b in s.bound_to {
                assert!(
                    kinds.contains_key(b),
                    "{name} is bound to an unknown kind {b}"
                );
            }
        }
    }
}
