//! Subnets: one describe call reads all nine.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::ec2::{self, attr_bool, attr_str};
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Subnet;

async fn set_public_ip(ctx: &Ctx, id: &str, on: bool) -> Result<(), DriverError> {
    ctx.aws
        .ec2()
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .api("ec2:ModifySubnetAttribute")?;
    Ok(())
}

fn to_live(s: &aws_sdk_ec2::types::Subnet) -> (Option<Address>, Live) {
    let id = s.subnet_id().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert("vpc_id".into(), s.vpc_id().unwrap_or_default().into());
    a.insert(
        "cidr_block".into(),
        s.cidr_block().unwrap_or_default().into(),
    );
    a.insert(
        "availability_zone".into(),
        s.availability_zone().unwrap_or_default().into(),
    );
    a.insert(
        "map_public_ip_on_launch".into(),
        s.map_public_ip_on_launch().unwrap_or(false).into(),
    );
    a.insert("tags".into(), ec2::tags_value(s.tags()));
    a.insert("id".into(), id.clone().into());
    (ec2::address_tag(s.tags()), Live::ready(id, a))
}

#[async_trait]
impl Driver for Subnet {
    fn kind(&self) -> &'static str {
        kinds::SUBNET
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["vpc_id", "cidr_block", "availability_zone"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |filters| async move {
            ctx.aws
                .ec2()
                .describe_subnets()
                .set_filters(Some(filters))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("ec2:DescribeSubnets")
        };
        ec2::read_owned(ctx, wanted, "subnet-id", describe, to_live).await
    }

    async fn create(&self, ctx: &Ctx, address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        // A VPC created a moment ago may not be visible yet.
        let res = wait::retry(
            ctx,
            "creating a subnet",
            Duration::from_secs(120),
            ec2::not_found_yet,
            || async {
                ctx.aws
                    .ec2()
                    .create_subnet()
                    .vpc_id(attr_str(d, "vpc_id"))
                    .cidr_block(attr_str(d, "cidr_block"))
                    .availability_zone(attr_str(d, "availability_zone"))
                    .tag_specifications(ec2::tag_spec(ResourceType::Subnet, d))
                    .send()
                    .await
                    .api("ec2:CreateSubnet")
            },
        )
        .await;
        let out = match res {
            Ok(out) => out,
            // Made by a request of a run that died before reading the answer: adopt it if it is ours.
            Err(DriverError::Api(e)) if e.code_is("InvalidSubnet.Conflict") => {
                let subnets = ctx
                    .aws
                    .ec2()
                    .describe_subnets()
                    .filters(ec2::filter("vpc-id", &[attr_str(d, "vpc_id")]))
                    .filters(ec2::filter("cidr-block", &[attr_str(d, "cidr_block")]))
                    .send()
                    .await
                    .api("ec2:DescribeSubnets")?;
                let objects = subnets.subnets().iter().map(to_live).collect();
                let live = ec2::collided(ctx, address, d, objects).ok_or(DriverError::Api(e))?;
                let all = ["map_public_ip_on_launch".to_string(), "tags".to_string()];
                return self.update(ctx, address, &live, d, &all).await;
            }
            Err(e) => return Err(e),
        };
        let id = out
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap_or_default()
            .to_string();
        if attr_bool(d, "map_public_ip_on_launch") {
            set_public_ip(ctx, &id, true).await?;
        }
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
        changed: &[String],
    ) -> Result<Live, DriverError> {
        if changed.iter().any(|c| c == "map_public_ip_on_launch") {
            set_public_ip(ctx, &live.id, attr_bool(d, "map_public_ip_on_launch")).await?;
        }
        if changed.iter().any(|c| c == "tags") {
            ec2::update_tags(ctx, &live.id, &live.attrs, d).await?;
        }
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        // Network interfaces of deleted MSK brokers, connectors and workgroups
        // linger for minutes; AWS refuses until they are gone.
        let r = wait::retry(
            ctx,
            &format!("deleting subnet {}", live.id),
            Duration::from_secs(20 * 60),
            ec2::dependency_violation,
            || async {
                ctx.aws
                    .ec2()
                    .delete_subnet()
                    .subnet_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteSubnet")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }
}
