//! Security groups and their rules: each rule is one protocol, port range
//! and source (a CIDR, another group or the group itself).

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, UserIdGroupPair};

use super::ec2;
use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, api_error};
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::network::{SecurityGroup, SecurityGroupAttrs, SgRule, Source};
use crate::model::{Attrs, Changed, Id, Tags};
use crate::stack::Address;

const POLICY: Policy = Policy {
    create: minutes(2),
    update: minutes(2),
    delete: minutes(15),
    transient: &[ec2::NOT_VISIBLE_YET, ec2::in_use(minutes(15))],
};

pub struct SecurityGroupDriver {
    pub aws: Arc<Aws>,
}

/// AWS permissions → our rules (one per source).
fn rules(perms: &[IpPermission], own_id: &str) -> Vec<SgRule> {
    let mut out = Vec::new();
    for p in perms {
        let proto = p.ip_protocol().unwrap_or("-1");
        let rule = |desc: Option<&str>, source: Source| {
            let all = proto == "-1";
            SgRule {
                protocol: proto.to_string(),
                from_port: (!all).then(|| p.from_port().unwrap_or(0)),
                to_port: (!all).then(|| p.to_port().unwrap_or(0)),
                description: desc.filter(|d| !d.is_empty()).map(str::to_string),
                source,
            }
        };
        for r in p.ip_ranges() {
            let source = Source::CidrBlock(r.cidr_ip().unwrap_or_default().to_string());
            out.push(rule(r.description(), source));
        }
        for g in p.user_id_group_pairs() {
            let id = g.group_id().unwrap_or_default();
            let source = if id == own_id {
                Source::Itself(true)
            } else {
                Source::SecurityGroupId(id.to_string())
            };
            out.push(rule(g.description(), source));
        }
    }
    out
}

/// Our rule → an AWS permission.
fn permission(rule: &SgRule, own_id: &str) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol);
    if rule.protocol != "-1" {
        p = p.set_from_port(rule.from_port).set_to_port(rule.to_port);
    }
    let desc = rule.description.clone();
    match &rule.source {
        Source::CidrBlock(c) => {
            p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc).build())
        }
        Source::SecurityGroupId(g) => p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(desc)
                .build(),
        ),
        Source::Itself(_) => p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(own_id)
                .set_description(desc)
                .build(),
        ),
    }
    .build()
}

/// The allow-all egress rule every new group comes with.
fn default_egress() -> SgRule {
    SgRule {
        protocol: "-1".into(),
        from_port: None,
        to_port: None,
        description: None,
        source: Source::CidrBlock("0.0.0.0/0".into()),
    }
}

fn to_live(g: &aws_sdk_ec2::types::SecurityGroup) -> (Tags, Live<SecurityGroup>) {
    let id = g.group_id().unwrap_or_default().to_string();
    let tags = ec2::tag_set(g.tags());
    let attrs = SecurityGroupAttrs {
        name: g.group_name().unwrap_or_default().to_string(),
        description: g.description().unwrap_or_default().to_string(),
        vpc_id: g.vpc_id().unwrap_or_default().to_string(),
        ingress: rules(g.ip_permissions(), &id),
        egress: rules(g.ip_permissions_egress(), &id),
        tags: tags.clone(),
    };
    (tags, Live::ready(id.clone(), attrs, Id { id }))
}

impl SecurityGroupDriver {
    /// Brings the rules of one direction from `old` to `new`.
    async fn sync_rules(
        &self,
        id: &str,
        ingress: bool,
        old: &[SgRule],
        new: &[SgRule],
    ) -> Result<(), DriverError> {
        let ec2 = self.aws.ec2();
        let gone: Vec<IpPermission> = old
            .iter()
            .filter(|r| !new.contains(r))
            .map(|r| permission(r, id))
            .collect();
        let added: Vec<IpPermission> = new
            .iter()
            .filter(|r| !old.contains(r))
            .map(|r| permission(r, id))
            .collect();
        if !gone.is_empty() {
            let r = if ingress {
                ec2.revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(gone))
                    .send()
                    .await
                    .api("ec2:RevokeSecurityGroupIngress")
                    .map(|_| ())
            } else {
                ec2.revoke_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(gone))
                    .send()
                    .await
                    .api("ec2:RevokeSecurityGroupEgress")
                    .map(|_| ())
            };
            match r {
                Err(e) if !e.code_is("InvalidPermission.NotFound") => return Err(e.into()),
                _ => {}
            }
        }
        if !added.is_empty() {
            // One call for all rules; a rule that already exists is fine.
            let r = if ingress {
                ec2.authorize_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(added))
                    .send()
                    .await
                    .api("ec2:AuthorizeSecurityGroupIngress")
                    .map(|_| ())
            } else {
                ec2.authorize_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(added))
                    .send()
                    .await
                    .api("ec2:AuthorizeSecurityGroupEgress")
                    .map(|_| ())
            };
            match r {
                Err(e) if !e.code_is("InvalidPermission.Duplicate") => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Lifecycle for SecurityGroupDriver {
    type Kind = SecurityGroup;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<SecurityGroup>],
    ) -> Result<Found<SecurityGroup>, DriverError> {
        let describe = |filters| async move {
            self.aws
                .ec2()
                .describe_security_groups()
                .set_filters(Some(filters))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("ec2:DescribeSecurityGroups")
        };
        ec2::read(ctx, wanted, "group-id", describe, to_live).await
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<SecurityGroup>,
    ) -> Result<Live<SecurityGroup>, DriverError> {
        let ec2 = self.aws.ec2();
        let res = POLICY
            .retry(ctx, Phase::Create, "creating a security group", || async {
                ec2.create_security_group()
                    .group_name(&d.name)
                    .description(&d.description)
                    .vpc_id(&d.vpc_id)
                    .tag_specifications(ec2::spec(ResourceType::SecurityGroup, &d.tags))
                    .send()
                    .await
                    .api("ec2:CreateSecurityGroup")
            })
            .await;
        let out = match res {
            Ok(out) => out,
            // Made by a request of a run that died before reading the answer: adopt it if it is ours.
            Err(e) if api_error(&e).is_some_and(|a| a.code_is("InvalidGroup.Duplicate")) => {
                let groups = ec2
                    .describe_security_groups()
                    .filters(ec2::filter("vpc-id", &[&d.vpc_id]))
                    .filters(ec2::filter("group-name", &[&d.name]))
                    .send()
                    .await
                    .api("ec2:DescribeSecurityGroups")?;
                let objects = groups.security_groups().iter().map(to_live).collect();
                let live = ec2::adoptable(ctx, address, objects).ok_or(e)?;
                let all = SecurityGroupAttrs {
                    name: false,
                    description: false,
                    vpc_id: false,
                    ingress: true,
                    egress: true,
                    tags: true,
                };
                return self.update(ctx, address, &live, d, &all).await;
            }
            Err(e) => return Err(e),
        };
        let id = out.group_id().unwrap_or_default().to_string();
        self.sync_rules(&id, true, &[], &d.ingress).await?;
        self.sync_rules(&id, false, &[default_egress()], &d.egress)
            .await?;
        Ok(Live::ready(id.clone(), d.clone(), Id { id }))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<SecurityGroup>,
        d: &Attrs<SecurityGroup>,
        changed: &Changed<SecurityGroup>,
    ) -> Result<Live<SecurityGroup>, DriverError> {
        let SecurityGroupAttrs {
            name: _,
            description: _,
            vpc_id: _,
            ingress,
            egress,
            tags,
        } = *changed;
        if ingress {
            self.sync_rules(&live.id, true, &live.attrs.ingress, &d.ingress)
                .await?;
        }
        if egress {
            self.sync_rules(&live.id, false, &live.attrs.egress, &d.egress)
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
        live: &Live<SecurityGroup>,
    ) -> Result<(), DriverError> {
        // In use while network interfaces of deleted services linger.
        POLICY
            .delete_call(ctx, &format!("security group {}", live.id), || async {
                self.aws
                    .ec2()
                    .delete_security_group()
                    .group_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteSecurityGroup")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for SecurityGroupDriver {}
