//! MSK Connect: the custom plugin (the Debezium zip), the worker
//! configuration (converters and the Secrets Manager config provider) and
//! the connector itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_kafkaconnect::operation::describe_connector::DescribeConnectorOutput;
use aws_sdk_kafkaconnect::types::{
    ApacheKafkaCluster, Capacity, CapacityUpdate, CloudWatchLogsLogDelivery, ConnectorState,
    CustomPlugin, CustomPluginContentType, CustomPluginLocation, CustomPluginState, KafkaCluster,
    KafkaClusterClientAuthentication, KafkaClusterClientAuthenticationType,
    KafkaClusterEncryptionInTransit, KafkaClusterEncryptionInTransitType, LogDelivery,
    Plugin as PluginRef, ProvisionedCapacity, ProvisionedCapacityUpdate, S3Location, Vpc,
    WorkerConfiguration as WorkerConfigurationRef, WorkerLogDelivery,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::common::{self, built};
use crate::aws::error::{ApiResultExt, FoundExt, api_error};
use crate::aws::policy::{Phase, Policy, Transient, minutes};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::connector::{
    Capacity as CapacityAttrs, Connector, ConnectorAttrs, ConnectorOutputs, Plugin, PluginAttrs,
    PluginLocation, PluginOutputs, WorkerConfiguration, WorkerConfigurationAttrs,
    WorkerConfigurationOutputs,
};
use crate::model::{Attrs, Changed, Kind, Partial, Tags};
use crate::stack::Address;

/// MSK Connect refuses (BadRequest) to delete a plugin or worker
/// configuration a connector still uses, or anything busy: wait and retry.
const fn in_use(patience: Duration) -> Transient {
    Transient {
        during: &[Phase::Delete],
        codes: &["BadRequestException", "ConflictException"],
        messages: &[],
        patience,
        why: "still used by a connector, or busy",
    }
}

/// Terraform's defaults (kafkaconnect/custom_plugin.go): create and delete 10 min.
const PLUGIN_POLICY: Policy = Policy {
    create: minutes(10),
    update: minutes(10),
    delete: minutes(10),
    // Refused while a connector that is being deleted still uses it.
    transient: &[in_use(minutes(10))],
};

/// Nothing waits on a worker configuration; its delete is retried for as
/// long as a plugin's.
const WORKER_POLICY: Policy = Policy {
    create: minutes(10),
    update: minutes(10),
    delete: minutes(10),
    transient: &[in_use(minutes(10))],
};

/// Terraform's defaults (kafkaconnect/connector.go): create and update 20
/// min (delete is 10 min there; cdcstack has always allowed 20).
const CONNECTOR_POLICY: Policy = Policy {
    create: minutes(20),
    update: minutes(20),
    delete: minutes(20),
    transient: &[
        Transient {
            during: &[Phase::Create],
            codes: &["BadRequestException"],
            messages: &["role", "AccessDenied"],
            patience: Duration::from_secs(120),
            why: "a role made a moment ago may not be usable yet (IAM propagates in seconds to minutes)",
        },
        Transient {
            during: &[Phase::Update],
            codes: &["BadRequestException"],
            messages: &["version", "state"],
            patience: minutes(20),
            why: "the connector is still busy with a previous change",
        },
        in_use(minutes(20)),
    ],
};

pub struct PluginDriver {
    pub aws: Arc<Aws>,
}

pub struct WorkerConfigurationDriver {
    pub aws: Arc<Aws>,
}

pub struct ConnectorDriver {
    pub aws: Arc<Aws>,
}

async fn tags(aws: &Aws, arn: &str) -> Result<Tags, ApiError> {
    let out = aws
        .kafkaconnect()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .api("kafkaconnect:ListTagsForResource")?;
    Ok(common::tags_of_map(out.tags()))
}

async fn update_tags(aws: &Aws, arn: &str, before: &Tags, after: &Tags) -> Result<(), ApiError> {
    let (set, gone) = common::delta(before, after);
    let kc = aws.kafkaconnect();
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

fn tag_map(tags: &Tags) -> HashMap<String, String> {
    tags.clone().into_iter().collect()
}

/// Plugins and worker configurations cannot change after creation (only
/// their tags can): when the Tagging API lists the recorded ARN with the
/// recorded tags, the state's record (`recorded`, complete) describes the
/// resource and no call is needed.
async fn unchanged<K: Kind>(
    aws: &Aws,
    ctx: &Ctx,
    recorded: Option<&Live<K>>,
    tags: fn(&Live<K>) -> &Tags,
) -> Option<Live<K>> {
    let live = recorded?;
    aws.confirmed_tags(ctx, &live.id, Some(tags(live))).await?;
    Some(live.clone())
}

// ---------------------------------------------------------------- plugin

impl PluginDriver {
    async fn find(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_kafkaconnect::types::CustomPluginSummary>, ApiError> {
        let all = self
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

    async fn state(&self, arn: &str) -> Result<Option<(CustomPluginState, String)>, DriverError> {
        Ok(self
            .aws
            .kafkaconnect()
            .describe_custom_plugin()
            .custom_plugin_arn(arn)
            .send()
            .await
            .api("kafkaconnect:DescribeCustomPlugin")
            .found()?
            .and_then(|out| {
                let why = out
                    .state_description()
                    .and_then(|d| d.message())
                    .unwrap_or_default()
                    .to_string();
                Some((out.custom_plugin_state()?.clone(), why))
            }))
    }
}

#[async_trait]
impl Lifecycle for PluginDriver {
    type Kind = Plugin;

    async fn preflight(&self, ctx: &Ctx, desired: &Partial<Plugin>) -> Result<(), String> {
        // Only a zip the user names by s3:// URL: cdcstack uploads its own
        // (that location carries the object version it will create).
        let Some(loc) = &desired.location else {
            return Ok(());
        };
        if loc.object_version.is_some() {
            return Ok(());
        }
        let (arn, key) = (loc.bucket_arn.as_str(), loc.file_key.as_str());
        let bucket = arn.rsplit(":::").next().unwrap_or(arn);
        let url = format!("s3://{bucket}/{key}");
        match self
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
            // `NoSuchBucket` included.
            Err(e) if e.is_not_found() => Err(format!(
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

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Plugin>],
    ) -> Result<Found<Plugin>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            let active = w
                .recorded
                .as_ref()
                .filter(|r| r.out.state.as_deref() == Some("ACTIVE"));
            if let Some(live) = unchanged(&self.aws, ctx, active, |l| &l.attrs.tags).await {
                found.live.insert(w.address.clone(), live);
                continue;
            }
            let Some(p) = self.find(name).await? else {
                continue;
            };
            let arn = p.custom_plugin_arn().unwrap_or_default().to_string();
            let t = self
                .aws
                .tags_of(ctx, &arn, w.known.tags.as_ref(), tags(&self.aws, &arn))
                .await?;
            common::owned(ctx, &w.address, "MSK Connect custom plugin", name, &t)?;
            let rev = p.latest_revision();
            let s3 = rev.and_then(|r| r.location()).and_then(|l| l.s3_location());
            let location = PluginLocation {
                bucket_arn: s3
                    .and_then(|x| x.bucket_arn())
                    .unwrap_or_default()
                    .to_string(),
                file_key: s3
                    .and_then(|x| x.file_key())
                    .unwrap_or_default()
                    .to_string(),
                object_version: s3.and_then(|x| x.object_version()).map(str::to_string),
            };
            let attrs = PluginAttrs {
                name: name.to_string(),
                description: rev
                    .and_then(|r| r.description())
                    .or(p.description())
                    .unwrap_or_default()
                    .to_string(),
                content_type: rev
                    .and_then(|r| r.content_type())
                    .map_or("ZIP", |c| c.as_str())
                    .to_string(),
                location,
                tags: t,
            };
            let state = p
                .custom_plugin_state()
                .map_or("", |s| s.as_str())
                .to_string();
            let ready = state == "ACTIVE" || state == "CREATE_FAILED";
            let out = PluginOutputs {
                arn: arn.clone(),
                latest_revision: rev.map_or(1, |r| r.revision()),
                state: Some(state),
            };
            let mut live = Live::ready(arn, attrs, out);
            live.ready = ready;
            found.live.insert(w.address.clone(), live);
        }
        Ok(found)
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        d: &Attrs<Plugin>,
    ) -> Result<Live<Plugin>, DriverError> {
        let loc = &d.location;
        let s3 = built(
            S3Location::builder()
                .bucket_arn(&loc.bucket_arn)
                .file_key(&loc.file_key)
                .set_object_version(
                    loc.object_version
                        .clone()
                        .filter(|v| !v.is_empty() && v != "null"),
                )
                .build(),
            "the plugin location",
        )?;
        let out = self
            .aws
            .kafkaconnect()
            .create_custom_plugin()
            .name(&d.name)
            .description(&d.description)
            .content_type(CustomPluginContentType::from(d.content_type.as_str()))
            .location(CustomPluginLocation::builder().s3_location(s3).build())
            .set_tags(Some(tag_map(&d.tags)))
            .send()
            .await
            .api("kafkaconnect:CreateCustomPlugin")?;
        let arn = out.custom_plugin_arn().unwrap_or_default().to_string();
        let outputs = PluginOutputs {
            arn: arn.clone(),
            latest_revision: out.revision(),
            state: None,
        };
        Ok(Live::pending(arn, d.clone(), outputs))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<Plugin>,
        d: &Attrs<Plugin>,
        changed: &Changed<Plugin>,
    ) -> Result<Live<Plugin>, DriverError> {
        let PluginAttrs {
            name: _,
            description: _,
            content_type: _,
            location: _,
            tags,
        } = *changed;
        if tags {
            update_tags(&self.aws, &live.id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(Live {
            ready: live.ready,
            ..live.updated(d)
        })
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Plugin>,
    ) -> Result<Live<Plugin>, DriverError> {
        let arn = &live.id;
        PLUGIN_POLICY
            .until(
                ctx,
                Phase::Create,
                &format!("custom plugin {arn} to be ACTIVE"),
                || async {
                    match self.state(arn).await? {
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
        let mut done = live.clone().done();
        done.out.state = Some("ACTIVE".into());
        Ok(done)
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Plugin>,
    ) -> Result<(), DriverError> {
        let arn = &live.id;
        let delete = || async {
            self.aws
                .kafkaconnect()
                .delete_custom_plugin()
                .custom_plugin_arn(arn)
                .send()
                .await
                .api("kafkaconnect:DeleteCustomPlugin")
                .map(|_| ())
        };
        let status = || async { Ok(self.state(arn).await?.map(|(s, _)| s.as_str().to_string())) };
        PLUGIN_POLICY
            .delete(ctx, &format!("custom plugin {arn}"), delete, status)
            .await
    }
}

impl Advice for PluginDriver {
    fn broken(&self, live: &Live<Plugin>) -> Option<String> {
        (live.out.state.as_deref() == Some("CREATE_FAILED"))
            .then(|| "the custom plugin failed to create (is the zip a valid plugin?)".into())
    }
}

// ---------------------------------------------------------------- worker configuration

fn properties_blob(properties: &BTreeMap<String, String>) -> String {
    BASE64.encode(common::properties_text(properties))
}

#[async_trait]
impl Lifecycle for WorkerConfigurationDriver {
    type Kind = WorkerConfiguration;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<WorkerConfiguration>],
    ) -> Result<Found<WorkerConfiguration>, DriverError> {
        let kc = self.aws.kafkaconnect();
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            if let Some(live) =
                unchanged(&self.aws, ctx, w.recorded.as_ref(), |l| &l.attrs.tags).await
            {
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
            let t = self
                .aws
                .tags_of(ctx, &arn, w.known.tags.as_ref(), tags(&self.aws, &arn))
                .await?;
            common::owned(
                ctx,
                &w.address,
                "MSK Connect worker configuration",
                name,
                &t,
            )?;
            let revision = wc.latest_revision().map_or(1, |r| r.revision());
            // Revisions never change: read the properties only for one the state has not seen.
            let seen = w
                .known
                .properties
                .as_ref()
                .filter(|_| w.known_out.latest_revision == Some(revision));
            let properties = match seen {
                Some(p) => p.clone(),
                None => {
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
                    let text = String::from_utf8(BASE64.decode(b64).unwrap_or_default())
                        .unwrap_or_default();
                    common::parse_properties(&text)
                }
            };
            let attrs = WorkerConfigurationAttrs {
                name: name.to_string(),
                description: wc
                    .description()
                    .or(wc.latest_revision().and_then(|r| r.description()))
                    .unwrap_or_default()
                    .to_string(),
                properties,
                tags: t,
            };
            let out = WorkerConfigurationOutputs {
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
        _ctx: &Ctx,
        _a: &Address,
        d: &Attrs<WorkerConfiguration>,
    ) -> Result<Live<WorkerConfiguration>, DriverError> {
        let out = self
            .aws
            .kafkaconnect()
            .create_worker_configuration()
            .name(&d.name)
            .description(&d.description)
            .properties_file_content(properties_blob(&d.properties))
            .set_tags(Some(tag_map(&d.tags)))
            .send()
            .await
            .api("kafkaconnect:CreateWorkerConfiguration")?;
        let arn = out
            .worker_configuration_arn()
            .unwrap_or_default()
            .to_string();
        let outputs = WorkerConfigurationOutputs {
            arn: arn.clone(),
            latest_revision: out.latest_revision().map_or(1, |r| r.revision()),
        };
        Ok(Live::ready(arn, d.clone(), outputs))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<WorkerConfiguration>,
        d: &Attrs<WorkerConfiguration>,
        changed: &Changed<WorkerConfiguration>,
    ) -> Result<Live<WorkerConfiguration>, DriverError> {
        let WorkerConfigurationAttrs {
            name: _,
            description: _,
            properties: _,
            tags,
        } = *changed;
        if tags {
            update_tags(&self.aws, &live.id, &live.attrs.tags, &d.tags).await?;
        }
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<WorkerConfiguration>,
    ) -> Result<(), DriverError> {
        WORKER_POLICY
            .delete_call(
                ctx,
                &format!("worker configuration {}", live.id),
                || async {
                    self.aws
                        .kafkaconnect()
                        .delete_worker_configuration()
                        .worker_configuration_arn(&live.id)
                        .send()
                        .await
                        .api("kafkaconnect:DeleteWorkerConfiguration")
                        .map(|_| ())
                },
            )
            .await
            .map(|_| ())
    }
}

impl Advice for WorkerConfigurationDriver {}

// ---------------------------------------------------------------- connector

fn configuration_map(c: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    c.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl ConnectorDriver {
    async fn describe(&self, arn: &str) -> Result<Option<DescribeConnectorOutput>, DriverError> {
        Ok(self
            .aws
            .kafkaconnect()
            .describe_connector()
            .connector_arn(arn)
            .send()
            .await
            .api("kafkaconnect:DescribeConnector")
            .found()?)
    }

    /// Reads the connector named `name`. `recorded_tags`: the tags the
    /// state has; `seen`: the version and configuration it recorded.
    async fn read_one(
        &self,
        ctx: &Ctx,
        address: &Address,
        name: &str,
        recorded_tags: Option<&Tags>,
        seen: Option<(&str, &BTreeMap<String, String>)>,
    ) -> Result<Option<Live<Connector>>, DriverError> {
        let all = self
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
            return Ok(None);
        };
        let arn = c.connector_arn().unwrap_or_default().to_string();
        let t = self
            .aws
            .tags_of(ctx, &arn, recorded_tags, tags(&self.aws, &arn))
            .await?;
        common::owned(ctx, address, "MSK Connect connector", name, &t)?;
        let version = c.current_version().unwrap_or_default();
        let state = c.connector_state().map_or("", |s| s.as_str()).to_string();
        // The configuration changes only with the version: reuse what state has for it.
        let cached = seen
            .filter(|(v, _)| *v == version && state != "FAILED")
            .map(|(_, conf)| conf.clone());
        let (configuration, why) = match cached {
            Some(conf) => (conf, String::new()),
            None => {
                let d = self.describe(&arn).await?;
                let why = d
                    .as_ref()
                    .and_then(|d| d.state_description())
                    .and_then(|s| s.message())
                    .unwrap_or_default()
                    .to_string();
                (
                    configuration_map(d.as_ref().and_then(|d| d.connector_configuration())),
                    why,
                )
            }
        };
        let apache = c.kafka_cluster().and_then(|k| k.apache_kafka_cluster());
        let vpc = apache.and_then(|a| a.vpc());
        let prov = c.capacity().and_then(|c| c.provisioned_capacity());
        let plugin = c.plugins().first().and_then(|p| p.custom_plugin());
        let worker = c.worker_configuration();
        let cw = c
            .log_delivery()
            .and_then(|l| l.worker_log_delivery())
            .and_then(|w| w.cloud_watch_logs());
        let attrs = ConnectorAttrs {
            name: name.to_string(),
            kafka_connect_version: c.kafka_connect_version().unwrap_or_default().to_string(),
            plugin_arn: plugin
                .and_then(|p| p.custom_plugin_arn())
                .unwrap_or_default()
                .to_string(),
            plugin_revision: plugin.map_or(0, |p| p.revision()),
            worker_configuration_arn: worker
                .and_then(|w| w.worker_configuration_arn())
                .unwrap_or_default()
                .to_string(),
            worker_configuration_revision: worker.map_or(0, |w| w.revision()),
            service_execution_role_arn: c
                .service_execution_role_arn()
                .unwrap_or_default()
                .to_string(),
            capacity: CapacityAttrs {
                workers: prov.map_or(0, |p| p.worker_count()),
                mcu: prov.map_or(0, |p| p.mcu_count()),
            },
            bootstrap_servers: apache
                .and_then(|a| a.bootstrap_servers())
                .unwrap_or_default()
                .to_string(),
            subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
            security_groups: vpc
                .map(|v| v.security_groups().to_vec())
                .unwrap_or_default(),
            client_authentication: c
                .kafka_cluster_client_authentication()
                .and_then(|x| x.authentication_type())
                .map_or("NONE", |t| t.as_str())
                .to_string(),
            encryption_in_transit: c
                .kafka_cluster_encryption_in_transit()
                .and_then(|x| x.encryption_type())
                .map_or("PLAINTEXT", |t| t.as_str())
                .to_string(),
            log_group: cw
                .filter(|c| c.enabled())
                .and_then(|c| c.log_group())
                .unwrap_or_default()
                .to_string(),
            configuration,
            tags: t,
        };
        let ready = state == "RUNNING" || state == "FAILED";
        let out = ConnectorOutputs {
            arn: arn.clone(),
            current_version: Some(version.to_string()),
            state: Some(state),
            state_description: Some(why).filter(|w| !w.is_empty()),
        };
        let mut live = Live::ready(arn, attrs, out);
        live.ready = ready;
        Ok(Some(live))
    }

    /// Waits until the connector is RUNNING (FAILED is an error) and reads
    /// the version and configuration it runs.
    async fn running(
        &self,
        ctx: &Ctx,
        phase: Phase,
        live: &Live<Connector>,
    ) -> Result<Live<Connector>, DriverError> {
        let arn = &live.id;
        let out = CONNECTOR_POLICY
            .until(
                ctx,
                phase,
                &format!("connector {arn} to be RUNNING"),
                || async {
                    match self.describe(arn).await? {
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
        let mut done = live.clone().done();
        done.attrs.configuration = configuration_map(out.connector_configuration());
        done.out.current_version = Some(out.current_version().unwrap_or_default().to_string());
        done.out.state = Some("RUNNING".into());
        Ok(done)
    }

    /// One UpdateConnector call, retried while the connector is busy.
    async fn update_call(
        &self,
        ctx: &Ctx,
        what: &str,
        arn: &str,
        version: &str,
        capacity: Option<CapacityUpdate>,
        configuration: Option<HashMap<String, String>>,
    ) -> Result<(), DriverError> {
        let req = self
            .aws
            .kafkaconnect()
            .update_connector()
            .connector_arn(arn)
            .current_version(version)
            .set_capacity(capacity)
            .set_connector_configuration(configuration);
        CONNECTOR_POLICY
            .retry(ctx, Phase::Update, what, || {
                let req = req.clone();
                async move {
                    req.send()
                        .await
                        .api("kafkaconnect:UpdateConnector")
                        .map(|_| ())
                }
            })
            .await
    }
}

#[async_trait]
impl Lifecycle for ConnectorDriver {
    type Kind = Connector;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Connector>],
    ) -> Result<Found<Connector>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            let seen = match (&w.known_out.current_version, &w.known.configuration) {
                (Some(Some(version)), Some(conf)) => Some((version.as_str(), conf)),
                _ => None,
            };
            if let Some(live) = self
                .read_one(ctx, &w.address, name, w.known.tags.as_ref(), seen)
                .await?
            {
                found.live.insert(w.address.clone(), live);
            }
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<Connector>,
    ) -> Result<Live<Connector>, DriverError> {
        let vpc = built(
            Vpc::builder()
                .set_subnets(Some(d.subnets.clone()))
                .set_security_groups(Some(d.security_groups.clone()))
                .build(),
            "the connector VPC",
        )?;
        let cluster = built(
            ApacheKafkaCluster::builder()
                .bootstrap_servers(&d.bootstrap_servers)
                .vpc(vpc)
                .build(),
            "the connector's Kafka cluster",
        )?;
        let configuration: HashMap<String, String> = d.configuration.clone().into_iter().collect();
        let req = self
            .aws
            .kafkaconnect()
            .create_connector()
            .connector_name(&d.name)
            .kafka_connect_version(&d.kafka_connect_version)
            .plugins(
                PluginRef::builder()
                    .custom_plugin(built(
                        CustomPlugin::builder()
                            .custom_plugin_arn(&d.plugin_arn)
                            .revision(d.plugin_revision)
                            .build(),
                        "the connector plugin",
                    )?)
                    .build(),
            )
            .worker_configuration(built(
                WorkerConfigurationRef::builder()
                    .worker_configuration_arn(&d.worker_configuration_arn)
                    .revision(d.worker_configuration_revision)
                    .build(),
                "the worker configuration",
            )?)
            .service_execution_role_arn(&d.service_execution_role_arn)
            .capacity(
                Capacity::builder()
                    .provisioned_capacity(
                        ProvisionedCapacity::builder()
                            .worker_count(d.capacity.workers)
                            .mcu_count(d.capacity.mcu)
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
                        d.client_authentication.as_str(),
                    ))
                    .build(),
                "the client authentication",
            )?)
            .kafka_cluster_encryption_in_transit(built(
                KafkaClusterEncryptionInTransit::builder()
                    .encryption_type(KafkaClusterEncryptionInTransitType::from(
                        d.encryption_in_transit.as_str(),
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
                                    .log_group(&d.log_group)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .set_connector_configuration(Some(configuration))
            .set_tags(Some(tag_map(&d.tags)));
        let res = CONNECTOR_POLICY
            .retry(ctx, Phase::Create, "creating the connector", || {
                let req = req.clone();
                async move { req.send().await.api("kafkaconnect:CreateConnector") }
            })
            .await;
        let arn = match res {
            Ok(out) => out.connector_arn().unwrap_or_default().to_string(),
            Err(e) if api_error(&e).is_some_and(|a| a.code_is("ConflictException")) => {
                // Left by an interrupted run: take it over if it is ours.
                return self
                    .read_one(ctx, address, &d.name, Some(&d.tags), None)
                    .await?
                    .ok_or(e);
            }
            Err(e) => return Err(e),
        };
        let outputs = ConnectorOutputs {
            arn: arn.clone(),
            current_version: None,
            state: None,
            state_description: None,
        };
        Ok(Live::pending(arn, d.clone(), outputs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Connector>,
        d: &Attrs<Connector>,
        changed: &Changed<Connector>,
    ) -> Result<Live<Connector>, DriverError> {
        let ConnectorAttrs {
            name: _,
            kafka_connect_version: _,
            plugin_arn: _,
            plugin_revision: _,
            worker_configuration_arn: _,
            worker_configuration_revision: _,
            service_execution_role_arn: _,
            capacity,
            bootstrap_servers: _,
            subnets: _,
            security_groups: _,
            client_authentication: _,
            encryption_in_transit: _,
            log_group: _,
            configuration,
            tags,
        } = *changed;
        let arn = &live.id;
        let mut current = live.clone();
        if capacity {
            let cap = CapacityUpdate::builder()
                .provisioned_capacity(
                    ProvisionedCapacityUpdate::builder()
                        .worker_count(d.capacity.workers)
                        .mcu_count(d.capacity.mcu)
                        .build(),
                )
                .build();
            let version = current.out.current_version.clone().unwrap_or_default();
            self.update_call(
                ctx,
                "updating the connector's capacity",
                arn,
                &version,
                Some(cap),
                None,
            )
            .await?;
            current = self.running(ctx, Phase::Update, &current).await?;
        }
        if configuration {
            let conf: HashMap<String, String> = d.configuration.clone().into_iter().collect();
            let version = current.out.current_version.clone().unwrap_or_default();
            self.update_call(
                ctx,
                "updating the connector's configuration",
                arn,
                &version,
                None,
                Some(conf),
            )
            .await?;
            current = self.running(ctx, Phase::Update, &current).await?;
            // AWS has accepted updates that left the old configuration running: check.
            let now = self.describe(arn).await?;
            let running = configuration_map(now.as_ref().and_then(|d| d.connector_configuration()));
            if running != d.configuration {
                return Err(DriverError::Failed(format!(
                    "AWS accepted the configuration update of {arn}, but the connector still runs another configuration; replace it with `cdcstack apply --target connector.connector` after deleting it, or retry"
                )));
            }
        }
        if tags {
            update_tags(&self.aws, arn, &live.attrs.tags, &d.tags).await?;
        }
        // The brokers it was created with stay the ones it knows.
        let attrs = ConnectorAttrs {
            bootstrap_servers: current.attrs.bootstrap_servers.clone(),
            ..d.clone()
        };
        Ok(Live::ready(arn.clone(), attrs, current.out))
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Connector>,
    ) -> Result<Live<Connector>, DriverError> {
        self.running(ctx, Phase::Create, live).await
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Connector>,
    ) -> Result<(), DriverError> {
        let arn = &live.id;
        let delete = || async {
            self.aws
                .kafkaconnect()
                .delete_connector()
                .connector_arn(arn)
                .send()
                .await
                .api("kafkaconnect:DeleteConnector")
                .map(|_| ())
        };
        let status = || async {
            Ok(self.describe(arn).await?.map(|d| {
                d.connector_state()
                    .map_or("unknown", |s| s.as_str())
                    .to_string()
            }))
        };
        CONNECTOR_POLICY
            .delete(ctx, &format!("connector {arn}"), delete, status)
            .await
    }
}

impl Advice for ConnectorDriver {
    fn broken(&self, live: &Live<Connector>) -> Option<String> {
        (live.out.state.as_deref() == Some("FAILED")).then(|| {
            format!(
                "the connector is FAILED: {}",
                live.out
                    .state_description
                    .as_deref()
                    .unwrap_or("no reason given")
            )
        })
    }

    fn notes(
        &self,
        _desired: &Partial<Connector>,
        live: Option<&Live<Connector>>,
        changed: &Changed<Connector>,
    ) -> Vec<String> {
        let ConnectorAttrs {
            name,
            kafka_connect_version,
            plugin_arn,
            plugin_revision,
            worker_configuration_arn,
            worker_configuration_revision,
            service_execution_role_arn,
            capacity,
            bootstrap_servers,
            subnets,
            security_groups,
            client_authentication,
            encryption_in_transit,
            log_group,
            configuration,
            tags,
        } = *changed;
        let rules = &Connector::CHANGES;
        // A replacement carries the new values anyway: "in place" would mislead.
        let replaced = [
            (name, rules.name),
            (kafka_connect_version, rules.kafka_connect_version),
            (plugin_arn, rules.plugin_arn),
            (plugin_revision, rules.plugin_revision),
            (worker_configuration_arn, rules.worker_configuration_arn),
            (
                worker_configuration_revision,
                rules.worker_configuration_revision,
            ),
            (service_execution_role_arn, rules.service_execution_role_arn),
            (capacity, rules.capacity),
            (bootstrap_servers, rules.bootstrap_servers),
            (subnets, rules.subnets),
            (security_groups, rules.security_groups),
            (client_authentication, rules.client_authentication),
            (encryption_in_transit, rules.encryption_in_transit),
            (log_group, rules.log_group),
            (configuration, rules.configuration),
            (tags, rules.tags),
        ]
        .iter()
        .any(|(changed, rule)| *changed && !rule.in_place);
        if live.is_none() || replaced {
            return vec![];
        }
        let mut notes = Vec::new();
        if capacity {
            notes.push("capacity: in place with UpdateConnector".into());
        }
        if configuration {
            notes.push("connector configuration: in place with UpdateConnector; apply checks the connector runs the new configuration afterwards".into());
        }
        notes
    }
}
