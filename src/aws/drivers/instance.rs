//! The bastion instance. Without an explicit `ami`, the latest Amazon Linux
//! 2023 image is read from the public SSM parameter at creation only, so a
//! new image release never replaces a running bastion.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    HttpTokensState, InstanceMetadataOptionsRequest, InstanceStateName, InstanceType, ResourceType,
};
use serde_json::Value;

use super::ec2::{self, attr_str, attr_strs};
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Instance;

const TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The SSM parameter of the latest Amazon Linux 2023 image for the architecture.
fn al2023_parameter(instance_type: &str) -> String {
    // Graviton families carry a `g` after the generation digit (t4g, m7g, c7gn).
    let family = instance_type.split('.').next().unwrap_or_default();
    let arm = family
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .contains('g');
    let arch = if arm { "arm64" } else { "x86_64" };
    format!("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}")
}

fn to_live(i: &aws_sdk_ec2::types::Instance) -> (Option<Address>, Live) {
    let id = i.instance_id().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert("ami".into(), i.image_id().unwrap_or_default().into());
    a.insert(
        "instance_type".into(),
        i.instance_type().map_or("", |t| t.as_str()).into(),
    );
    a.insert("subnet_id".into(), i.subnet_id().unwrap_or_default().into());
    let sgs: Vec<Value> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .map(Value::from)
        .collect();
    a.insert("security_group_ids".into(), Value::Array(sgs));
    if let Some(k) = i.key_name() {
        a.insert("key_name".into(), k.into());
    }
    let tokens = i
        .metadata_options()
        .and_then(|m| m.http_tokens())
        .map_or("optional", |t| t.as_str());
    a.insert("metadata_http_tokens".into(), tokens.into());
    a.insert("tags".into(), ec2::tags_value(i.tags()));
    // Tagged with the instance at launch; tag changes follow to them.
    let volumes: Vec<Value> = i
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()))
        .map(Value::from)
        .collect();
    a.insert("volume_ids".into(), Value::Array(volumes));
    a.insert("id".into(), id.clone().into());
    a.insert(
        "public_ip".into(),
        i.public_ip_address().unwrap_or_default().into(),
    );
    a.insert(
        "private_ip".into(),
        i.private_ip_address().unwrap_or_default().into(),
    );
    let ready = i.state().and_then(|s| s.name()) == Some(&InstanceStateName::Running);
    (
        ec2::address_tag(i.tags()),
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
) -> Result<Option<aws_sdk_ec2::types::Instance>, DriverError> {
    match ctx
        .aws
        .ec2()
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .api("ec2:DescribeInstances")
    {
        Ok(out) => Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
            .cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn wait_state(
    ctx: &Ctx,
    id: &str,
    want: InstanceStateName,
) -> Result<Option<aws_sdk_ec2::types::Instance>, DriverError> {
    let what = format!("instance {id} to be {}", want.as_str());
    wait::until(ctx, &what, TIMEOUT, || async {
        match describe(ctx, id).await? {
            Some(i) if i.state().and_then(|s| s.name()) == Some(&want) => Ok(Poll::Done(Some(i))),
            None if want == InstanceStateName::Terminated => Ok(Poll::Done(None)),
            Some(i) => Ok(Poll::Pending(
                i.state()
                    .and_then(|s| s.name())
                    .map_or("unknown", |s| s.as_str())
                    .to_string(),
            )),
            None => Ok(Poll::Pending("not visible yet".into())),
        }
    })
    .await
}

#[async_trait]
impl Driver for Instance {
    fn kind(&self) -> &'static str {
        kinds::INSTANCE
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["ami", "subnet_id", "key_name"]
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["security_group_ids"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |mut filters: Vec<aws_sdk_ec2::types::Filter>| async move {
            filters.push(ec2::filter(
                "instance-state-name",
                &["pending", "running", "stopping", "stopped"],
            ));
            let reservations = ctx
                .aws
                .ec2()
                .describe_instances()
                .set_filters(Some(filters))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("ec2:DescribeInstances")?;
            Ok(reservations
                .iter()
                .flat_map(|r| r.instances().to_vec())
                .collect())
        };
        ec2::read_owned(ctx, wanted, "instance-id", describe, to_live).await
    }

    async fn create(&self, ctx: &Ctx, _address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let instance_type = attr_str(d, "instance_type");
        let ami = match d.get("ami").and_then(Value::as_str) {
            Some(a) => a.to_string(),
            None => {
                let name = al2023_parameter(instance_type);
                let out = ctx
                    .aws
                    .ssm()
                    .get_parameter()
                    .name(&name)
                    .send()
                    .await
                    .api("ssm:GetParameter")?;
                out.parameter()
                    .and_then(|p| p.value())
                    .ok_or_else(|| {
                        DriverError::Failed(format!("SSM parameter {name} has no value"))
                    })?
                    .to_string()
            }
        };
        let req = ctx
            .aws
            .ec2()
            .run_instances()
            .image_id(&ami)
            .instance_type(InstanceType::from(instance_type))
            .subnet_id(attr_str(d, "subnet_id"))
            .set_security_group_ids(Some(attr_strs(d, "security_group_ids")))
            .set_key_name(
                d.get("key_name")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
            .min_count(1)
            .max_count(1)
            .client_token(Ctx::client_token())
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_tokens(HttpTokensState::Required)
                    .build(),
            )
            .tag_specifications(ec2::tag_spec(ResourceType::Instance, d))
            .tag_specifications(ec2::tag_spec(ResourceType::Volume, d));
        // A just-created subnet or group may not be visible yet; the client
        // token makes the retry return the same instance.
        let out = wait::retry(
            ctx,
            "launching the bastion",
            Duration::from_secs(120),
            ec2::not_found_yet,
            || async { req.clone().send().await.api("ec2:RunInstances") },
        )
        .await?;
        let id = out
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .unwrap_or_default()
            .to_string();
        let mut attrs = d.clone();
        attrs.insert("ami".into(), ami.into());
        attrs.insert("id".into(), id.clone().into());
        Ok(Live::pending(id, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let ec2 = ctx.aws.ec2();
        let id = &live.id;
        if changed.iter().any(|c| c == "instance_type") {
            // The type of a running instance cannot change: stop, modify, start.
            ec2.stop_instances()
                .instance_ids(id)
                .send()
                .await
                .api("ec2:StopInstances")?;
            wait_state(ctx, id, InstanceStateName::Stopped).await?;
            ec2.modify_instance_attribute()
                .instance_id(id)
                .instance_type(
                    aws_sdk_ec2::types::AttributeValue::builder()
                        .value(attr_str(d, "instance_type"))
                        .build(),
                )
                .send()
                .await
                .api("ec2:ModifyInstanceAttribute")?;
            ec2.start_instances()
                .instance_ids(id)
                .send()
                .await
                .api("ec2:StartInstances")?;
        }
        if changed.iter().any(|c| c == "security_group_ids") {
            ec2.modify_instance_attribute()
                .instance_id(id)
                .set_groups(Some(attr_strs(d, "security_group_ids")))
                .send()
                .await
                .api("ec2:ModifyInstanceAttribute")?;
        }
        if changed.iter().any(|c| c == "metadata_http_tokens") {
            ec2.modify_instance_metadata_options()
                .instance_id(id)
                .http_tokens(HttpTokensState::from(attr_str(d, "metadata_http_tokens")))
                .send()
                .await
                .api("ec2:ModifyInstanceMetadataOptions")?;
        }
        if changed.iter().any(|c| c == "tags") {
            ec2::update_tags(ctx, id, &live.attrs, d).await?;
            let volumes = live.attrs.get("volume_ids").and_then(Value::as_array);
            for v in volumes.into_iter().flatten().filter_map(Value::as_str) {
                ec2::update_tags(ctx, v, &live.attrs, d).await?;
            }
        }
        let mut attrs = live.attrs.clone();
        attrs.extend(d.clone());
        Ok(Live::pending(id.clone(), attrs))
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let i = wait_state(ctx, &live.id, InstanceStateName::Running).await?;
        let mut attrs = live.attrs.clone();
        if let Some(i) = i {
            let (_, fresh) = to_live(&i);
            for k in ["public_ip", "private_ip"] {
                if let Some(v) = fresh.attrs.get(k) {
                    attrs.insert(k.into(), v.clone());
                }
            }
        }
        Ok(Live::ready(live.id.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        match ctx
            .aws
            .ec2()
            .terminate_instances()
            .instance_ids(&live.id)
            .send()
            .await
            .api("ec2:TerminateInstances")
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        // Its security group, subnet and public address are only free once it is gone.
        wait_state(ctx, &live.id, InstanceStateName::Terminated)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn graviton_types_get_arm_images() {
        assert!(super::al2023_parameter("t4g.micro").ends_with("arm64"));
        assert!(super::al2023_parameter("t3.micro").ends_with("x86_64"));
        assert!(super::al2023_parameter("c7gn.large").ends_with("arm64"));
    }
}
