//! NAT gateways: slow to create and delete; created with a client token so
//! a retried request never makes a second one.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, NatGatewayState, ResourceType};

use super::ec2::{self, attr_str};
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct NatGateway;

/// Terraform's defaults (vpc_nat_gateway.go): create 10 min, delete 30 min.
const CREATE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

fn to_live(n: &aws_sdk_ec2::types::NatGateway) -> (Option<Address>, Live) {
    let id = n.nat_gateway_id().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert("subnet_id".into(), n.subnet_id().unwrap_or_default().into());
    let alloc = n
        .nat_gateway_addresses()
        .first()
        .and_then(|x| x.allocation_id())
        .unwrap_or_default();
    a.insert("allocation_id".into(), alloc.into());
    a.insert(
        "connectivity_type".into(),
        n.connectivity_type()
            .map_or("public", |c| c.as_str())
            .into(),
    );
    a.insert("tags".into(), ec2::tags_value(n.tags()));
    a.insert("id".into(), id.clone().into());
    a.insert("state".into(), n.state().map_or("", |s| s.as_str()).into());
    if let Some(m) = n.failure_message() {
        a.insert(
            "failure".into(),
            format!("{} {m}", n.failure_code().unwrap_or_default()).into(),
        );
    }
    let ready = matches!(
        n.state(),
        Some(NatGatewayState::Available | NatGatewayState::Failed)
    );
    (
        ec2::address_tag(n.tags()),
        Live {
            id,
            attrs: a,
            ready,
        },
    )
}

async fn describe(
    ctx: &Ctx,
    id: &str,
) -> Result<Option<aws_sdk_ec2::types::NatGateway>, DriverError> {
    match ctx
        .aws
        .ec2()
        .describe_nat_gateways()
        .nat_gateway_ids(id)
        .send()
        .await
        .api("ec2:DescribeNatGateways")
    {
        Ok(out) => Ok(out.nat_gateways().first().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl Driver for NatGateway {
    fn kind(&self) -> &'static str {
        kinds::NAT_GATEWAY
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["subnet_id", "allocation_id", "connectivity_type"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |filters: Vec<aws_sdk_ec2::types::Filter>| async move {
            // Deleted gateways stay listed for about an hour: filter by state.
            let mut req = ctx
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
        ec2::read_owned(ctx, wanted, "nat-gateway-id", describe, to_live).await
    }

    /// A failed gateway cannot be repaired: replace it.
    fn broken(&self, live: &Live) -> Option<String> {
        (live.str("state") == Some("failed")).then(|| {
            format!(
                "NAT gateway {} failed: {}",
                live.id,
                live.str("failure").unwrap_or("no reason given")
            )
        })
    }

    async fn create(&self, ctx: &Ctx, _address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let token = Ctx::client_token();
        let out = ctx
            .aws
            .ec2()
            .create_nat_gateway()
            .subnet_id(attr_str(d, "subnet_id"))
            .allocation_id(attr_str(d, "allocation_id"))
            .connectivity_type(ConnectivityType::Public)
            .client_token(token)
            .tag_specifications(ec2::tag_spec(ResourceType::Natgateway, d))
            .send()
            .await
            .api("ec2:CreateNatGateway")?;
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .unwrap_or_default()
            .to_string();
        let mut attrs = d.clone();
        attrs.insert("id".into(), id.clone().into());
        Ok(Live::pending(id, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        _changed: &[String],
    ) -> Result<Live, DriverError> {
        ec2::update_tags(ctx, &live.id, &live.attrs, d).await?;
        Ok(Live {
            ready: live.ready,
            ..live.merged(d)
        })
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let id = live.id.clone();
        wait::until(
            ctx,
            &format!("NAT gateway {id} to be available"),
            CREATE_TIMEOUT,
            || async {
                match describe(ctx, &id).await? {
                    Some(n) if n.state() == Some(&NatGatewayState::Available) => Ok(Poll::Done(())),
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
            },
        )
        .await?;
        Ok(Live {
            ready: true,
            ..live.clone()
        })
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        match ctx
            .aws
            .ec2()
            .delete_nat_gateway()
            .nat_gateway_id(&live.id)
            .send()
            .await
            .api("ec2:DeleteNatGateway")
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        // Its address can only be released, and the internet gateway
        // detached, once the gateway is fully deleted.
        let id = live.id.clone();
        wait::until(
            ctx,
            &format!("NAT gateway {id} to be deleted"),
            DELETE_TIMEOUT,
            || async {
                match describe(ctx, &id).await? {
                    None => Ok(Poll::Done(())),
                    Some(n) if n.state() == Some(&NatGatewayState::Deleted) => Ok(Poll::Done(())),
                    Some(n) => Ok(Poll::Pending(
                        n.state().map_or("unknown", |s| s.as_str()).to_string(),
                    )),
                }
            },
        )
        .await
    }
}
