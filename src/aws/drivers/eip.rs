//! Elastic IP addresses for the NAT gateways.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::ec2;
use crate::aws::Aws;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Phase, Policy, Transient, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::network::{Eip, EipAttrs, EipOutputs};
use crate::model::{Attrs, Changed, Tags};
use crate::stack::Address;

const POLICY: Policy = Policy {
    create: minutes(2),
    update: minutes(2),
    delete: minutes(10),
    transient: &[Transient {
        during: &[Phase::Delete],
        codes: &[
            "InvalidIPAddress.InUse",
            "AuthFailure",
            "DependencyViolation",
        ],
        messages: &[],
        patience: Duration::from_secs(10 * 60),
        why: "a NAT gateway that used it is still being deleted",
    }],
};

pub struct EipDriver {
    pub aws: Arc<Aws>,
}

fn to_live(e: &aws_sdk_ec2::types::Address) -> (Tags, Live<Eip>) {
    let id = e.allocation_id().unwrap_or_default().to_string();
    let tags = ec2::tag_set(e.tags());
    let attrs = EipAttrs {
        domain: e.domain().map_or("vpc", |d| d.as_str()).to_string(),
        tags: tags.clone(),
    };
    let out = EipOutputs {
        id: id.clone(),
        public_ip: e.public_ip().unwrap_or_default().to_string(),
    };
    (tags, Live::ready(id, attrs, out))
}

#[async_trait]
impl Lifecycle for EipDriver {
    type Kind = Eip;

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted<Eip>]) -> Result<Found<Eip>, DriverError> {
        let describe = |filters| async move {
            let out = self
                .aws
                .ec2()
                .describe_addresses()
                .set_filters(Some(filters))
                .send()
                .await
                .api("ec2:DescribeAddresses")?;
            Ok(out.addresses().to_vec())
        };
        ec2::read(ctx, wanted, "allocation-id", describe, to_live).await
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        d: &Attrs<Eip>,
    ) -> Result<Live<Eip>, DriverError> {
        let out = self
            .aws
            .ec2()
            .allocate_address()
            .domain(DomainType::from(d.domain.as_str()))
            .tag_specifications(ec2::spec(ResourceType::ElasticIp, &d.tags))
            .send()
            .await
            .api("ec2:AllocateAddress")?;
        let id = out.allocation_id().unwrap_or_default().to_string();
        let outputs = EipOutputs {
            id: id.clone(),
            public_ip: out.public_ip().unwrap_or_default().to_string(),
        };
        Ok(Live::ready(id, d.clone(), outputs))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<Eip>,
        d: &Attrs<Eip>,
        changed: &Changed<Eip>,
    ) -> Result<Live<Eip>, DriverError> {
        let EipAttrs { domain: _, tags } = *changed;
        if tags {
            ec2::retag(&self.aws, &live.id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(live.updated(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live<Eip>) -> Result<(), DriverError> {
        POLICY
            .delete_call(ctx, &format!("address {}", live.id), || async {
                self.aws
                    .ec2()
                    .release_address()
                    .allocation_id(&live.id)
                    .send()
                    .await
                    .api("ec2:ReleaseAddress")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for EipDriver {}
