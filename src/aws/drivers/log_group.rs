//! The CloudWatch Logs group the connector's workers write to.

use std::sync::Arc;

use async_trait::async_trait;

use super::common;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Policy, minutes};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::logs::{LogGroup, LogGroupAttrs};
use crate::model::{Arn, Attrs, Changed, Tags};
use crate::stack::Address;

/// Log groups are made and deleted by one call each: nothing waits on
/// them, and none of their errors is retried.
const POLICY: Policy = Policy {
    create: minutes(5),
    update: minutes(5),
    delete: minutes(5),
    transient: &[],
};

pub struct LogGroupDriver {
    pub aws: Arc<Aws>,
}

impl LogGroupDriver {
    fn arn(&self, ctx: &Ctx, name: &str) -> String {
        self.aws.arn(ctx, "logs", &format!("log-group:{name}"))
    }

    async fn list_tags(&self, arn: &str) -> Result<Tags, ApiError> {
        let out = self
            .aws
            .logs()
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .api("logs:ListTagsForResource")?;
        Ok(common::tags_of_map(out.tags()))
    }

    /// Sets how long events are kept; none: forever.
    async fn put_retention(&self, name: &str, days: Option<i32>) -> Result<(), DriverError> {
        let logs = self.aws.logs();
        match days {
            Some(days) => {
                logs.put_retention_policy()
                    .log_group_name(name)
                    .retention_in_days(days)
                    .send()
                    .await
                    .api("logs:PutRetentionPolicy")?;
            }
            None => {
                logs.delete_retention_policy()
                    .log_group_name(name)
                    .send()
                    .await
                    .api("logs:DeleteRetentionPolicy")?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Lifecycle for LogGroupDriver {
    type Kind = LogGroup;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<LogGroup>],
    ) -> Result<Found<LogGroup>, DriverError> {
        let logs = self.aws.logs();
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            let out = logs
                .describe_log_groups()
                .log_group_name_prefix(name)
                .send()
                .await
                .api("logs:DescribeLogGroups")?;
            let Some(g) = out
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name))
            else {
                continue;
            };
            let arn = g
                .log_group_arn()
                .map_or_else(|| self.arn(ctx, name), str::to_string);
            let tags = self
                .aws
                .tags_of(ctx, &arn, w.known.tags.as_ref(), self.list_tags(&arn))
                .await?;
            common::owned(ctx, &w.address, "log group", name, &tags)?;
            let attrs = LogGroupAttrs {
                name: name.to_string(),
                retention_in_days: g.retention_in_days(),
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
        d: &Attrs<LogGroup>,
    ) -> Result<Live<LogGroup>, DriverError> {
        let name = &d.name;
        let arn = self.arn(ctx, name);
        match self
            .aws
            .logs()
            .create_log_group()
            .log_group_name(name)
            .set_tags(Some(d.tags.clone().into_iter().collect()))
            .send()
            .await
            .api("logs:CreateLogGroup")
        {
            Ok(_) => {}
            Err(e) if e.code_is("ResourceAlreadyExistsException") => {
                // Left by an interrupted run: adopt it, if it is ours.
                let tags = self.list_tags(&arn).await?;
                common::owned(ctx, address, "log group", name, &tags)?;
            }
            Err(e) => return Err(e.into()),
        }
        // A new group keeps its events forever: only a period needs a call.
        if d.retention_in_days.is_some() {
            self.put_retention(name, d.retention_in_days).await?;
        }
        Ok(Live::ready(name.clone(), d.clone(), Arn { arn }))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<LogGroup>,
        d: &Attrs<LogGroup>,
        changed: &Changed<LogGroup>,
    ) -> Result<Live<LogGroup>, DriverError> {
        let LogGroupAttrs {
            name: _,
            retention_in_days,
            tags,
        } = *changed;
        let logs = self.aws.logs();
        if retention_in_days {
            self.put_retention(&live.id, d.retention_in_days).await?;
        }
        if tags {
            let arn = &live.out.arn;
            let (set, gone) = common::delta(&live.attrs.tags, &d.tags);
            if !set.is_empty() {
                logs.tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .api("logs:TagResource")?;
            }
            if !gone.is_empty() {
                logs.untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .api("logs:UntagResource")?;
            }
        }
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<LogGroup>,
    ) -> Result<(), DriverError> {
        POLICY
            .delete_call(ctx, &format!("log group {}", live.id), || async {
                self.aws
                    .logs()
                    .delete_log_group()
                    .log_group_name(&live.id)
                    .send()
                    .await
                    .api("logs:DeleteLogGroup")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for LogGroupDriver {}
