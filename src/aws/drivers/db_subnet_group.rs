//! The DB subnet group: Aurora on the database tier.

use std::sync::Arc;

use async_trait::async_trait;

use super::common;
use super::rds;
use crate::aws::Aws;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Phase, Policy, Transient, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::aurora::{SubnetGroup, SubnetGroupAttrs};
use crate::model::{Arn, Attrs, Changed};
use crate::stack::Address;

/// Nothing here waits: the delete's retry is the only time bound.
const POLICY: Policy = Policy {
    create: minutes(10),
    update: minutes(10),
    delete: minutes(10),
    transient: &[Transient {
        during: &[Phase::Delete],
        codes: &["InvalidDBSubnetGroupStateFault"],
        messages: &[],
        patience: minutes(10),
        why: "refused while the cluster using it is still being deleted",
    }],
};

pub struct SubnetGroupDriver {
    pub aws: Arc<Aws>,
}

impl SubnetGroupDriver {
    fn arn(&self, ctx: &Ctx, name: &str) -> String {
        rds::arn(&self.aws, ctx, "subgrp", name)
    }
}

#[async_trait]
impl Lifecycle for SubnetGroupDriver {
    type Kind = SubnetGroup;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<SubnetGroup>],
    ) -> Result<Found<SubnetGroup>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            let out = match self
                .aws
                .rds()
                .describe_db_subnet_groups()
                .db_subnet_group_name(name)
                .send()
                .await
                .api("rds:DescribeDBSubnetGroups")
            {
                Ok(o) => o,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(g) = out.db_subnet_groups().first() else {
                continue;
            };
            let arn = g
                .db_subnet_group_arn()
                .map_or_else(|| self.arn(ctx, name), str::to_string);
            let tags = self
                .aws
                .tags_of(
                    ctx,
                    &arn,
                    w.known.tags.as_ref(),
                    rds::list_tags(&self.aws, &arn),
                )
                .await?;
            common::owned(ctx, &w.address, "DB subnet group", name, &tags)?;
            let attrs = SubnetGroupAttrs {
                name: name.to_string(),
                description: g
                    .db_subnet_group_description()
                    .unwrap_or_default()
                    .to_string(),
                subnet_ids: g
                    .subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier())
                    .map(str::to_string)
                    .collect(),
                tags,
            };
            found
                .live
                .insert(w.address.clone(), Live::ready(name, attrs, Arn { arn }));
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<SubnetGroup>,
    ) -> Result<Live<SubnetGroup>, DriverError> {
        let name = &d.name;
        match self
            .aws
            .rds()
            .create_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(&d.description)
            .set_subnet_ids(Some(d.subnet_ids.clone()))
            .set_tags(Some(rds::sdk_tags(&d.tags)))
            .send()
            .await
            .api("rds:CreateDBSubnetGroup")
        {
            Ok(_) => {}
            // Left by an interrupted run: take it over if it is ours, and
            // give it the subnets and description asked for.
            Err(e) if e.code_is("DBSubnetGroupAlreadyExists") => {
                let arn = self.arn(ctx, name);
                let tags = rds::list_tags(&self.aws, &arn).await?;
                common::owned(ctx, address, "DB subnet group", name, &tags)?;
                let live = Live::ready(name, d.clone(), Arn { arn });
                let subnets_and_description = SubnetGroupAttrs {
                    name: false,
                    description: true,
                    subnet_ids: true,
                    tags: false,
                };
                return self
                    .update(ctx, address, &live, d, &subnets_and_description)
                    .await;
            }
            Err(e) => return Err(e.into()),
        }
        let arn = self.arn(ctx, name);
        Ok(Live::ready(name, d.clone(), Arn { arn }))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<SubnetGroup>,
        d: &Attrs<SubnetGroup>,
        changed: &Changed<SubnetGroup>,
    ) -> Result<Live<SubnetGroup>, DriverError> {
        let SubnetGroupAttrs {
            name: _,
            description,
            subnet_ids,
            tags,
        } = *changed;
        // One call sets both.
        if subnet_ids || description {
            self.aws
                .rds()
                .modify_db_subnet_group()
                .db_subnet_group_name(&live.id)
                .db_subnet_group_description(&d.description)
                .set_subnet_ids(Some(d.subnet_ids.clone()))
                .send()
                .await
                .api("rds:ModifyDBSubnetGroup")?;
        }
        let arn = self.arn(ctx, &live.id);
        if tags {
            rds::update_tags(&self.aws, &arn, &live.attrs.tags, &d.tags).await?;
        }
        Ok(Live::ready(live.id.clone(), d.clone(), Arn { arn }))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<SubnetGroup>,
    ) -> Result<(), DriverError> {
        POLICY
            .delete_call(ctx, &format!("DB subnet group {}", live.id), || async {
                self.aws
                    .rds()
                    .delete_db_subnet_group()
                    .db_subnet_group_name(&live.id)
                    .send()
                    .await
                    .api("rds:DeleteDBSubnetGroup")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for SubnetGroupDriver {}
