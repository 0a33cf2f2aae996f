//! What the RDS drivers share: tags (RDS describes return them for
//! clusters and instances only; groups need ListTagsForResource) and the
//! states a cluster or instance passes through.

use aws_sdk_rds::types::Tag;
use serde_json::Value;

use super::common;
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::{Attrs, Ctx};

pub fn tags_value(tags: &[Tag]) -> Value {
    common::tags_value(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
    )
}

pub fn sdk_tags(d: &Attrs) -> Vec<Tag> {
    common::desired_tags(d)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub async fn list_tags(ctx: &Ctx, arn: &str) -> Result<Value, ApiError> {
    let out = ctx
        .aws
        .rds()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .api("rds:ListTagsForResource")?;
    Ok(tags_value(out.tag_list()))
}

pub async fn update_tags(ctx: &Ctx, arn: &str, before: &Attrs, d: &Attrs) -> Result<(), ApiError> {
    let (set, gone) = common::tag_delta(before, d);
    let rds = ctx.aws.rds();
    if !set.is_empty() {
        let tags = set
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .api("rds:AddTagsToResource")?;
    }
    if !gone.is_empty() {
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(gone))
            .send()
            .await
            .api("rds:RemoveTagsFromResource")?;
    }
    Ok(())
}

pub fn arn(ctx: &Ctx, kind: &str, name: &str) -> String {
    format!(
        "arn:{}:rds:{}:{}:{kind}:{name}",
        ctx.partition(),
        ctx.region,
        ctx.account_id
    )
}

/// RDS answers these while a cluster or instance is busy; retry them.
pub fn busy(e: &ApiError) -> bool {
    e.code.as_deref().is_some_and(|c| {
        c == "InvalidDBClusterStateFault"
            || c == "InvalidDBInstanceState"
            || c == "InvalidDBInstanceStateFault"
    })
}
