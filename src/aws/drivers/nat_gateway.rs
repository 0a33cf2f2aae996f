//! NAT gateways: slow to create and delete; created with a client token so
//! a retried request never makes a second one.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, NatGatewayState, ResourceType};

use super::ec2;
use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, FoundExt};
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::network::{NatGateway, NatGatewayAttrs, NatGatewayOutputs};
use crate::model::{Attrs, Changed, Tags};
use crate::stack::Address;

/// Terraform's defaults (vpc_nat_gateway.go): create 10 min, delete 30 min.
const POLICY: Policy = Policy {
    create: minutes(10),
    update: minutes(10),
    delete: minutes(30),
    transient: &[],
};

pub struct NatGatewayDriver {
    pub aws: Arc<Aws>,
}

fn to_live(n: &aws_sdk_ec2::types::NatGateway) -> (Tags, Live<NatGateway>) {
    let id = n.nat_gateway_id().unwrap_or_default().to_string();
    let tags = ec2::tag_set(n.tags());
    let alloc = n
        .nat_gateway_addresses()
        .first()
        .and_then(|x| x.allocation_id())
        .unwrap_or_default();
    let attrs = NatGatewayAttrs {
        subnet_id: n.subnet_id().unwrap_or_default().to_string(),
        allocation_id: alloc.to_string(),
        connectivity_type: n
            .connectivity_type()
            .map_or("public", |c| c.as_str())
            .to_string(),
        tags: tags.clone(),
    };
    let out = NatGatewayOutputs {
        id: id.clone(),
        state: Some(n.state().map_or("", |s| s.as_str()).to_string()),
        failure: n
            .failure_message()
            .map(|m| format!("{} {m}", n.failure_code().unwrap_or_default())),
    };
    let mut live = Live::ready(id, attrs, out);
    live.ready = matches!(
        n.state(),
        Some(NatGatewayState::Available | NatGatewayState::Failed)
    );
    (tags, live)
}

impl NatGatewayDriver {
    async fn describe(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::NatGateway>, DriverError> {
        Ok(self
            .aws
            .ec2()
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .api("ec2:DescribeNatGateways")
            .found()?
            .and_then(|out| out.nat_gateways().first().cloned()))
    }
}

#[async_trait]
impl Lifecycle for NatGatewayDriver {
    type Kind = NatGateway;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<NatGateway>],
    ) -> Result<Found<NatGateway>, DriverError> {
        let describe = |filters: Vec<aws_sdk_ec2::types::Filter>| async move {
            // Deleted gateways stay listed for about an hour: filter by state.
            let mut req = self
                .aws
                .ec2()
                .describe_nat_gateways()
                .filter(ec2::filter("state", &["pending", "available", "failed"]));
            for f in filters {
                req = req.filter(f);
            }
            req.into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("ec2:DescribeNatGateways")
        };
        ec2::read(ctx, wanted, "nat-gateway-id", describe, to_live).await
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _address: &Address,
        d: &Attrs<NatGateway>,
    ) -> Result<Live<NatGateway>, DriverError> {
        let out = self
            .aws
            .ec2()
            .create_nat_gateway()
            .subnet_id(&d.subnet_id)
            .allocation_id(&d.allocation_id)
            .connectivity_type(ConnectivityType::from(d.connectivity_type.as_str()))
            .client_token(ec2::client_token())
            .tag_specifications(ec2::spec(ResourceType::Natgateway, &d.tags))
            .send()
            .await
            .api("ec2:CreateNatGateway")?;
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .unwrap_or_default()
            .to_string();
        let outputs = NatGatewayOutputs {
            id: id.clone(),
            state: None,
            failure: None,
        };
        Ok(Live::pending(id, d.clone(), outputs))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<NatGateway>,
        d: &Attrs<NatGateway>,
        changed: &Changed<NatGateway>,
    ) -> Result<Live<NatGateway>, DriverError> {
        let NatGatewayAttrs {
            subnet_id: _,
            allocation_id: _,
            connectivity_type: _,
            tags,
        } = *changed;
        if tags {
            ec2::retag(&self.aws, &live.id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(Live {
            ready: live.ready,
            ..live.updated(d)
        })
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<NatGateway>,
    ) -> Result<Live<NatGateway>, DriverError> {
        let id = &live.id;
        let what = format!("NAT gateway {id} to be available");
        let n = POLICY
            .until(ctx, Phase::Create, &what, || async {
                match self.describe(id).await? {
                    Some(n) if n.state() == Some(&NatGatewayState::Available) => Ok(Poll::Done(n)),
                    Some(n) if n.state() == Some(&NatGatewayState::Failed) => {
                        Err(DriverError::Failed(format!(
                            "NAT gateway {id} failed: {} {}",
                            n.failure_code().unwrap_or_default(),
                            n.failure_message().unwrap_or_default()
                        )))
                    }
                    Some(n) => Ok(Poll::Pending(
                        n.state().map_or("unknown", |s| s.as_str()).to_string(),
                    )),
                    None => Ok(Poll::Pending("not visible yet".into())),
                }
            })
            .await?;
        let mut done = live.clone().done();
        done.out.state = n.state().map(|s| s.as_str().to_string());
        Ok(done)
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<NatGateway>,
    ) -> Result<(), DriverError> {
        let id = &live.id;
        let delete = || async {
            self.aws
                .ec2()
                .delete_nat_gateway()
                .nat_gateway_id(id)
                .send()
                .await
                .api("ec2:DeleteNatGateway")
                .map(|_| ())
        };
        // Its address can only be released, and the internet gateway
        // detached, once the gateway is fully deleted.
        let status = || async {
            Ok(self
                .describe(id)
                .await?
                .filter(|n| n.state() != Some(&NatGatewayState::Deleted))
                .map(|n| n.state().map_or("unknown", |s| s.as_str()).to_string()))
        };
        POLICY
            .delete(ctx, &format!("NAT gateway {id}"), delete, status)
            .await
    }
}

impl Advice for NatGatewayDriver {
    /// A failed gateway cannot be repaired: replace it.
    fn broken(&self, live: &Live<NatGateway>) -> Option<String> {
        (live.out.state.as_deref() == Some("failed")).then(|| {
            format!(
                "NAT gateway {} failed: {}",
                live.id,
                live.out.failure.as_deref().unwrap_or("no reason given")
            )
        })
    }
}
