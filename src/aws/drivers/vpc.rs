//! VPC: CIDR, DNS support and hostnames.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName, VpcState};

use super::ec2;
use crate::aws::Aws;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::network::{Vpc, VpcAttrs};
use crate::model::{Attrs, Changed, Id, Tags};
use crate::stack::Address;

const POLICY: Policy = Policy {
    create: minutes(5),
    update: minutes(5),
    delete: minutes(20),
    transient: &[ec2::in_use(minutes(20))],
};

pub struct VpcDriver {
    pub aws: Arc<Aws>,
}

fn to_live(v: &aws_sdk_ec2::types::Vpc) -> (Tags, Live<Vpc>) {
    let id = v.vpc_id().unwrap_or_default().to_string();
    let tags = ec2::tag_set(v.tags());
    let attrs = VpcAttrs {
        cidr_block: v.cidr_block().unwrap_or_default().to_string(),
        // Not in the describe: read for our VPCs only (see `read`).
        enable_dns_support: false,
        enable_dns_hostnames: false,
        tags: tags.clone(),
    };
    let mut live = Live::ready(id.clone(), attrs, Id { id });
    live.ready = v.state() == Some(&VpcState::Available);
    (tags, live)
}

impl VpcDriver {
    async fn dns(&self, id: &str, attr: VpcAttributeName) -> Result<bool, DriverError> {
        let out = self
            .aws
            .ec2()
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(attr.clone())
            .send()
            .await
            .api("ec2:DescribeVpcAttribute")?;
        Ok(match attr {
            VpcAttributeName::EnableDnsSupport => ec2::flag(out.enable_dns_support()),
            _ => ec2::flag(out.enable_dns_hostnames()),
        })
    }

    async fn set_dns(
        &self,
        id: &str,
        support: Option<bool>,
        hostnames: Option<bool>,
    ) -> Result<(), DriverError> {
        // One attribute per call: the API refuses both at once.
        let ec2 = self.aws.ec2();
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
}

#[async_trait]
impl Lifecycle for VpcDriver {
    type Kind = Vpc;

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted<Vpc>]) -> Result<Found<Vpc>, DriverError> {
        let describe = |filters| async move {
            self.aws
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
        let mut found = ec2::read(ctx, wanted, "vpc-id", describe, to_live).await?;
        // DNS settings are not in the describe: one call each, for our VPC only.
        for live in found.live.values_mut() {
            live.attrs.enable_dns_support = self
                .dns(&live.id, VpcAttributeName::EnableDnsSupport)
                .await?;
            live.attrs.enable_dns_hostnames = self
                .dns(&live.id, VpcAttributeName::EnableDnsHostnames)
                .await?;
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<Vpc>,
    ) -> Result<Live<Vpc>, DriverError> {
        let out = self
            .aws
            .ec2()
            .create_vpc()
            .cidr_block(&d.cidr_block)
            .tag_specifications(ec2::spec(ResourceType::Vpc, &d.tags))
            .send()
            .await
            .api("ec2:CreateVpc")?;
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        let live = Live::pending(id.clone(), d.clone(), Id { id });
        let live = self.wait(ctx, address, &live).await?;
        self.set_dns(
            &live.id,
            Some(d.enable_dns_support),
            Some(d.enable_dns_hostnames),
        )
        .await?;
        Ok(live)
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<Vpc>,
        d: &Attrs<Vpc>,
        changed: &Changed<Vpc>,
    ) -> Result<Live<Vpc>, DriverError> {
        let VpcAttrs {
            cidr_block: _,
            enable_dns_support,
            enable_dns_hostnames,
            tags,
        } = *changed;
        self.set_dns(
            &live.id,
            enable_dns_support.then_some(d.enable_dns_support),
            enable_dns_hostnames.then_some(d.enable_dns_hostnames),
        )
        .await?;
        if tags {
            ec2::retag(&self.aws, &live.id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(live.updated(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live<Vpc>) -> Result<(), DriverError> {
        POLICY
            .delete_call(ctx, &format!("VPC {}", live.id), || async {
                self.aws
                    .ec2()
                    .delete_vpc()
                    .vpc_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteVpc")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Vpc>,
    ) -> Result<Live<Vpc>, DriverError> {
        let id = &live.id;
        POLICY
            .until(
                ctx,
                Phase::Create,
                &format!("VPC {id} to be available"),
                || async {
                    match self
                        .aws
                        .ec2()
                        .describe_vpcs()
                        .vpc_ids(id)
                        .send()
                        .await
                        .api("ec2:DescribeVpcs")
                    {
                        Ok(out) => match out.vpcs().first().and_then(|v| v.state()) {
                            Some(VpcState::Available) => Ok(Poll::Done(())),
                            state => Ok(Poll::Pending(
                                state.map_or("unknown", |s| s.as_str()).to_string(),
                            )),
                        },
                        Err(e) if ec2::not_found_yet(&e) => {
                            Ok(Poll::Pending("not visible yet".into()))
                        }
                        Err(e) => Err(e.into()),
                    }
                },
            )
            .await?;
        Ok(live.clone().done())
    }
}

impl Advice for VpcDriver {}
