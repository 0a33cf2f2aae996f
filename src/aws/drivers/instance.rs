//! The bastion instance. Without an explicit `ami`, the latest Amazon Linux
//! 2023 image is read from the public SSM parameter at creation only, so a
//! new image release never replaces a running bastion.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    HttpTokensState, InstanceMetadataOptionsRequest, InstanceStateName, InstanceType, ResourceType,
};

use super::ec2;
use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, FoundExt};
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::network::{Instance, InstanceAttrs, InstanceOutputs};
use crate::model::{Attrs, Changed, Tags};
use crate::stack::Address;

const POLICY: Policy = Policy {
    create: minutes(10),
    update: minutes(10),
    delete: minutes(10),
    // A just-created subnet or group may not be visible yet; the client
    // token makes the retry return the same instance.
    transient: &[ec2::NOT_VISIBLE_YET],
};

pub struct InstanceDriver {
    pub aws: Arc<Aws>,
}

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

fn outputs(i: &aws_sdk_ec2::types::Instance) -> InstanceOutputs {
    InstanceOutputs {
        id: i.instance_id().unwrap_or_default().to_string(),
        public_ip: i.public_ip_address().map(str::to_string),
        private_ip: i.private_ip_address().map(str::to_string),
        volume_ids: Some(
            i.block_device_mappings()
                .iter()
                .filter_map(|m| m.ebs().and_then(|e| e.volume_id()))
                .map(str::to_string)
                .collect(),
        ),
    }
}

fn to_live(i: &aws_sdk_ec2::types::Instance) -> (Tags, Live<Instance>) {
    let tags = ec2::tag_set(i.tags());
    let attrs = InstanceAttrs {
        ami: i.image_id().map(str::to_string),
        instance_type: i.instance_type().map_or("", |t| t.as_str()).to_string(),
        subnet_id: i.subnet_id().unwrap_or_default().to_string(),
        security_group_ids: i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id())
            .map(str::to_string)
            .collect(),
        metadata_http_tokens: i
            .metadata_options()
            .and_then(|m| m.http_tokens())
            .map_or("optional", |t| t.as_str())
            .to_string(),
        key_name: i.key_name().map(str::to_string),
        tags: tags.clone(),
    };
    let out = outputs(i);
    let mut live = Live::ready(out.id.clone(), attrs, out);
    live.ready = i.state().and_then(|s| s.name()) == Some(&InstanceStateName::Running);
    (tags, live)
}

impl InstanceDriver {
    async fn describe(
        &self,
        id: &str,
    ) -> Result<Option<aws_sdk_ec2::types::Instance>, DriverError> {
        Ok(self
            .aws
            .ec2()
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .api("ec2:DescribeInstances")
            .found()?
            .and_then(|out| {
                out.reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .next()
                    .cloned()
            }))
    }

    async fn wait_state(
        &self,
        ctx: &Ctx,
        phase: Phase,
        id: &str,
        want: InstanceStateName,
    ) -> Result<Option<aws_sdk_ec2::types::Instance>, DriverError> {
        let what = format!("instance {id} to be {}", want.as_str());
        POLICY
            .until(ctx, phase, &what, || async {
                match self.describe(id).await? {
                    Some(i) if i.state().and_then(|s| s.name()) == Some(&want) => {
                        Ok(Poll::Done(Some(i)))
                    }
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

    async fn latest_ami(&self, instance_type: &str) -> Result<String, DriverError> {
        let name = al2023_parameter(instance_type);
        let out = self
            .aws
            .ssm()
            .get_parameter()
            .name(&name)
            .send()
            .await
            .api("ssm:GetParameter")?;
        Ok(out
            .parameter()
            .and_then(|p| p.value())
            .ok_or_else(|| DriverError::Failed(format!("SSM parameter {name} has no value")))?
            .to_string())
    }
}

#[async_trait]
impl Lifecycle for InstanceDriver {
    type Kind = Instance;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Instance>],
    ) -> Result<Found<Instance>, DriverError> {
        let describe = |mut filters: Vec<aws_sdk_ec2::types::Filter>| async move {
            filters.push(ec2::filter(
                "instance-state-name",
                &["pending", "running", "stopping", "stopped"],
            ));
            let reservations = self
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
        ec2::read(ctx, wanted, "instance-id", describe, to_live).await
    }

    async fn create(
        &self,
        ctx: &Ctx,
        _address: &Address,
        d: &Attrs<Instance>,
    ) -> Result<Live<Instance>, DriverError> {
        let ami = match &d.ami {
            Some(a) => a.clone(),
            None => self.latest_ami(&d.instance_type).await?,
        };
        let req = self
            .aws
            .ec2()
            .run_instances()
            .image_id(&ami)
            .instance_type(InstanceType::from(d.instance_type.as_str()))
            .subnet_id(&d.subnet_id)
            .set_security_group_ids(Some(d.security_group_ids.clone()))
            .set_key_name(d.key_name.clone())
            .min_count(1)
            .max_count(1)
            .client_token(ec2::client_token())
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_tokens(HttpTokensState::from(d.metadata_http_tokens.as_str()))
                    .build(),
            )
            .tag_specifications(ec2::spec(ResourceType::Instance, &d.tags))
            .tag_specifications(ec2::spec(ResourceType::Volume, &d.tags));
        let out = POLICY
            .retry(ctx, Phase::Create, "launching the bastion", || async {
                req.clone().send().await.api("ec2:RunInstances")
            })
            .await?;
        let id = out
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .unwrap_or_default()
            .to_string();
        let attrs = InstanceAttrs {
            ami: Some(ami),
            ..d.clone()
        };
        let outputs = InstanceOutputs {
            id: id.clone(),
            public_ip: None,
            private_ip: None,
            volume_ids: None,
        };
        Ok(Live::pending(id, attrs, outputs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Instance>,
        d: &Attrs<Instance>,
        changed: &Changed<Instance>,
    ) -> Result<Live<Instance>, DriverError> {
        let InstanceAttrs {
            ami: _,
            instance_type,
            subnet_id: _,
            security_group_ids,
            metadata_http_tokens,
            key_name: _,
            tags,
        } = *changed;
        let ec2 = self.aws.ec2();
        let id = &live.id;
        if instance_type {
            // The type of a running instance cannot change: stop, modify, start.
            ec2.stop_instances()
                .instance_ids(id)
                .send()
                .await
                .api("ec2:StopInstances")?;
            self.wait_state(ctx, Phase::Update, id, InstanceStateName::Stopped)
                .await?;
            ec2.modify_instance_attribute()
                .instance_id(id)
                .instance_type(
                    aws_sdk_ec2::types::AttributeValue::builder()
                        .value(&d.instance_type)
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
        if security_group_ids {
            ec2.modify_instance_attribute()
                .instance_id(id)
                .set_groups(Some(d.security_group_ids.clone()))
                .send()
                .await
                .api("ec2:ModifyInstanceAttribute")?;
        }
        if metadata_http_tokens {
            ec2.modify_instance_metadata_options()
                .instance_id(id)
                .http_tokens(HttpTokensState::from(d.metadata_http_tokens.as_str()))
                .send()
                .await
                .api("ec2:ModifyInstanceMetadataOptions")?;
        }
        if tags {
            ec2::retag(&self.aws, id, &live.attrs.tags, &d.tags).await?;
            for v in live.out.volume_ids.iter().flatten() {
                ec2::retag(&self.aws, v, &live.attrs.tags, &d.tags).await?;
            }
        }
        // The image it runs stays what it was (a `None` ami means "the
        // latest at creation", never compared after).
        let attrs = InstanceAttrs {
            ami: live.attrs.ami.clone(),
            ..d.clone()
        };
        Ok(Live::pending(id.clone(), attrs, live.out.clone()))
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Instance>,
    ) -> Result<Live<Instance>, DriverError> {
        let i = self
            .wait_state(ctx, Phase::Create, &live.id, InstanceStateName::Running)
            .await?;
        let mut done = live.clone().done();
        if let Some(i) = i {
            let fresh = outputs(&i);
            done.out.public_ip = fresh.public_ip;
            done.out.private_ip = fresh.private_ip;
        }
        Ok(done)
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Instance>,
    ) -> Result<(), DriverError> {
        match self
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
        self.wait_state(ctx, Phase::Delete, &live.id, InstanceStateName::Terminated)
            .await
            .map(|_| ())
    }
}

impl Advice for InstanceDriver {}

#[cfg(test)]
mod tests {
    #[test]
    fn graviton_types_get_arm_images() {
        assert!(super::al2023_parameter("t4g.micro").ends_with("arm64"));
        assert!(super::al2023_parameter("t3.micro").ends_with("x86_64"));
        assert!(super::al2023_parameter("c7gn.large").ends_with("arm64"));
    }
}
