//! Aurora instances: the first is the writer, the others readers.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance;

use super::common::{self, b, s};
use super::rds;
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Instance;

/// Terraform's default (rds/cluster_instance.go): 90 minutes.
const TIMEOUT: Duration = Duration::from_secs(90 * 60);

fn to_live(i: &DbInstance) -> Live {
    let id = i.db_instance_identifier().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert("identifier".into(), id.clone().into());
    a.insert(
        "cluster_identifier".into(),
        i.db_cluster_identifier().unwrap_or_default().into(),
    );
    a.insert("engine".into(), i.engine().unwrap_or_default().into());
    a.insert(
        "instance_class".into(),
        i.db_instance_class().unwrap_or_default().into(),
    );
    a.insert(
        "publicly_accessible".into(),
        i.publicly_accessible().unwrap_or(false).into(),
    );
    a.insert("tags".into(), rds::tags_value(i.tag_list()));
    a.insert("id".into(), id.clone().into());
    a.insert("arn".into(), i.db_instance_arn().unwrap_or_default().into());
    a.insert(
        "endpoint".into(),
        i.endpoint()
            .and_then(|e| e.address())
            .unwrap_or_default()
            .into(),
    );
    a.insert(
        "status".into(),
        i.db_instance_status().unwrap_or_default().into(),
    );
    Live {
        id,
        attrs: a,
        ready: i.db_instance_status() == Some("available"),
    }
}

async fn describe(ctx: &Ctx, id: &str) -> Result<Option<DbInstance>, DriverError> {
    match ctx
        .aws
        .rds()
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .api("rds:DescribeDBInstances")
    {
        Ok(out) => Ok(out.db_instances().first().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl Driver for Instance {
    fn kind(&self) -> &'static str {
        kinds::DB_INSTANCE
    }

    fn bound_to(&self) -> &'static [&'static str] {
        // AWS does not move it to another VPC, nor off subnets that are
        // replaced under it (their CIDRs are taken until it leaves).
        &[kinds::VPC, kinds::SUBNET]
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["identifier", "cluster_identifier", "engine"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let ids: Vec<&str> = wanted
            .iter()
            .filter_map(|w| w.known_str("identifier"))
            .collect();
        if ids.is_empty() {
            return Ok(Found::default());
        }
        // One call for every instance.
        let instances = ctx
            .aws
            .rds()
            .describe_db_instances()
            .filters(
                aws_sdk_rds::types::Filter::builder()
                    .name("db-instance-id")
                    .set_values(Some(ids.iter().map(|s| s.to_string()).collect()))
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .api("rds:DescribeDBInstances")?;
        let mut found = Found::default();
        for w in wanted {
            let Some(id) = w.known_str("identifier") else {
                continue;
            };
            let Some(i) = instances
                .iter()
                .find(|i| i.db_instance_identifier() == Some(id))
            else {
                continue;
            };
            if i.db_instance_status() == Some("deleting") {
                continue;
            }
            let live = to_live(i);
            common::check_owned(ctx, &w.address, "DB instance", id, &live.attrs["tags"])?;
            found.live.insert(w.address.clone(), live);
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let id = s(d, "identifier");
        let res = ctx
            .aws
            .rds()
            .create_db_instance()
            .db_instance_identifier(&id)
            .db_cluster_identifier(s(d, "cluster_identifier"))
            .engine(s(d, "engine"))
            .db_instance_class(s(d, "instance_class"))
            .publicly_accessible(b(d, "publicly_accessible"))
            .set_tags(Some(rds::sdk_tags(d)))
            .send()
            .await
            .api("rds:CreateDBInstance");
        match res {
            Ok(_) => {}
            Err(e) if e.code_is("DBInstanceAlreadyExists") => {
                let i = describe(ctx, &id).await?.ok_or(DriverError::Api(e))?;
                common::check_owned(ctx, a, "DB instance", &id, &rds::tags_value(i.tag_list()))?;
            }
            Err(e) => return Err(e.into()),
        }
        let mut attrs = d.clone();
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
        let has = |k: &str| changed.iter().any(|c| c == k);
        if has("instance_class") || has("publicly_accessible") {
            let req = ctx
                .aws
                .rds()
                .modify_db_instance()
                .db_instance_identifier(&live.id)
                .apply_immediately(true)
                .db_instance_class(s(d, "instance_class"))
                .publicly_accessible(b(d, "publicly_accessible"));
            wait::retry(
                ctx,
                &format!("modifying {}", live.id),
                TIMEOUT,
                rds::busy,
                || {
                    let req = req.clone();
                    async move { req.send().await.api("rds:ModifyDBInstance").map(|_| ()) }
                },
            )
            .await?;
        }
        if has("tags") {
            rds::update_tags(ctx, &s(&live.attrs, "arn"), &live.attrs, d).await?;
        }
        let mut attrs = live.attrs.clone();
        attrs.extend(d.clone());
        Ok(Live::pending(live.id.clone(), attrs))
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let id = &live.id;
        let fresh = wait::until(
            ctx,
            &format!("DB instance {id} to be available"),
            TIMEOUT,
            || async {
                match describe(ctx, id).await? {
                    Some(i) if i.db_instance_status() == Some("available") => {
                        Ok(Poll::Done(to_live(&i)))
                    }
                    Some(i) => Ok(Poll::Pending(
                        i.db_instance_status().unwrap_or("unknown").to_string(),
                    )),
                    None => Ok(Poll::Pending("not visible yet".into())),
                }
            },
        )
        .await?;
        let mut attrs = live.attrs.clone();
        attrs.extend(fresh.attrs);
        Ok(Live::ready(id.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let id = &live.id;
        let rds = ctx.aws.rds();
        let delete = || async {
            rds.delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(true)
                .send()
                .await
                .api("rds:DeleteDBInstance")
                .map(|_| ())
        };
        let status = || async {
            Ok(describe(ctx, id)
                .await?
                .map(|i| i.db_instance_status().unwrap_or("unknown").to_string()))
        };
        wait::delete(
            ctx,
            &format!("DB instance {id}"),
            TIMEOUT,
            rds::busy,
            delete,
            status,
        )
        .await
    }
}
