//! Internet gateway, attached to the VPC.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use super::ec2;
use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, api_error};
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::network::{InternetGateway, InternetGatewayAttrs};
use crate::model::{Attrs, Changed, Id, Tags};
use crate::stack::Address;

// Deleting is refused ("mapped public addresses") until NAT gateways are
// deleted, their addresses released and the bastion terminated.
const POLICY: Policy = Policy {
    create: minutes(2),
    update: minutes(2),
    delete: minutes(20),
    transient: &[ec2::NOT_VISIBLE_YET, ec2::in_use(minutes(20))],
};

pub struct InternetGatewayDriver {
    pub aws: Arc<Aws>,
}

fn to_live(g: &aws_sdk_ec2::types::InternetGateway) -> (Tags, Live<InternetGateway>) {
    let id = g.internet_gateway_id().unwrap_or_default().to_string();
    let tags = ec2::tag_set(g.tags());
    let vpc = g
        .attachments()
        .first()
        .and_then(|a| a.vpc_id())
        .unwrap_or_default();
    let attrs = InternetGatewayAttrs {
        vpc_id: vpc.to_string(),
        tags: tags.clone(),
    };
    (tags, Live::ready(id.clone(), attrs, Id { id }))
}

#[async_trait]
impl Lifecycle for InternetGatewayDriver {
    type Kind = InternetGateway;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<InternetGateway>],
    ) -> Result<Found<InternetGateway>, DriverError> {
        let describe = |filters| async move {
            self.aws
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
        ec2::read(ctx, wanted, "internet-gateway-id", describe, to_live).await
    }

    async fn create(
        &self,
        ctx: &Ctx,
        _a: &Address,
        d: &Attrs<InternetGateway>,
    ) -> Result<Live<InternetGateway>, DriverError> {
        let ec2 = self.aws.ec2();
        let out = ec2
            .create_internet_gateway()
            .tag_specifications(ec2::spec(ResourceType::InternetGateway, &d.tags))
            .send()
            .await
            .api("ec2:CreateInternetGateway")?;
        let id = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .unwrap_or_default()
            .to_string();
        POLICY
            .retry(
                ctx,
                Phase::Create,
                "attaching the internet gateway",
                || async {
                    ec2.attach_internet_gateway()
                        .internet_gateway_id(&id)
                        .vpc_id(&d.vpc_id)
                        .send()
                        .await
                        .api("ec2:AttachInternetGateway")
                },
            )
            .await?;
        Ok(Live::ready(id.clone(), d.clone(), Id { id }))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<InternetGateway>,
        d: &Attrs<InternetGateway>,
        changed: &Changed<InternetGateway>,
    ) -> Result<Live<InternetGateway>, DriverError> {
        let InternetGatewayAttrs { vpc_id: _, tags } = *changed;
        if tags {
            ec2::retag(&self.aws, &live.id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<InternetGateway>,
    ) -> Result<(), DriverError> {
        let ec2 = self.aws.ec2();
        let vpc = &live.attrs.vpc_id;
        if !vpc.is_empty() {
            let r = POLICY
                .retry(
                    ctx,
                    Phase::Delete,
                    &format!("detaching internet gateway {}", live.id),
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
                Err(e)
                    if api_error(&e)
                        .is_some_and(|a| a.is_not_found() || a.code_is("Gateway.NotAttached")) => {}
                other => other?,
            }
        }
        POLICY
            .delete_call(ctx, &format!("internet gateway {}", live.id), || async {
                ec2.delete_internet_gateway()
                    .internet_gateway_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteInternetGateway")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for InternetGatewayDriver {}
