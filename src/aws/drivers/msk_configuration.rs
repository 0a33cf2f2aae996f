//! The MSK configuration (Kafka server properties). A change is a new
//! revision of the same configuration, never a replacement, so a cluster
//! using it is never in the way (Terraform's pain with `kafka_versions`).

use std::time::Duration;

use async_trait::async_trait;
use aws_smithy_types::Blob;

use super::common::{self, s};
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Configuration;

fn blob(d: &Attrs) -> Blob {
    Blob::new(common::properties_text(&common::string_map(
        d,
        "server_properties",
    )))
}

async fn find(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<aws_sdk_kafka::types::Configuration>, ApiError> {
    let all = ctx
        .aws
        .kafka()
        .list_configurations()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .api("kafka:ListConfigurations")?;
    Ok(all
        .into_iter()
        .find(|c| c.name() == Some(name) && c.state().is_none_or(|s| s.as_str() != "DELETING")))
}

#[async_trait]
impl Driver for Configuration {
    fn kind(&self) -> &'static str {
        kinds::MSK_CONFIGURATION
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name"]
    }

    fn volatile(&self) -> &'static [&'static str] {
        &["latest_revision"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            let Some(c) = find(ctx, name).await? else {
                continue;
            };
            let arn = c.arn().unwrap_or_default().to_string();
            let revision = c.latest_revision().and_then(|r| r.revision()).unwrap_or(1);
            // Revisions never change: re-read the properties only for a revision the state has not seen.
            let seen = w
                .known
                .get("latest_revision")
                .and_then(serde_json::Value::as_i64)
                == Some(revision)
                && w.known.contains_key("server_properties");
            let props = if seen {
                w.known["server_properties"].clone()
            } else {
                let r = ctx
                    .aws
                    .kafka()
                    .describe_configuration_revision()
                    .arn(&arn)
                    .revision(revision)
                    .send()
                    .await
                    .api("kafka:DescribeConfigurationRevision")?;
                let text = r
                    .server_properties()
                    .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
                    .unwrap_or_default();
                common::map_value(&common::parse_properties(&text))
            };
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            a.insert(
                "description".into(),
                c.description().unwrap_or_default().into(),
            );
            a.insert("server_properties".into(), props);
            a.insert("arn".into(), arn.clone().into());
            a.insert("latest_revision".into(), revision.into());
            found.live.insert(w.address.clone(), Live::ready(arn, a));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let res = ctx
            .aws
            .kafka()
            .create_configuration()
            .name(s(d, "name"))
            .description(s(d, "description"))
            .server_properties(blob(d))
            .send()
            .await
            .api("kafka:CreateConfiguration");
        let (arn, revision) = match res {
            Ok(out) => (
                out.arn().unwrap_or_default().to_string(),
                out.latest_revision()
                    .and_then(|r| r.revision())
                    .unwrap_or(1),
            ),
            // Left by an interrupted run: a new revision makes it ours again.
            Err(e) if e.code_is("ConflictException") => {
                let c = find(ctx, &s(d, "name")).await?.ok_or(DriverError::Api(e))?;
                let live = Live::ready(c.arn().unwrap_or_default(), Attrs::new());
                return self
                    .update(ctx, a, &live, d, &["server_properties".into()])
                    .await;
            }
            Err(e) => return Err(e.into()),
        };
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn.clone().into());
        attrs.insert("latest_revision".into(), revision.into());
        Ok(Live::ready(arn, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        _changed: &[String],
    ) -> Result<Live, DriverError> {
        let out = ctx
            .aws
            .kafka()
            .update_configuration()
            .arn(&live.id)
            .description(s(d, "description"))
            .server_properties(blob(d))
            .send()
            .await
            .api("kafka:UpdateConfiguration")?;
        let mut attrs = live.attrs.clone();
        attrs.extend(d.clone());
        attrs.insert("arn".into(), live.id.clone().into());
        attrs.insert(
            "latest_revision".into(),
            out.latest_revision()
                .and_then(|r| r.revision())
                .unwrap_or(1)
                .into(),
        );
        Ok(Live::ready(live.id.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        // Refused while a cluster (even one being deleted) still uses it.
        let in_use =
            |e: &ApiError| e.code_is("BadRequestException") || e.code_is("ConflictException");
        let r = wait::retry(
            ctx,
            &format!("deleting MSK configuration {}", live.id),
            Duration::from_secs(30 * 60),
            in_use,
            || async {
                ctx.aws
                    .kafka()
                    .delete_configuration()
                    .arn(&live.id)
                    .send()
                    .await
                    .api("kafka:DeleteConfiguration")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }
}
