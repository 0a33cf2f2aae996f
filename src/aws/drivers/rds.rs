//! What the RDS drivers share: tags (RDS describes return them for
//! clusters and instances only; groups need ListTagsForResource) and the
//! states a cluster or instance passes through.

use std::time::Duration;

use aws_sdk_rds::types::Tag;

use super::common;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Phase, Transient};
use crate::aws::{ApiError, Aws};
use crate::engine::Ctx;
use crate::model::Tags;

/// RDS tags as a map.
pub fn tag_set(tags: &[Tag]) -> Tags {
    common::tag_map(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
    )
}

/// Tags as the RDS API takes them.
pub fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of `arn`, from RDS itself.
///
/// # Errors
/// RDS's.
pub async fn list_tags(aws: &Aws, arn: &str) -> Result<Tags, ApiError> {
    let out = aws
        .rds()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .api("rds:ListTagsForResource")?;
    Ok(tag_set(out.tag_list()))
}

/// Brings the tags of `arn` from `before` to `after` (add/overwrite, then remove).
///
/// # Errors
/// RDS's.
pub async fn update_tags(
    aws: &Aws,
    arn: &str,
    before: &Tags,
    after: &Tags,
) -> Result<(), ApiError> {
    let (set, gone) = common::delta(before, after);
    let rds = aws.rds();
    if !set.is_empty() {
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(sdk_tags(&set)))
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

/// `arn:{partition}:rds:{region}:{account}:{kind}:{name}`.
pub fn arn(aws: &Aws, ctx: &Ctx, kind: &str, name: &str) -> String {
    aws.arn(ctx, "rds", &format!("{kind}:{name}"))
}

/// RDS answers these while a cluster or instance is busy (modifying,
/// rebooting, its instances still being deleted): retry them.
pub const fn busy(during: &'static [Phase], patience: Duration) -> Transient {
    Transient {
        during,
        codes: &[
            "InvalidDBClusterStateFault",
            "InvalidDBInstanceState",
            "InvalidDBInstanceStateFault",
        ],
        messages: &[],
        patience,
        why: "the cluster or instance is busy (modifying, rebooting, or its instances are still being deleted)",
    }
}
