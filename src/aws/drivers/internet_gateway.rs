//! Internet gateway, attached to the VPC.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use super::ec2::{self, attr_str};
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct InternetGateway;

fn to_live(g: &aws_sdk_ec2::types::InternetGateway) -> (Option<Address>, Live) {
    let id = g.internet_gateway_id().unwrap_or_default().to_string();
    let vpc = g
        .attachments()
        .first()
        .and_then(|a| a.vpc_id())
        .unwrap_or_default();
    let mut a = Attrs::new();
    a.insert("vpc_id".into(), vpc.into());
    a.insert("tags".into(), ec2::tags_value(g.tags()));
    a.insert("id".into(), id.clone().into());
    (ec2::address_tag(g.tags()), Live::ready(id, a))
}

#[async_trait]
impl Driver for InternetGateway {
    fn kind(&self) -> &'static str {
        kinds::INTERNET_GATEWAY
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["vpc_id"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |filters| async move {
            ctx.aws
                .ec2()
                .describe_internet_gateways()
                .set_filters(Some(filters))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("ec2:DescribeInternetGateways")
        };
        ec2::read_owned(ctx, wanted, "internet-gateway-id", describe, to_live).await
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let ec2 = ctx.aws.ec2();
        let out = ec2
            .create_internet_gateway()
            .tag_specifications(ec2::tag_spec(ResourceType::InternetGateway, d))
            .send()
            .await
            .api("ec2:CreateInternetGateway")?;
        let id = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .unwrap_or_default()
            .to_string();
        wait::retry(
            ctx,
            "attaching the internet gateway",
            Duration::from_secs(120),
            ec2::not_found_yet,
            || async {
                ec2.attach_internet_gateway()
                    .internet_gateway_id(&id)
                    .vpc_id(attr_str(d, "vpc_id"))
                    .send()
                    .await
                    .api("ec2:AttachInternetGateway")
            },
        )
        .await?;
        let mut attrs = d.clone();
        attrs.insert("id".into(), id.clone().into());
        Ok(Live::ready(id, attrs))
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
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let ec2 = ctx.aws.ec2();
        // Refused ("mapped public addresses") until NAT gateways are deleted,
        // their addresses released and the bastion terminated.
        let timeout = Duration::from_secs(20 * 60);
        if let Some(vpc) = live.str("vpc_id").filter(|v| !v.is_empty()) {
            let r = wait::retry(
                ctx,
                &format!("detaching internet gateway {}", live.id),
                timeout,
                ec2::dependency_violation,
                || async {
                    ec2.detach_internet_gateway()
                        .internet_gateway_id(&live.id)
                        .vpc_id(vpc)
                        .send()
                        .await
                        .api("ec2:DetachInternetGateway")
                        .map(|_| ())
                },
            )
            .await;
            match r {
                Err(DriverError::Api(e))
                    if e.is_not_found() || e.code_is("Gateway.NotAttached") => {}
                other => other?,
            }
        }
        let r = wait::retry(
            ctx,
            &format!("deleting internet gateway {}", live.id),
            timeout,
            ec2::dependency_violation,
            || async {
                ec2.delete_internet_gateway()
                    .internet_gateway_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteInternetGateway")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }
}
