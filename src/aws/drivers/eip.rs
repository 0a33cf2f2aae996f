//! Elastic IP addresses for the NAT gateways.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::ec2;
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Eip;

fn to_live(e: &aws_sdk_ec2::types::Address) -> (Option<Address>, Live) {
    let id = e.allocation_id().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert(
        "domain".into(),
        e.domain().map_or("vpc", |d| d.as_str()).into(),
    );
    a.insert("tags".into(), ec2::tags_value(e.tags()));
    a.insert("id".into(), id.clone().into());
    a.insert("public_ip".into(), e.public_ip().unwrap_or_default().into());
    (ec2::address_tag(e.tags()), Live::ready(id, a))
}

#[async_trait]
impl Driver for Eip {
    fn kind(&self) -> &'static str {
        kinds::EIP
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["domain"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |filters| async move {
            let out = ctx
                .aws
                .ec2()
                .describe_addresses()
                .set_filters(Some(filters))
                .send()
                .await
                .api("ec2:DescribeAddresses")?;
            Ok(out.addresses().to_vec())
        };
        ec2::read_owned(ctx, wanted, "allocation-id", describe, to_live).await
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let out = ctx
            .aws
            .ec2()
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(ec2::tag_spec(ResourceType::ElasticIp, d))
            .send()
            .await
            .api("ec2:AllocateAddress")?;
        let id = out.allocation_id().unwrap_or_default().to_string();
        let mut attrs = d.clone();
        attrs.insert("id".into(), id.clone().into());
        attrs.insert(
            "public_ip".into(),
            out.public_ip().unwrap_or_default().into(),
        );
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
        // Refused while a NAT gateway that used it is still being deleted.
        let in_use = |e: &crate::aws::ApiError| {
            e.code_is("InvalidIPAddress.InUse")
                || e.code_is("AuthFailure")
                || ec2::dependency_violation(e)
        };
        let r = wait::retry(
            ctx,
            &format!("releasing address {}", live.id),
            Duration::from_secs(10 * 60),
            in_use,
            || async {
                ctx.aws
                    .ec2()
                    .release_address()
                    .allocation_id(&live.id)
                    .send()
                    .await
                    .api("ec2:ReleaseAddress")
                    .map(|_| ())
            },
        )
        .await;
        match r {
            Err(DriverError::Api(e))
                if e.is_not_found() || e.code_is("InvalidAllocationID.NotFound") =>
            {
                Ok(())
            }
            other => other,
        }
    }
}
