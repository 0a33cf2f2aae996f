//! The whole CDC stack on the emulator: one apply builds it, the SDK sees
//! what the blog describes, no secret value leaks, in-place updates stay in
//! place, and destroy leaves nothing behind.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::emulator;
use common::envfile::EnvDir;
use serde_json::Value;

/// Every stdout and stderr a test saw, to search for secrets.
#[derive(Default)]
struct Transcript(String);

impl Transcript {
    fn run(&mut self, e: &EnvDir, cmd: &[&str]) -> (i32, String, String) {
        let (code, o, er) = e.run(cmd);
        self.0.push_str(&o);
        self.0.push_str(&er);
        (code, o, er)
    }

    fn ok(&mut self, e: &EnvDir, cmd: &[&str]) -> String {
        let (code, out, err) = self.run(e, cmd);
        assert_eq!(code, 0, "cdcstack {cmd:?} failed:\n{out}\n{err}");
        out
    }

    /// Changes of a JSON plan that are not no-ops: address → (actions, changed attributes).
    fn plan(&mut self, e: &EnvDir) -> BTreeMap<String, (Vec<String>, BTreeSet<String>)> {
        let out = self.ok(e, &["plan", "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        v["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                c["change"]["actions"] != serde_json::json!(["no-op"])
                    || c["wait"] == true
                    || c["adopt"] == true
            })
            .map(|c| {
                let strings = |v: &Value| {
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect::<Vec<_>>()
                };
                let changed = strings(&c["change"]["changed_attributes"])
                    .into_iter()
                    .collect();
                (
                    c["address"].as_str().unwrap().to_string(),
                    (strings(&c["change"]["actions"]), changed),
                )
            })
            .collect()
    }
}

/// The request log is shared by the binary and one test counts calls: one at a time.
static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn sdk() -> aws_config::SdkConfig {
    emulator().sdk_config().await
}

fn outputs(t: &mut Transcript, e: &EnvDir) -> Value {
    serde_json::from_str(&t.ok(e, &["output", "--json"])).unwrap()
}

#[tokio::test]
async fn the_whole_stack_applies_updates_in_place_keeps_secrets_and_destroys() {
    let _one_at_a_time = EXCLUSIVE.lock().await;
    let e = EnvDir::dev();
    e.init();
    let mut t = Transcript::default();
    t.ok(&e, &["apply", "--auto-approve"]);
    let sdk = sdk().await;
    let out = outputs(&mut t, &e);
    let names = format!("{}-dev", e.stack);

    // Aurora: binlog parameters, pending-reboot, on the cluster from its creation.
    let rds = aws_sdk_rds::Client::new(&sdk);
    let params = rds
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name(format!("{names}-aurora-binlog"))
        .source("user")
        .send()
        .await
        .unwrap();
    let p: BTreeMap<&str, (&str, &str)> = params
        .parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_name().unwrap(),
                (
                    p.parameter_value().unwrap(),
                    p.apply_method().unwrap().as_str(),
                ),
            )
        })
        .collect();
    assert_eq!(p["binlog_format"], ("ROW", "pending-reboot"));
    assert_eq!(p["binlog_row_image"], ("FULL", "pending-reboot"));
    assert_eq!(p["binlog_checksum"], ("NONE", "pending-reboot"));
    let cluster = rds
        .describe_db_clusters()
        .db_cluster_identifier(format!("{names}-aurora"))
        .send()
        .await
        .unwrap();
    let cluster = &cluster.db_clusters()[0];
    assert_eq!(
        cluster.db_cluster_parameter_group(),
        Some(format!("{names}-aurora-binlog").as_str())
    );
    assert_eq!(cluster.port(), Some(3306));
    assert_eq!(cluster.storage_encrypted(), Some(true));
    assert_eq!(out["aurora_writer_endpoint"].as_str(), cluster.endpoint());
    assert_eq!(
        out["aurora_master_secret_arn"].as_str(),
        cluster.master_user_secret().and_then(|s| s.secret_arn())
    );

    // The CDC user, through the Data API, with only Debezium's grants.
    let statements = emulator().control("GET", "rds-data/statements", None);
    let sql: Vec<&str> = statements
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["sql"].as_str())
        .filter(|s| s.contains("'debezium'"))
        .collect();
    assert!(
        sql.iter()
            .any(|s| s.starts_with("CREATE USER IF NOT EXISTS 'debezium'@'%'")),
        "{sql:?}"
    );
    assert!(sql.contains(&"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%'"), "{sql:?}");

    // MSK: IAM auth, TLS everywhere, the version and broker count asked for.
    let kafka = aws_sdk_kafka::Client::new(&sdk);
    let list = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{names}-msk"))
        .send()
        .await
        .unwrap();
    let msk = &list.cluster_info_list()[0];
    let prov = msk.provisioned().unwrap();
    assert_eq!(
        prov.client_authentication()
            .and_then(|c| c.sasl())
            .and_then(|s| s.iam())
            .and_then(|i| i.enabled()),
        Some(true)
    );
    let tls = prov
        .encryption_info()
        .unwrap()
        .encryption_in_transit()
        .unwrap();
    assert_eq!(tls.client_broker().map(|c| c.as_str()), Some("TLS"));
    assert_eq!(tls.in_cluster(), Some(true));
    assert_eq!(
        prov.current_broker_software_info()
            .and_then(|s| s.kafka_version()),
        Some("3.9.x")
    );
    assert_eq!(prov.number_of_broker_nodes(), Some(3));
    assert_eq!(msk.tags().unwrap()["cdcstack:address"], "msk.cluster");
    let brokers = kafka
        .get_bootstrap_brokers()
        .cluster_arn(msk.cluster_arn().unwrap())
        .send()
        .await
        .unwrap();
    let iam_brokers = brokers
        .bootstrap_broker_string_sasl_iam()
        .unwrap()
        .to_string();
    assert!(iam_brokers.contains(":9098"));
    assert_eq!(
        out["msk_bootstrap_brokers_iam"].as_str(),
        Some(iam_brokers.as_str())
    );

    // The connector: running, on those brokers, no plaintext password.
    let kc = aws_sdk_kafkaconnect::Client::new(&sdk);
    let connectors = kc
        .list_connectors()
        .connector_name_prefix(format!("{names}-connector"))
        .send()
        .await
        .unwrap();
    let arn = connectors.connectors()[0].connector_arn().unwrap();
    let c = kc
        .describe_connector()
        .connector_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(c.connector_state().map(|s| s.as_str()), Some("RUNNING"));
    assert_eq!(
        c.kafka_cluster()
            .unwrap()
            .apache_kafka_cluster()
            .unwrap()
            .bootstrap_servers(),
        Some(iam_brokers.as_str())
    );
    assert_eq!(
        c.kafka_cluster_client_authentication()
            .unwrap()
            .authentication_type()
            .map(|a| a.as_str()),
        Some("IAM")
    );
    assert_eq!(
        c.kafka_cluster_encryption_in_transit()
            .unwrap()
            .encryption_type()
            .map(|a| a.as_str()),
        Some("TLS")
    );
    let conf = c.connector_configuration().unwrap();
    assert_eq!(
        conf["connector.class"],
        "io.debezium.connector.mysql.MySqlConnector"
    );
    assert_eq!(conf["database.hostname"], cluster.endpoint().unwrap());
    assert_eq!(
        conf["database.password"],
        format!("${{secretsmanager:{names}-aurora-cdc-user:password}}")
    );
    assert_eq!(
        conf["schema.history.internal.kafka.bootstrap.servers"],
        iam_brokers
    );
    assert_eq!(out["connector_state"], "RUNNING");

    // Redshift Serverless: capacity, private, enhanced VPC routing; the blog's policy.
    let rs = aws_sdk_redshiftserverless::Client::new(&sdk);
    let wg = rs
        .get_workgroup()
        .workgroup_name(format!("{names}-redshift"))
        .send()
        .await
        .unwrap();
    let wg = wg.workgroup().unwrap();
    assert_eq!(wg.base_capacity(), Some(8));
    assert_eq!(wg.publicly_accessible(), Some(false));
    assert_eq!(wg.enhanced_vpc_routing(), Some(true));
    let iam = aws_sdk_iam::Client::new(&sdk);
    let policy = iam
        .get_role_policy()
        .role_name(format!("{names}-redshift-streaming"))
        .policy_name("cdcstack-streaming")
        .send()
        .await
        .unwrap();
    let doc = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8()
        .unwrap();
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let actions: BTreeSet<String> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
        })
        .collect();
    let blog: BTreeSet<String> = [
        "kafka-cluster:ReadData",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:Connect",
        "kafka-cluster:DescribeCluster",
        "kafka:GetBootstrapBrokers",
        "kafka:DescribeCluster",
        "redshift-serverless:GetCredentials",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(actions, blog);
    assert!(
        doc.to_string().contains(wg.workgroup_arn().unwrap()),
        "GetCredentials on the workgroup"
    );
    let tags = rs
        .list_tags_for_resource()
        .resource_arn(wg.workgroup_arn().unwrap())
        .send()
        .await
        .unwrap();
    let tags: BTreeMap<&str, &str> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags.get("Project"), Some(&"data_streaming_pipeline"));
    assert_eq!(tags.get("cdcstack:env"), Some(&"dev"));

    // Right after: no changes, in a quarter of the ~137 calls Terraform's plan makes.
    let since = emulator().last_seq();
    let (code, plan_text, _) = t.run(&e, &["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{plan_text}");
    let calls: Vec<String> = emulator()
        .requests()
        .iter()
        .filter(|r| r["seq"].as_u64() > Some(since))
        .map(|r| {
            format!(
                "{}:{}",
                r["service"].as_str().unwrap(),
                r["operation"].as_str().unwrap()
            )
        })
        .collect();
    assert!(calls.len() <= 34, "{} calls: {calls:?}", calls.len());
    // A targeted plan sees the rest of the environment in the same describe
    // calls and leaves it alone: no changes either.
    for target in ["msk", "connector.connector", "redshift.workgroup", "aurora"] {
        let (code, out, _) = t.run(&e, &["plan", "--detailed-exitcode", "--target", target]);
        assert_eq!(code, 0, "--target {target}:\n{out}");
    }

    // Someone widens the streaming role's policy: the plan names the
    // statement that goes and those that come back, not two JSON strings.
    iam.put_role_policy()
        .role_name(format!("{names}-redshift-streaming"))
        .policy_name("cdcstack-streaming")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let (code, widened, _) = t.run(
        &e,
        &[
            "plan",
            "--detailed-exitcode",
            "--target",
            "redshift.role_policy",
        ],
    );
    assert_eq!(code, 2, "{widened}");
    let lines: Vec<&str> = widened.lines().map(str::trim_start).collect();
    assert!(lines.contains(&"~ \"Statement\" = ["), "{widened}");
    assert!(
        lines.contains(&r#"- {"Effect":"Allow","Action":"*","Resource":"*"}"#),
        "{widened}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("+ {") && l.contains("redshift-serverless:GetCredentials")),
        "{widened}"
    );
    t.ok(
        &e,
        &[
            "apply",
            "--auto-approve",
            "--target",
            "redshift.role_policy",
        ],
    );

    // The log group deleted behind our back: created again under its name,
    // and the connector, which names it, is not replaced.
    aws_sdk_cloudwatchlogs::Client::new(&sdk)
        .delete_log_group()
        .log_group_name(format!("/cdcstack/{names}/connector"))
        .send()
        .await
        .unwrap();
    let changes = t.plan(&e);
    assert_eq!(
        changes.get("connector.log_group").map(|c| c.0.clone()),
        Some(vec!["create".to_string()]),
        "{changes:?}"
    );
    assert!(!changes.contains_key("connector.connector"), "{changes:?}");
    t.ok(&e, &["apply", "--auto-approve"]);

    // The cluster busy with a change made elsewhere (a broker type): its
    // brokers stay where they are, so the plan waits for it and leaves the
    // connector alone.
    let arn = out["msk_cluster_arn"].as_str().unwrap();
    let described = kafka
        .describe_cluster_v2()
        .cluster_arn(arn)
        .send()
        .await
        .unwrap();
    kafka
        .update_broker_type()
        .cluster_arn(arn)
        .current_version(described.cluster_info().unwrap().current_version().unwrap())
        .target_instance_type("kafka.m5.large")
        .send()
        .await
        .unwrap();
    let changes = t.plan(&e);
    assert!(changes.contains_key("msk.cluster"), "it waits: {changes:?}");
    assert!(!changes.contains_key("connector.connector"), "{changes:?}");
    t.ok(&e, &["apply", "--auto-approve"]);
    t.ok(&e, &["apply", "--auto-approve"]);
    let (code, text, _) = t.run(&e, &["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{text}");

    // No secret value in state, a saved plan, or anything printed.
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let mut secrets = Vec::new();
    for arn in [
        &out["aurora_master_secret_arn"],
        &out["aurora_cdc_secret_arn"],
        &out["redshift_admin_secret_arn"],
    ] {
        let v = sm
            .get_secret_value()
            .secret_id(arn.as_str().unwrap())
            .send()
            .await
            .unwrap();
        let doc: Value = serde_json::from_str(v.secret_string().unwrap()).unwrap();
        let pw = doc["password"].as_str().unwrap().to_string();
        assert!(pw.len() >= 8, "a real password");
        secrets.push(pw);
    }
    let plan_file = e.dir.join("saved.plan");
    t.ok(&e, &["plan", "--out", plan_file.to_str().unwrap()]);
    t.ok(&e, &["state", "pull"]);
    t.ok(&e, &["output"]);
    let s3 = common::s3(&sdk);
    let state = s3
        .get_object()
        .bucket(&e.bucket)
        .key(&e.key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let state = String::from_utf8_lossy(&state).into_owned();
    let saved = std::fs::read_to_string(&plan_file).unwrap();
    for pw in &secrets {
        assert!(
            !state.contains(pw.as_str()),
            "a secret value is in the state"
        );
        assert!(
            !saved.contains(pw.as_str()),
            "a secret value is in the saved plan"
        );
        assert!(!t.0.contains(pw.as_str()), "a secret value was printed");
    }

    // Base capacity 8 → 16 and brokers 3 → 6: in place.
    e.edit("base_capacity = 8", "base_capacity = 16");
    e.edit("broker_count = 3", "broker_count = 6");
    let changes = t.plan(&e);
    assert_eq!(
        changes.get("redshift.workgroup").map(|c| c.0.clone()),
        Some(vec!["update".to_string()]),
        "{changes:?}"
    );
    assert_eq!(
        changes["redshift.workgroup"].1,
        BTreeSet::from(["base_capacity".to_string()])
    );
    assert_eq!(
        changes.get("msk.cluster").map(|c| c.0.clone()),
        Some(vec!["update".to_string()]),
        "{changes:?}"
    );
    assert!(
        changes.values().all(|c| c.0 != ["delete", "create"]),
        "nothing replaced: {changes:?}"
    );
    let text = t.ok(&e, &["plan"]);
    assert!(
        text.contains("3 → 6 brokers: in place with UpdateBrokerCount"),
        "{text}"
    );
    t.ok(&e, &["apply", "--auto-approve"]);
    let wg = rs
        .get_workgroup()
        .workgroup_name(format!("{names}-redshift"))
        .send()
        .await
        .unwrap();
    assert_eq!(wg.workgroup().unwrap().base_capacity(), Some(16));
    let list = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{names}-msk"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        list.cluster_info_list()[0]
            .provisioned()
            .unwrap()
            .number_of_broker_nodes(),
        Some(6)
    );
    let (code, text, _) = t.run(&e, &["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged after the updates:\n{text}");

    // Kafka version: the plan states the route.
    e.edit("kafka_version = \"3.9.x\"", "kafka_version = \"3.8.x\"");
    let text = t.ok(&e, &["plan"]);
    assert!(
        text.contains("msk.cluster (msk_cluster) must be replaced"),
        "{text}"
    );
    assert!(text.contains("downgrade, which MSK cannot do"), "{text}");
    assert!(
        text.contains("data loss: replacing it deletes every topic"),
        "{text}"
    );
    // The connector follows the new cluster: only the entries that depend on
    // it are unknown, the rest of its configuration is not repeated, and no
    // "in place" note contradicts the replacement.
    assert!(
        text.contains("connector.connector (mskconnect_connector) must be replaced"),
        "{text}"
    );
    assert!(
        text.contains("\"schema.history.internal.kafka.bootstrap.servers\" = \"b-1."),
        "{text}"
    );
    assert!(!text.contains("\"connector.class\""), "{text}");
    assert!(!text.contains("with UpdateConnector"), "{text}");
    let json: Value = serde_json::from_str(&t.ok(&e, &["plan", "--json"])).unwrap();
    let conn = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "connector.connector")
        .unwrap();
    assert_eq!(
        conn["change"]["after_unknown"]["configuration"]["schema.history.internal.kafka.bootstrap.servers"],
        true,
        "{conn}"
    );
    assert_eq!(
        conn["change"]["after"]["configuration"]["connector.class"],
        "io.debezium.connector.mysql.MySqlConnector"
    );
    e.edit("kafka_version = \"3.8.x\"", "kafka_version = \"4.0.x\"");
    let text = t.ok(&e, &["plan"]);
    assert!(
        text.contains("msk.cluster (msk_cluster) will be updated in place"),
        "{text}"
    );
    assert!(
        text.contains("in place with UpdateClusterKafkaVersion"),
        "{text}"
    );
    e.edit("kafka_version = \"4.0.x\"", "kafka_version = \"3.9.x\"");

    // A replacement with in-place dependants (the role policies name the
    // cluster's ARN): delete, create, then update them, and converge.
    e.edit("ebs_volume_gb = 20", "ebs_volume_gb = 10");
    t.ok(&e, &["apply", "--auto-approve"]);
    let (code, text, _) = t.run(&e, &["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{text}");

    // A new VPC CIDR replaces the VPC, but Aurora and the workgroup cannot
    // follow in place: refused up front, not stuck deleting subnets in use.
    e.edit("cidr = \"10.20.0.0/16\"", "cidr = \"10.30.0.0/16\"");
    let (code, _, err) = t.run(&e, &["plan"]);
    assert_eq!(code, 1, "{err}");
    for bound in [
        "aurora.cluster",
        "aurora.subnet_group",
        "redshift.workgroup",
    ] {
        assert!(
            err.contains(&format!(
                "{bound}: network.vpc is replaced (cidr_block changes)"
            )),
            "{bound}: {err}"
        );
    }
    let (code, _, err) = t.run(&e, &["apply", "--auto-approve"]);
    assert_eq!(code, 1, "{err}");
    e.edit("cidr = \"10.30.0.0/16\"", "cidr = \"10.20.0.0/16\"");
    // Likewise a zone swapped under their subnets.
    e.edit("\"us-east-1c\"]", "\"us-east-1d\"]");
    let (code, _, err) = t.run(&e, &["plan"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "aurora.cluster: network.subnet.database[2] is replaced (availability_zone changes)"
        ),
        "{err}"
    );
    e.edit("\"us-east-1d\"]", "\"us-east-1c\"]");
    let (code, text, _) = t.run(&e, &["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "nothing was touched: {text}");

    // Destroy: nothing with the env's ownership tags is left.
    t.ok(&e, &["destroy", "--auto-approve"]);
    assert!(
        rds.describe_db_clusters()
            .db_cluster_identifier(format!("{names}-aurora"))
            .send()
            .await
            .is_err()
    );
    let list = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{names}-msk"))
        .send()
        .await
        .unwrap();
    assert!(list.cluster_info_list().is_empty());
    assert!(
        kc.list_connectors()
            .connector_name_prefix(&names)
            .send()
            .await
            .unwrap()
            .connectors()
            .is_empty()
    );
    assert!(
        kc.list_custom_plugins()
            .name_prefix(&names)
            .send()
            .await
            .unwrap()
            .custom_plugins()
            .is_empty()
    );
    assert!(
        kc.list_worker_configurations()
            .name_prefix(&names)
            .send()
            .await
            .unwrap()
            .worker_configurations()
            .is_empty()
    );
    assert!(
        rs.get_workgroup()
            .workgroup_name(format!("{names}-redshift"))
            .send()
            .await
            .is_err()
    );
    assert!(
        rs.get_namespace()
            .namespace_name(format!("{names}-redshift"))
            .send()
            .await
            .is_err()
    );
    for role in [
        format!("{names}-redshift-streaming"),
        format!("{names}-connector-role"),
    ] {
        assert!(iam.get_role().role_name(role).send().await.is_err());
    }
    let left = sm
        .list_secrets()
        .filters(
            aws_sdk_secretsmanager::types::Filter::builder()
                .key(aws_sdk_secretsmanager::types::FilterNameStringType::TagValue)
                .values(&e.stack)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(left.secret_list().is_empty(), "{:?}", left.secret_list());
    assert!(
        s3.head_bucket()
            .bucket(format!("{}-artifacts", e.stack))
            .send()
            .await
            .is_err()
    );
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let owner = aws_sdk_ec2::types::Filter::builder()
        .name("tag:cdcstack:stack")
        .values(&e.stack)
        .build();
    assert!(
        ec2.describe_vpcs()
            .filters(owner.clone())
            .send()
            .await
            .unwrap()
            .vpcs()
            .is_empty()
    );
    assert!(
        ec2.describe_subnets()
            .filters(owner.clone())
            .send()
            .await
            .unwrap()
            .subnets()
            .is_empty()
    );
    assert!(
        ec2.describe_security_groups()
            .filters(owner)
            .send()
            .await
            .unwrap()
            .security_groups()
            .is_empty()
    );
    assert_eq!(t.ok(&e, &["state", "list"]).trim(), "");
}

/// Points `connector.plugin` at `to`.
fn set_plugin(e: &EnvDir, to: &str) {
    let text = e.text();
    let line = text.lines().find(|l| l.starts_with("plugin = ")).unwrap();
    e.edit(line, &format!("plugin = \"{to}\""));
}

#[tokio::test]
async fn the_plugin_is_uploaded_only_when_its_content_changes() {
    let _one_at_a_time = EXCLUSIVE.lock().await;
    let e = EnvDir::dev();
    let zip = e.dir.join("plugin.zip");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("plugins/debezium-connector-mysql.zip"),
        &zip,
    )
    .unwrap();
    set_plugin(&e, &zip.display().to_string());
    e.init();
    let target = ["--target", "connector.plugin_object"];
    let puts = |since: u64| {
        emulator()
            .requests()
            .iter()
            .filter(|r| {
                r["seq"].as_u64() > Some(since)
                    && r["operation"] == "PutObject"
                    && r["path"].as_str().is_some_and(|p| p.contains("plugins/"))
            })
            .count()
    };
    let since = emulator().last_seq();
    e.ok(&[&["apply", "--auto-approve"][..], &target[..]].concat());
    assert_eq!(puts(since), 1, "uploaded once");

    let since = emulator().last_seq();
    let (code, out, _) = e.run(&[&["plan", "--detailed-exitcode"][..], &target[..]].concat());
    assert_eq!(code, 0, "{out}");
    e.ok(&[&["apply", "--auto-approve"][..], &target[..]].concat());
    assert_eq!(puts(since), 0, "same content: not uploaded again");

    // The same bytes from another place (another checkout, a renamed copy):
    // nothing changes, so the connector is not replaced.
    let moved = e.dir.join("moved-plugin.zip");
    std::fs::copy(&zip, &moved).unwrap();
    set_plugin(&e, &moved.display().to_string());
    let (code, out, _) = e.run(&[&["plan", "--detailed-exitcode"][..], &target[..]].concat());
    assert_eq!(code, 0, "{out}");
    set_plugin(&e, &zip.display().to_string());

    // New content: the object is updated in place, by checksum.
    let mut bytes = std::fs::read(&zip).unwrap();
    bytes.extend_from_slice(b"\nnew build");
    std::fs::write(&zip, bytes).unwrap();
    let (code, out, _) = e.run(&[&["plan", "--detailed-exitcode"][..], &target[..]].concat());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("~ connector.plugin_object (s3_object) will be updated in place")
            && out.contains("~ sha256"),
        "{out}"
    );
    let since = emulator().last_seq();
    e.ok(&[&["apply", "--auto-approve"][..], &target[..]].concat());
    assert_eq!(puts(since), 1, "uploaded again");
}

#[tokio::test]
async fn a_plugin_named_by_s3_url_must_exist_before_anything_is_built() {
    let _one_at_a_time = EXCLUSIVE.lock().await;
    let e = EnvDir::dev();
    let plugins = format!("{}-plugins", e.stack);
    set_plugin(&e, &format!("s3://{plugins}/debezium/mysql.zip"));
    e.init();

    // Missing: the plan says so, and apply builds nothing.
    let (code, _, err) = e.run(&["plan"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "s3://{plugins}/debezium/mysql.zip\" does not exist"
        )),
        "{err}"
    );
    let (code, _, err) = e.run(&["apply", "--auto-approve"]);
    assert_eq!(code, 1, "{err}");
    let (_, out, _) = e.run(&["state", "list"]);
    assert!(!out.contains("network.vpc"), "nothing was built: {out}");

    // Uploaded: the plan goes through and uses that object as it is.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk().await)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(&plugins).send().await.unwrap();
    let zip = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("plugins/debezium-connector-mysql.zip"),
    )
    .unwrap();
    s3.put_object()
        .bucket(&plugins)
        .key("debezium/mysql.zip")
        .body(zip.into())
        .send()
        .await
        .unwrap();
    let (code, out, err) = e.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(!out.contains("connector.plugin_object"), "{out}");
}

#[tokio::test]
async fn msk_is_created_again_once_its_namesake_has_finished_deleting() {
    let _one_at_a_time = EXCLUSIVE.lock().await;
    let e = EnvDir::dev();
    e.init();
    let target = ["--target", "msk.cluster"];
    e.ok(&[&["apply", "--auto-approve"][..], &target[..]].concat());
    // Deleted elsewhere (or by a run that crashed): DELETING for minutes on
    // AWS, and the name stays taken until it is gone.
    let kafka = aws_sdk_kafka::Client::new(&sdk().await);
    let name = format!("{}-dev-msk", e.stack);
    let list = kafka
        .list_clusters_v2()
        .cluster_name_filter(&name)
        .send()
        .await
        .unwrap();
    let arn = list.cluster_info_list()[0]
        .cluster_arn()
        .unwrap()
        .to_string();
    kafka
        .delete_cluster()
        .cluster_arn(&arn)
        .send()
        .await
        .unwrap();
    e.ok(&[&["apply", "--auto-approve"][..], &target[..]].concat());
    let list = kafka
        .list_clusters_v2()
        .cluster_name_filter(&name)
        .send()
        .await
        .unwrap();
    let live: Vec<_> = list
        .cluster_info_list()
        .iter()
        .filter(|c| c.state().map(|s| s.as_str()) != Some("DELETING"))
        .collect();
    assert_eq!(live.len(), 1, "{list:?}");
    assert_ne!(live[0].cluster_arn(), Some(arn.as_str()), "a new cluster");
    let (code, out, _) = e.run(&[&["plan", "--detailed-exitcode"][..], &target[..]].concat());
    assert_eq!(code, 0, "{out}");
}
