//! The MSK configuration (Kafka server properties). A change is a new
//! revision of the same configuration, never a replacement, so a cluster
//! using it is never in the way (Terraform's pain with `kafka_versions`).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_smithy_types::Blob;

use super::common;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Phase, Policy, Transient, minutes};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::msk::{Configuration, ConfigurationAttrs, ConfigurationOutputs};
use crate::model::{Attrs, Changed};
use crate::stack::Address;

/// Nothing waits on a configuration: only the delete's retry has a limit.
const POLICY: Policy = Policy {
    create: minutes(30),
    update: minutes(30),
    delete: minutes(30),
    transient: &[Transient {
        during: &[Phase::Delete],
        codes: &["BadRequestException", "ConflictException"],
        messages: &[],
        patience: minutes(30),
        why: "refused while a cluster (even one being deleted) still uses it",
    }],
};

pub struct ConfigurationDriver {
    pub aws: Arc<Aws>,
}

fn blob(properties: &BTreeMap<String, String>) -> Blob {
    Blob::new(common::properties_text(properties))
}

/// The revision number AWS reports (1 when it reports none).
fn revision(r: Option<&aws_sdk_kafka::types::ConfigurationRevision>) -> i64 {
    r.and_then(|r| r.revision()).unwrap_or(1)
}

impl ConfigurationDriver {
    async fn find(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_kafka::types::Configuration>, ApiError> {
        let all = self
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
}

#[async_trait]
impl Lifecycle for ConfigurationDriver {
    type Kind = Configuration;

    async fn read(
        &self,
        _ctx: &Ctx,
        wanted: &[Wanted<Configuration>],
    ) -> Result<Found<Configuration>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            let Some(c) = self.find(name).await? else {
                continue;
            };
            let arn = c.arn().unwrap_or_default().to_string();
            let revision = revision(c.latest_revision());
            // Revisions never change: re-read the properties only for a revision the state has not seen.
            let seen = match (&w.known.server_properties, w.known_out.latest_revision) {
                (Some(props), Some(r)) if r == revision => Some(props.clone()),
                _ => None,
            };
            let server_properties = match seen {
                Some(props) => props,
                None => {
                    let r = self
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
                    common::parse_properties(&text)
                }
            };
            let attrs = ConfigurationAttrs {
                name: name.to_string(),
                description: c.description().unwrap_or_default().to_string(),
                server_properties,
            };
            let out = ConfigurationOutputs {
                arn: arn.clone(),
                latest_revision: revision,
            };
            found
                .live
                .insert(w.address.clone(), Live::ready(arn, attrs, out));
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        a: &Address,
        d: &Attrs<Configuration>,
    ) -> Result<Live<Configuration>, DriverError> {
        let res = self
            .aws
            .kafka()
            .create_configuration()
            .name(&d.name)
            .description(&d.description)
            .server_properties(blob(&d.server_properties))
            .send()
            .await
            .api("kafka:CreateConfiguration");
        let (arn, revision) = match res {
            Ok(out) => (
                out.arn().unwrap_or_default().to_string(),
                revision(out.latest_revision()),
            ),
            // Left by an interrupted run: a new revision makes it ours again.
            Err(e) if e.code_is("ConflictException") => {
                let c = self.find(&d.name).await?.ok_or(DriverError::from(e))?;
                let arn = c.arn().unwrap_or_default().to_string();
                let live = Live::ready(
                    arn.clone(),
                    d.clone(),
                    ConfigurationOutputs {
                        arn,
                        latest_revision: revision(c.latest_revision()),
                    },
                );
                let changed = ConfigurationAttrs {
                    name: false,
                    description: false,
                    server_properties: true,
                };
                return self.update(ctx, a, &live, d, &changed).await;
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Live::ready(
            arn.clone(),
            d.clone(),
            ConfigurationOutputs {
                arn,
                latest_revision: revision,
            },
        ))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<Configuration>,
        d: &Attrs<Configuration>,
        changed: &Changed<Configuration>,
    ) -> Result<Live<Configuration>, DriverError> {
        // One call makes a new revision with both: whichever changed, both are sent.
        let ConfigurationAttrs {
            name: _,
            description: _,
            server_properties: _,
        } = *changed;
        let out = self
            .aws
            .kafka()
            .update_configuration()
            .arn(&live.id)
            .description(&d.description)
            .server_properties(blob(&d.server_properties))
            .send()
            .await
            .api("kafka:UpdateConfiguration")?;
        Ok(Live::ready(
            live.id.clone(),
            d.clone(),
            ConfigurationOutputs {
                arn: live.id.clone(),
                latest_revision: revision(out.latest_revision()),
            },
        ))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Configuration>,
    ) -> Result<(), DriverError> {
        POLICY
            .delete_call(ctx, &format!("MSK configuration {}", live.id), || async {
                self.aws
                    .kafka()
                    .delete_configuration()
                    .arn(&live.id)
                    .send()
                    .await
                    .api("kafka:DeleteConfiguration")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for ConfigurationDriver {}
