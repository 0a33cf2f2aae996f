//! The Aurora cluster parameter group with the binlog settings Debezium
//! needs. Attached at cluster creation, so the writer boots with them; a
//! later change is `pending-reboot` until the writer restarts.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, Parameter};
use sha2::{Digest, Sha256};

use super::common::{self, s};
use super::rds;
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct ParameterGroup;

/// A digest of the parameters: changes whenever a value does.
fn digest(params: &BTreeMap<String, String>) -> String {
    let h = Sha256::digest(common::properties_text(params).as_bytes());
    h.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

async fn modify(
    ctx: &Ctx,
    name: &str,
    params: &BTreeMap<String, String>,
) -> Result<(), DriverError> {
    let list: Vec<Parameter> = params
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_name(k)
                .parameter_value(v)
                .apply_method(ApplyMethod::PendingReboot)
                .build()
        })
        .collect();
    // At most 20 parameters per call.
    for chunk in list.chunks(20) {
        ctx.aws
            .rds()
            .modify_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .api("rds:ModifyDBClusterParameterGroup")?;
    }
    Ok(())
}

fn with_outputs(ctx: &Ctx, mut attrs: Attrs) -> Attrs {
    let name = s(&attrs, "name");
    let params = common::string_map(&attrs, "parameters");
    attrs.insert("arn".into(), rds::arn(ctx, "cluster-pg", &name).into());
    attrs.insert("parameters_digest".into(), digest(&params).into());
    attrs
}

#[async_trait]
impl Driver for ParameterGroup {
    fn kind(&self) -> &'static str {
        kinds::DB_CLUSTER_PARAMETER_GROUP
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name", "family", "description"]
    }

    fn volatile(&self) -> &'static [&'static str] {
        &["parameters_digest"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let rds = ctx.aws.rds();
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            // Also the existence check: a missing group is DBParameterGroupNotFound.
            let params = match rds
                .describe_db_cluster_parameters()
                .db_cluster_parameter_group_name(name)
                .source("user")
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("rds:DescribeDBClusterParameters")
            {
                Ok(p) => p,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            let params: BTreeMap<String, String> = params
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_name()?.to_string(),
                        p.parameter_value()?.to_string(),
                    ))
                })
                .collect();
            let arn = rds::arn(ctx, "cluster-pg", name);
            let tags = ctx
                .tags
                .tags(ctx, &arn, w.known.get("tags"), rds::list_tags(ctx, &arn))
                .await?;
            common::check_owned(ctx, &w.address, "DB cluster parameter group", name, &tags)?;
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            // Family and description never change once created: read them only
            // for a group the state does not know.
            let (family, description) = match (
                w.known_str("family").filter(|_| w.id.is_some()),
                w.known_str("description").filter(|_| w.id.is_some()),
            ) {
                (Some(f), Some(d)) => (f.to_string(), d.to_string()),
                _ => {
                    let groups = rds
                        .describe_db_cluster_parameter_groups()
                        .db_cluster_parameter_group_name(name)
                        .send()
                        .await
                        .api("rds:DescribeDBClusterParameterGroups")?;
                    let g = groups.db_cluster_parameter_groups().first();
                    (
                        g.and_then(|g| g.db_parameter_group_family())
                            .unwrap_or_default()
                            .to_string(),
                        g.and_then(|g| g.description())
                            .unwrap_or_default()
                            .to_string(),
                    )
                }
            };
            a.insert("family".into(), family.into());
            a.insert("description".into(), description.into());
            a.insert("parameters".into(), common::map_value(&params));
            a.insert("tags".into(), tags);
            found
                .live
                .insert(w.address.clone(), Live::ready(name, with_outputs(ctx, a)));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let name = s(d, "name");
        match ctx
            .aws
            .rds()
            .create_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(&name)
            .db_parameter_group_family(s(d, "family"))
            .description(s(d, "description"))
            .set_tags(Some(rds::sdk_tags(d)))
            .send()
            .await
            .api("rds:CreateDBClusterParameterGroup")
        {
            Ok(_) => {}
            // Left by an interrupted run: setting the parameters below makes it right.
            Err(e) if e.code_is("DBParameterGroupAlreadyExists") => {
                let tags = rds::list_tags(ctx, &rds::arn(ctx, "cluster-pg", &name)).await?;
                common::check_owned(ctx, _a, "DB cluster parameter group", &name, &tags)?;
            }
            Err(e) => return Err(e.into()),
        }
        modify(ctx, &name, &common::string_map(d, "parameters")).await?;
        Ok(Live::ready(name, with_outputs(ctx, d.clone())))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let name = &live.id;
        if changed.iter().any(|c| c == "parameters") {
            let old = common::string_map(&live.attrs, "parameters");
            let new = common::string_map(d, "parameters");
            let set: BTreeMap<String, String> = new
                .iter()
                .filter(|(k, v)| old.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            modify(ctx, name, &set).await?;
            let gone: Vec<Parameter> = old
                .keys()
                .filter(|k| !new.contains_key(*k))
                .map(|k| {
                    Parameter::builder()
                        .parameter_name(k)
                        .apply_method(ApplyMethod::PendingReboot)
                        .build()
                })
                .collect();
            if !gone.is_empty() {
                ctx.aws
                    .rds()
                    .reset_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(name)
                    .set_parameters(Some(gone))
                    .send()
                    .await
                    .api("rds:ResetDBClusterParameterGroup")?;
            }
        }
        if changed.iter().any(|c| c == "tags") {
            rds::update_tags(ctx, &rds::arn(ctx, "cluster-pg", name), &live.attrs, d).await?;
        }
        let mut attrs = live.attrs.clone();
        attrs.extend(d.clone());
        Ok(Live::ready(name.clone(), with_outputs(ctx, attrs)))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        // Refused while a cluster that is being deleted still uses it.
        let in_use = |e: &crate::aws::ApiError| e.code_is("InvalidDBParameterGroupState");
        let r = wait::retry(
            ctx,
            &format!("deleting parameter group {}", live.id),
            Duration::from_secs(5 * 60),
            in_use,
            || async {
                ctx.aws
                    .rds()
                    .delete_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(&live.id)
                    .send()
                    .await
                    .api("rds:DeleteDBClusterParameterGroup")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }

    fn notes(&self, _desired: &Attrs, live: Option<&Live>, changed: &[String]) -> Vec<String> {
        if live.is_none() || !changed.iter().any(|c| c == "parameters") {
            return vec![];
        }
        vec!["changed parameters are applied `pending-reboot`: they take effect when the writer restarts (apply reboots it only with aurora.reboot_for_parameters = true)".into()]
    }
}
