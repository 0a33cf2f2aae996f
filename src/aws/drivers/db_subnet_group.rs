//! The DB subnet group: Aurora on the database tier.

use std::time::Duration;

use async_trait::async_trait;

use super::common::{self, s, strs};
use super::rds;
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct SubnetGroup;

#[async_trait]
impl Driver for SubnetGroup {
    fn kind(&self) -> &'static str {
        kinds::DB_SUBNET_GROUP
    }

    fn bound_to(&self) -> &'static [&'static str] {
        // AWS does not move it to another VPC, nor off subnets that are
        // replaced under it (their CIDRs are taken until it leaves).
        &[kinds::VPC, kinds::SUBNET]
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name"]
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["subnet_ids"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            let out = match ctx
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
                .map_or_else(|| rds::arn(ctx, "subgrp", name), str::to_string);
            let tags = ctx
                .tags
                .tags(ctx, &arn, w.known.get("tags"), rds::list_tags(ctx, &arn))
                .await?;
            common::check_owned(ctx, &w.address, "DB subnet group", name, &tags)?;
            let subnets: Vec<serde_json::Value> = g
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier())
                .map(Into::into)
                .collect();
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            a.insert(
                "description".into(),
                g.db_subnet_group_description().unwrap_or_default().into(),
            );
            a.insert("subnet_ids".into(), subnets.into());
            a.insert("tags".into(), tags);
            a.insert("arn".into(), arn.into());
            found.live.insert(w.address.clone(), Live::ready(name, a));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let name = s(d, "name");
        match ctx
            .aws
            .rds()
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(s(d, "description"))
            .set_subnet_ids(Some(strs(d, "subnet_ids")))
            .set_tags(Some(rds::sdk_tags(d)))
            .send()
            .await
            .api("rds:CreateDBSubnetGroup")
        {
            Ok(_) => {}
            Err(e) if e.code_is("DBSubnetGroupAlreadyExists") => {
                let tags = rds::list_tags(ctx, &rds::arn(ctx, "subgrp", &name)).await?;
                common::check_owned(ctx, a, "DB subnet group", &name, &tags)?;
                let live = Live::ready(name.clone(), Attrs::new());
                return self
                    .update(
                        ctx,
                        a,
                        &live,
                        d,
                        &["subnet_ids".into(), "description".into()],
                    )
                    .await;
            }
            Err(e) => return Err(e.into()),
        }
        let mut attrs = d.clone();
        attrs.insert("arn".into(), rds::arn(ctx, "subgrp", &name).into());
        Ok(Live::ready(name, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        if changed
            .iter()
            .any(|c| c == "subnet_ids" || c == "description")
        {
            ctx.aws
                .rds()
                .modify_db_subnet_group()
                .db_subnet_group_name(&live.id)
                .db_subnet_group_description(s(d, "description"))
                .set_subnet_ids(Some(strs(d, "subnet_ids")))
                .send()
                .await
                .api("rds:ModifyDBSubnetGroup")?;
        }
        if changed.iter().any(|c| c == "tags") {
            rds::update_tags(ctx, &rds::arn(ctx, "subgrp", &live.id), &live.attrs, d).await?;
        }
        let mut attrs = live.attrs.clone();
        attrs.extend(d.clone());
        attrs.insert("arn".into(), rds::arn(ctx, "subgrp", &live.id).into());
        Ok(Live::ready(live.id.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        // Refused while the cluster using it is still being deleted.
        let in_use = |e: &crate::aws::ApiError| e.code_is("InvalidDBSubnetGroupStateFault");
        let r = wait::retry(
            ctx,
            &format!("deleting DB subnet group {}", live.id),
            Duration::from_secs(10 * 60),
            in_use,
            || async {
                ctx.aws
                    .rds()
                    .delete_db_subnet_group()
                    .db_subnet_group_name(&live.id)
                    .send()
                    .await
                    .api("rds:DeleteDBSubnetGroup")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }
}
