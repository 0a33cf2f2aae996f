//! The provisioned MSK cluster: brokers on the private tier, TLS between
//! clients and brokers and inside the cluster, IAM authentication on 9098.
//! Every change AWS can make in place is made in place, one operation at a
//! time (MSK runs one at a time), and the plan says which route it takes.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_kafka::types::{
    BrokerEbsVolumeInfo, BrokerNodeGroupInfo, ClientAuthentication, ClientBroker,
    Cluster as MskCluster, ClusterState, ConfigurationInfo, EbsStorageInfo, EncryptionInTransit,
    EncryptionInfo, Iam, ProvisionedRequest, Sasl, StorageInfo,
};
use serde_json::{Value, json};

use super::common::{self, i, s, strs};
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Cluster;

/// Terraform's default (kafka/cluster.go): 120 minutes. Real creates take 25–40.
const TIMEOUT: Duration = Duration::from_secs(120 * 60);

fn to_live(c: &MskCluster) -> Live {
    let arn = c.cluster_arn().unwrap_or_default().to_string();
    let p = c.provisioned();
    let group = p.and_then(|p| p.broker_node_group_info());
    let sw = p.and_then(|p| p.current_broker_software_info());
    let strings = |v: &[String]| {
        v.iter()
            .map(|x| Value::from(x.as_str()))
            .collect::<Vec<_>>()
    };
    let mut a = Attrs::new();
    a.insert("name".into(), c.cluster_name().unwrap_or_default().into());
    a.insert(
        "kafka_version".into(),
        sw.and_then(|s| s.kafka_version())
            .unwrap_or_default()
            .into(),
    );
    a.insert(
        "broker_count".into(),
        p.and_then(|p| p.number_of_broker_nodes())
            .unwrap_or(0)
            .into(),
    );
    a.insert(
        "instance_type".into(),
        group
            .and_then(|g| g.instance_type())
            .unwrap_or_default()
            .into(),
    );
    let ebs = group
        .and_then(|g| g.storage_info())
        .and_then(|s| s.ebs_storage_info())
        .and_then(|e| e.volume_size());
    a.insert("ebs_volume_gb".into(), ebs.unwrap_or(0).into());
    a.insert(
        "client_subnets".into(),
        strings(group.map(|g| g.client_subnets()).unwrap_or_default()).into(),
    );
    a.insert(
        "security_groups".into(),
        strings(group.map(|g| g.security_groups()).unwrap_or_default()).into(),
    );
    a.insert(
        "configuration_arn".into(),
        sw.and_then(|s| s.configuration_arn())
            .unwrap_or_default()
            .into(),
    );
    a.insert(
        "configuration_revision".into(),
        sw.and_then(|s| s.configuration_revision())
            .unwrap_or(0)
            .into(),
    );
    let iam = p
        .and_then(|p| p.client_authentication())
        .and_then(|c| c.sasl())
        .and_then(|s| s.iam())
        .and_then(|i| i.enabled())
        .unwrap_or(false);
    a.insert("client_authentication".into(), json!({ "sasl_iam": iam }));
    let tls = p
        .and_then(|p| p.encryption_info())
        .and_then(|e| e.encryption_in_transit());
    a.insert(
        "encryption_in_transit".into(),
        json!({
            "client_broker": tls.and_then(|t| t.client_broker()).map_or("TLS", |c| c.as_str()),
            "in_cluster": tls.and_then(|t| t.in_cluster()).unwrap_or(true),
        }),
    );
    a.insert("tags".into(), common::hashmap_tags(c.tags()));
    a.insert("arn".into(), arn.clone().into());
    a.insert(
        "current_version".into(),
        c.current_version().unwrap_or_default().into(),
    );
    a.insert("state".into(), c.state().map_or("", |s| s.as_str()).into());
    // IAM policies name topics and groups by the cluster's name and UUID.
    for (k, kind) in [("topic_arn", "topic"), ("group_arn", "group")] {
        a.insert(
            k.into(),
            format!("{}/*", arn.replacen(":cluster/", &format!(":{kind}/"), 1)).into(),
        );
    }
    Live {
        id: arn,
        attrs: a,
        ready: c.state() == Some(&ClusterState::Active),
    }
}

async fn describe(ctx: &Ctx, arn: &str) -> Result<Option<MskCluster>, DriverError> {
    match ctx
        .aws
        .kafka()
        .describe_cluster_v2()
        .cluster_arn(arn)
        .send()
        .await
        .api("kafka:DescribeClusterV2")
    {
        Ok(out) => Ok(out.cluster_info().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn current_version(ctx: &Ctx, arn: &str) -> Result<String, ApiError> {
    let out = ctx
        .aws
        .kafka()
        .describe_cluster_v2()
        .cluster_arn(arn)
        .send()
        .await
        .api("kafka:DescribeClusterV2")?;
    Ok(out
        .cluster_info()
        .and_then(|c| c.current_version())
        .unwrap_or_default()
        .to_string())
}

async fn bootstrap(ctx: &Ctx, arn: &str) -> Result<String, DriverError> {
    let out = ctx
        .aws
        .kafka()
        .get_bootstrap_brokers()
        .cluster_arn(arn)
        .send()
        .await
        .api("kafka:GetBootstrapBrokers")?;
    Ok(out
        .bootstrap_broker_string_sasl_iam()
        .unwrap_or_default()
        .to_string())
}

/// Waits for ACTIVE; fails fast on FAILED with AWS's reason.
async fn wait_active(ctx: &Ctx, arn: &str) -> Result<Live, DriverError> {
    let mut live = wait::until(
        ctx,
        &format!("MSK cluster {arn} to be ACTIVE"),
        TIMEOUT,
        || async {
            match describe(ctx, arn).await? {
                Some(c) if c.state() == Some(&ClusterState::Active) => Ok(Poll::Done(to_live(&c))),
                Some(c) if c.state() == Some(&ClusterState::Failed) => {
                    Err(DriverError::Failed(format!(
                        "MSK cluster {arn} FAILED: {}",
                        c.state_info()
                            .and_then(|i| i.message())
                            .unwrap_or("no reason given")
                    )))
                }
                Some(c) => Ok(Poll::Pending(
                    c.state().map_or("unknown", |s| s.as_str()).to_string(),
                )),
                None => Ok(Poll::Pending("not visible yet".into())),
            }
        },
    )
    .await?;
    live.attrs.insert(
        "bootstrap_brokers_sasl_iam".into(),
        bootstrap(ctx, arn).await?.into(),
    );
    Ok(live)
}

fn configuration(d: &Attrs) -> Option<ConfigurationInfo> {
    let arn = s(d, "configuration_arn");
    (!arn.is_empty()).then(|| {
        ConfigurationInfo::builder()
            .arn(arn)
            .revision(i(d, "configuration_revision"))
            .build()
    })
}

fn client_auth(d: &Attrs) -> ClientAuthentication {
    let iam = d
        .get("client_authentication")
        .and_then(|c| c.get("sasl_iam"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    ClientAuthentication::builder()
        .sasl(
            Sasl::builder()
                .iam(Iam::builder().enabled(iam).build())
                .build(),
        )
        .build()
}

/// MSK changes one thing at a time; a stale version or a busy cluster is retried.
fn busy(e: &ApiError) -> bool {
    e.code_is("BadRequestException")
        && (e.message.contains("version")
            || e.message.contains("state")
            || e.message.contains("operation"))
        || e.code_is("ConflictException")
}

fn newer(a: &str, b: &str) -> bool {
    let parts = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(u64::MAX))
            .collect::<Vec<_>>()
    };
    parts(a) > parts(b)
}

/// Waits while a cluster of this name is still being deleted (the old one of
/// a replacement, or one a crashed run was destroying): MSK keeps the name
/// taken until it is gone, and refuses a new one with a ConflictException.
async fn name_free(ctx: &Ctx, name: &str) -> Result<(), DriverError> {
    wait::until(
        ctx,
        &format!("MSK cluster {name} to finish deleting"),
        TIMEOUT,
        || async {
            let out = ctx
                .aws
                .kafka()
                .list_clusters_v2()
                .cluster_name_filter(name)
                .send()
                .await
                .api("kafka:ListClustersV2")?;
            let deleting = out.cluster_info_list().iter().any(|c| {
                c.cluster_name() == Some(name) && c.state() == Some(&ClusterState::Deleting)
            });
            Ok(if deleting {
                Poll::Pending("DELETING".into())
            } else {
                Poll::Done(())
            })
        },
    )
    .await
}

#[async_trait]
impl Driver for Cluster {
    fn kind(&self) -> &'static str {
        kinds::MSK_CLUSTER
    }

    fn force_new(&self) -> &'static [&'static str] {
        &[
            "name",
            "client_subnets",
            "security_groups",
            "encryption_in_transit",
        ]
    }

    fn data_lost_on_replace(&self) -> Option<&'static str> {
        Some("every topic and its messages (the connector starts again from its snapshot mode)")
    }

    fn forces_replacement(
        &self,
        attr: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> bool {
        let (b, a) = (
            before.unwrap_or(&Value::Null),
            after.unwrap_or(&Value::Null),
        );
        match attr {
            // Brokers and storage only grow in place; Kafka only upgrades.
            "broker_count" | "ebs_volume_gb" => a.as_i64() < b.as_i64(),
            "kafka_version" => newer(
                b.as_str().unwrap_or_default(),
                a.as_str().unwrap_or_default(),
            ),
            _ => self.force_new().contains(&attr),
        }
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["client_subnets", "security_groups"]
    }

    fn volatile(&self) -> &'static [&'static str] {
        &["current_version"]
    }

    fn broken(&self, live: &Live) -> Option<String> {
        (live.str("state") == Some("FAILED")).then(|| "the MSK cluster is FAILED".to_string())
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            // The filter is a prefix match: keep the exact name.
            let out = ctx
                .aws
                .kafka()
                .list_clusters_v2()
                .cluster_name_filter(name)
                .send()
                .await
                .api("kafka:ListClustersV2")?;
            let Some(c) = out.cluster_info_list().iter().find(|c| {
                c.cluster_name() == Some(name) && c.state() != Some(&ClusterState::Deleting)
            }) else {
                continue;
            };
            let mut live = to_live(c);
            common::check_owned(ctx, &w.address, "MSK cluster", name, &live.attrs["tags"])?;
            // Brokers only change with the cluster's version: reuse what state
            // has for it. While AWS is updating the cluster (a broker type or
            // configuration change) they stay where they were: keep them, or
            // the plan would take them for unknown and replace the connector.
            let known = w
                .known
                .get("bootstrap_brokers_sasl_iam")
                .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()));
            let same_version = w.known.get("current_version") == live.attrs.get("current_version");
            let brokers = match (known, live.ready) {
                (Some(v), false) => Some(v.clone()),
                (Some(v), true) if same_version => Some(v.clone()),
                (_, true) => Some(bootstrap(ctx, &live.id).await?.into()),
                // Still being created: not known yet.
                (None, false) => None,
            };
            if let Some(b) = brokers {
                live.attrs.insert("bootstrap_brokers_sasl_iam".into(), b);
            }
            found.live.insert(w.address.clone(), live);
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let group = BrokerNodeGroupInfo::builder()
            .instance_type(s(d, "instance_type"))
            .set_client_subnets(Some(strs(d, "client_subnets")))
            .set_security_groups(Some(strs(d, "security_groups")))
            .storage_info(
                StorageInfo::builder()
                    .ebs_storage_info(
                        EbsStorageInfo::builder()
                            .volume_size(i32::try_from(i(d, "ebs_volume_gb")).unwrap_or(100))
                            .build(),
                    )
                    .build(),
            )
            .build();
        let tls = d.get("encryption_in_transit").cloned().unwrap_or_default();
        let encryption = EncryptionInfo::builder()
            .encryption_in_transit(
                EncryptionInTransit::builder()
                    .client_broker(ClientBroker::from(
                        tls.get("client_broker")
                            .and_then(Value::as_str)
                            .unwrap_or("TLS"),
                    ))
                    .in_cluster(
                        tls.get("in_cluster")
                            .and_then(Value::as_bool)
                            .unwrap_or(true),
                    )
                    .build(),
            )
            .build();
        let provisioned = ProvisionedRequest::builder()
            .broker_node_group_info(group)
            .kafka_version(s(d, "kafka_version"))
            .number_of_broker_nodes(i32::try_from(i(d, "broker_count")).unwrap_or(3))
            .client_authentication(client_auth(d))
            .encryption_info(encryption)
            .set_configuration_info(configuration(d))
            .build();
        let tags: HashMap<String, String> = common::desired_tags(d).into_iter().collect();
        name_free(ctx, &s(d, "name")).await?;
        let out = ctx
            .aws
            .kafka()
            .create_cluster_v2()
            .cluster_name(s(d, "name"))
            .provisioned(provisioned)
            .set_tags(Some(tags))
            .send()
            .await
            .api("kafka:CreateClusterV2")?;
        let arn = out.cluster_arn().unwrap_or_default().to_string();
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
        let kafka = ctx.aws.kafka();
        let arn = live.id.clone();
        let has = |k: &str| changed.iter().any(|c| c == k);
        let mut current = if live.ready {
            live.clone()
        } else {
            wait_active(ctx, &arn).await?
        };
        // Each operation needs the cluster's current version, which the
        // previous one changed: read it on every attempt.
        macro_rules! step {
            ($what:expr, $op:expr, $req:expr) => {{
                let req = $req;
                wait::retry(ctx, $what, TIMEOUT, busy, || {
                    let req = req.clone();
                    let arn = arn.clone();
                    async move {
                        let version = current_version(ctx, &arn).await?;
                        req.current_version(version)
                            .send()
                            .await
                            .api($op)
                            .map(|_| ())
                    }
                })
                .await?;
                current = wait_active(ctx, &arn).await?;
            }};
        }
        if has("ebs_volume_gb") {
            let gb = i32::try_from(i(d, "ebs_volume_gb")).unwrap_or(100);
            step!(
                "growing MSK broker storage",
                "kafka:UpdateBrokerStorage",
                kafka
                    .update_broker_storage()
                    .cluster_arn(&arn)
                    .target_broker_ebs_volume_info(
                        BrokerEbsVolumeInfo::builder()
                            .kafka_broker_node_id("All")
                            .volume_size_gb(gb)
                            .build()
                    )
            );
        }
        if has("instance_type") {
            step!(
                "changing the MSK broker type",
                "kafka:UpdateBrokerType",
                kafka
                    .update_broker_type()
                    .cluster_arn(&arn)
                    .target_instance_type(s(d, "instance_type"))
            );
        }
        if has("broker_count") {
            let n = i32::try_from(i(d, "broker_count")).unwrap_or(3);
            step!(
                "adding MSK brokers",
                "kafka:UpdateBrokerCount",
                kafka
                    .update_broker_count()
                    .cluster_arn(&arn)
                    .target_number_of_broker_nodes(n)
            );
        }
        if has("kafka_version") {
            // The configuration goes with the upgrade, so both change in one step.
            step!(
                "upgrading Kafka",
                "kafka:UpdateClusterKafkaVersion",
                kafka
                    .update_cluster_kafka_version()
                    .cluster_arn(&arn)
                    .target_kafka_version(s(d, "kafka_version"))
                    .set_configuration_info(configuration(d))
            );
        } else if (has("configuration_arn") || has("configuration_revision"))
            && let Some(conf) = configuration(d)
        {
            step!(
                "applying the MSK configuration",
                "kafka:UpdateClusterConfiguration",
                kafka
                    .update_cluster_configuration()
                    .cluster_arn(&arn)
                    .configuration_info(conf)
            );
        }
        if has("client_authentication") {
            step!(
                "changing MSK client authentication",
                "kafka:UpdateSecurity",
                kafka
                    .update_security()
                    .cluster_arn(&arn)
                    .client_authentication(client_auth(d))
            );
        }
        if has("tags") {
            let (set, gone) = common::tag_delta(&live.attrs, d);
            if !set.is_empty() {
                kafka
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .api("kafka:TagResource")?;
            }
            if !gone.is_empty() {
                kafka
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .api("kafka:UntagResource")?;
            }
            current
                .attrs
                .insert("tags".into(), d.get("tags").cloned().unwrap_or_default());
        }
        Ok(current)
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        wait_active(ctx, &live.id).await
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let arn = &live.id;
        // "You can't delete a cluster in CREATING state": wait for it to settle first.
        let settle =
            |e: &ApiError| e.code_is("BadRequestException") || e.code_is("ConflictException");
        let delete = || async {
            let version = current_version(ctx, arn).await?;
            ctx.aws
                .kafka()
                .delete_cluster()
                .cluster_arn(arn)
                .current_version(version)
                .send()
                .await
                .api("kafka:DeleteCluster")
                .map(|_| ())
        };
        let status = || async {
            Ok(describe(ctx, arn)
                .await?
                .map(|c| c.state().map_or("unknown", |s| s.as_str()).to_string()))
        };
        wait::delete(
            ctx,
            &format!("MSK cluster {arn}"),
            TIMEOUT,
            settle,
            delete,
            status,
        )
        .await
    }

    fn notes(&self, desired: &Attrs, live: Option<&Live>, changed: &[String]) -> Vec<String> {
        let Some(live) = live else { return vec![] };
        let diff = |k: &str| changed.iter().any(|c| c == k);
        let before = |k: &str| live.attrs.get(k).cloned().unwrap_or_default();
        let after = |k: &str| desired.get(k).cloned().unwrap_or_default();
        // (in place?, note): a replacement makes the in-place routes moot.
        let mut notes: Vec<(bool, String)> = Vec::new();
        if diff("kafka_version") {
            let (b, a) = (s(&live.attrs, "kafka_version"), s(desired, "kafka_version"));
            notes.push(if newer(&b, &a) {
                (false, format!("Kafka {b} → {a} is a downgrade, which MSK cannot do: the cluster is replaced"))
            } else {
                (true, format!("Kafka {b} → {a}: in place with UpdateClusterKafkaVersion, a rolling upgrade that restarts one broker at a time (typically 30–60 min)"))
            });
        }
        if diff("broker_count") {
            let (b, a) = (before("broker_count"), after("broker_count"));
            notes.push(if a.as_i64() < b.as_i64() {
                (false, format!("{b} → {a} brokers: MSK cannot remove brokers in place; the cluster is replaced"))
            } else {
                (true, format!("{b} → {a} brokers: in place with UpdateBrokerCount; existing brokers keep serving (partitions are not moved to the new brokers)"))
            });
        }
        if diff("ebs_volume_gb") {
            let (b, a) = (before("ebs_volume_gb"), after("ebs_volume_gb"));
            notes.push(if a.as_i64() < b.as_i64() {
                (false, format!("storage {b} → {a} GiB: EBS volumes only grow; the cluster is replaced"))
            } else {
                (true, format!("storage {b} → {a} GiB: in place with UpdateBrokerStorage (the next storage change must wait about 6 hours)"))
            });
        }
        if diff("instance_type") {
            notes.push((
                true,
                "broker type: in place with UpdateBrokerType, a rolling restart of the brokers"
                    .into(),
            ));
        }
        if diff("configuration_revision") || diff("configuration_arn") {
            notes.push((true, "configuration: in place with UpdateClusterConfiguration, a rolling restart of the brokers".into()));
        }
        let replaced = changed
            .iter()
            .any(|c| self.forces_replacement(c, live.attrs.get(c), desired.get(c)));
        notes
            .into_iter()
            .filter(|(in_place, _)| !(replaced && *in_place))
            .map(|(_, n)| n)
            .collect()
    }
}
