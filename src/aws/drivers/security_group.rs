//! Security groups and their rules. A rule is
//! `{protocol, from_port, to_port, description, source}` where `source` is
//! `{cidr_block}`, `{security_group_id}` or `{self: true}`.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, UserIdGroupPair};
use serde_json::{Map, Value};

use super::ec2::{self, attr_str};
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct SecurityGroup;

/// AWS permissions → our rules (one per source).
fn rules(perms: &[IpPermission], own_id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for p in perms {
        let proto = p.ip_protocol().unwrap_or("-1");
        let base = |desc: Option<&str>| {
            let mut m = Map::new();
            m.insert("protocol".into(), proto.into());
            if proto != "-1" {
                m.insert("from_port".into(), p.from_port().unwrap_or(0).into());
                m.insert("to_port".into(), p.to_port().unwrap_or(0).into());
            }
            if let Some(d) = desc.filter(|d| !d.is_empty()) {
                m.insert("description".into(), d.into());
            }
            m
        };
        for r in p.ip_ranges() {
            let mut m = base(r.description());
            m.insert(
                "source".into(),
                serde_json::json!({ "cidr_block": r.cidr_ip().unwrap_or_default() }),
            );
            out.push(Value::Object(m));
        }
        for g in p.user_id_group_pairs() {
            let mut m = base(g.description());
            let id = g.group_id().unwrap_or_default();
            let src = if id == own_id {
                serde_json::json!({ "self": true })
            } else {
                serde_json::json!({ "security_group_id": id })
            };
            m.insert("source".into(), src);
            out.push(Value::Object(m));
        }
    }
    out
}

/// Our rule → an AWS permission.
fn permission(rule: &Value, own_id: &str) -> IpPermission {
    let proto = rule.get("protocol").and_then(Value::as_str).unwrap_or("-1");
    let port = |k: &str| {
        rule.get(k)
            .and_then(Value::as_i64)
            .and_then(|p| i32::try_from(p).ok())
    };
    let desc = rule
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string);
    let src = rule.get("source").cloned().unwrap_or_default();
    let mut p = IpPermission::builder().ip_protocol(proto);
    if proto != "-1" {
        p = p
            .set_from_port(port("from_port"))
            .set_to_port(port("to_port"));
    }
    if let Some(c) = src.get("cidr_block").and_then(Value::as_str) {
        p = p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc).build());
    } else {
        let gid = if src.get("self").and_then(Value::as_bool) == Some(true) {
            own_id.to_string()
        } else {
            src.get("security_group_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(gid)
                .set_description(desc)
                .build(),
        );
    }
    p.build()
}

fn rule_list(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Brings the rules of one direction from `old` to `new`.
async fn sync_rules(
    ctx: &Ctx,
    id: &str,
    ingress: bool,
    old: &[Value],
    new: &[Value],
) -> Result<(), DriverError> {
    let ec2 = ctx.aws.ec2();
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

fn to_live(g: &aws_sdk_ec2::types::SecurityGroup) -> (Option<Address>, Live) {
    let id = g.group_id().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert("name".into(), g.group_name().unwrap_or_default().into());
    a.insert(
        "description".into(),
        g.description().unwrap_or_default().into(),
    );
    a.insert("vpc_id".into(), g.vpc_id().unwrap_or_default().into());
    a.insert(
        "ingress".into(),
        Value::Array(rules(g.ip_permissions(), &id)),
    );
    a.insert(
        "egress".into(),
        Value::Array(rules(g.ip_permissions_egress(), &id)),
    );
    a.insert("tags".into(), ec2::tags_value(g.tags()));
    a.insert("id".into(), id.clone().into());
    (ec2::address_tag(g.tags()), Live::ready(id, a))
}

#[async_trait]
impl Driver for SecurityGroup {
    fn kind(&self) -> &'static str {
        kinds::SECURITY_GROUP
    }

    fn force_new(&self) -> &'static [&'static str] {
        // The API cannot change a group's name or description.
        &["name", "description", "vpc_id"]
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["ingress", "egress"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let describe = |filters| async move {
            ctx.aws
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
        ec2::read_owned(ctx, wanted, "group-id", describe, to_live).await
    }

    async fn create(&self, ctx: &Ctx, address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let ec2 = ctx.aws.ec2();
        let res = wait::retry(
            ctx,
            "creating a security group",
            Duration::from_secs(120),
            ec2::not_found_yet,
            || async {
                ec2.create_security_group()
                    .group_name(attr_str(d, "name"))
                    .description(attr_str(d, "description"))
                    .vpc_id(attr_str(d, "vpc_id"))
                    .tag_specifications(ec2::tag_spec(ResourceType::SecurityGroup, d))
                    .send()
                    .await
                    .api("ec2:CreateSecurityGroup")
            },
        )
        .await;
        let out = match res {
            Ok(out) => out,
            // Made by a request of a run that died before reading the answer: adopt it if it is ours.
            Err(DriverError::Api(e)) if e.code_is("InvalidGroup.Duplicate") => {
                let groups = ec2
                    .describe_security_groups()
                    .filters(ec2::filter("vpc-id", &[attr_str(d, "vpc_id")]))
                    .filters(ec2::filter("group-name", &[attr_str(d, "name")]))
                    .send()
                    .await
                    .api("ec2:DescribeSecurityGroups")?;
                let objects = groups.security_groups().iter().map(to_live).collect();
                let live = ec2::collided(ctx, address, d, objects).ok_or(DriverError::Api(e))?;
                let all = [
                    "ingress".to_string(),
                    "egress".to_string(),
                    "tags".to_string(),
                ];
                return self.update(ctx, address, &live, d, &all).await;
            }
            Err(e) => return Err(e),
        };
        let id = out.group_id().unwrap_or_default().to_string();
        // New groups come with an allow-all egress rule.
        let default_egress =
            vec![serde_json::json!({ "protocol": "-1", "source": { "cidr_block": "0.0.0.0/0" } })];
        sync_rules(ctx, &id, true, &[], &rule_list(d.get("ingress"))).await?;
        sync_rules(
            ctx,
            &id,
            false,
            &default_egress,
            &rule_list(d.get("egress")),
        )
        .await?;
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
        for (k, ingress) in [("ingress", true), ("egress", false)] {
            if changed.iter().any(|c| c == k) {
                sync_rules(
                    ctx,
                    &live.id,
                    ingress,
                    &rule_list(live.attrs.get(k)),
                    &rule_list(d.get(k)),
                )
                .await?;
            }
        }
        if changed.iter().any(|c| c == "tags") {
            ec2::update_tags(ctx, &live.id, &live.attrs, d).await?;
        }
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        // In use while network interfaces of deleted services linger.
        let r = wait::retry(
            ctx,
            &format!("deleting security group {}", live.id),
            Duration::from_secs(15 * 60),
            ec2::dependency_violation,
            || async {
                ctx.aws
                    .ec2()
                    .delete_security_group()
                    .group_id(&live.id)
                    .send()
                    .await
                    .api("ec2:DeleteSecurityGroup")
                    .map(|_| ())
            },
        )
        .await;
        match r {
            Err(DriverError::Api(e)) if e.is_not_found() || e.code_is("InvalidGroup.NotFound") => {
                Ok(())
            }
            other => other,
        }
    }
}
