//! Subnets: one describe call reads all nine.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::ec2;
use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, api_error};
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::network::{Subnet, SubnetAttrs};
use crate::model::{Attrs, Changed, Id, Tags};
use crate::stack::Address;

const POLICY: Policy = Policy {
    create: minutes(2),
    update: minutes(2),
    delete: minutes(20),
    transient: &[ec2::NOT_VISIBLE_YET, ec2::in_use(minutes(20))],
};

pub struct SubnetDriver {
    pub aws: Arc<Aws>,
}

fn to_live(s: &aws_sdk_ec2::types::Subnet) -> (Tags, Live<Subnet>) {
    let id = s.subnet_id().unwrap_or_default().to_string();
    let tags = ec2::tag_set(s.tags());
    let attrs = SubnetAttrs {
        vpc_id: s.vpc_id().unwrap_or_default().to_string(),
        cidr_block: s.cidr_block().unwrap_or_default().to_string(),
        availability_zone: s.availability_zone().unwrap_or_default().to_string(),
        map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
        tags: tags.clone(),
    };
    (tags, Live::ready(id.clone(), attrs, Id { id }))
}

impl SubnetDriver {
    async fn set_public_ip(&self, id: &str, on: bool) -> Result<(), DriverError> {
        self.aws
            .ec2()
            .modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
            .send()
            .await
            .api("ec2:ModifySubnetAttribute")?;
        Ok(())
    }

    /// The subnet a create collided with (made by a request of a run that
    /// died before reading the answer), if it is ours.
    async fn collided(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<Subnet>,
    ) -> Result<Option<Live<Subnet>>, DriverError> {
        let out = self
            .aws
            .ec2()
            .describe_subnets()
            .filters(ec2::filter("vpc-id", &[&d.vpc_id]))
            .filters(ec2::filter("cidr-block", &[&d.cidr_block]))
            .send()
            .await
            .api("ec2:DescribeSubnets")?;
        let objects = out.subnets().iter().map(to_live).collect();
        Ok(ec2::adoptable(ctx, address, objects))
    }
}

#[async_trait]
impl Lifecycle for SubnetDriver {
    type Kind = Subnet;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Subnet>],
    ) -> Result<Found<Subnet>, DriverError> {
        let describe = |filters| async move {
            self.aws
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
        ec2::read(ctx, wanted, "subnet-id", describe, to_live).await
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<Subnet>,
    ) -> Result<Live<Subnet>, DriverError> {
        // A VPC created a moment ago may not be visible yet.
        let res = POLICY
            .retry(ctx, Phase::Create, "creating a subnet", || async {
                self.aws
                    .ec2()
                    .create_subnet()
                    .vpc_id(&d.vpc_id)
                    .cidr_block(&d.cidr_block)
                    .availability_zone(&d.availability_zone)
                    .tag_specifications(ec2::spec(ResourceType::Subnet, &d.tags))
                    .send()
                    .await
                    .api("ec2:CreateSubnet")
            })
            .await;
        let out = match res {
            Ok(out) => out,
            Err(e) if api_error(&e).is_some_and(|a| a.code_is("InvalidSubnet.Conflict")) => {
                let live = self.collided(ctx, address, d).await?.ok_or(e)?;
                let all = SubnetAttrs {
                    vpc_id: false,
                    cidr_block: false,
                    availability_zone: false,
                    map_public_ip_on_launch: true,
                    tags: true,
                };
                return self.update(ctx, address, &live, d, &all).await;
            }
            Err(e) => return Err(e),
        };
        let id = out
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap_or_default()
            .to_string();
        if d.map_public_ip_on_launch {
            self.set_public_ip(&id, true).await?;
        }
        Ok(Live::ready(id.clone(), d.clone(), Id { id }))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<Subnet>,
        d: &Attrs<Subnet>,
        changed: &Changed<Subnet>,
    ) -> Result<Live<Subnet>, DriverError> {
        let SubnetAttrs {
            vpc_id: _,
            cidr_block: _,
            availability_zone: _,
            map_public_ip_on_launch,
            tags,
        } = *changed;
        if map_public_ip_on_launch {
            self.set_public_ip(&live.id, d.map_public_ip_on_launch)
                .await?;
        }
        if tags {
            ec2::retag(&self.aws, &live.id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Subnet>,
    ) -> Result<(), DriverError> {
        POLICY
            .delete_call(ctx, &format!("subnet {}", live.id), || async {
                self.aws
                    .ec2()
                    .delete_subnet()
                    .subnet_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteSubnet")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for SubnetDriver {}
