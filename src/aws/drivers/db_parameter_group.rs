//! The Aurora cluster parameter group with the binlog settings Debezium
//! needs. Attached at cluster creation, so the writer boots with them; a
//! later change is `pending-reboot` until the writer restarts.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, Parameter};
use sha2::{Digest, Sha256};

use super::common;
use super::rds;
use crate::aws::Aws;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Phase, Policy, Transient, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::aurora::{ParameterGroup, ParameterGroupAttrs, ParameterGroupOutputs};
use crate::model::{Attrs, Changed, Partial};
use crate::stack::Address;

/// Nothing here waits: the delete's retry is the only time bound.
const POLICY: Policy = Policy {
    create: minutes(5),
    update: minutes(5),
    delete: minutes(5),
    transient: &[Transient {
        during: &[Phase::Delete],
        codes: &["InvalidDBParameterGroupState"],
        messages: &[],
        patience: minutes(5),
        why: "refused while a cluster that is being deleted still uses it",
    }],
};

pub struct ParameterGroupDriver {
    pub aws: Arc<Aws>,
}

/// A digest of the parameters: changes whenever a value does.
fn digest(params: &BTreeMap<String, String>) -> String {
    let h = Sha256::digest(common::properties_text(params).as_bytes());
    h.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl ParameterGroupDriver {
    fn arn(&self, ctx: &Ctx, name: &str) -> String {
        rds::arn(&self.aws, ctx, "cluster-pg", name)
    }

    fn outputs(&self, ctx: &Ctx, a: &Attrs<ParameterGroup>) -> ParameterGroupOutputs {
        ParameterGroupOutputs {
            arn: self.arn(ctx, &a.name),
            parameters_digest: digest(&a.parameters),
        }
    }

    async fn modify(
        &self,
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
            self.aws
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
}

#[async_trait]
impl Lifecycle for ParameterGroupDriver {
    type Kind = ParameterGroup;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<ParameterGroup>],
    ) -> Result<Found<ParameterGroup>, DriverError> {
        let rds = self.aws.rds();
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
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
            let parameters: BTreeMap<String, String> = params
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_name()?.to_string(),
                        p.parameter_value()?.to_string(),
                    ))
                })
                .collect();
            let arn = self.arn(ctx, name);
            let tags = self
                .aws
                .tags_of(
                    ctx,
                    &arn,
                    w.known.tags.as_ref(),
                    rds::list_tags(&self.aws, &arn),
                )
                .await?;
            common::owned(ctx, &w.address, "DB cluster parameter group", name, &tags)?;
            // Family and description never change once created: read them only
            // for a group the state does not know.
            let (family, description) = match (
                w.known.family.as_ref().filter(|_| w.id.is_some()),
                w.known.description.as_ref().filter(|_| w.id.is_some()),
            ) {
                (Some(f), Some(d)) => (f.clone(), d.clone()),
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
            let attrs = ParameterGroupAttrs {
                name: name.to_string(),
                family,
                description,
                parameters,
                tags,
            };
            let out = self.outputs(ctx, &attrs);
            found
                .live
                .insert(w.address.clone(), Live::ready(name, attrs, out));
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<ParameterGroup>,
    ) -> Result<Live<ParameterGroup>, DriverError> {
        let name = &d.name;
        match self
            .aws
            .rds()
            .create_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .db_parameter_group_family(&d.family)
            .description(&d.description)
            .set_tags(Some(rds::sdk_tags(&d.tags)))
            .send()
            .await
            .api("rds:CreateDBClusterParameterGroup")
        {
            Ok(_) => {}
            // Left by an interrupted run: setting the parameters below makes it right.
            Err(e) if e.code_is("DBParameterGroupAlreadyExists") => {
                let tags = rds::list_tags(&self.aws, &self.arn(ctx, name)).await?;
                common::owned(ctx, address, "DB cluster parameter group", name, &tags)?;
            }
            Err(e) => return Err(e.into()),
        }
        self.modify(name, &d.parameters).await?;
        Ok(Live::ready(name, d.clone(), self.outputs(ctx, d)))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<ParameterGroup>,
        d: &Attrs<ParameterGroup>,
        changed: &Changed<ParameterGroup>,
    ) -> Result<Live<ParameterGroup>, DriverError> {
        let ParameterGroupAttrs {
            name: _,
            family: _,
            description: _,
            parameters,
            tags,
        } = *changed;
        let name = &live.id;
        if parameters {
            let (old, new) = (&live.attrs.parameters, &d.parameters);
            let set: BTreeMap<String, String> = new
                .iter()
                .filter(|(k, v)| old.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.modify(name, &set).await?;
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
                self.aws
                    .rds()
                    .reset_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(name)
                    .set_parameters(Some(gone))
                    .send()
                    .await
                    .api("rds:ResetDBClusterParameterGroup")?;
            }
        }
        if tags {
            rds::update_tags(&self.aws, &self.arn(ctx, name), &live.attrs.tags, &d.tags).await?;
        }
        Ok(Live::ready(name.clone(), d.clone(), self.outputs(ctx, d)))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<ParameterGroup>,
    ) -> Result<(), DriverError> {
        POLICY
            .delete_call(ctx, &format!("parameter group {}", live.id), || async {
                self.aws
                    .rds()
                    .delete_db_cluster_parameter_group()
                    .db_cluster_parameter_group_name(&live.id)
                    .send()
                    .await
                    .api("rds:DeleteDBClusterParameterGroup")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for ParameterGroupDriver {
    fn notes(
        &self,
        _desired: &Partial<ParameterGroup>,
        live: Option<&Live<ParameterGroup>>,
        changed: &Changed<ParameterGroup>,
    ) -> Vec<String> {
        if live.is_none() || !changed.parameters {
            return vec![];
        }
        vec!["changed parameters are applied `pending-reboot`: they take effect when the writer restarts (apply reboots it only with aurora.reboot_for_parameters = true)".into()]
    }
}
