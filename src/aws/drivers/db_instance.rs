//! Aurora instances: the first is the writer, the others readers.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance;

use super::common;
use super::rds;
use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, FoundExt};
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::aurora::{Instance, InstanceAttrs, InstanceOutputs};
use crate::model::{Attrs, Changed};
use crate::stack::Address;

/// Terraform's default (rds/cluster_instance.go): 90 minutes.
const POLICY: Policy = Policy {
    create: minutes(90),
    update: minutes(90),
    delete: minutes(90),
    transient: &[rds::busy(&[Phase::Update, Phase::Delete], minutes(90))],
};

pub struct InstanceDriver {
    pub aws: Arc<Aws>,
}

fn to_live(i: &DbInstance) -> Live<Instance> {
    let id = i.db_instance_identifier().unwrap_or_default().to_string();
    let attrs = InstanceAttrs {
        identifier: id.clone(),
        cluster_identifier: i.db_cluster_identifier().unwrap_or_default().to_string(),
        engine: i.engine().unwrap_or_default().to_string(),
        instance_class: i.db_instance_class().unwrap_or_default().to_string(),
        publicly_accessible: i.publicly_accessible().unwrap_or(false),
        tags: rds::tag_set(i.tag_list()),
    };
    let out = InstanceOutputs {
        id: id.clone(),
        arn: Some(i.db_instance_arn().unwrap_or_default().to_string()),
        endpoint: Some(
            i.endpoint()
                .and_then(|e| e.address())
                .unwrap_or_default()
                .to_string(),
        ),
        status: Some(i.db_instance_status().unwrap_or_default().to_string()),
    };
    let mut live = Live::ready(id, attrs, out);
    live.ready = i.db_instance_status() == Some("available");
    live
}

impl InstanceDriver {
    async fn describe(&self, id: &str) -> Result<Option<DbInstance>, DriverError> {
        Ok(self
            .aws
            .rds()
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .api("rds:DescribeDBInstances")
            .found()?
            .and_then(|out| out.db_instances().first().cloned()))
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
        let ids: Vec<String> = wanted
            .iter()
            .filter_map(|w| w.known.identifier.clone())
            .collect();
        if ids.is_empty() {
            return Ok(Found::default());
        }
        // One call for every instance.
        let instances = self
            .aws
            .rds()
            .describe_db_instances()
            .filters(
                aws_sdk_rds::types::Filter::builder()
                    .name("db-instance-id")
                    .set_values(Some(ids))
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
            let Some(id) = w.known.identifier.as_deref() else {
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
            common::owned(ctx, &w.address, "DB instance", id, &live.attrs.tags)?;
            found.live.insert(w.address.clone(), live);
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        a: &Address,
        d: &Attrs<Instance>,
    ) -> Result<Live<Instance>, DriverError> {
        let id = &d.identifier;
        let res = self
            .aws
            .rds()
            .create_db_instance()
            .db_instance_identifier(id)
            .db_cluster_identifier(&d.cluster_identifier)
            .engine(&d.engine)
            .db_instance_class(&d.instance_class)
            .publicly_accessible(d.publicly_accessible)
            .set_tags(Some(rds::sdk_tags(&d.tags)))
            .send()
            .await
            .api("rds:CreateDBInstance");
        match res {
            Ok(_) => {}
            Err(e) if e.code_is("DBInstanceAlreadyExists") => {
                let i = self.describe(id).await?.ok_or(DriverError::from(e))?;
                common::owned(ctx, a, "DB instance", id, &rds::tag_set(i.tag_list()))?;
            }
            Err(e) => return Err(e.into()),
        }
        let out = InstanceOutputs {
            id: id.clone(),
            arn: None,
            endpoint: None,
            status: None,
        };
        Ok(Live::pending(id.clone(), d.clone(), out))
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
            identifier: _,
            cluster_identifier: _,
            engine: _,
            instance_class,
            publicly_accessible,
            tags,
        } = *changed;
        if instance_class || publicly_accessible {
            let req = self
                .aws
                .rds()
                .modify_db_instance()
                .db_instance_identifier(&live.id)
                .apply_immediately(true)
                .db_instance_class(&d.instance_class)
                .publicly_accessible(d.publicly_accessible);
            POLICY
                .retry(
                    ctx,
                    Phase::Update,
                    &format!("modifying {}", live.id),
                    || {
                        let req = req.clone();
                        async move { req.send().await.api("rds:ModifyDBInstance").map(|_| ()) }
                    },
                )
                .await?;
        }
        if tags {
            rds::update_tags(
                &self.aws,
                live.out.arn.as_deref().unwrap_or_default(),
                &live.attrs.tags,
                &d.tags,
            )
            .await?;
        }
        // The change takes a while: wait reads it back.
        Ok(Live {
            ready: false,
            ..live.updated(d)
        })
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Instance>,
    ) -> Result<Live<Instance>, DriverError> {
        let id = &live.id;
        // After a create or an update: both phases have the same timeout.
        let fresh = POLICY
            .until(
                ctx,
                Phase::Create,
                &format!("DB instance {id} to be available"),
                || async {
                    match self.describe(id).await? {
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
        Ok(Live::ready(id.clone(), fresh.attrs, fresh.out))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Instance>,
    ) -> Result<(), DriverError> {
        let id = &live.id;
        let rds = self.aws.rds();
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
            Ok(self
                .describe(id)
                .await?
                .map(|i| i.db_instance_status().unwrap_or("unknown").to_string()))
        };
        POLICY
            .delete(ctx, &format!("DB instance {id}"), delete, status)
            .await
    }
}

impl Advice for InstanceDriver {}
