//! MSK Connect: the custom plugin (the Debezium zip), the worker
//! configuration (converters and the Secrets Manager config provider) and
//! the connector itself.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_kafkaconnect::types::{
    ApacheKafkaCluster, Capacity, CapacityUpdate, CloudWatchLogsLogDelivery, ConnectorState,
    CustomPlugin, CustomPluginContentType, CustomPluginLocation, CustomPluginState, KafkaCluster,
    KafkaClusterClientAuthentication, KafkaClusterClientAuthenticationType,
    KafkaClusterEncryptionInTransit, KafkaClusterEncryptionInTransitType, LogDelivery, Plugin,
    ProvisionedCapacity, ProvisionedCapacityUpdate, S3Location, Vpc, WorkerConfiguration,
    WorkerLogDelivery,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::common::{self, built, i, s, strs};
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct PluginKind;
pub struct WorkerKind;
pub struct ConnectorKind;

/// Terraform's defaults (kafkaconnect/connector.go): create and update 20 min, delete 10 min.
const CONNECTOR_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const PLUGIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

async fn tags(ctx: &Ctx, arn: &str) -> Result<Value, ApiError> {
    let out = ctx
        .aws
        .kafkaconnect()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .api("kafkaconnect:ListTagsForResource")?;
    Ok(common::hashmap_tags(out.tags()))
}

async fn update_tags(ctx: &Ctx, arn: &str, before: &Attrs, d: &Attrs) -> Result<(), ApiError> {
    let (set, gone) = common::tag_delta(before, d);
    let kc = ctx.aws.kafkaconnect();
    if !set.is_empty() {
        kc.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .api("kafkaconnect:TagResource")?;
    }
    if !gone.is_empty() {
        kc.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(gone))
            .send()
            .await
            .api("kafkaconnect:UntagResource")?;
    }
    Ok(())
}

fn tag_map(d: &Attrs) -> HashMap<String, String> {
    common::desired_tags(d).into_iter().collect()
}

/// MSK Connect refuses (BadRequest) to delete a plugin or worker
/// configuration a connector still uses, or anything busy: wait and retry.
fn in_use(e: &ApiError) -> bool {
    e.code_is("BadRequestException") || e.code_is("ConflictException")
}

/// Plugins and worker configurations cannot change after creation (only
/// their tags can): when the Tagging API lists the recorded ARN with the
/// recorded tags, the state describes the resource and no call is needed.
async fn unchanged(ctx: &Ctx, w: &Wanted, complete: impl Fn(&Attrs) -> bool) -> Option<Live> {
    let id = w.id.as_deref()?;
    if !complete(&w.known) {
        return None;
    }
    let tags = ctx.tags.confirmed(ctx, id, w.known.get("tags")).await?;
    let mut attrs = w.known.clone();
    attrs.insert("tags".into(), tags);
    Some(Live::ready(id, attrs))
}

// ---------------------------------------------------------------- plugin

async fn find_plugin(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<aws_sdk_kafkaconnect::types::CustomPluginSummary>, ApiError> {
    let all = ctx
        .aws
        .kafkaconnect()
        .list_custom_plugins()
        .name_prefix(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .api("kafkaconnect:ListCustomPlugins")?;
    Ok(all.into_iter().find(|p| {
        p.name() == Some(name) && p.custom_plugin_state() != Some(&CustomPluginState::Deleting)
    }))
}

async fn plugin_state(
    ctx: &Ctx,
    arn: &str,
) -> Result<Option<(CustomPluginState, String)>, DriverError> {
    match ctx
        .aws
        .kafkaconnect()
        .describe_custom_plugin()
        .custom_plugin_arn(arn)
        .send()
        .await
        .api("kafkaconnect:DescribeCustomPlugin")
    {
        Ok(out) => Ok(out.custom_plugin_state().cloned().map(|s| {
            let why = out
                .state_description()
                .and_then(|d| d.message())
                .unwrap_or_default()
                .to_string();
            (s, why)
        })),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl Driver for PluginKind {
    fn kind(&self) -> &'static str {
        kinds::MSKC_CUSTOM_PLUGIN
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name", "description", "content_type", "location"]
    }

    fn broken(&self, live: &Live) -> Option<String> {
        (live.str("state") == Some("CREATE_FAILED"))
            .then(|| "the custom plugin failed to create (is the zip a valid plugin?)".into())
    }

    async fn preflight(&self, ctx: &Ctx, desired: &Attrs) -> Result<(), String> {
        // Only a zip the user names by s3:// URL: cdcstack uploads its own
        // (that location carries the object version it will create).
        let Some(loc) = desired.get("location").and_then(Value::as_object) else {
            return Ok(());
        };
        if loc.contains_key("object_version") {
            return Ok(());
        }
        let (Some(arn), Some(key)) = (
            loc.get("bucket_arn").and_then(Value::as_str),
            loc.get("file_key").and_then(Value::as_str),
        ) else {
            return Ok(());
        };
        let bucket = arn.rsplit(":::").next().unwrap_or(arn);
        let url = format!("s3://{bucket}/{key}");
        match ctx
            .aws
            .s3()
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .api("s3:HeadObject")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() || e.code_is("NoSuchBucket") => Err(format!(
                "connector.plugin = \"{url}\" does not exist; upload the Debezium MySQL plugin zip there, or set connector.plugin to a local zip for cdcstack to upload"
            )),
            Err(e) if e.status == Some(403) => Err(format!(
                "connector.plugin = \"{url}\" cannot be read with these credentials ({e}); MSK Connect needs it readable in {}",
                ctx.region
            )),
            // Anything else (throttling that outlived retries, a network
            // hiccup) is not a verdict on the plugin: the apply will tell.
            Err(_) => Ok(()),
        }
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            if let Some(live) = unchanged(ctx, w, |k| {
                k.get("state").and_then(Value::as_str) == Some("ACTIVE")
            })
            .await
            {
                found.live.insert(w.address.clone(), live);
                continue;
            }
            let Some(p) = find_plugin(ctx, name).await? else {
                continue;
            };
            let arn = p.custom_plugin_arn().unwrap_or_default().to_string();
            let t = ctx
                .tags
                .tags(ctx, &arn, w.known.get("tags"), tags(ctx, &arn))
                .await?;
            common::check_owned(ctx, &w.address, "MSK Connect custom plugin", name, &t)?;
            let rev = p.latest_revision();
            let s3 = rev.and_then(|r| r.location()).and_then(|l| l.s3_location());
            let mut loc = serde_json::Map::new();
            loc.insert(
                "bucket_arn".into(),
                s3.and_then(|x| x.bucket_arn()).unwrap_or_default().into(),
            );
            loc.insert(
                "file_key".into(),
                s3.and_then(|x| x.file_key()).unwrap_or_default().into(),
            );
            if let Some(v) = s3.and_then(|x| x.object_version()) {
                loc.insert("object_version".into(), v.into());
            }
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            a.insert(
                "description".into(),
                rev.and_then(|r| r.description())
                    .or(p.description())
                    .unwrap_or_default()
                    .into(),
            );
            a.insert(
                "content_type".into(),
                rev.and_then(|r| r.content_type())
                    .map_or("ZIP", |c| c.as_str())
                    .into(),
            );
            a.insert("location".into(), Value::Object(loc));
            a.insert("tags".into(), t);
            a.insert("arn".into(), arn.clone().into());
            a.insert(
                "latest_revision".into(),
                rev.map_or(1, |r| r.revision()).into(),
            );
            let state = p
                .custom_plugin_state()
                .map_or("", |s| s.as_str())
                .to_string();
            a.insert("state".into(), state.clone().into());
            found.live.insert(
                w.address.clone(),
                Live {
                    id: arn,
                    attrs: a,
                    ready: state == "ACTIVE" || state == "CREATE_FAILED",
                },
            );
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let loc = d.get("location").cloned().unwrap_or_default();
        let get = |k: &str| loc.get(k).and_then(Value::as_str).map(str::to_string);
        let s3 = built(
            S3Location::builder()
                .set_bucket_arn(get("bucket_arn"))
                .set_file_key(get("file_key"))
                .set_object_version(get("object_version").filter(|v| !v.is_empty() && v != "null"))
                .build(),
            "the plugin location",
        )?;
        let out = ctx
            .aws
            .kafkaconnect()
            .create_custom_plugin()
            .name(s(d, "name"))
            .description(s(d, "description"))
            .content_type(CustomPluginContentType::from(s(d, "content_type").as_str()))
            .location(CustomPluginLocation::builder().s3_location(s3).build())
            .set_tags(Some(tag_map(d)))
            .send()
            .await
            .api("kafkaconnect:CreateCustomPlugin")?;
        let arn = out.custom_plugin_arn().unwrap_or_default().to_string();
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn.clone().into());
        attrs.insert("latest_revision".into(), out.revision().into());
        Ok(Live::pending(arn, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        _changed: &[String],
    ) -> Result<Live, DriverError> {
        update_tags(ctx, &live.id, &live.attrs, d).await?;
        Ok(Live {
            ready: live.ready,
            ..live.merged(d)
        })
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let arn = &live.id;
        wait::until(
            ctx,
            &format!("custom plugin {arn} to be ACTIVE"),
            PLUGIN_TIMEOUT,
            || async {
                match plugin_state(ctx, arn).await? {
                    Some((CustomPluginState::Active, _)) => Ok(Poll::Done(())),
                    Some((CustomPluginState::CreateFailed, why)) => Err(DriverError::Failed(
                        format!("custom plugin {arn} failed to create: {why}"),
                    )),
                    Some((s, _)) => Ok(Poll::Pending(s.as_str().to_string())),
                    None => Ok(Poll::Pending("not visible yet".into())),
                }
            },
        )
        .await?;
        let mut attrs = live.attrs.clone();
        attrs.insert("state".into(), "ACTIVE".into());
        Ok(Live::ready(arn.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let arn = &live.id;
        // Refused while a connector that is being deleted still uses it.
        let delete = || async {
            ctx.aws
                .kafkaconnect()
                .delete_custom_plugin()
                .custom_plugin_arn(arn)
                .send()
                .await
                .api("kafkaconnect:DeleteCustomPlugin")
                .map(|_| ())
        };
        let status = || async {
            Ok(plugin_state(ctx, arn)
                .await?
                .map(|(s, _)| s.as_str().to_string()))
        };
        wait::delete(
            ctx,
            &format!("custom plugin {arn}"),
            PLUGIN_TIMEOUT,
            in_use,
            delete,
            status,
        )
        .await
    }
}

// ---------------------------------------------------------------- worker configuration

fn properties_blob(d: &Attrs) -> String {
    BASE64.encode(common::properties_text(&common::string_map(
        d,
        "properties",
    )))
}

#[async_trait]
impl Driver for WorkerKind {
    fn kind(&self) -> &'static str {
        kinds::MSKC_WORKER_CONFIGURATION
    }

    fn force_new(&self) -> &'static [&'static str] {
        // A worker configuration cannot be changed: a new one replaces it (and its connector).
        &["name", "description", "properties"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let kc = ctx.aws.kafkaconnect();
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            if let Some(live) = unchanged(ctx, w, |k| k.contains_key("properties")).await {
                found.live.insert(w.address.clone(), live);
                continue;
            }
            let all = kc
                .list_worker_configurations()
                .name_prefix(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("kafkaconnect:ListWorkerConfigurations")?;
            let Some(wc) = all.iter().find(|c| {
                c.name() == Some(name)
                    && c.worker_configuration_state()
                        .is_none_or(|s| s.as_str() != "DELETING")
            }) else {
                continue;
            };
            let arn = wc
                .worker_configuration_arn()
                .unwrap_or_default()
                .to_string();
            let t = ctx
                .tags
                .tags(ctx, &arn, w.known.get("tags"), tags(ctx, &arn))
                .await?;
            common::check_owned(
                ctx,
                &w.address,
                "MSK Connect worker configuration",
                name,
                &t,
            )?;
            let revision = wc.latest_revision().map_or(1, |r| r.revision());
            // Revisions never change: read the properties only for one the state has not seen.
            let seen = w.known.get("latest_revision").and_then(Value::as_i64) == Some(revision)
                && w.known.contains_key("properties");
            let props = if seen {
                w.known["properties"].clone()
            } else {
                let out = kc
                    .describe_worker_configuration()
                    .worker_configuration_arn(&arn)
                    .send()
                    .await
                    .api("kafkaconnect:DescribeWorkerConfiguration")?;
                let b64 = out
                    .latest_revision()
                    .and_then(|r| r.properties_file_content())
                    .unwrap_or_default();
                let text =
                    String::from_utf8(BASE64.decode(b64).unwrap_or_default()).unwrap_or_default();
                common::map_value(&common::parse_properties(&text))
            };
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            a.insert(
                "description".into(),
                wc.description()
                    .or(wc.latest_revision().and_then(|r| r.description()))
                    .unwrap_or_default()
                    .into(),
            );
            a.insert("properties".into(), props);
            a.insert("tags".into(), t);
            a.insert("arn".into(), arn.clone().into());
            a.insert("latest_revision".into(), revision.into());
            found.live.insert(w.address.clone(), Live::ready(arn, a));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let out = ctx
            .aws
            .kafkaconnect()
            .create_worker_configuration()
            .name(s(d, "name"))
            .description(s(d, "description"))
            .properties_file_content(properties_blob(d))
            .set_tags(Some(tag_map(d)))
            .send()
            .await
            .api("kafkaconnect:CreateWorkerConfiguration")?;
        let arn = out
            .worker_configuration_arn()
            .unwrap_or_default()
            .to_string();
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn.clone().into());
        attrs.insert(
            "latest_revision".into(),
            out.latest_revision().map_or(1, |r| r.revision()).into(),
        );
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
        update_tags(ctx, &live.id, &live.attrs, d).await?;
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let r = wait::retry(
            ctx,
            &format!("deleting worker configuration {}", live.id),
            PLUGIN_TIMEOUT,
            in_use,
            || async {
                ctx.aws
                    .kafkaconnect()
                    .delete_worker_configuration()
                    .worker_configuration_arn(&live.id)
                    .send()
                    .await
                    .api("kafkaconnect:DeleteWorkerConfiguration")
                    .map(|_| ())
            },
        )
        .await;
        wait::gone_ok(r)
    }
}

// ---------------------------------------------------------------- connector

async fn describe_connector(
    ctx: &Ctx,
    arn: &str,
) -> Result<
    Option<aws_sdk_kafkaconnect::operation::describe_connector::DescribeConnectorOutput>,
    DriverError,
> {
    match ctx
        .aws
        .kafkaconnect()
        .describe_connector()
        .connector_arn(arn)
        .send()
        .await
        .api("kafkaconnect:DescribeConnector")
    {
        Ok(out) => Ok(Some(out)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn configuration_value(c: Option<&HashMap<String, String>>) -> Value {
    let sorted: std::collections::BTreeMap<String, String> = c
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    common::map_value(&sorted)
}

/// The brokers a client knows are all still among the cluster's.
fn known_brokers(desired: &Value, live: &Value) -> bool {
    let want = hosts(desired);
    let have = hosts(live);
    !have.is_empty() && have.iter().all(|h| want.contains(h))
}

fn hosts(v: &Value) -> Vec<String> {
    v.as_str()
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect()
}

#[async_trait]
impl Driver for ConnectorKind {
    fn kind(&self) -> &'static str {
        kinds::MSKC_CONNECTOR
    }

    fn force_new(&self) -> &'static [&'static str] {
        &[
            "name",
            "kafka_connect_version",
            "plugin_arn",
            "plugin_revision",
            "worker_configuration_arn",
            "worker_configuration_revision",
            "service_execution_role_arn",
            "bootstrap_servers",
            "subnets",
            "security_groups",
            "client_authentication",
            "encryption_in_transit",
            "log_group",
        ]
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["subnets", "security_groups"]
    }

    fn volatile(&self) -> &'static [&'static str] {
        &["current_version", "state"]
    }

    /// A connector keeps working while the brokers it knows are still among
    /// the cluster's (adding brokers does not need a new connector).
    fn same(&self, attr: &str, desired: &Value, live: &Value) -> bool {
        match attr {
            "bootstrap_servers" => known_brokers(desired, live),
            "configuration" => {
                let (Some(d), Some(l)) = (desired.as_object(), live.as_object()) else {
                    return desired == live;
                };
                d.len() == l.len()
                    && d.iter().all(|(k, v)| match l.get(k) {
                        Some(lv) if k.ends_with("bootstrap.servers") => known_brokers(v, lv),
                        Some(lv) => lv == v,
                        None => false,
                    })
            }
            _ => desired == live,
        }
    }

    fn broken(&self, live: &Live) -> Option<String> {
        (live.str("state") == Some("FAILED")).then(|| {
            format!(
                "the connector is FAILED: {}",
                live.str("state_description").unwrap_or("no reason given")
            )
        })
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            let all = ctx
                .aws
                .kafkaconnect()
                .list_connectors()
                .connector_name_prefix(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .api("kafkaconnect:ListConnectors")?;
            let Some(c) = all.iter().find(|c| {
                c.connector_name() == Some(name)
                    && c.connector_state() != Some(&ConnectorState::Deleting)
            }) else {
                continue;
            };
            let arn = c.connector_arn().unwrap_or_default().to_string();
            let t = ctx
                .tags
                .tags(ctx, &arn, w.known.get("tags"), tags(ctx, &arn))
                .await?;
            common::check_owned(ctx, &w.address, "MSK Connect connector", name, &t)?;
            let version = c.current_version().unwrap_or_default();
            let state = c.connector_state().map_or("", |s| s.as_str()).to_string();
            // The configuration changes only with the version: reuse what state has for it.
            let seen = w.known.get("current_version").and_then(Value::as_str) == Some(version)
                && w.known.contains_key("configuration");
            let (configuration, why) = if seen && state != "FAILED" {
                (w.known["configuration"].clone(), String::new())
            } else {
                let d = describe_connector(ctx, &arn).await?;
                let why = d
                    .as_ref()
                    .and_then(|d| d.state_description())
                    .and_then(|s| s.message())
                    .unwrap_or_default()
                    .to_string();
                (
                    configuration_value(d.as_ref().and_then(|d| d.connector_configuration())),
                    why,
                )
            };
            let apache = c.kafka_cluster().and_then(|k| k.apache_kafka_cluster());
            let vpc = apache.and_then(|a| a.vpc());
            let prov = c.capacity().and_then(|c| c.provisioned_capacity());
            let plugin = c.plugins().first().and_then(|p| p.custom_plugin());
            let worker = c.worker_configuration();
            let strings = |v: &[String]| {
                v.iter()
                    .map(|x| Value::from(x.as_str()))
                    .collect::<Vec<_>>()
            };
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            a.insert(
                "kafka_connect_version".into(),
                c.kafka_connect_version().unwrap_or_default().into(),
            );
            a.insert(
                "plugin_arn".into(),
                plugin
                    .and_then(|p| p.custom_plugin_arn())
                    .unwrap_or_default()
                    .into(),
            );
            a.insert(
                "plugin_revision".into(),
                plugin.map_or(0, |p| p.revision()).into(),
            );
            a.insert(
                "worker_configuration_arn".into(),
                worker
                    .and_then(|w| w.worker_configuration_arn())
                    .unwrap_or_default()
                    .into(),
            );
            a.insert(
                "worker_configuration_revision".into(),
                worker.map_or(0, |w| w.revision()).into(),
            );
            a.insert(
                "service_execution_role_arn".into(),
                c.service_execution_role_arn().unwrap_or_default().into(),
            );
            a.insert(
                "capacity".into(),
                json!({ "workers": prov.map_or(0, |p| p.worker_count()), "mcu": prov.map_or(0, |p| p.mcu_count()) }),
            );
            a.insert(
                "bootstrap_servers".into(),
                apache
                    .and_then(|a| a.bootstrap_servers())
                    .unwrap_or_default()
                    .into(),
            );
            a.insert(
                "subnets".into(),
                strings(vpc.map(|v| v.subnets()).unwrap_or_default()).into(),
            );
            a.insert(
                "security_groups".into(),
                strings(vpc.map(|v| v.security_groups()).unwrap_or_default()).into(),
            );
            a.insert(
                "client_authentication".into(),
                c.kafka_cluster_client_authentication()
                    .and_then(|x| x.authentication_type())
                    .map_or("NONE", |t| t.as_str())
                    .into(),
            );
            a.insert(
                "encryption_in_transit".into(),
                c.kafka_cluster_encryption_in_transit()
                    .and_then(|x| x.encryption_type())
                    .map_or("PLAINTEXT", |t| t.as_str())
                    .into(),
            );
            let cw = c
                .log_delivery()
                .and_then(|l| l.worker_log_delivery())
                .and_then(|w| w.cloud_watch_logs());
            a.insert(
                "log_group".into(),
                cw.filter(|c| c.enabled())
                    .and_then(|c| c.log_group())
                    .unwrap_or_default()
                    .into(),
            );
            a.insert("configuration".into(), configuration);
            a.insert("tags".into(), t);
            a.insert("arn".into(), arn.clone().into());
            a.insert("current_version".into(), version.into());
            a.insert("state".into(), state.clone().into());
            if !why.is_empty() {
                a.insert("state_description".into(), why.into());
            }
            let ready = state == "RUNNING" || state == "FAILED";
            found.live.insert(
                w.address.clone(),
                Live {
                    id: arn,
                    attrs: a,
                    ready,
                },
            );
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let capacity = d.get("capacity").cloned().unwrap_or_default();
        let n = |k: &str| {
            i32::try_from(capacity.get(k).and_then(Value::as_i64).unwrap_or(1)).unwrap_or(1)
        };
        let vpc = built(
            Vpc::builder()
                .set_subnets(Some(strs(d, "subnets")))
                .set_security_groups(Some(strs(d, "security_groups")))
                .build(),
            "the connector VPC",
        )?;
        let cluster = built(
            ApacheKafkaCluster::builder()
                .bootstrap_servers(s(d, "bootstrap_servers"))
                .vpc(vpc)
                .build(),
            "the connector's Kafka cluster",
        )?;
        let configuration: HashMap<String, String> =
            common::string_map(d, "configuration").into_iter().collect();
        let req = ctx
            .aws
            .kafkaconnect()
            .create_connector()
            .connector_name(s(d, "name"))
            .kafka_connect_version(s(d, "kafka_connect_version"))
            .plugins(
                Plugin::builder()
                    .custom_plugin(built(
                        CustomPlugin::builder()
                            .custom_plugin_arn(s(d, "plugin_arn"))
                            .revision(i(d, "plugin_revision"))
                            .build(),
                        "the connector plugin",
                    )?)
                    .build(),
            )
            .worker_configuration(built(
                WorkerConfiguration::builder()
                    .worker_configuration_arn(s(d, "worker_configuration_arn"))
                    .revision(i(d, "worker_configuration_revision"))
                    .build(),
                "the worker configuration",
            )?)
            .service_execution_role_arn(s(d, "service_execution_role_arn"))
            .capacity(
                Capacity::builder()
                    .provisioned_capacity(
                        ProvisionedCapacity::builder()
                            .worker_count(n("workers"))
                            .mcu_count(n("mcu"))
                            .build(),
                    )
                    .build(),
            )
            .kafka_cluster(
                KafkaCluster::builder()
                    .apache_kafka_cluster(cluster)
                    .build(),
            )
            .kafka_cluster_client_authentication(built(
                KafkaClusterClientAuthentication::builder()
                    .authentication_type(KafkaClusterClientAuthenticationType::from(
                        s(d, "client_authentication").as_str(),
                    ))
                    .build(),
                "the client authentication",
            )?)
            .kafka_cluster_encryption_in_transit(built(
                KafkaClusterEncryptionInTransit::builder()
                    .encryption_type(KafkaClusterEncryptionInTransitType::from(
                        s(d, "encryption_in_transit").as_str(),
                    ))
                    .build(),
                "the encryption in transit",
            )?)
            .log_delivery(
                LogDelivery::builder()
                    .worker_log_delivery(
                        WorkerLogDelivery::builder()
                            .cloud_watch_logs(
                                CloudWatchLogsLogDelivery::builder()
                                    .enabled(true)
                                    .log_group(s(d, "log_group"))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .set_connector_configuration(Some(configuration))
            .set_tags(Some(tag_map(d)));
        // A role made a moment ago may not be usable yet (IAM propagates in seconds to minutes).
        let propagating = |e: &ApiError| {
            e.code_is("BadRequestException")
                && (e.message.to_lowercase().contains("role") || e.message.contains("AccessDenied"))
        };
        let res = wait::retry(
            ctx,
            "creating the connector",
            Duration::from_secs(120),
            propagating,
            || {
                let req = req.clone();
                async move { req.send().await.api("kafkaconnect:CreateConnector") }
            },
        )
        .await;
        let arn = match res {
            Ok(out) => out.connector_arn().unwrap_or_default().to_string(),
            Err(DriverError::Api(e)) if e.code_is("ConflictException") => {
                // Left by an interrupted run: take it over if it is ours.
                let found = self
                    .read(
                        ctx,
                        &[Wanted {
                            address: address.clone(),
                            id: None,
                            known: d.clone(),
                        }],
                    )
                    .await?;
                return found.live.get(address).cloned().ok_or(DriverError::Api(e));
            }
            Err(e) => return Err(e),
        };
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn.clone().into());
        Ok(Live::pending(arn, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let arn = live.id.clone();
        let has = |k: &str| changed.iter().any(|c| c == k);
        let mut current = live.clone();
        let update = |cap: Option<CapacityUpdate>,
                      conf: Option<HashMap<String, String>>,
                      version: String| {
            let kc = ctx.aws.kafkaconnect();
            let arn = arn.clone();
            async move {
                kc.update_connector()
                    .connector_arn(arn)
                    .current_version(version)
                    .set_capacity(cap)
                    .set_connector_configuration(conf)
                    .send()
                    .await
                    .api("kafkaconnect:UpdateConnector")
                    .map(|_| ())
            }
        };
        let busy = |e: &ApiError| {
            e.code_is("BadRequestException")
                && (e.message.contains("version") || e.message.contains("state"))
        };
        if has("capacity") {
            let c = d.get("capacity").cloned().unwrap_or_default();
            let n =
                |k: &str| i32::try_from(c.get(k).and_then(Value::as_i64).unwrap_or(1)).unwrap_or(1);
            let cap = CapacityUpdate::builder()
                .provisioned_capacity(
                    ProvisionedCapacityUpdate::builder()
                        .worker_count(n("workers"))
                        .mcu_count(n("mcu"))
                        .build(),
                )
                .build();
            let version = s(&current.attrs, "current_version");
            wait::retry(
                ctx,
                "updating the connector's capacity",
                CONNECTOR_TIMEOUT,
                busy,
                || update(Some(cap.clone()), None, version.clone()),
            )
            .await?;
            current = self.wait(ctx, _a, &current).await?;
        }
        if has("configuration") {
            let conf: HashMap<String, String> =
                common::string_map(d, "configuration").into_iter().collect();
            let version = s(&current.attrs, "current_version");
            wait::retry(
                ctx,
                "updating the connector's configuration",
                CONNECTOR_TIMEOUT,
                busy,
                || update(None, Some(conf.clone()), version.clone()),
            )
            .await?;
            current = self.wait(ctx, _a, &current).await?;
            // AWS has accepted updates that left the old configuration running: check.
            let now = describe_connector(ctx, &arn).await?;
            let running =
                configuration_value(now.as_ref().and_then(|d| d.connector_configuration()));
            if Some(&running) != d.get("configuration") {
                return Err(DriverError::Failed(format!(
                    "AWS accepted the configuration update of {arn}, but the connector still runs another configuration; replace it with `cdcstack apply --target connector.connector` after deleting it, or retry"
                )));
            }
        }
        if has("tags") {
            update_tags(ctx, &arn, &live.attrs, d).await?;
        }
        let mut attrs = current.attrs.clone();
        for (k, v) in d {
            if k != "bootstrap_servers" {
                attrs.insert(k.clone(), v.clone());
            }
        }
        Ok(Live::ready(arn, attrs))
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let arn = &live.id;
        let out = wait::until(
            ctx,
            &format!("connector {arn} to be RUNNING"),
            CONNECTOR_TIMEOUT,
            || async {
                match describe_connector(ctx, arn).await? {
                    Some(d) if d.connector_state() == Some(&ConnectorState::Running) => {
                        Ok(Poll::Done(d))
                    }
                    Some(d) if d.connector_state() == Some(&ConnectorState::Failed) => {
                        Err(DriverError::Failed(format!(
                            "connector {arn} FAILED: {}",
                            d.state_description()
                                .and_then(|s| s.message())
                                .unwrap_or("no reason given")
                        )))
                    }
                    Some(d) => Ok(Poll::Pending(
                        d.connector_state()
                            .map_or("unknown", |s| s.as_str())
                            .to_string(),
                    )),
                    None => Ok(Poll::Pending("not visible yet".into())),
                }
            },
        )
        .await?;
        let mut attrs = live.attrs.clone();
        attrs.insert(
            "current_version".into(),
            out.current_version().unwrap_or_default().into(),
        );
        attrs.insert("state".into(), "RUNNING".into());
        attrs.insert(
            "configuration".into(),
            configuration_value(out.connector_configuration()),
        );
        Ok(Live::ready(arn.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let arn = &live.id;
        let delete = || async {
            ctx.aws
                .kafkaconnect()
                .delete_connector()
                .connector_arn(arn)
                .send()
                .await
                .api("kafkaconnect:DeleteConnector")
                .map(|_| ())
        };
        let status = || async {
            Ok(describe_connector(ctx, arn).await?.map(|d| {
                d.connector_state()
                    .map_or("unknown", |s| s.as_str())
                    .to_string()
            }))
        };
        wait::delete(
            ctx,
            &format!("connector {arn}"),
            CONNECTOR_TIMEOUT,
            in_use,
            delete,
            status,
        )
        .await
    }

    fn notes(&self, _desired: &Attrs, live: Option<&Live>, changed: &[String]) -> Vec<String> {
        // A replacement carries the new values anyway: "in place" would mislead.
        let replaced = changed
            .iter()
            .any(|c| self.force_new().contains(&c.as_str()));
        if live.is_none() || replaced {
            return vec![];
        }
        let mut notes = Vec::new();
        if changed.iter().any(|c| c == "capacity") {
            notes.push("capacity: in place with UpdateConnector".into());
        }
        if changed.iter().any(|c| c == "configuration") {
            notes.push("connector configuration: in place with UpdateConnector; apply checks the connector runs the new configuration afterwards".into());
        }
        notes
    }
}
