//! VPC: CIDR, DNS support and hostnames.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName, VpcState};
use serde_json::Value;

use super::ec2::{self, attr_bool, attr_str};
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Vpc;

async fn dns(ctx: &Ctx, id: &str, attr: VpcAttributeName) -> Result<Value, DriverError> {
    let out = ctx
        .aws
        .ec2()
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(attr.clone())
        .send()
        .await
        .api("ec2:DescribeVpcAttribute")?;
    Ok(match attr {
        VpcAttributeName::EnableDnsSupport => ec2::bool_attr(out.enable_dns_support()),
        _ => ec2::bool_attr(out.enable_dns_hostnames()),
    })
}

async fn set_dns(
    ctx: &Ctx,
    id: &str,
    support: Option<bool>,
    hostnames: Option<bool>,
) -> Result<(), DriverError> {
    // One attribute per call: the API refuses both at once.
    let ec2 = ctx.aws.ec2();
    if let Some(v) = support {
        ec2.modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(AttributeBooleanValue::builder().value(v).build())
            .send()
            .await
            .api("ec2:ModifyVpcAttribute")?;
    }
    if let Some(v) = hostnames {
        ec2.modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(AttributeBooleanValue::builder().value(v).build())
            .send()
            .await
            .api("ec2:ModifyVpcAttribute")?;
    }
    Ok(())
}

fn to_live(v: &aws_sdk_ec2::types::Vpc) -> (Option<Address>, Live) {
    let id = v.vpc_id().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert(
        "cidr_block".into(),
        v.cidr_block().unwrap_or_default().into(),
    );
    a.insert("tags".into(), ec2::tags_value(v.tags()));
    a.insert("id".into(), id.clone().into());
    let ready = v.state() == Some(&VpcState::Available);
    (
        ec2::address_tag(v.tags()),
        Live {
            id,
            attrs: a,
            ready,
        },
    )
}

#[async_trait]
impl Driver for Vpc {
    fn kind(&self) -> &'static str {
        kinds::VPC
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["cidr_block"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |filters| async move {
            ctx.aws
                .ec2()
                .describe_vpcs()
                .set_filters(Some(filters))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("ec2:DescribeVpcs")
        };
        let mut found = ec2::read_owned(ctx, wanted, "vpc-id", describe, to_live).await?;
        // DNS settings are not in the describe: one call each, for our VPC only.
        for live in found.live.values_mut() {
            let support = dns(ctx, &live.id, VpcAttributeName::EnableDnsSupport).await?;
            let hostnames = dns(ctx, &live.id, VpcAttributeName::EnableDnsHostnames).await?;
            live.attrs.insert("enable_dns_support".into(), support);
            live.attrs.insert("enable_dns_hostnames".into(), hostnames);
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let out = ctx
            .aws
            .ec2()
            .create_vpc()
            .cidr_block(attr_str(d, "cidr_block"))
            .tag_specifications(ec2::tag_spec(ResourceType::Vpc, d))
            .send()
            .await
            .api("ec2:CreateVpc")?;
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        let mut attrs = d.clone();
        attrs.insert("id".into(), id.clone().into());
        let live = Live::pending(id, attrs);
        let live = self.wait(ctx, _address, &live).await?;
        set_dns(
            ctx,
            &live.id,
            Some(attr_bool(d, "enable_dns_support")),
            Some(attr_bool(d, "enable_dns_hostnames")),
        )
        .await?;
        Ok(live)
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let has = |k: &str| changed.iter().any(|c| c == k);
        set_dns(
            ctx,
            &live.id,
            has("enable_dns_support").then(|| attr_bool(d, "enable_dns_support")),
            has("enable_dns_hostnames").then(|| attr_bool(d, "enable_dns_hostnames")),
        )
        .await?;
        if has("tags") {
            ec2::update_tags(ctx, &live.id, &live.attrs, d).await?;
        }
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let r = wait::retry(
            ctx,
            &format!("deleting VPC {}", live.id),
            Duration::from_secs(20 * 60),
            ec2::dependency_violation,
            || async {
                ctx.aws
                    .ec2()
                    .delete_vpc()
                    .vpc_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteVpc")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let id = live.id.clone();
        wait::until(
            ctx,
            &format!("VPC {id} to be available"),
            Duration::from_secs(5 * 60),
            || async {
                match ctx
                    .aws
                    .ec2()
                    .describe_vpcs()
                    .vpc_ids(&id)
                    .send()
                    .await
                    .api("ec2:DescribeVpcs")
                {
                    Ok(out)
                        if out.vpcs().first().and_then(|v| v.state())
                            == Some(&VpcState::Available) =>
                    {
                        Ok(Poll::Done(()))
                    }
                    Ok(out) => Ok(Poll::Pending(format!(
                        "{:?}",
                        out.vpcs().first().and_then(|v| v.state())
                    ))),
                    Err(e) if ec2::not_found_yet(&e) => Ok(Poll::Pending("not visible yet".into())),
                    Err(e) => Err(e.into()),
                }
            },
        )
        .await?;
        Ok(Live {
            ready: true,
            ..live.clone()
        })
    }
}
