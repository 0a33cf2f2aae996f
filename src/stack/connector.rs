//! MSK Connect: artifact bucket and plugin object, custom plugin, worker
//! configuration, execution role and its policy, log group, and the
//! Debezium MySQL connector.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::aurora;
use super::msk;
use super::network::{security_group, subnet_ids};
use super::{Builder, Expr, iam};
use crate::config::PluginSource;
use crate::config::cidr::Tier;
use crate::model::connector::{
    Capacity, Connector, ConnectorAttrs, Plugin, PluginAttrs, PluginLocation, WorkerConfiguration,
    WorkerConfigurationAttrs,
};
use crate::model::iam::{Role, RoleAttrs, RolePolicy, RolePolicyAttrs};
use crate::model::logs::{LogGroup, LogGroupAttrs};
use crate::model::s3::{Bucket, BucketAttrs, Object, ObjectAttrs};
use crate::model::{self, Desired, E};

pub const BUCKET: &str = "connector.bucket";
pub const PLUGIN_OBJECT: &str = "connector.plugin_object";
pub const PLUGIN: &str = "connector.plugin";
pub const WORKER_CONFIGURATION: &str = "connector.worker_configuration";
pub const ROLE: &str = "connector.role";
pub const ROLE_POLICY: &str = "connector.role_policy";
pub const LOG_GROUP: &str = "connector.log_group";
pub const CONNECTOR: &str = "connector.connector";

/// Object key of an uploaded plugin; its content is tracked by checksum.
pub const PLUGIN_KEY: &str = "plugins/debezium-connector-mysql.zip";

/// The IAM client settings Debezium's schema-history producer and consumer need.
const IAM_CLIENT: [(&str, &str); 4] = [
    ("security.protocol", "SASL_SSL"),
    ("sasl.mechanism", "AWS_MSK_IAM"),
    (
        "sasl.jaas.config",
        "software.amazon.msk.auth.iam.IAMLoginModule required;",
    ),
    (
        "sasl.client.callback.handler.class",
        "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
    ),
];

pub(super) fn build(b: &mut Builder<'_>) {
    let c = b.cfg;
    let k = &c.connector;
    let n = c.names();
    let partition = b.partition();

    // Where MSK Connect reads the plugin from.
    let location = match &k.plugin {
        PluginSource::Local(path) => {
            b.add::<Bucket>(
                BUCKET,
                BucketAttrs {
                    bucket: n.artifact_bucket.as_str().into(),
                    versioning: true.into(),
                    encryption: "AES256".into(),
                    block_public_access: true.into(),
                    tags: b.tags(BUCKET, &n.artifact_bucket),
                },
                &[],
            );
            b.add::<Object>(
                PLUGIN_OBJECT,
                ObjectAttrs {
                    bucket: E::reference(BUCKET, "bucket"),
                    key: PLUGIN_KEY.into(),
                    source: path.display().to_string().into(),
                    // Uploaded again only when the content changes.
                    sha256: file_sha256(path).into(),
                },
                &[],
            );
            E::record(PluginLocation::<Desired> {
                bucket_arn: E::reference(BUCKET, "arn"),
                file_key: PLUGIN_KEY.into(),
                object_version: E::reference(PLUGIN_OBJECT, "version_id"),
            })
        }
        // No object version: the zip is the user's, as it is.
        PluginSource::S3 { bucket, key } => E::record(PluginLocation::<Desired> {
            bucket_arn: format!("arn:{partition}:s3:::{bucket}").into(),
            file_key: key.as_str().into(),
            object_version: None::<&str>.into(),
        }),
    };

    b.add::<Plugin>(
        PLUGIN,
        PluginAttrs {
            name: n.plugin.as_str().into(),
            description: "Debezium MySQL connector plugin (managed by cdcstack)".into(),
            content_type: "ZIP".into(),
            location,
            tags: b.tags(PLUGIN, &n.plugin),
        },
        &[],
    );

    let region = c.stack.region.as_str();
    let worker_properties = [
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("key.converter.schemas.enable", "false"),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
        // The CDC password is read from Secrets Manager when the task starts.
        ("config.providers", "secretsmanager"),
        (
            "config.providers.secretsmanager.class",
            "com.amazonaws.kafka.config.providers.SecretsManagerConfigProvider",
        ),
        ("config.providers.secretsmanager.param.region", region),
    ]
    .into_iter()
    .map(|(k, v)| (k, E::from(v)));
    b.add::<WorkerConfiguration>(
        WORKER_CONFIGURATION,
        WorkerConfigurationAttrs {
            name: n.worker_configuration.as_str().into(),
            description:
                "JSON converters and the Secrets Manager config provider (managed by cdcstack)"
                    .into(),
            properties: E::map(worker_properties),
            tags: b.tags(WORKER_CONFIGURATION, &n.worker_configuration),
        },
        &[],
    );

    b.add::<LogGroup>(
        LOG_GROUP,
        LogGroupAttrs {
            name: n.log_group.as_str().into(),
            retention_in_days: Some(
                i32::try_from(k.log_retention_days)
                    .expect("a CloudWatch Logs retention period (checked with the config)"),
            )
            .into(),
            tags: b.tags(LOG_GROUP, &n.log_group),
        },
        &[],
    );

    b.add::<Role>(
        ROLE,
        RoleAttrs {
            name: n.connector_role.as_str().into(),
            description:
                "MSK Connect execution role of the Debezium connector (managed by cdcstack)".into(),
            assume_role_policy: E::json(E::<Value>::untyped(Expr::Lit(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "kafkaconnect.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                }],
            })))),
            tags: b.tags(ROLE, &n.connector_role),
        },
        &[],
    );

    let policy = iam::policy(vec![
        iam::allow(
            "MskCluster",
            &["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
            vec![E::reference(msk::CLUSTER, "arn")],
        ),
        iam::allow(
            "MskTopics",
            &[
                "kafka-cluster:ReadData",
                "kafka-cluster:WriteData",
                "kafka-cluster:CreateTopic",
                "kafka-cluster:DescribeTopic",
            ],
            vec![E::reference(msk::CLUSTER, "topic_arn")],
        ),
        iam::allow(
            "MskGroups",
            &["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
            vec![E::reference(msk::CLUSTER, "group_arn")],
        ),
        iam::allow(
            "CdcSecret",
            &["secretsmanager:GetSecretValue"],
            vec![E::reference(aurora::CDC_SECRET, "arn")],
        ),
        iam::allow(
            "Logs",
            &[
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            vec![E::concat([E::reference(LOG_GROUP, "arn"), ":*".into()])],
        ),
    ]);
    b.add::<RolePolicy>(
        ROLE_POLICY,
        RolePolicyAttrs {
            role_name: E::reference(ROLE, "name"),
            policy_name: "cdcstack-connector".into(),
            policy,
        },
        &[],
    );

    let mut config: BTreeMap<String, E<String>> = BTreeMap::new();
    let mut set = |k: &str, v: E<String>| {
        config.insert(k.to_string(), v);
    };
    let bootstrap = || E::<String>::reference(msk::CLUSTER, "bootstrap_brokers_sasl_iam");
    set(
        "connector.class",
        "io.debezium.connector.mysql.MySqlConnector".into(),
    );
    set("tasks.max", "1".into());
    set(
        "database.hostname",
        E::reference(aurora::CLUSTER, "endpoint"),
    );
    set("database.port", "3306".into());
    set("database.user", c.aurora.cdc_username.as_str().into());
    // Only a reference: the worker's config provider reads the secret at run time.
    set(
        "database.password",
        E::concat([
            "${secretsmanager:".into(),
            E::reference(aurora::CDC_SECRET, "name"),
            ":password}".into(),
        ]),
    );
    set(
        "database.server.id",
        server_id(&c.stack.name, &c.stack.environment)
            .to_string()
            .into(),
    );
    set("topic.prefix", k.topic_prefix.as_str().into());
    set("database.include.list", k.databases.join(",").into());
    set("snapshot.mode", k.snapshot_mode.as_str().into());
    set("include.schema.changes", "false".into());
    set(
        "schema.history.internal.kafka.bootstrap.servers",
        bootstrap(),
    );
    set(
        "schema.history.internal.kafka.topic",
        format!("{}.schema-history", k.topic_prefix).into(),
    );
    for side in ["producer", "consumer"] {
        for (key, value) in IAM_CLIENT {
            set(
                &format!("schema.history.internal.{side}.{key}"),
                value.into(),
            );
        }
    }
    for (key, value) in ["key", "value"].iter().flat_map(|s| {
        [
            (
                format!("{s}.converter"),
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (format!("{s}.converter.schemas.enable"), "false"),
        ]
    }) {
        set(&key, value.into());
    }
    for (key, value) in &k.config {
        set(key, value.as_str().into());
    }

    let capacity = |v: u32| i32::try_from(v).expect("a capacity checked with the config");
    b.add::<Connector>(
        CONNECTOR,
        ConnectorAttrs {
            name: n.connector.as_str().into(),
            kafka_connect_version: k.kafka_connect_version.as_str().into(),
            plugin_arn: E::reference(PLUGIN, "arn"),
            plugin_revision: E::reference(PLUGIN, "latest_revision"),
            worker_configuration_arn: E::reference(WORKER_CONFIGURATION, "arn"),
            worker_configuration_revision: E::reference(WORKER_CONFIGURATION, "latest_revision"),
            // Names, not references: a role or log group re-created under
            // the same name must not replace the connector.
            service_execution_role_arn: E::concat([
                format!("arn:{partition}:iam::").into(),
                E::account_id(),
                format!(":role/{}", n.connector_role).into(),
            ]),
            capacity: E::record(Capacity::<Desired> {
                workers: capacity(k.workers).into(),
                mcu: capacity(k.mcu).into(),
            }),
            bootstrap_servers: bootstrap(),
            subnets: subnet_ids(Tier::Private),
            security_groups: model::ids_of([security_group("connect").as_str()]),
            client_authentication: "IAM".into(),
            encryption_in_transit: "TLS".into(),
            log_group: n.log_group.as_str().into(),
            configuration: E::map(config),
            tags: b.tags(CONNECTOR, &n.connector),
        },
        // The role needs its policy, and MySQL the CDC user, before the task starts.
        &[ROLE, ROLE_POLICY, LOG_GROUP, aurora::CDC_USER],
    );

    b.output(
        "connector_arn",
        "MSK Connect connector ARN",
        Expr::reference(CONNECTOR, "arn"),
    );
    b.output(
        "connector_state",
        "MSK Connect connector state",
        Expr::reference(CONNECTOR, "state"),
    );
}

fn file_sha256(path: &std::path::Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).ok()?;
    Some(format!("{:x}", h.finalize()))
}

/// A MySQL replication server id unique per stack and environment, stable
/// across runs (Debezium needs one that no other replica uses).
fn server_id(name: &str, env: &str) -> u32 {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{name}/{env}").as_bytes());
    184_054 + u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % 1_000_000
}
