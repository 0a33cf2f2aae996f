//! The CloudWatch Logs group the connector's workers write to.

use std::collections::HashMap;

use async_trait::async_trait;

use super::common::{self, s};
use crate::aws::error::ApiResultExt;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct LogGroup;

fn arn(ctx: &Ctx, name: &str) -> String {
    format!(
        "arn:{}:logs:{}:{}:log-group:{name}",
        ctx.partition(),
        ctx.region,
        ctx.account_id
    )
}

async fn list_tags(ctx: &Ctx, arn: &str) -> Result<serde_json::Value, crate::aws::ApiError> {
    let out = ctx
        .aws
        .logs()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .api("logs:ListTagsForResource")?;
    Ok(common::hashmap_tags(out.tags()))
}

#[async_trait]
impl Driver for LogGroup {
    fn kind(&self) -> &'static str {
        kinds::LOG_GROUP
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let logs = ctx.aws.logs();
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
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
                .map_or_else(|| arn(ctx, name), str::to_string);
            let tags = ctx
                .tags
                .tags(ctx, &arn, w.known.get("tags"), list_tags(ctx, &arn))
                .await?;
            common::check_owned(ctx, &w.address, "log group", name, &tags)?;
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            a.insert(
                "retention_in_days".into(),
                g.retention_in_days()
                    .map_or(serde_json::Value::Null, Into::into),
            );
            a.insert("tags".into(), tags);
            a.insert("arn".into(), arn.into());
            found.live.insert(w.address.clone(), Live::ready(name, a));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let logs = ctx.aws.logs();
        let name = s(d, "name");
        let tags: HashMap<String, String> = common::desired_tags(d).into_iter().collect();
        match logs
            .create_log_group()
            .log_group_name(&name)
            .set_tags(Some(tags))
            .send()
            .await
            .api("logs:CreateLogGroup")
        {
            Ok(_) => {}
            Err(e) if e.code_is("ResourceAlreadyExistsException") => {
                // Left by an interrupted run: adopt it, if it is ours.
                let tags = list_tags(ctx, &arn(ctx, &name)).await?;
                common::check_owned(ctx, _a, "log group", &name, &tags)?;
            }
            Err(e) => return Err(e.into()),
        }
        logs.put_retention_policy()
            .log_group_name(&name)
            .retention_in_days(i32::try_from(common::i(d, "retention_in_days")).unwrap_or(14))
            .send()
            .await
            .api("logs:PutRetentionPolicy")?;
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn(ctx, &name).into());
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
        let logs = ctx.aws.logs();
        if changed.iter().any(|c| c == "retention_in_days") {
            logs.put_retention_policy()
                .log_group_name(&live.id)
                .retention_in_days(i32::try_from(common::i(d, "retention_in_days")).unwrap_or(14))
                .send()
                .await
                .api("logs:PutRetentionPolicy")?;
        }
        if changed.iter().any(|c| c == "tags") {
            let arn = live
                .str("arn")
                .map_or_else(|| arn(ctx, &live.id), str::to_string);
            let (set, gone) = common::tag_delta(&live.attrs, d);
            if !set.is_empty() {
                logs.tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .api("logs:TagResource")?;
            }
            if !gone.is_empty() {
                logs.untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .api("logs:UntagResource")?;
            }
        }
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        match ctx
            .aws
            .logs()
            .delete_log_group()
            .log_group_name(&live.id)
            .send()
            .await
            .api("logs:DeleteLogGroup")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
