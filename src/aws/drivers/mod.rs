//! The resource kinds: one driver per kind behind [`crate::engine::Driver`].

mod ec2;
mod eip;
mod instance;
mod internet_gateway;
mod nat_gateway;
mod route_table;
mod security_group;
mod subnet;
mod vpc;

use std::sync::Arc;

use crate::engine::{Driver, Registry};

/// Every driver, by kind.
pub fn registry() -> Registry {
    let drivers: Vec<Arc<dyn Driver>> = vec![
        Arc::new(vpc::Vpc),
        Arc::new(subnet::Subnet),
        Arc::new(internet_gateway::InternetGateway),
        Arc::new(eip::Eip),
        Arc::new(nat_gateway::NatGateway),
        Arc::new(route_table::RouteTable),
        Arc::new(security_group::SecurityGroup),
        Arc::new(instance::Instance),
    ];
    drivers.into_iter().map(|d| (d.kind(), d)).collect()
}
