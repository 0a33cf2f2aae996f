//! The tags of every resource carrying this environment's ownership tags,
//! from one Resource Groups Tagging API call per run instead of one
//! `ListTagsForResource` per resource (RDS groups, log group, MSK Connect,
//! Redshift Serverless, S3).
//!
//! The Tagging API is eventually consistent, so it is trusted only where it
//! agrees with what the state recorded; anywhere else — a tag changed since,
//! a resource it does not list yet, no `tag:GetResources` permission — the
//! service's own call answers.

use std::collections::HashMap;

use aws_sdk_resourcegroupstagging::types::TagFilter;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::error::ApiResultExt;
use crate::model::Tags;
use crate::stack::{TAG_ENV, TAG_STACK};

/// Resource types the index is asked for (everything else has tags in its describe).
const TYPES: &[&str] = &[
    "rds:cluster-pg",
    "rds:subgrp",
    "logs:log-group",
    "kafkaconnect",
    "redshift-serverless",
    "s3",
];

#[derive(Debug, Default)]
pub struct TagIndex {
    /// ARN → tags; `None` when the Tagging API could not be used.
    by_arn: OnceCell<Option<HashMap<String, Value>>>,
}

/// Log group ARNs come with and without a trailing `:*`.
fn key(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

impl TagIndex {
    async fn load(
        &self,
        client: &aws_sdk_resourcegroupstagging::Client,
        stack: &str,
        env: &str,
    ) -> Option<&HashMap<String, Value>> {
        self.by_arn
            .get_or_init(|| async {
                let pages = client
                    .get_resources()
                    .tag_filters(TagFilter::builder().key(TAG_STACK).values(stack).build())
                    .tag_filters(TagFilter::builder().key(TAG_ENV).values(env).build())
                    .set_resource_type_filters(Some(TYPES.iter().map(|t| t.to_string()).collect()))
                    .resources_per_page(100)
                    .into_paginator()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .api("tagging:GetResources");
                match pages {
                    Ok(pages) => Some(
                        pages
                            .iter()
                            .flat_map(|p| p.resource_tag_mapping_list())
                            .filter_map(|m| {
                                let tags = m.tags().iter().map(|t| (t.key().to_string(), Value::from(t.value()))).collect();
                                Some((key(m.resource_arn()?).to_string(), Value::Object(tags)))
                            })
                            .collect(),
                    ),
                    Err(e) => {
                        tracing::info!(error = %e, "the Tagging API is not usable; reading tags one by one");
                        None
                    }
                }
            })
            .await
            .as_ref()
    }

    /// The tags of `arn` when the index agrees with `recorded` (the state's).
    pub async fn confirmed_tags(
        &self,
        client: &aws_sdk_resourcegroupstagging::Client,
        ctx: &crate::engine::Ctx,
        arn: &str,
        recorded: Option<&Tags>,
    ) -> Option<Tags> {
        let recorded = recorded?;
        let index = self.load(client, &ctx.stack, &ctx.env).await?;
        let found: Tags = serde_json::from_value(index.get(key(arn))?.clone()).ok()?;
        (found == *recorded).then_some(found)
    }
}
