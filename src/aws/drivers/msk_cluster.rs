//! The provisioned MSK cluster: brokers on the private tier, TLS between
//! clients and brokers and inside the cluster, IAM authentication on 9098.
//! Every change AWS can make in place is made in place, one operation at a
//! time (MSK runs one at a time), and the plan says which route it takes.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_kafka::types::{
    BrokerEbsVolumeInfo, BrokerNodeGroupInfo, ClientAuthentication as SdkClientAuthentication,
    ClientBroker, Cluster as MskCluster, ClusterState, ConfigurationInfo, EbsStorageInfo,
    EncryptionInTransit as SdkEncryptionInTransit, EncryptionInfo, Iam, ProvisionedRequest, Sasl,
    StorageInfo,
};

use super::common;
use crate::aws::error::{ApiResultExt, FoundExt};
use crate::aws::policy::{Phase, Policy, Transient, minutes};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::msk::{
    ClientAuthentication, Cluster, ClusterAttrs, ClusterOutputs, EncryptionInTransit, newer,
};
use crate::model::{Attrs, Changed, Partial};
use crate::stack::Address;

/// Terraform's default (kafka/cluster.go): 120 minutes. Real creates take 25–40.
const POLICY: Policy = Policy {
    create: minutes(120),
    update: minutes(120),
    delete: minutes(120),
    transient: &[
        Transient {
            during: &[Phase::Update],
            codes: &["BadRequestException"],
            messages: &["version", "state", "operation"],
            patience: minutes(120),
            why: "MSK changes one thing at a time: a stale current version or a busy cluster",
        },
        Transient {
            during: &[Phase::Update],
            codes: &["ConflictException"],
            messages: &[],
            patience: minutes(120),
            why: "MSK changes one thing at a time: another operation is running",
        },
        Transient {
            during: &[Phase::Delete],
            codes: &["BadRequestException", "ConflictException"],
            messages: &[],
            patience: minutes(120),
            why: "you can't delete a cluster in CREATING state: it settles first",
        },
    ],
};

pub struct ClusterDriver {
    pub aws: Arc<Aws>,
}

fn to_live(c: &MskCluster) -> Live<Cluster> {
    let arn = c.cluster_arn().unwrap_or_default().to_string();
    let p = c.provisioned();
    let group = p.and_then(|p| p.broker_node_group_info());
    let sw = p.and_then(|p| p.current_broker_software_info());
    let sasl_iam = p
        .and_then(|p| p.client_authentication())
        .and_then(|c| c.sasl())
        .and_then(|s| s.iam())
        .and_then(|i| i.enabled())
        .unwrap_or(false);
    let tls = p
        .and_then(|p| p.encryption_info())
        .and_then(|e| e.encryption_in_transit());
    let attrs = ClusterAttrs {
        name: c.cluster_name().unwrap_or_default().to_string(),
        kafka_version: sw
            .and_then(|s| s.kafka_version())
            .unwrap_or_default()
            .to_string(),
        broker_count: p.and_then(|p| p.number_of_broker_nodes()).unwrap_or(0),
        instance_type: group
            .and_then(|g| g.instance_type())
            .unwrap_or_default()
            .to_string(),
        ebs_volume_gb: group
            .and_then(|g| g.storage_info())
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size())
            .unwrap_or(0),
        client_subnets: group
            .map(|g| g.client_subnets().to_vec())
            .unwrap_or_default(),
        security_groups: group
            .map(|g| g.security_groups().to_vec())
            .unwrap_or_default(),
        configuration_arn: sw
            .and_then(|s| s.configuration_arn())
            .unwrap_or_default()
            .to_string(),
        configuration_revision: sw.and_then(|s| s.configuration_revision()).unwrap_or(0),
        client_authentication: ClientAuthentication { sasl_iam },
        encryption_in_transit: EncryptionInTransit {
            client_broker: tls
                .and_then(|t| t.client_broker())
                .map_or("TLS", |c| c.as_str())
                .to_string(),
            in_cluster: tls.and_then(|t| t.in_cluster()).unwrap_or(true),
        },
        tags: common::tags_of_map(c.tags()),
    };
    // IAM policies name topics and groups by the cluster's name and UUID.
    let named = |kind: &str| {
        Some(format!(
            "{}/*",
            arn.replacen(":cluster/", &format!(":{kind}/"), 1)
        ))
    };
    let out = ClusterOutputs {
        arn: arn.clone(),
        current_version: Some(c.current_version().unwrap_or_default().to_string()),
        state: Some(c.state().map_or("", |s| s.as_str()).to_string()),
        topic_arn: named("topic"),
        group_arn: named("group"),
        bootstrap_brokers_sasl_iam: None,
    };
    let mut live = Live::ready(arn.clone(), attrs, out);
    live.ready = c.state() == Some(&ClusterState::Active);
    live
}

fn configuration(d: &Attrs<Cluster>) -> Option<ConfigurationInfo> {
    (!d.configuration_arn.is_empty()).then(|| {
        ConfigurationInfo::builder()
            .arn(&d.configuration_arn)
            .revision(d.configuration_revision)
            .build()
    })
}

fn client_auth(d: &Attrs<Cluster>) -> SdkClientAuthentication {
    SdkClientAuthentication::builder()
        .sasl(
            Sasl::builder()
                .iam(
                    Iam::builder()
                        .enabled(d.client_authentication.sasl_iam)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// A value for a note: as the plan shows it, `null` when not known.
fn shown<T: Display>(v: Option<T>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

impl ClusterDriver {
    async fn describe(&self, arn: &str) -> Result<Option<MskCluster>, DriverError> {
        Ok(self
            .aws
            .kafka()
            .describe_cluster_v2()
            .cluster_arn(arn)
            .send()
            .await
            .api("kafka:DescribeClusterV2")
            .found()?
            .and_then(|out| out.cluster_info().cloned()))
    }

    async fn current_version(&self, arn: &str) -> Result<String, ApiError> {
        let out = self
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

    async fn bootstrap(&self, arn: &str) -> Result<String, DriverError> {
        let out = self
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
    async fn wait_active(
        &self,
        ctx: &Ctx,
        phase: Phase,
        arn: &str,
    ) -> Result<Live<Cluster>, DriverError> {
        let mut live = POLICY
            .until(
                ctx,
                phase,
                &format!("MSK cluster {arn} to be ACTIVE"),
                || async {
                    match self.describe(arn).await? {
                        Some(c) if c.state() == Some(&ClusterState::Active) => {
                            Ok(Poll::Done(to_live(&c)))
                        }
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
        live.out.bootstrap_brokers_sasl_iam = Some(self.bootstrap(arn).await?);
        Ok(live)
    }

    /// Waits while a cluster of this name is still being deleted (the old one of
    /// a replacement, or one a crashed run was destroying): MSK keeps the name
    /// taken until it is gone, and refuses a new one with a ConflictException.
    async fn name_free(&self, ctx: &Ctx, name: &str) -> Result<(), DriverError> {
        POLICY
            .until(
                ctx,
                Phase::Create,
                &format!("MSK cluster {name} to finish deleting"),
                || async {
                    let out = self
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
}

#[async_trait]
impl Lifecycle for ClusterDriver {
    type Kind = Cluster;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Cluster>],
    ) -> Result<Found<Cluster>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            // The filter is a prefix match: keep the exact name.
            let out = self
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
            common::owned(ctx, &w.address, "MSK cluster", name, &live.attrs.tags)?;
            // Brokers only change with the cluster's version: reuse what state
            // has for it. While AWS is updating the cluster (a broker type or
            // configuration change) they stay where they were: keep them, or
            // the plan would take them for unknown and replace the connector.
            let known = w
                .known_out
                .bootstrap_brokers_sasl_iam
                .clone()
                .flatten()
                .filter(|s| !s.is_empty());
            let same_version =
                w.known_out.current_version.clone().flatten() == live.out.current_version;
            let brokers = match (known, live.ready) {
                (Some(v), false) => Some(v),
                (Some(v), true) if same_version => Some(v),
                (_, true) => Some(self.bootstrap(&live.id).await?),
                // Still being created: not known yet.
                (None, false) => None,
            };
            if brokers.is_some() {
                live.out.bootstrap_brokers_sasl_iam = brokers;
            }
            found.live.insert(w.address.clone(), live);
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        _a: &Address,
        d: &Attrs<Cluster>,
    ) -> Result<Live<Cluster>, DriverError> {
        let group = BrokerNodeGroupInfo::builder()
            .instance_type(&d.instance_type)
            .set_client_subnets(Some(d.client_subnets.clone()))
            .set_security_groups(Some(d.security_groups.clone()))
            .storage_info(
                StorageInfo::builder()
                    .ebs_storage_info(
                        EbsStorageInfo::builder()
                            .volume_size(d.ebs_volume_gb)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let tls = &d.encryption_in_transit;
        let encryption = EncryptionInfo::builder()
            .encryption_in_transit(
                SdkEncryptionInTransit::builder()
                    .client_broker(ClientBroker::from(tls.client_broker.as_str()))
                    .in_cluster(tls.in_cluster)
                    .build(),
            )
            .build();
        let provisioned = ProvisionedRequest::builder()
            .broker_node_group_info(group)
            .kafka_version(&d.kafka_version)
            .number_of_broker_nodes(d.broker_count)
            .client_authentication(client_auth(d))
            .encryption_info(encryption)
            .set_configuration_info(configuration(d))
            .build();
        let tags: HashMap<String, String> = d.tags.clone().into_iter().collect();
        self.name_free(ctx, &d.name).await?;
        let out = self
            .aws
            .kafka()
            .create_cluster_v2()
            .cluster_name(&d.name)
            .provisioned(provisioned)
            .set_tags(Some(tags))
            .send()
            .await
            .api("kafka:CreateClusterV2")?;
        let arn = out.cluster_arn().unwrap_or_default().to_string();
        let outputs = ClusterOutputs {
            arn: arn.clone(),
            current_version: None,
            state: None,
            topic_arn: None,
            group_arn: None,
            bootstrap_brokers_sasl_iam: None,
        };
        Ok(Live::pending(arn, d.clone(), outputs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Cluster>,
        d: &Attrs<Cluster>,
        changed: &Changed<Cluster>,
    ) -> Result<Live<Cluster>, DriverError> {
        let ClusterAttrs {
            name: _,
            kafka_version,
            broker_count,
            instance_type,
            ebs_volume_gb,
            client_subnets: _,
            security_groups: _,
            configuration_arn,
            configuration_revision,
            client_authentication,
            encryption_in_transit: _,
            tags,
        } = *changed;
        let kafka = self.aws.kafka();
        let arn = live.id.clone();
        let mut current = if live.ready {
            live.clone()
        } else {
            self.wait_active(ctx, Phase::Update, &arn).await?
        };
        // Each operation needs the cluster's current version, which the
        // previous one changed: read it on every attempt.
        macro_rules! step {
            ($what:expr, $op:expr, $req:expr) => {{
                let req = $req;
                POLICY
                    .retry(ctx, Phase::Update, $what, || {
                        let req = req.clone();
                        let arn = arn.clone();
                        async move {
                            let version = self.current_version(&arn).await?;
                            req.current_version(version)
                                .send()
                                .await
                                .api($op)
                                .map(|_| ())
                        }
                    })
                    .await?;
                current = self.wait_active(ctx, Phase::Update, &arn).await?;
            }};
        }
        if ebs_volume_gb {
            step!(
                "growing MSK broker storage",
                "kafka:UpdateBrokerStorage",
                kafka
                    .update_broker_storage()
                    .cluster_arn(&arn)
                    .target_broker_ebs_volume_info(
                        BrokerEbsVolumeInfo::builder()
                            .kafka_broker_node_id("All")
                            .volume_size_gb(d.ebs_volume_gb)
                            .build()
                    )
            );
        }
        if instance_type {
            step!(
                "changing the MSK broker type",
                "kafka:UpdateBrokerType",
                kafka
                    .update_broker_type()
                    .cluster_arn(&arn)
                    .target_instance_type(&d.instance_type)
            );
        }
        if broker_count {
            step!(
                "adding MSK brokers",
                "kafka:UpdateBrokerCount",
                kafka
                    .update_broker_count()
                    .cluster_arn(&arn)
                    .target_number_of_broker_nodes(d.broker_count)
            );
        }
        if kafka_version {
            // The configuration goes with the upgrade, so both change in one step.
            step!(
                "upgrading Kafka",
                "kafka:UpdateClusterKafkaVersion",
                kafka
                    .update_cluster_kafka_version()
                    .cluster_arn(&arn)
                    .target_kafka_version(&d.kafka_version)
                    .set_configuration_info(configuration(d))
            );
        } else if (configuration_arn || configuration_revision)
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
        if client_authentication {
            step!(
                "changing MSK client authentication",
                "kafka:UpdateSecurity",
                kafka
                    .update_security()
                    .cluster_arn(&arn)
                    .client_authentication(client_auth(d))
            );
        }
        if tags {
            let (set, gone) = common::delta(&live.attrs.tags, &d.tags);
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
            current.attrs.tags = d.tags.clone();
        }
        Ok(current)
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Cluster>,
    ) -> Result<Live<Cluster>, DriverError> {
        self.wait_active(ctx, Phase::Create, &live.id).await
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Cluster>,
    ) -> Result<(), DriverError> {
        let arn = &live.id;
        let delete = || async {
            let version = self.current_version(arn).await?;
            self.aws
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
            Ok(self
                .describe(arn)
                .await?
                .map(|c| c.state().map_or("unknown", |s| s.as_str()).to_string()))
        };
        POLICY
            .delete(ctx, &format!("MSK cluster {arn}"), delete, status)
            .await
    }
}

impl Advice for ClusterDriver {
    fn broken(&self, live: &Live<Cluster>) -> Option<String> {
        (live.out.state.as_deref() == Some("FAILED"))
            .then(|| "the MSK cluster is FAILED".to_string())
    }

    fn notes(
        &self,
        desired: &Partial<Cluster>,
        live: Option<&Live<Cluster>>,
        changed: &Changed<Cluster>,
    ) -> Vec<String> {
        let Some(live) = live else { return vec![] };
        let ClusterAttrs {
            name,
            kafka_version,
            broker_count,
            instance_type,
            ebs_volume_gb,
            client_subnets,
            security_groups,
            configuration_arn,
            configuration_revision,
            client_authentication: _,
            encryption_in_transit,
            tags: _,
        } = *changed;
        let was = &live.attrs;
        // Brokers and storage only grow in place; Kafka only upgrades.
        let downgrade = newer(
            &was.kafka_version,
            desired.kafka_version.as_deref().unwrap_or_default(),
        );
        let fewer_brokers = desired.broker_count < Some(was.broker_count);
        let less_storage = desired.ebs_volume_gb < Some(was.ebs_volume_gb);
        // (in place?, note): a replacement makes the in-place routes moot.
        let mut notes: Vec<(bool, String)> = Vec::new();
        if kafka_version {
            let (b, a) = (
                &was.kafka_version,
                desired.kafka_version.as_deref().unwrap_or_default(),
            );
            notes.push(if downgrade {
                (false, format!("Kafka {b} → {a} is a downgrade, which MSK cannot do: the cluster is replaced"))
            } else {
                (true, format!("Kafka {b} → {a}: in place with UpdateClusterKafkaVersion, a rolling upgrade that restarts one broker at a time (typically 30–60 min)"))
            });
        }
        if broker_count {
            let (b, a) = (was.broker_count, shown(desired.broker_count));
            notes.push(if fewer_brokers {
                (false, format!("{b} → {a} brokers: MSK cannot remove brokers in place; the cluster is replaced"))
            } else {
                (true, format!("{b} → {a} brokers: in place with UpdateBrokerCount; existing brokers keep serving (partitions are not moved to the new brokers)"))
            });
        }
        if ebs_volume_gb {
            let (b, a) = (was.ebs_volume_gb, shown(desired.ebs_volume_gb));
            notes.push(if less_storage {
                (false, format!("storage {b} → {a} GiB: EBS volumes only grow; the cluster is replaced"))
            } else {
                (true, format!("storage {b} → {a} GiB: in place with UpdateBrokerStorage (the next storage change must wait about 6 hours)"))
            });
        }
        if instance_type {
            notes.push((
                true,
                "broker type: in place with UpdateBrokerType, a rolling restart of the brokers"
                    .into(),
            ));
        }
        if configuration_revision || configuration_arn {
            notes.push((true, "configuration: in place with UpdateClusterConfiguration, a rolling restart of the brokers".into()));
        }
        let replaced = name
            || client_subnets
            || security_groups
            || encryption_in_transit
            || (kafka_version && downgrade)
            || (broker_count && fewer_brokers)
            || (ebs_volume_gb && less_storage);
        notes
            .into_iter()
            .filter(|(in_place, _)| !(replaced && *in_place))
            .map(|(_, n)| n)
            .collect()
    }
}
