//! The emulator speaks AWS as the official Rust SDK expects it.
//!
//! Every operation cdcstack calls, on all the services it uses (EC2, RDS,
//! RDS Data, MSK, MSK Connect, Redshift Serverless, IAM, S3, Secrets
//! Manager, CloudWatch Logs, STS, SSM), goes through the `aws-sdk-*` clients
//! against `tests/emulator`, and the answers are checked, not only the
//! absence of an error: the Rust SDK is much stricter than boto3 (XML root
//! elements, enum values, timestamps, error shapes), and this is where a
//! mismatch shows up first.
//!
//! Tests run in parallel against one emulator (tests/common): every test
//! names its resources with `common::unique` and scopes injected faults to
//! operations no other test calls.

#[path = "../common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::result::SdkError;
use common::{ACCOUNT_ID, REGION, emulator, unique, wait_for};
use serde_json::json;

/// Code and HTTP status of a failed call.
fn code_status<E: ProvideErrorMetadata, R: HttpStatus>(err: &SdkError<E, R>) -> (String, u16) {
    let code = err.code().unwrap_or("<none>").to_string();
    let status = err.raw_response().map(HttpStatus::status).unwrap_or(0);
    (code, status)
}

trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Waits for a transition (generous timeout: the time scale may be raised
/// with CDCSTACK_TEST_TIME_SCALE).
const WAIT: Duration = Duration::from_secs(30);

/// Seconds a transition of `real_seconds` takes at the emulator's time scale.
fn scaled(real_seconds: f64) -> f64 {
    real_seconds * emulator().time_scale
}

// ------------------------------------------------------------------ STS, SSM

#[tokio::test]
async fn sts_and_ssm() {
    let cfg = emulator().sdk_config().await;
    let id = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(id.account(), Some(ACCOUNT_ID));
    assert!(
        id.arn()
            .unwrap()
            .starts_with(&format!("arn:aws:sts::{ACCOUNT_ID}:")),
        "{id:?}"
    );
    assert!(id.user_id().is_some());

    let ssm = aws_sdk_ssm::Client::new(&cfg);
    let name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    let param = ssm.get_parameter().name(name).send().await.unwrap();
    let param = param.parameter().unwrap();
    assert_eq!(param.name(), Some(name));
    assert!(param.value().unwrap().starts_with("ami-"), "{param:?}");
}

// ------------------------------------------------------------------ AWS_ENDPOINT_URL alone

const CHILD_MARKER: &str = "CDCSTACK_TEST_ENDPOINT_CHILD";

/// Runs `child_uses_aws_endpoint_url_from_the_environment` in a child process
/// whose environment has AWS_ENDPOINT_URL, dummy credentials and a region,
/// and nothing else of AWS's (the process environment cannot be changed
/// safely in a multi-threaded test binary, so the proof runs in a child).
#[tokio::test]
async fn aws_endpoint_url_alone_reaches_every_service() {
    let emu = emulator();
    let name = unique("envonly");
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(&key);
        }
    }
    let nowhere = common::scratch_dir().join("no-such-dir");
    let out = cmd
        .args([
            "child_uses_aws_endpoint_url_from_the_environment",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("AWS_ENDPOINT_URL", &emu.url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
        .env(CHILD_MARKER, &name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}\n{stderr}"
    );

    // What the child created is there, seen through the fixture's own clients.
    let cfg = emu.sdk_config().await;
    common::s3(&cfg)
        .head_bucket()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    let groups = aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
}

#[tokio::test]
#[ignore = "run in a child process by aws_endpoint_url_alone_reaches_every_service"]
async fn child_uses_aws_endpoint_url_from_the_environment() {
    let Ok(name) = std::env::var(CHILD_MARKER) else {
        eprintln!("{CHILD_MARKER} is not set: nothing to do");
        return;
    };
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok());
    // As the product loads it: no endpoint_url, no credentials given here.
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    assert_eq!(cfg.region().map(|r| r.as_ref()), Some(REGION));
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    );

    let id = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(id.account(), Some(ACCOUNT_ID));
    s3.create_bucket().bucket(&name).send().await.unwrap();
    aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .create_log_group()
        .log_group_name(&name)
        .send()
        .await
        .unwrap();
    aws_sdk_ec2::Client::new(&cfg)
        .describe_vpcs()
        .send()
        .await
        .unwrap();
    aws_sdk_rds::Client::new(&cfg)
        .describe_db_clusters()
        .send()
        .await
        .unwrap();
    aws_sdk_kafka::Client::new(&cfg)
        .list_clusters_v2()
        .send()
        .await
        .unwrap();
    aws_sdk_kafkaconnect::Client::new(&cfg)
        .list_custom_plugins()
        .send()
        .await
        .unwrap();
    aws_sdk_redshiftserverless::Client::new(&cfg)
        .list_workgroups()
        .send()
        .await
        .unwrap();
    aws_sdk_iam::Client::new(&cfg)
        .list_roles()
        .send()
        .await
        .unwrap();
    aws_sdk_secretsmanager::Client::new(&cfg)
        .list_secrets()
        .send()
        .await
        .unwrap();
    let param = aws_sdk_ssm::Client::new(&cfg)
        .get_parameter()
        .name("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        .send()
        .await
        .unwrap();
    assert!(
        param
            .parameter()
            .and_then(|p| p.value())
            .unwrap()
            .starts_with("ami-")
    );
    aws_sdk_rdsdata::Client::new(&cfg)
        .execute_statement()
        .resource_arn(format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster:{name}"))
        .secret_arn(format!(
            "arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}"
        ))
        .sql("SELECT 1")
        .send()
        .await
        .unwrap();
}

// ------------------------------------------------------------------ S3

#[tokio::test]
async fn s3_bucket_configuration() {
    use aws_sdk_s3::types::{
        BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
        PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
        VersioningConfiguration,
    };
    let cfg = emulator().sdk_config().await;
    let s3 = common::s3(&cfg);
    let bucket = unique("state");

    // us-east-1: no location constraint.
    let created = s3.create_bucket().bucket(&bucket).send().await.unwrap();
    assert_eq!(created.location(), Some(format!("/{bucket}").as_str()));
    s3.head_bucket()
        .bucket(&bucket)
        .expected_bucket_owner(ACCOUNT_ID)
        .send()
        .await
        .unwrap();
    let err = s3
        .head_bucket()
        .bucket(&bucket)
        .expected_bucket_owner("999999999999")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).1, 403, "{err:?}");
    let err = s3
        .head_bucket()
        .bucket(unique("missing"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found());

    // Another region, with its location constraint.
    let eu_cfg = emulator()
        .sdk_config_loader()
        .region(aws_config::Region::new("eu-west-1"))
        .load()
        .await;
    let eu = common::s3(&eu_cfg);
    let eu_bucket = unique("state-eu");
    eu.create_bucket()
        .bucket(&eu_bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let location = eu
        .get_bucket_location()
        .bucket(&eu_bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint(),
        Some(&BucketLocationConstraint::EuWest1)
    );

    // Versioning.
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), None);
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));

    // Default encryption: AES256, then aws:kms with a key id.
    let sse = |algorithm: ServerSideEncryption, key: Option<&str>| {
        ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(algorithm)
                            .set_kms_master_key_id(key.map(str::to_string))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
            .unwrap()
    };
    s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(sse(ServerSideEncryption::Aes256, None))
        .send()
        .await
        .unwrap();
    let enc = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::Aes256);
    assert_eq!(default.kms_master_key_id(), None);

    let key_id =
        format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(sse(ServerSideEncryption::AwsKms, Some(&key_id)))
        .send()
        .await
        .unwrap();
    let enc = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let default = enc.server_side_encryption_configuration().unwrap().rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap()
        .clone();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some(key_id.as_str()));

    // Public access block.
    s3.put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pab = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );

    // Policy (the deny-insecure-transport statement cdcstack sets).
    let policy = secure_transport_policy(&bucket);
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    let got: serde_json::Value = serde_json::from_str(got.policy().unwrap()).unwrap();
    assert_eq!(got, policy);

    // Tagging: none yet, then some.
    let err = s3
        .get_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("NoSuchTagSet".to_string(), 404));
    s3.put_bucket_tagging()
        .bucket(&bucket)
        .tagging(
            Tagging::builder()
                .tag_set(
                    Tag::builder()
                        .key("cdcstack:stack")
                        .value("cdc")
                        .build()
                        .unwrap(),
                )
                .tag_set(
                    Tag::builder()
                        .key("Project")
                        .value("data_streaming_pipeline")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tags = s3
        .get_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let tags: HashMap<&str, &str> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(
        tags,
        HashMap::from([
            ("cdcstack:stack", "cdc"),
            ("Project", "data_streaming_pipeline")
        ])
    );

    // Still usable under the policy, then deleted.
    s3.put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = s3.delete_bucket().bucket(&bucket).send().await.unwrap_err();
    assert_eq!(code_status(&err), ("BucketNotEmpty".to_string(), 409));
    delete_all_versions(&s3, &bucket).await;
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
    eu.delete_bucket().bucket(&eu_bucket).send().await.unwrap();
    let err = s3.head_bucket().bucket(&bucket).send().await.unwrap_err();
    assert!(err.into_service_error().is_not_found());
}

fn secure_transport_policy(bucket: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    })
}

/// Deletes every version and delete marker with one DeleteObjects call.
async fn delete_all_versions(s3: &aws_sdk_s3::Client, bucket: &str) -> usize {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let versions = s3
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for v in versions.versions() {
        ids.push(
            ObjectIdentifier::builder()
                .key(v.key().unwrap())
                .version_id(v.version_id().unwrap())
                .build()
                .unwrap(),
        );
    }
    for m in versions.delete_markers() {
        ids.push(
            ObjectIdentifier::builder()
                .key(m.key().unwrap())
                .version_id(m.version_id().unwrap())
                .build()
                .unwrap(),
        );
    }
    if ids.is_empty() {
        return 0;
    }
    let n = ids.len();
    let out = s3
        .delete_objects()
        .bucket(bucket)
        .delete(
            Delete::builder()
                .set_objects(Some(ids))
                .quiet(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(out.deleted().len(), n);
    n
}

/// The state/lock protocol: conditional writes and deletes, metadata, versions.
#[tokio::test]
async fn s3_objects_state_and_lock() {
    use aws_sdk_s3::types::{
        BucketVersioningStatus, ServerSideEncryption, VersioningConfiguration,
    };
    let cfg = emulator().sdk_config().await;
    let s3 = common::s3(&cfg);
    let bucket = unique("lock");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let state_key = "cdc/dev/cdcstack.tfstate";
    let lock_key = "cdc/dev/cdcstack.tfstate.tflock";

    // Lock: If-None-Match: * wins once.
    let lock = s3
        .put_object()
        .bucket(&bucket)
        .key(lock_key)
        .content_type("application/json")
        .if_none_match("*")
        .body(ByteStream::from_static(br#"{"ID":"a"}"#))
        .send()
        .await
        .unwrap();
    let lock_etag = lock.e_tag().unwrap().to_string();
    assert!(
        lock_etag.starts_with('"') && lock_etag.ends_with('"'),
        "{lock_etag}"
    );
    assert!(lock.version_id().is_some());
    let err = s3
        .put_object()
        .bucket(&bucket)
        .key(lock_key)
        .if_none_match("*")
        .body(ByteStream::from_static(br#"{"ID":"b"}"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("PreconditionFailed".to_string(), 412));

    // State: first write, then a conditional rewrite, then a stale one.
    let body = br#"{"format_version":1,"serial":1}"#;
    let first = s3
        .put_object()
        .bucket(&bucket)
        .key(state_key)
        .if_none_match("*")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .metadata("sha256", "abc123")
        .body(ByteStream::from_static(body))
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let first_etag = first.e_tag().unwrap().to_string();
    let second = s3
        .put_object()
        .bucket(&bucket)
        .key(state_key)
        .if_match(&first_etag)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .metadata("sha256", "def456")
        .body(ByteStream::from_static(
            br#"{"format_version":1,"serial":2}"#,
        ))
        .send()
        .await
        .unwrap();
    let second_etag = second.e_tag().unwrap().to_string();
    assert_ne!(first_etag, second_etag);
    let err = s3
        .put_object()
        .bucket(&bucket)
        .key(state_key)
        .if_match(&first_etag)
        .body(ByteStream::from_static(b"lost update"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("PreconditionFailed".to_string(), 412));

    // SSE-KMS with a key id (backend.kms_key_id), as the state and the lock are written then.
    let key_id =
        format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let kms = s3
        .put_object()
        .bucket(&bucket)
        .key("kms/state")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key_id)
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        kms.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(kms.ssekms_key_id(), Some(key_id.as_str()));
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("kms/state")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(got.ssekms_key_id(), Some(key_id.as_str()));

    // Read back: body, ETag, metadata, version.
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key(state_key)
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(second_etag.as_str()));
    assert_eq!(
        got.metadata()
            .and_then(|m| m.get("sha256"))
            .map(String::as_str),
        Some("def456")
    );
    assert_eq!(
        got.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], br#"{"format_version":1,"serial":2}"#);
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(state_key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(second_etag.as_str()));
    assert_eq!(head.version_id(), second.version_id());
    assert_eq!(head.content_length(), Some(bytes.len() as i64));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("sha256"))
            .map(String::as_str),
        Some("def456")
    );

    // Missing key: NoSuchKey 404 (GetObject), NotFound (HeadObject).
    let err = s3
        .get_object()
        .bucket(&bucket)
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("NoSuchKey".to_string(), 404));
    assert!(err.into_service_error().is_no_such_key());
    let err = s3
        .head_object()
        .bucket(&bucket)
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).1, 404);
    assert!(err.into_service_error().is_not_found());

    // Unlock: a stale ETag is refused, the right one deletes.
    let relocked = s3
        .put_object()
        .bucket(&bucket)
        .key(lock_key)
        .if_match(&lock_etag)
        .body(ByteStream::from_static(br#"{"ID":"c"}"#))
        .send()
        .await
        .unwrap();
    let err = s3
        .delete_object()
        .bucket(&bucket)
        .key(lock_key)
        .if_match(&lock_etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("PreconditionFailed".to_string(), 412));
    let deleted = s3
        .delete_object()
        .bucket(&bucket)
        .key(lock_key)
        .if_match(relocked.e_tag().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.delete_marker(), Some(true));
    let err = s3
        .get_object()
        .bucket(&bucket)
        .key(lock_key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).1, 404);

    // Versions: 2 of the lock + 1 delete marker, 2 of the state.
    let versions = s3
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let count = |key: &str| {
        versions
            .versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .count()
    };
    assert_eq!((count(lock_key), count(state_key)), (2, 2));
    assert_eq!(versions.delete_markers().len(), 1);
    let latest = versions
        .versions()
        .iter()
        .find(|v| v.key() == Some(state_key) && v.is_latest() == Some(true))
        .unwrap();
    assert_eq!(latest.version_id(), second.version_id());
    assert_eq!(latest.e_tag(), Some(second_etag.as_str()));

    assert_eq!(delete_all_versions(&s3, &bucket).await, 6); // lock ×2 + delete marker, state ×2, kms/state
    let versions = s3
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(versions.versions().is_empty() && versions.delete_markers().is_empty());
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
}

/// A "deny insecure transport" bucket policy does not deny the emulator's
/// requests: AWS is always reached over HTTPS.
#[tokio::test]
async fn s3_secure_transport_policy_allows_requests() {
    let cfg = emulator().sdk_config().await;
    let s3 = common::s3(&cfg);
    let bucket = unique("tls");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(secure_transport_policy(&bucket).to_string())
        .send()
        .await
        .unwrap();

    let put = s3
        .put_object()
        .bucket(&bucket)
        .key("state")
        .if_none_match("*")
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("state")
        .send()
        .await
        .unwrap();
    assert_eq!(&got.body.collect().await.unwrap().into_bytes()[..], b"{}");
    s3.head_object()
        .bucket(&bucket)
        .key("state")
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket(&bucket)
        .key("state")
        .if_match(put.e_tag().unwrap())
        .send()
        .await
        .unwrap();

    // A statement whose condition does hold still denies.
    let mut deny_tls = secure_transport_policy(&bucket);
    deny_tls["Statement"][0]["Condition"] = json!({"Bool": {"aws:SecureTransport": "true"}});
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(deny_tls.to_string())
        .send()
        .await
        .unwrap();
    let err = s3
        .put_object()
        .bucket(&bucket)
        .key("state")
        .body(ByteStream::from_static(b"{}"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("AccessDenied".to_string(), 403));
    s3.delete_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
}

// ------------------------------------------------------------------ EC2

fn ec2_tags(
    resource: aws_sdk_ec2::types::ResourceType,
    tags: &[(&str, &str)],
) -> aws_sdk_ec2::types::TagSpecification {
    let mut spec = aws_sdk_ec2::types::TagSpecification::builder().resource_type(resource);
    for (k, v) in tags {
        spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(*k).value(*v).build());
    }
    spec.build()
}

fn ec2_filter(name: &str, values: &[&str]) -> aws_sdk_ec2::types::Filter {
    let mut f = aws_sdk_ec2::types::Filter::builder().name(name);
    for v in values {
        f = f.values(*v);
    }
    f.build()
}

fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> HashMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A VPC with 3 subnets (a, b, c) and a security group, for services that need a network.
struct Network {
    vpc_id: String,
    subnet_ids: Vec<String>,
    sg_id: String,
}

async fn network(ec2: &aws_sdk_ec2::Client) -> Network {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnet_ids = Vec::new();
    for (i, az) in ["a", "b", "c"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.0.{i}.0/24"))
            .availability_zone(format!("{REGION}{az}"))
            .send()
            .await
            .unwrap();
        subnet_ids.push(subnet.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    let sg = ec2
        .create_security_group()
        .group_name(unique("sg"))
        .description("test")
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    Network {
        vpc_id,
        subnet_ids,
        sg_id: sg.group_id().unwrap().to_string(),
    }
}

/// VPC, subnets, internet gateway, EIP, NAT gateway and routing, built and
/// torn down in cdcstack's order.
#[tokio::test]
async fn ec2_vpc_subnets_gateways_and_routes() {
    use aws_sdk_ec2::types::{
        AttributeBooleanValue, DomainType, NatGatewayState, ResourceType, VpcAttributeName,
        VpcState,
    };
    let emu = emulator();
    let cfg = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let stack = unique("cdc");
    let own = [("cdcstack:stack", stack.as_str()), ("Name", "cdc-dev-vpc")];

    // VPC with tags, found by its ownership tag.
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .tag_specifications(ec2_tags(ResourceType::Vpc, &own))
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap();
    let vpc_id = vpc.vpc_id().unwrap().to_string();
    assert_eq!(vpc.cidr_block(), Some("10.20.0.0/16"));
    let found = ec2
        .describe_vpcs()
        .filters(ec2_filter("tag:cdcstack:stack", &[&stack]))
        .send()
        .await
        .unwrap();
    assert_eq!(found.vpcs().len(), 1);
    let found = &found.vpcs()[0];
    assert_eq!(found.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(found.state(), Some(&VpcState::Available));
    assert_eq!(tag_map(found.tags())["Name"], "cdc-dev-vpc");

    // DNS attributes.
    let support = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableDnsSupport)
        .send()
        .await
        .unwrap();
    assert_eq!(
        support.enable_dns_support().and_then(|a| a.value()),
        Some(true)
    );
    let hostnames = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hostnames.enable_dns_hostnames().and_then(|a| a.value()),
        Some(false)
    );
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc_id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let hostnames = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hostnames.enable_dns_hostnames().and_then(|a| a.value()),
        Some(true)
    );

    // Subnets: one public (map public IPs), one private.
    let public = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.20.0.0/24")
        .availability_zone("us-east-1a")
        .tag_specifications(ec2_tags(ResourceType::Subnet, &own))
        .send()
        .await
        .unwrap();
    let public_id = public.subnet().unwrap().subnet_id().unwrap().to_string();
    assert_eq!(
        public.subnet().unwrap().availability_zone(),
        Some("us-east-1a")
    );
    let private = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.20.1.0/24")
        .availability_zone("us-east-1b")
        .send()
        .await
        .unwrap();
    let private_id = private.subnet().unwrap().subnet_id().unwrap().to_string();
    ec2.modify_subnet_attribute()
        .subnet_id(&public_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let subnets = ec2
        .describe_subnets()
        .filters(ec2_filter("vpc-id", &[&vpc_id]))
        .send()
        .await
        .unwrap();
    let by_id: HashMap<&str, &aws_sdk_ec2::types::Subnet> = subnets
        .subnets()
        .iter()
        .map(|s| (s.subnet_id().unwrap(), s))
        .collect();
    assert_eq!(by_id.len(), 2);
    assert_eq!(
        by_id[public_id.as_str()].map_public_ip_on_launch(),
        Some(true)
    );
    assert_eq!(
        by_id[private_id.as_str()].map_public_ip_on_launch(),
        Some(false)
    );
    assert_eq!(by_id[public_id.as_str()].cidr_block(), Some("10.20.0.0/24"));
    assert_eq!(by_id[public_id.as_str()].vpc_id(), Some(vpc_id.as_str()));

    // Internet gateway.
    let igw = ec2
        .create_internet_gateway()
        .tag_specifications(ec2_tags(ResourceType::InternetGateway, &own))
        .send()
        .await
        .unwrap();
    let igw_id = igw
        .internet_gateway()
        .unwrap()
        .internet_gateway_id()
        .unwrap()
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let igws = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await
        .unwrap();
    let attachment = &igws.internet_gateways()[0].attachments()[0];
    assert_eq!(attachment.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(attachment.state().map(|s| s.as_str()), Some("available"));
    let by_tag = ec2
        .describe_internet_gateways()
        .filters(ec2_filter("tag:cdcstack:stack", &[&stack]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_tag.internet_gateways().len(), 1);

    // Elastic IP.
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(ec2_tags(ResourceType::ElasticIp, &own))
        .send()
        .await
        .unwrap();
    let allocation_id = eip.allocation_id().unwrap().to_string();
    assert_eq!(eip.domain(), Some(&DomainType::Vpc));
    assert!(eip.public_ip().is_some());
    let addresses = ec2
        .describe_addresses()
        .allocation_ids(&allocation_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_map(addresses.addresses()[0].tags())["cdcstack:stack"],
        stack
    );
    let addresses = ec2
        .describe_addresses()
        .filters(ec2_filter("tag:cdcstack:stack", &[&stack]))
        .send()
        .await
        .unwrap();
    assert_eq!(addresses.addresses().len(), 1);

    // NAT gateway: pending, then available; the client token makes the create idempotent.
    let token = unique("token");
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&public_id)
        .allocation_id(&allocation_id)
        .client_token(&token)
        .tag_specifications(ec2_tags(ResourceType::Natgateway, &own))
        .send()
        .await
        .unwrap();
    let nat = nat.nat_gateway().unwrap();
    let nat_id = nat.nat_gateway_id().unwrap().to_string();
    assert_eq!(nat.state(), Some(&NatGatewayState::Pending));
    assert_eq!(nat.subnet_id(), Some(public_id.as_str()));
    assert_eq!(nat.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(tag_map(nat.tags())["cdcstack:stack"], stack);
    wait_for("NAT gateway available", WAIT, || async {
        let out = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&nat_id)
            .send()
            .await
            .unwrap();
        (out.nat_gateways()[0].state() == Some(&NatGatewayState::Available)).then_some(())
    })
    .await;
    // A retried create (same token, same parameters) returns the same NAT gateway, as it is now.
    let again = ec2
        .create_nat_gateway()
        .subnet_id(&public_id)
        .allocation_id(&allocation_id)
        .client_token(&token)
        .tag_specifications(ec2_tags(ResourceType::Natgateway, &own))
        .send()
        .await
        .unwrap();
    let again = again.nat_gateway().unwrap();
    assert_eq!(again.nat_gateway_id(), Some(nat_id.as_str()));
    assert_eq!(again.state(), Some(&NatGatewayState::Available));
    let nats = ec2
        .describe_nat_gateways()
        .filter(ec2_filter("tag:cdcstack:stack", &[&stack]))
        .filter(ec2_filter("state", &["pending", "available"]))
        .send()
        .await
        .unwrap();
    assert_eq!(nats.nat_gateways().len(), 1);
    // The tag filter really filters (other tests' NAT gateways exist too).
    let others = ec2
        .describe_nat_gateways()
        .filter(ec2_filter("tag:cdcstack:stack", &[&unique("nobody")]))
        .send()
        .await
        .unwrap();
    assert!(others.nat_gateways().is_empty(), "{others:?}");
    let addr = &nats.nat_gateways()[0].nat_gateway_addresses()[0];
    assert_eq!(addr.allocation_id(), Some(allocation_id.as_str()));
    assert_eq!(addr.public_ip(), eip.public_ip());

    // Route tables: public via the IGW, private via the NAT.
    let public_rt = ec2
        .create_route_table()
        .vpc_id(&vpc_id)
        .tag_specifications(ec2_tags(ResourceType::RouteTable, &own))
        .send()
        .await
        .unwrap();
    let public_rt_id = public_rt
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();
    let private_rt = ec2
        .create_route_table()
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let private_rt_id = private_rt
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();
    let created = ec2
        .create_route()
        .route_table_id(&public_rt_id)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw_id)
        .send()
        .await
        .unwrap();
    assert_eq!(created.r#return(), Some(true));
    ec2.create_route()
        .route_table_id(&private_rt_id)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(&nat_id)
        .send()
        .await
        .unwrap();
    let assoc = ec2
        .associate_route_table()
        .route_table_id(&public_rt_id)
        .subnet_id(&public_id)
        .send()
        .await
        .unwrap();
    let public_assoc = assoc.association_id().unwrap().to_string();
    let assoc = ec2
        .associate_route_table()
        .route_table_id(&public_rt_id)
        .subnet_id(&private_id)
        .send()
        .await
        .unwrap();
    // The private subnet moves to its own table.
    let replaced = ec2
        .replace_route_table_association()
        .association_id(assoc.association_id().unwrap())
        .route_table_id(&private_rt_id)
        .send()
        .await
        .unwrap();
    let private_assoc = replaced.new_association_id().unwrap().to_string();
    // The public default route is replaced by the NAT, then back to the IGW.
    ec2.replace_route()
        .route_table_id(&public_rt_id)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(&nat_id)
        .send()
        .await
        .unwrap();
    ec2.replace_route()
        .route_table_id(&public_rt_id)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw_id)
        .send()
        .await
        .unwrap();
    let tables = ec2
        .describe_route_tables()
        .route_table_ids(&public_rt_id)
        .route_table_ids(&private_rt_id)
        .send()
        .await
        .unwrap();
    let by_id: HashMap<&str, &aws_sdk_ec2::types::RouteTable> = tables
        .route_tables()
        .iter()
        .map(|t| (t.route_table_id().unwrap(), t))
        .collect();
    let default_route = |rt: &str| {
        by_id[rt]
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .cloned()
            .unwrap_or_else(|| panic!("no default route in {rt}"))
    };
    assert_eq!(
        default_route(&public_rt_id).gateway_id(),
        Some(igw_id.as_str())
    );
    assert_eq!(
        default_route(&private_rt_id).nat_gateway_id(),
        Some(nat_id.as_str())
    );
    let subnets_of = |rt: &str| -> Vec<String> {
        by_id[rt]
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect()
    };
    assert_eq!(subnets_of(&public_rt_id), vec![public_id.clone()]);
    assert_eq!(subnets_of(&private_rt_id), vec![private_id.clone()]);
    let by_tag = ec2
        .describe_route_tables()
        .filters(ec2_filter("tag:cdcstack:stack", &[&stack]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_tag.route_tables().len(), 1);

    // Teardown, in reverse order.
    ec2.disassociate_route_table()
        .association_id(&public_assoc)
        .send()
        .await
        .unwrap();
    ec2.disassociate_route_table()
        .association_id(&private_assoc)
        .send()
        .await
        .unwrap();
    ec2.delete_route()
        .route_table_id(&public_rt_id)
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    ec2.delete_route()
        .route_table_id(&private_rt_id)
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let tables = ec2
        .describe_route_tables()
        .route_table_ids(&public_rt_id)
        .send()
        .await
        .unwrap();
    assert!(
        tables.route_tables()[0]
            .routes()
            .iter()
            .all(|r| r.destination_cidr_block() != Some("0.0.0.0/0"))
    );
    ec2.delete_route_table()
        .route_table_id(&public_rt_id)
        .send()
        .await
        .unwrap();
    ec2.delete_route_table()
        .route_table_id(&private_rt_id)
        .send()
        .await
        .unwrap();
    let err = ec2
        .describe_route_tables()
        .route_table_ids(&public_rt_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "InvalidRouteTableID.NotFound");

    let deleted = ec2
        .delete_nat_gateway()
        .nat_gateway_id(&nat_id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.nat_gateway_id(), Some(nat_id.as_str()));
    // While the NAT is deleting, its EIP is still mapped: the IGW cannot be detached yet.
    if emu.time_scale > 0.0 {
        let err = ec2
            .detach_internet_gateway()
            .internet_gateway_id(&igw_id)
            .vpc_id(&vpc_id)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code_status(&err).0, "DependencyViolation");
    }
    wait_for("NAT gateway deleted", WAIT, || async {
        let out = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&nat_id)
            .send()
            .await
            .unwrap();
        (out.nat_gateways()[0].state() == Some(&NatGatewayState::Deleted)).then_some(())
    })
    .await;
    ec2.release_address()
        .allocation_id(&allocation_id)
        .send()
        .await
        .unwrap();
    let err = ec2
        .describe_addresses()
        .allocation_ids(&allocation_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "InvalidAllocationID.NotFound");
    ec2.detach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let igws = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await
        .unwrap();
    assert!(igws.internet_gateways()[0].attachments().is_empty());
    ec2.delete_internet_gateway()
        .internet_gateway_id(&igw_id)
        .send()
        .await
        .unwrap();
    ec2.delete_subnet()
        .subnet_id(&public_id)
        .send()
        .await
        .unwrap();
    ec2.delete_subnet()
        .subnet_id(&private_id)
        .send()
        .await
        .unwrap();
    ec2.delete_vpc().vpc_id(&vpc_id).send().await.unwrap();
    let found = ec2
        .describe_vpcs()
        .filters(ec2_filter("tag:cdcstack:stack", &[&stack]))
        .send()
        .await
        .unwrap();
    assert!(found.vpcs().is_empty());
}

/// A NAT gateway takes its (scaled) real time: `pending`, then `available`.
#[tokio::test]
async fn nat_gateway_is_pending_then_available_after_its_scaled_duration() {
    use aws_sdk_ec2::types::{DomainType, NatGatewayState};
    let emu = emulator();
    let cfg = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let net = network(&ec2).await;
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&net.subnet_ids[0])
        .allocation_id(eip.allocation_id().unwrap())
        .send()
        .await
        .unwrap();
    let nat_id = nat
        .nat_gateway()
        .unwrap()
        .nat_gateway_id()
        .unwrap()
        .to_string();
    assert_eq!(
        nat.nat_gateway().unwrap().state(),
        Some(&NatGatewayState::Pending)
    );
    let mut states = Vec::new();
    let elapsed = loop {
        let out = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&nat_id)
            .send()
            .await
            .unwrap();
        let state = out.nat_gateways()[0].state().unwrap().clone();
        let done = state == NatGatewayState::Available;
        states.push(state);
        if done {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < WAIT,
            "NAT gateway not available after {WAIT:?}: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // 120 s in AWS (aws-resources.md §1), scaled.
    let expected = scaled(120.0);
    assert!(
        elapsed.as_secs_f64() >= expected * 0.95,
        "available after {elapsed:?}, expected >= {expected:.3}s"
    );
    if expected >= 0.05 {
        assert_eq!(
            states.first(),
            Some(&NatGatewayState::Pending),
            "{states:?}"
        );
    }
    assert!(
        states
            .iter()
            .all(|s| matches!(s, NatGatewayState::Pending | NatGatewayState::Available)),
        "{states:?}"
    );
}

/// Security groups and rules, the bastion instance's lifecycle, tags.
#[tokio::test]
async fn ec2_security_groups_instances_and_tags() {
    use aws_sdk_ec2::types::{
        AttributeValue, HttpTokensState, InstanceMetadataOptionsRequest, InstanceStateName,
        InstanceType, IpPermission, IpRange, ResourceType, Tag, UserIdGroupPair,
    };
    let cfg = emulator().sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let net = network(&ec2).await;
    let stack = unique("cdc");
    let own = [("cdcstack:stack", stack.as_str())];

    let bastion_sg = ec2
        .create_security_group()
        .group_name(unique("bastion"))
        .description("bastion")
        .vpc_id(&net.vpc_id)
        .tag_specifications(ec2_tags(ResourceType::SecurityGroup, &own))
        .send()
        .await
        .unwrap();
    let bastion_sg = bastion_sg.group_id().unwrap().to_string();
    let aurora_sg = ec2
        .create_security_group()
        .group_name(unique("aurora"))
        .description("aurora")
        .vpc_id(&net.vpc_id)
        .send()
        .await
        .unwrap();
    let aurora_sg = aurora_sg.group_id().unwrap().to_string();

    let ssh = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip("203.0.113.0/24")
                .description("ssh from the office")
                .build(),
        )
        .build();
    let mysql_from_bastion = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(3306)
        .to_port(3306)
        .user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(&bastion_sg)
                .description("mysql from bastion")
                .build(),
        )
        .build();
    let https_out = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip("0.0.0.0/0")
                .description("https")
                .build(),
        )
        .build();
    let out = ec2
        .authorize_security_group_ingress()
        .group_id(&bastion_sg)
        .ip_permissions(ssh.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.r#return(), Some(true));
    assert_eq!(out.security_group_rules().len(), 1);
    ec2.authorize_security_group_ingress()
        .group_id(&aurora_sg)
        .ip_permissions(mysql_from_bastion.clone())
        .send()
        .await
        .unwrap();
    ec2.authorize_security_group_egress()
        .group_id(&bastion_sg)
        .ip_permissions(https_out.clone())
        .send()
        .await
        .unwrap();

    let groups = ec2
        .describe_security_groups()
        .group_ids(&bastion_sg)
        .group_ids(&aurora_sg)
        .send()
        .await
        .unwrap();
    let by_id: HashMap<&str, &aws_sdk_ec2::types::SecurityGroup> = groups
        .security_groups()
        .iter()
        .map(|g| (g.group_id().unwrap(), g))
        .collect();
    let bastion = by_id[bastion_sg.as_str()];
    assert_eq!(bastion.vpc_id(), Some(net.vpc_id.as_str()));
    assert_eq!(tag_map(bastion.tags())["cdcstack:stack"], stack);
    let ingress = bastion.ip_permissions();
    assert_eq!(ingress.len(), 1);
    assert_eq!(
        (
            ingress[0].from_port(),
            ingress[0].to_port(),
            ingress[0].ip_protocol()
        ),
        (Some(22), Some(22), Some("tcp"))
    );
    assert_eq!(ingress[0].ip_ranges()[0].cidr_ip(), Some("203.0.113.0/24"));
    assert_eq!(
        ingress[0].ip_ranges()[0].description(),
        Some("ssh from the office")
    );
    let egress: Vec<_> = bastion
        .ip_permissions_egress()
        .iter()
        .filter(|p| p.from_port() == Some(443))
        .collect();
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0].ip_ranges()[0].description(), Some("https"));
    let pair = &by_id[aurora_sg.as_str()].ip_permissions()[0].user_id_group_pairs()[0];
    assert_eq!(pair.group_id(), Some(bastion_sg.as_str()));
    assert_eq!(pair.description(), Some("mysql from bastion"));
    let found = ec2
        .describe_security_groups()
        .filters(ec2_filter("tag:cdcstack:stack", &[&stack]))
        .send()
        .await
        .unwrap();
    assert_eq!(found.security_groups().len(), 1);

    // The bastion: AMI from SSM, IMDSv2 only, tags on the instance and its volume.
    let ami = aws_sdk_ssm::Client::new(&cfg)
        .get_parameter()
        .name("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        .send()
        .await
        .unwrap()
        .parameter()
        .unwrap()
        .value()
        .unwrap()
        .to_string();
    let token = unique("bastion");
    let run = ec2
        .run_instances()
        .image_id(&ami)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(&net.subnet_ids[0])
        .security_group_ids(&bastion_sg)
        .client_token(&token)
        .metadata_options(
            InstanceMetadataOptionsRequest::builder()
                .http_tokens(HttpTokensState::Required)
                .build(),
        )
        .tag_specifications(ec2_tags(
            ResourceType::Instance,
            &[("cdcstack:stack", &stack), ("Name", "cdc-dev-bastion")],
        ))
        .tag_specifications(ec2_tags(ResourceType::Volume, &own))
        .send()
        .await
        .unwrap();
    let instance = &run.instances()[0];
    let instance_id = instance.instance_id().unwrap().to_string();
    // A retried launch (same client token) returns the same reservation, not a second bastion.
    let again = ec2
        .run_instances()
        .image_id(&ami)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(&net.subnet_ids[0])
        .security_group_ids(&bastion_sg)
        .client_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.reservation_id(), run.reservation_id());
    assert_eq!(
        again.instances()[0].instance_id(),
        Some(instance_id.as_str())
    );
    assert_eq!(instance.image_id(), Some(ami.as_str()));
    assert_eq!(instance.instance_type(), Some(&InstanceType::T3Micro));
    assert_eq!(instance.subnet_id(), Some(net.subnet_ids[0].as_str()));
    assert_eq!(
        instance.state().and_then(|s| s.name()),
        Some(&InstanceStateName::Pending)
    );
    assert_eq!(
        instance.metadata_options().and_then(|m| m.http_tokens()),
        Some(&HttpTokensState::Required)
    );

    let running = || async {
        let out = ec2
            .describe_instances()
            .filters(ec2_filter("tag:cdcstack:stack", &[&stack]))
            .filters(ec2_filter("instance-state-name", &["running"]))
            .send()
            .await
            .unwrap();
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
            .cloned()
    };
    let described = wait_for("instance running", WAIT, running).await;
    assert_eq!(described.instance_id(), Some(instance_id.as_str()));
    assert_eq!(tag_map(described.tags())["Name"], "cdc-dev-bastion");
    assert_eq!(
        described.security_groups()[0].group_id(),
        Some(bastion_sg.as_str())
    );
    assert!(described.private_ip_address().is_some());

    // Resize: stop, change the type, start.
    let stopped = ec2
        .stop_instances()
        .instance_ids(&instance_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stopped.stopping_instances()[0].instance_id(),
        Some(instance_id.as_str())
    );
    wait_for("instance stopped", WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&instance_id)
            .send()
            .await
            .unwrap();
        let state = out.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name())
            .cloned();
        (state == Some(InstanceStateName::Stopped)).then_some(())
    })
    .await;
    ec2.modify_instance_attribute()
        .instance_id(&instance_id)
        .instance_type(AttributeValue::builder().value("t3.small").build())
        .send()
        .await
        .unwrap();
    let started = ec2
        .start_instances()
        .instance_ids(&instance_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.starting_instances()[0].instance_id(),
        Some(instance_id.as_str())
    );
    let described = wait_for("instance running again", WAIT, running).await;
    assert_eq!(described.instance_type(), Some(&InstanceType::T3Small));

    // Tags on an existing resource.
    ec2.create_tags()
        .resources(&instance_id)
        .resources(&bastion_sg)
        .tags(
            Tag::builder()
                .key("cdcstack:address")
                .value("network.bastion")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let found = ec2
        .describe_instances()
        .filters(ec2_filter("tag:cdcstack:address", &["network.bastion"]))
        .send()
        .await
        .unwrap();
    assert_eq!(found.reservations().len(), 1);
    ec2.delete_tags()
        .resources(&instance_id)
        .tags(Tag::builder().key("cdcstack:address").build())
        .send()
        .await
        .unwrap();
    let found = ec2
        .describe_instances()
        .instance_ids(&instance_id)
        .send()
        .await
        .unwrap();
    assert!(
        !tag_map(found.reservations()[0].instances()[0].tags()).contains_key("cdcstack:address")
    );

    // Terminate; then the rules and groups go.
    let terminating = ec2
        .terminate_instances()
        .instance_ids(&instance_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        terminating.terminating_instances()[0].instance_id(),
        Some(instance_id.as_str())
    );
    wait_for("instance terminated", WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&instance_id)
            .send()
            .await
            .unwrap();
        let state = out.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name())
            .cloned();
        (state == Some(InstanceStateName::Terminated)).then_some(())
    })
    .await;
    // The aurora group's rule references the bastion group: it must go first.
    let err = ec2
        .delete_security_group()
        .group_id(&bastion_sg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "DependencyViolation");
    let revoked = ec2
        .revoke_security_group_ingress()
        .group_id(&aurora_sg)
        .ip_permissions(mysql_from_bastion)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.r#return(), Some(true));
    ec2.revoke_security_group_ingress()
        .group_id(&bastion_sg)
        .ip_permissions(ssh)
        .send()
        .await
        .unwrap();
    ec2.revoke_security_group_egress()
        .group_id(&bastion_sg)
        .ip_permissions(https_out)
        .send()
        .await
        .unwrap();
    let groups = ec2
        .describe_security_groups()
        .group_ids(&bastion_sg)
        .send()
        .await
        .unwrap();
    assert!(groups.security_groups()[0].ip_permissions().is_empty());
    assert!(
        groups.security_groups()[0]
            .ip_permissions_egress()
            .iter()
            .all(|p| p.from_port() != Some(443))
    );
    ec2.delete_security_group()
        .group_id(&bastion_sg)
        .send()
        .await
        .unwrap();
    ec2.delete_security_group()
        .group_id(&aurora_sg)
        .send()
        .await
        .unwrap();
    let err = ec2
        .describe_security_groups()
        .group_ids(&bastion_sg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "InvalidGroup.NotFound");
}

// ------------------------------------------------------------------ RDS, RDS Data

fn rds_tag(key: &str, value: &str) -> aws_sdk_rds::types::Tag {
    aws_sdk_rds::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}

fn rds_param(name: &str, value: &str) -> aws_sdk_rds::types::Parameter {
    aws_sdk_rds::types::Parameter::builder()
        .parameter_name(name)
        .parameter_value(value)
        .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
        .build()
}

async fn user_parameters(
    rds: &aws_sdk_rds::Client,
    group: &str,
) -> HashMap<String, (String, String)> {
    let out = rds
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name(group)
        .source("user")
        .send()
        .await
        .unwrap();
    out.parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_name().unwrap().to_string(),
                (
                    p.parameter_value().unwrap_or_default().to_string(),
                    p.apply_method()
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_default(),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn rds_parameter_and_subnet_groups() {
    let cfg = emulator().sdk_config().await;
    let rds = aws_sdk_rds::Client::new(&cfg);
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let net = network(&ec2).await;

    let group = unique("cdc-dev-aurora");
    let created = rds
        .create_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .db_parameter_group_family("aurora-mysql8.0")
        .description("binlog for CDC")
        .tags(rds_tag("cdcstack:stack", "cdc"))
        .send()
        .await
        .unwrap();
    let created = created.db_cluster_parameter_group().unwrap();
    assert_eq!(created.db_parameter_group_family(), Some("aurora-mysql8.0"));
    let group_arn = created
        .db_cluster_parameter_group_arn()
        .unwrap()
        .to_string();
    assert!(
        group_arn.starts_with(&format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster-pg:")),
        "{group_arn}"
    );
    let described = rds
        .describe_db_cluster_parameter_groups()
        .db_cluster_parameter_group_name(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.db_cluster_parameter_groups()[0].description(),
        Some("binlog for CDC")
    );

    let modified = rds
        .modify_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .parameters(rds_param("binlog_format", "ROW"))
        .parameters(rds_param("binlog_row_image", "FULL"))
        .parameters(rds_param("binlog_checksum", "NONE"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        modified.db_cluster_parameter_group_name(),
        Some(group.as_str())
    );
    let params = user_parameters(&rds, &group).await;
    assert_eq!(
        params["binlog_format"],
        ("ROW".into(), "pending-reboot".into())
    );
    assert_eq!(
        params["binlog_row_image"],
        ("FULL".into(), "pending-reboot".into())
    );
    assert_eq!(
        params["binlog_checksum"],
        ("NONE".into(), "pending-reboot".into())
    );

    let reset = rds
        .reset_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .reset_all_parameters(false)
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("binlog_checksum")
                .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        reset.db_cluster_parameter_group_name(),
        Some(group.as_str())
    );
    let params = user_parameters(&rds, &group).await;
    assert!(!params.contains_key("binlog_checksum"), "{params:?}");
    assert_eq!(params["binlog_format"].0, "ROW");

    let tags = rds
        .list_tags_for_resource()
        .resource_name(&group_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_list()[0].key(), Some("cdcstack:stack"));

    // DB subnet group on the database tier.
    let subnets = unique("cdc-dev-db");
    let created = rds
        .create_db_subnet_group()
        .db_subnet_group_name(&subnets)
        .db_subnet_group_description("database tier")
        .subnet_ids(&net.subnet_ids[0])
        .subnet_ids(&net.subnet_ids[1])
        .tags(rds_tag("cdcstack:stack", "cdc"))
        .send()
        .await
        .unwrap();
    let created = created.db_subnet_group().unwrap();
    assert_eq!(created.vpc_id(), Some(net.vpc_id.as_str()));
    assert_eq!(created.subnets().len(), 2);
    rds.modify_db_subnet_group()
        .db_subnet_group_name(&subnets)
        .db_subnet_group_description("database tier, 3 AZs")
        .set_subnet_ids(Some(net.subnet_ids.clone()))
        .send()
        .await
        .unwrap();
    let described = rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(&subnets)
        .send()
        .await
        .unwrap();
    let described = &described.db_subnet_groups()[0];
    assert_eq!(
        described.db_subnet_group_description(),
        Some("database tier, 3 AZs")
    );
    assert_eq!(described.subnet_group_status(), Some("Complete"));
    let mut ids: Vec<&str> = described
        .subnets()
        .iter()
        .map(|s| s.subnet_identifier().unwrap())
        .collect();
    ids.sort();
    let mut want: Vec<&str> = net.subnet_ids.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(ids, want);
    let azs: Vec<&str> = described
        .subnets()
        .iter()
        .map(|s| s.subnet_availability_zone().and_then(|a| a.name()).unwrap())
        .collect();
    assert_eq!(azs.len(), 3);

    rds.delete_db_subnet_group()
        .db_subnet_group_name(&subnets)
        .send()
        .await
        .unwrap();
    let err = rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(&subnets)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.into_service_error()
            .is_db_subnet_group_not_found_fault()
    );
    rds.delete_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .send()
        .await
        .unwrap();
    let err = rds
        .describe_db_cluster_parameter_groups()
        .db_cluster_parameter_group_name(&group)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.into_service_error()
            .is_db_parameter_group_not_found_fault()
    );
}

async fn cluster_of(rds: &aws_sdk_rds::Client, id: &str) -> aws_sdk_rds::types::DbCluster {
    rds.describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .clone()
}

async fn instance_of(rds: &aws_sdk_rds::Client, id: &str) -> aws_sdk_rds::types::DbInstance {
    rds.describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone()
}

async fn wait_cluster(
    rds: &aws_sdk_rds::Client,
    id: &str,
    status: &str,
) -> aws_sdk_rds::types::DbCluster {
    wait_for(&format!("cluster {id} {status}"), WAIT, || async {
        let c = cluster_of(rds, id).await;
        (c.status() == Some(status)).then_some(c)
    })
    .await
}

async fn wait_instance(
    rds: &aws_sdk_rds::Client,
    id: &str,
    status: &str,
) -> aws_sdk_rds::types::DbInstance {
    wait_for(&format!("instance {id} {status}"), WAIT, || async {
        let i = instance_of(rds, id).await;
        (i.db_instance_status() == Some(status)).then_some(i)
    })
    .await
}

/// Aurora MySQL: cluster with a managed master secret and the Data API,
/// its writer, parameter changes needing a reboot, tags, the Data API, deletion.
#[tokio::test]
async fn rds_aurora_cluster_lifecycle_and_data_api() {
    let emu = emulator();
    let cfg = emu.sdk_config().await;
    let rds = aws_sdk_rds::Client::new(&cfg);
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let net = network(&ec2).await;

    let group = unique("aurora-params");
    rds.create_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .db_parameter_group_family("aurora-mysql8.0")
        .description("cdc")
        .send()
        .await
        .unwrap();
    rds.modify_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .parameters(rds_param("binlog_format", "ROW"))
        .send()
        .await
        .unwrap();
    let subnets = unique("aurora-subnets");
    rds.create_db_subnet_group()
        .db_subnet_group_name(&subnets)
        .db_subnet_group_description("db")
        .set_subnet_ids(Some(net.subnet_ids.clone()))
        .send()
        .await
        .unwrap();

    let id = unique("cdc-dev-aurora");
    let created = rds
        .create_db_cluster()
        .db_cluster_identifier(&id)
        .engine("aurora-mysql")
        .engine_version("8.0.mysql_aurora.3.08.0")
        .database_name("app")
        .master_username("admin")
        .manage_master_user_password(true)
        .enable_http_endpoint(true)
        .db_cluster_parameter_group_name(&group)
        .db_subnet_group_name(&subnets)
        .vpc_security_group_ids(&net.sg_id)
        .storage_encrypted(true)
        .tags(rds_tag("cdcstack:stack", "cdc"))
        .tags(rds_tag("Name", &id))
        .send()
        .await
        .unwrap();
    let created = created.db_cluster().unwrap();
    assert_eq!(created.status(), Some("creating"));
    let cluster_arn = created.db_cluster_arn().unwrap().to_string();
    assert_eq!(
        cluster_arn,
        format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:cluster:{id}")
    );

    let cluster = wait_cluster(&rds, &id, "available").await;
    assert_eq!(cluster.engine(), Some("aurora-mysql"));
    assert_eq!(cluster.engine_version(), Some("8.0.mysql_aurora.3.08.0"));
    assert_eq!(cluster.database_name(), Some("app"));
    assert_eq!(cluster.master_username(), Some("admin"));
    assert_eq!(cluster.port(), Some(3306));
    assert_eq!(cluster.storage_encrypted(), Some(true));
    assert_eq!(cluster.http_endpoint_enabled(), Some(true));
    assert_eq!(cluster.db_cluster_parameter_group(), Some(group.as_str()));
    assert_eq!(cluster.db_subnet_group(), Some(subnets.as_str()));
    assert_eq!(
        cluster.vpc_security_groups()[0].vpc_security_group_id(),
        Some(net.sg_id.as_str())
    );
    let endpoint = cluster.endpoint().unwrap();
    let reader = cluster.reader_endpoint().unwrap();
    assert!(
        endpoint.starts_with(&format!("{id}.cluster-")) && endpoint.ends_with(".rds.amazonaws.com"),
        "{endpoint}"
    );
    assert!(reader.starts_with(&format!("{id}.cluster-ro-")), "{reader}");
    let tags: HashMap<&str, &str> = cluster
        .tag_list()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(tags["cdcstack:stack"], "cdc");
    let secret_arn = cluster
        .master_user_secret()
        .and_then(|s| s.secret_arn())
        .unwrap()
        .to_string();
    assert!(
        secret_arn.starts_with(&format!(
            "arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:rds!cluster-"
        )),
        "{secret_arn}"
    );
    let secret = aws_sdk_secretsmanager::Client::new(&cfg)
        .get_secret_value()
        .secret_id(&secret_arn)
        .send()
        .await
        .unwrap();
    let secret: serde_json::Value = serde_json::from_str(secret.secret_string().unwrap()).unwrap();
    assert_eq!(secret["username"], "admin");
    assert!(secret["password"].as_str().unwrap().len() >= 16);

    // The writer.
    let writer = format!("{id}-1");
    let created = rds
        .create_db_instance()
        .db_instance_identifier(&writer)
        .db_cluster_identifier(&id)
        .engine("aurora-mysql")
        .db_instance_class("db.r6g.large")
        .tags(rds_tag("cdcstack:stack", "cdc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.db_instance().unwrap().db_instance_status(),
        Some("creating")
    );
    wait_instance(&rds, &writer, "available").await;
    let in_cluster = rds
        .describe_db_instances()
        .filters(
            aws_sdk_rds::types::Filter::builder()
                .name("db-cluster-id")
                .values(&id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(in_cluster.db_instances().len(), 1);
    let instance = &in_cluster.db_instances()[0];
    assert_eq!(instance.db_instance_identifier(), Some(writer.as_str()));
    assert_eq!(instance.db_cluster_identifier(), Some(id.as_str()));
    assert_eq!(instance.db_instance_class(), Some("db.r6g.large"));
    let members = cluster_of(&rds, &id).await;
    let member = &members.db_cluster_members()[0];
    assert_eq!(member.db_instance_identifier(), Some(writer.as_str()));
    assert_eq!(member.is_cluster_writer(), Some(true));
    assert_eq!(member.db_cluster_parameter_group_status(), Some("in-sync"));

    // A parameter change that needs a reboot, then the reboot.
    rds.modify_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .parameters(rds_param("binlog_row_image", "FULL"))
        .send()
        .await
        .unwrap();
    let status = cluster_of(&rds, &id).await.db_cluster_members()[0]
        .db_cluster_parameter_group_status()
        .map(str::to_string);
    assert_eq!(status.as_deref(), Some("pending-reboot"));
    let rebooting = rds
        .reboot_db_instance()
        .db_instance_identifier(&writer)
        .send()
        .await
        .unwrap();
    let rebooting_status = rebooting
        .db_instance()
        .unwrap()
        .db_instance_status()
        .unwrap()
        .to_string();
    assert!(
        ["rebooting", "available"].contains(&rebooting_status.as_str()),
        "{rebooting_status}"
    );
    wait_for("parameter group in-sync after the reboot", WAIT, || async {
        let c = cluster_of(&rds, &id).await;
        (c.db_cluster_members()[0].db_cluster_parameter_group_status() == Some("in-sync"))
            .then_some(())
    })
    .await;
    wait_instance(&rds, &writer, "available").await;

    // Modify the cluster and the instance.
    let modified = rds
        .modify_db_cluster()
        .db_cluster_identifier(&id)
        .backup_retention_period(7)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        modified.db_cluster().unwrap().db_cluster_identifier(),
        Some(id.as_str())
    );
    let cluster = wait_cluster(&rds, &id, "available").await;
    assert_eq!(cluster.backup_retention_period(), Some(7));
    rds.modify_db_instance()
        .db_instance_identifier(&writer)
        .db_instance_class("db.r6g.xlarge")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let instance = wait_for("instance resized", WAIT, || async {
        let i = instance_of(&rds, &writer).await;
        (i.db_instance_status() == Some("available")
            && i.db_instance_class() == Some("db.r6g.xlarge"))
        .then_some(i)
    })
    .await;
    assert_eq!(instance.db_instance_class(), Some("db.r6g.xlarge"));

    // Tags.
    rds.add_tags_to_resource()
        .resource_name(&cluster_arn)
        .tags(rds_tag("Owners", "data-platform"))
        .send()
        .await
        .unwrap();
    rds.remove_tags_from_resource()
        .resource_name(&cluster_arn)
        .tag_keys("Name")
        .send()
        .await
        .unwrap();
    let tags = rds
        .list_tags_for_resource()
        .resource_name(&cluster_arn)
        .send()
        .await
        .unwrap();
    let tags: HashMap<&str, &str> = tags
        .tag_list()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(
        tags,
        HashMap::from([("cdcstack:stack", "cdc"), ("Owners", "data-platform")])
    );

    // The Data API (the CDC user is created through it).
    let sql = format!(
        "CREATE USER IF NOT EXISTS 'debezium_{}'@'%' IDENTIFIED BY 'x'",
        id.replace('-', "_")
    );
    let out = aws_sdk_rdsdata::Client::new(&cfg)
        .execute_statement()
        .resource_arn(&cluster_arn)
        .secret_arn(&secret_arn)
        .database("app")
        .sql(&sql)
        .send()
        .await
        .unwrap();
    assert_eq!(out.number_of_records_updated(), 0);
    let recorded = emu.control("GET", "rds-data/statements", None);
    let ours: Vec<_> = recorded
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["sql"] == sql)
        .collect();
    assert_eq!(ours.len(), 1, "{recorded}");
    assert_eq!(ours[0]["resourceArn"], cluster_arn);
    assert_eq!(ours[0]["secretArn"], secret_arn);

    // Deletion: the instance first (the cluster refuses while it lives), then the cluster.
    let err = rds
        .delete_db_cluster()
        .db_cluster_identifier(&id)
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_db_cluster_state_fault());
    let deleting = rds
        .delete_db_instance()
        .db_instance_identifier(&writer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleting.db_instance().unwrap().db_instance_status(),
        Some("deleting")
    );
    let deleting = rds
        .delete_db_cluster()
        .db_cluster_identifier(&id)
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    assert_eq!(deleting.db_cluster().unwrap().status(), Some("deleting"));
    wait_for("cluster gone", WAIT, || async {
        match rds
            .describe_db_clusters()
            .db_cluster_identifier(&id)
            .send()
            .await
        {
            Ok(_) => None,
            Err(e) => {
                assert!(e.into_service_error().is_db_cluster_not_found_fault());
                Some(())
            }
        }
    })
    .await;
    let err = rds
        .describe_db_instances()
        .db_instance_identifier(&writer)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_db_instance_not_found_fault());
    rds.delete_db_subnet_group()
        .db_subnet_group_name(&subnets)
        .send()
        .await
        .unwrap();
    rds.delete_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(&group)
        .send()
        .await
        .unwrap();
}

// ------------------------------------------------------------------ Secrets Manager

#[tokio::test]
async fn secrets_manager_lifecycle() {
    use aws_sdk_secretsmanager::types::Tag;
    let cfg = emulator().sdk_config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&cfg);
    let name = unique("cdc-dev-aurora-cdc-user");

    let created = sm
        .create_secret()
        .name(&name)
        .description("CDC user")
        .secret_string(r#"{"username":"debezium","password":"p1"}"#)
        .tags(Tag::builder().key("cdcstack:stack").value("cdc").build())
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_string();
    assert!(
        arn.starts_with(&format!(
            "arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}-"
        )),
        "{arn}"
    );
    assert_eq!(created.name(), Some(name.as_str()));
    let first_version = created.version_id().unwrap().to_string();

    let described = sm.describe_secret().secret_id(&name).send().await.unwrap();
    assert_eq!(described.arn(), Some(arn.as_str()));
    assert_eq!(described.description(), Some("CDC user"));
    assert_eq!(described.tags()[0].key(), Some("cdcstack:stack"));
    assert!(described.deleted_date().is_none());

    let value = sm.get_secret_value().secret_id(&arn).send().await.unwrap();
    assert_eq!(
        value.secret_string(),
        Some(r#"{"username":"debezium","password":"p1"}"#)
    );
    assert_eq!(value.version_id(), Some(first_version.as_str()));
    assert!(value.version_stages().iter().any(|s| s == "AWSCURRENT"));

    let put = sm
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(r#"{"username":"debezium","password":"p2"}"#)
        .send()
        .await
        .unwrap();
    let second_version = put.version_id().unwrap().to_string();
    assert_ne!(second_version, first_version);
    let value = sm.get_secret_value().secret_id(&name).send().await.unwrap();
    assert_eq!(
        value.secret_string(),
        Some(r#"{"username":"debezium","password":"p2"}"#)
    );
    assert_eq!(value.version_id(), Some(second_version.as_str()));

    let updated = sm
        .update_secret()
        .secret_id(&arn)
        .description("CDC user (debezium)")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.arn(), Some(arn.as_str()));
    sm.tag_resource()
        .secret_id(&arn)
        .tags(Tag::builder().key("Owners").value("data-platform").build())
        .send()
        .await
        .unwrap();
    sm.untag_resource()
        .secret_id(&arn)
        .tag_keys("cdcstack:stack")
        .send()
        .await
        .unwrap();
    let described = sm.describe_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(described.description(), Some("CDC user (debezium)"));
    let tags: Vec<(&str, &str)> = described
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(tags, vec![("Owners", "data-platform")]);

    // Deleted with a recovery window: restorable.
    let deleted = sm
        .delete_secret()
        .secret_id(&arn)
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert!(deleted.deletion_date().is_some());
    let described = sm.describe_secret().secret_id(&arn).send().await.unwrap();
    assert!(described.deleted_date().is_some());
    let err = sm
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "InvalidRequestException");
    let restored = sm.restore_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(restored.arn(), Some(arn.as_str()));
    let value = sm.get_secret_value().secret_id(&arn).send().await.unwrap();
    assert_eq!(value.version_id(), Some(second_version.as_str()));

    // Forced: gone at once, the name reusable.
    sm.delete_secret()
        .secret_id(&arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let err = sm
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
    sm.create_secret()
        .name(&name)
        .secret_string("{}")
        .send()
        .await
        .unwrap();
    sm.delete_secret()
        .secret_id(&name)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
}

// ------------------------------------------------------------------ CloudWatch Logs

#[tokio::test]
async fn cloudwatch_logs_log_group() {
    let cfg = emulator().sdk_config().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let name = format!("/aws/mskconnect/{}", unique("cdc-dev-connector"));
    logs.create_log_group()
        .log_group_name(&name)
        .tags("cdcstack:stack", "cdc")
        .tags("Name", "x")
        .send()
        .await
        .unwrap();
    let err = logs
        .create_log_group()
        .log_group_name(&name)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.into_service_error()
            .is_resource_already_exists_exception()
    );

    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
    let group = &groups.log_groups()[0];
    assert_eq!(group.log_group_name(), Some(name.as_str()));
    let arn = group.arn().unwrap().to_string();
    assert_eq!(
        arn,
        format!("arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*")
    );
    let group_arn = group.log_group_arn().unwrap().to_string();
    assert_eq!(
        group_arn,
        format!("arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}")
    );
    assert_eq!(group.retention_in_days(), None);

    logs.put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(14)
        .send()
        .await
        .unwrap();
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(14));

    let tags = logs
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags()
            .unwrap()
            .get("cdcstack:stack")
            .map(String::as_str),
        Some("cdc")
    );
    logs.tag_resource()
        .resource_arn(&group_arn)
        .tags("Owners", "data-platform")
        .send()
        .await
        .unwrap();
    logs.untag_resource()
        .resource_arn(&group_arn)
        .tag_keys("Name")
        .send()
        .await
        .unwrap();
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .unwrap();
    let tags: HashMap<&str, &str> = tags
        .tags()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tags,
        HashMap::from([("cdcstack:stack", "cdc"), ("Owners", "data-platform")])
    );

    logs.delete_log_group()
        .log_group_name(&name)
        .send()
        .await
        .unwrap();
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty());
    let err = logs
        .delete_log_group()
        .log_group_name(&name)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
}

// ------------------------------------------------------------------ IAM

/// Percent-decoding of IAM's policy documents (RFC 3986; `+` is kept).
fn url_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn iam_role_lifecycle() {
    use aws_sdk_iam::types::Tag;
    let cfg = emulator().sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let role = unique("cdc-dev-connector");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "kafkaconnect.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });

    let created = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust.to_string())
        .description("MSK Connect execution role")
        .tags(
            Tag::builder()
                .key("cdcstack:stack")
                .value("cdc")
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("Name").value(&role).build().unwrap())
        .send()
        .await
        .unwrap();
    let created = created.role().unwrap();
    assert_eq!(
        created.arn(),
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{role}")
    );
    assert!(
        created.role_id().starts_with("AROA"),
        "{}",
        created.role_id()
    );

    // GetRole: the trust policy comes URL-encoded, as in AWS.
    let got = iam.get_role().role_name(&role).send().await.unwrap();
    let got = got.role().unwrap();
    assert_eq!(got.description(), Some("MSK Connect execution role"));
    let document = got.assume_role_policy_document().unwrap();
    assert!(document.starts_with("%7B"), "not URL-encoded: {document}");
    let decoded: serde_json::Value = serde_json::from_str(&url_decode(document)).unwrap();
    assert_eq!(decoded, trust);
    let tags: HashMap<&str, &str> = got.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags["cdcstack:stack"], "cdc");

    let mut new_trust = trust.clone();
    new_trust["Statement"][0]["Principal"]["Service"] = json!("redshift.amazonaws.com");
    iam.update_assume_role_policy()
        .role_name(&role)
        .policy_document(new_trust.to_string())
        .send()
        .await
        .unwrap();
    iam.update_role()
        .role_name(&role)
        .description("updated")
        .send()
        .await
        .unwrap();
    iam.tag_role()
        .role_name(&role)
        .tags(
            Tag::builder()
                .key("Owners")
                .value("data-platform")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    iam.untag_role()
        .role_name(&role)
        .tag_keys("Name")
        .send()
        .await
        .unwrap();
    let got = iam.get_role().role_name(&role).send().await.unwrap();
    let got = got.role().unwrap();
    assert_eq!(got.description(), Some("updated"));
    let decoded: serde_json::Value =
        serde_json::from_str(&url_decode(got.assume_role_policy_document().unwrap())).unwrap();
    assert_eq!(decoded, new_trust);
    let mut tags: Vec<(&str, &str)> = got.tags().iter().map(|t| (t.key(), t.value())).collect();
    tags.sort();
    assert_eq!(
        tags,
        vec![("Owners", "data-platform"), ("cdcstack:stack", "cdc")]
    );

    // Inline policy.
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], "Resource": "*"}]
    });
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("msk")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let got = iam
        .get_role_policy()
        .role_name(&role)
        .policy_name("msk")
        .send()
        .await
        .unwrap();
    assert_eq!((got.role_name(), got.policy_name()), (role.as_str(), "msk"));
    let decoded: serde_json::Value =
        serde_json::from_str(&url_decode(got.policy_document())).unwrap();
    assert_eq!(decoded, policy);
    let listed = iam
        .list_role_policies()
        .role_name(&role)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.policy_names(), ["msk".to_string()]);
    assert!(
        iam.list_attached_role_policies()
            .role_name(&role)
            .send()
            .await
            .unwrap()
            .attached_policies()
            .is_empty()
    );
    assert!(
        iam.list_instance_profiles_for_role()
            .role_name(&role)
            .send()
            .await
            .unwrap()
            .instance_profiles()
            .is_empty()
    );

    // A role with a policy cannot be deleted.
    let err = iam.delete_role().role_name(&role).send().await.unwrap_err();
    assert!(err.into_service_error().is_delete_conflict_exception());
    iam.delete_role_policy()
        .role_name(&role)
        .policy_name("msk")
        .send()
        .await
        .unwrap();
    assert!(
        iam.list_role_policies()
            .role_name(&role)
            .send()
            .await
            .unwrap()
            .policy_names()
            .is_empty()
    );
    iam.delete_role().role_name(&role).send().await.unwrap();
    let err = iam.get_role().role_name(&role).send().await.unwrap_err();
    assert!(err.into_service_error().is_no_such_entity_exception());
}

// ------------------------------------------------------------------ MSK (kafka)

fn server_properties(text: &str) -> aws_sdk_kafka::primitives::Blob {
    aws_sdk_kafka::primitives::Blob::new(text.as_bytes().to_vec())
}

#[tokio::test]
async fn msk_configuration_lifecycle() {
    use aws_sdk_kafka::types::ConfigurationState;
    let cfg = emulator().sdk_config().await;
    let kafka = aws_sdk_kafka::Client::new(&cfg);
    let name = unique("cdc-dev-msk-config");
    let created = kafka
        .create_configuration()
        .name(&name)
        .description("cdc")
        .kafka_versions("3.9.x")
        .server_properties(server_properties("auto.create.topics.enable=true\n"))
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_string();
    assert!(
        arn.starts_with(&format!(
            "arn:aws:kafka:{REGION}:{ACCOUNT_ID}:configuration/{name}/"
        )),
        "{arn}"
    );
    assert_eq!(
        created.latest_revision().and_then(|r| r.revision()),
        Some(1)
    );
    assert_eq!(created.state(), Some(&ConfigurationState::Active));
    assert!(created.creation_time().is_some());

    let listed = kafka.list_configurations().send().await.unwrap();
    let ours = listed
        .configurations()
        .iter()
        .find(|c| c.arn() == Some(arn.as_str()))
        .expect("listed");
    assert_eq!(ours.name(), Some(name.as_str()));
    assert_eq!(ours.kafka_versions(), ["3.9.x".to_string()]);

    let updated = kafka
        .update_configuration()
        .arn(&arn)
        .description("second")
        .server_properties(server_properties(
            "auto.create.topics.enable=false\nlog.retention.hours=48\n",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.latest_revision().and_then(|r| r.revision()),
        Some(2)
    );
    let described = kafka
        .describe_configuration()
        .arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name(), Some(name.as_str()));
    assert_eq!(described.description(), Some("cdc"));
    assert_eq!(
        described.latest_revision().and_then(|r| r.revision()),
        Some(2)
    );
    assert_eq!(
        described.latest_revision().and_then(|r| r.description()),
        Some("second")
    );
    let first = kafka
        .describe_configuration_revision()
        .arn(&arn)
        .revision(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.server_properties().map(|b| b.as_ref()),
        Some(&b"auto.create.topics.enable=true\n"[..])
    );
    let second = kafka
        .describe_configuration_revision()
        .arn(&arn)
        .revision(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.server_properties().map(|b| b.as_ref()),
        Some(&b"auto.create.topics.enable=false\nlog.retention.hours=48\n"[..])
    );

    let deleted = kafka.delete_configuration().arn(&arn).send().await.unwrap();
    assert_eq!(deleted.state(), Some(&ConfigurationState::Deleting));
    wait_for("configuration gone", WAIT, || async {
        match kafka.describe_configuration().arn(&arn).send().await {
            Ok(_) => None,
            Err(e) => {
                assert!(e.into_service_error().is_not_found_exception());
                Some(())
            }
        }
    })
    .await;
}

/// The cluster: provisioned, IAM auth and TLS; every update cdcstack makes
/// (each against CurrentVersion), tags, bootstrap brokers, deletion.
#[tokio::test]
async fn msk_cluster_lifecycle() {
    use aws_sdk_kafka::types::{
        BrokerEbsVolumeInfo, BrokerNodeGroupInfo, ClientAuthentication, ClientBroker, ClusterState,
        ConfigurationInfo, EbsStorageInfo, EncryptionInTransit, EncryptionInfo, Iam,
        ProvisionedRequest, Sasl, StorageInfo,
    };
    let emu = emulator();
    let cfg = emu.sdk_config().await;
    let kafka = aws_sdk_kafka::Client::new(&cfg);
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let net = network(&ec2).await;

    let config = kafka
        .create_configuration()
        .name(unique("msk-config"))
        .kafka_versions("3.8.x")
        .kafka_versions("3.9.x")
        .server_properties(server_properties("auto.create.topics.enable=true\n"))
        .send()
        .await
        .unwrap();
    let config_arn = config.arn().unwrap().to_string();

    let name = unique("cdc-dev-msk");
    let started = Instant::now();
    let created = kafka
        .create_cluster_v2()
        .cluster_name(&name)
        .tags("cdcstack:stack", "cdc")
        .tags("Name", &name)
        .provisioned(
            ProvisionedRequest::builder()
                .kafka_version("3.8.x")
                .number_of_broker_nodes(3)
                .broker_node_group_info(
                    BrokerNodeGroupInfo::builder()
                        .instance_type("kafka.m5.large")
                        .set_client_subnets(Some(net.subnet_ids.clone()))
                        .security_groups(&net.sg_id)
                        .storage_info(
                            StorageInfo::builder()
                                .ebs_storage_info(
                                    EbsStorageInfo::builder().volume_size(100).build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .configuration_info(
                    ConfigurationInfo::builder()
                        .arn(&config_arn)
                        .revision(1)
                        .build(),
                )
                .client_authentication(
                    ClientAuthentication::builder()
                        .sasl(
                            Sasl::builder()
                                .iam(Iam::builder().enabled(true).build())
                                .build(),
                        )
                        .build(),
                )
                .encryption_info(
                    EncryptionInfo::builder()
                        .encryption_in_transit(
                            EncryptionInTransit::builder()
                                .client_broker(ClientBroker::Tls)
                                .in_cluster(true)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = created.cluster_arn().unwrap().to_string();
    assert_eq!(created.cluster_name(), Some(name.as_str()));
    assert_eq!(created.state(), Some(&ClusterState::Creating));
    assert!(
        arn.starts_with(&format!(
            "arn:aws:kafka:{REGION}:{ACCOUNT_ID}:cluster/{name}/"
        )),
        "{arn}"
    );

    // No brokers until ACTIVE; the create takes its (scaled) 30 minutes.
    if scaled(1800.0) > 0.2 {
        let described = kafka
            .describe_cluster_v2()
            .cluster_arn(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(
            described.cluster_info().unwrap().state(),
            Some(&ClusterState::Creating)
        );
        let brokers = kafka
            .get_bootstrap_brokers()
            .cluster_arn(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(brokers.bootstrap_broker_string_sasl_iam(), None);
    }
    let cluster = wait_for("cluster ACTIVE", WAIT, || async {
        let out = kafka
            .describe_cluster_v2()
            .cluster_arn(&arn)
            .send()
            .await
            .unwrap();
        let info = out.cluster_info().unwrap().clone();
        (info.state() == Some(&ClusterState::Active)).then_some(info)
    })
    .await;
    let expected = scaled(1800.0);
    assert!(
        started.elapsed().as_secs_f64() >= expected * 0.95,
        "ACTIVE after {:?}, expected >= {expected:.2}s",
        started.elapsed()
    );

    let provisioned = cluster.provisioned().unwrap();
    assert_eq!(provisioned.number_of_broker_nodes(), Some(3));
    let nodes = provisioned.broker_node_group_info().unwrap();
    assert_eq!(nodes.instance_type(), Some("kafka.m5.large"));
    assert_eq!(nodes.client_subnets().len(), 3);
    assert_eq!(nodes.security_groups(), std::slice::from_ref(&net.sg_id));
    assert_eq!(
        nodes
            .storage_info()
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size()),
        Some(100)
    );
    assert_eq!(
        provisioned
            .client_authentication()
            .and_then(|a| a.sasl())
            .and_then(|s| s.iam())
            .and_then(|i| i.enabled()),
        Some(true)
    );
    let transit = provisioned
        .encryption_info()
        .and_then(|e| e.encryption_in_transit())
        .unwrap();
    assert_eq!(
        (transit.client_broker(), transit.in_cluster()),
        (Some(&ClientBroker::Tls), Some(true))
    );
    let software = provisioned.current_broker_software_info().unwrap();
    assert_eq!(software.kafka_version(), Some("3.8.x"));
    assert_eq!(software.configuration_arn(), Some(config_arn.as_str()));
    assert_eq!(software.configuration_revision(), Some(1));
    assert_eq!(cluster.tags().unwrap()["cdcstack:stack"], "cdc");

    let listed = kafka
        .list_clusters_v2()
        .cluster_name_filter(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.cluster_info_list().len(), 1);
    let listed = &listed.cluster_info_list()[0];
    assert_eq!(listed.cluster_arn(), Some(arn.as_str()));
    assert_eq!(listed.tags().unwrap()["Name"], name);
    assert_eq!(
        listed
            .provisioned()
            .and_then(|p| p.number_of_broker_nodes()),
        Some(3)
    );

    let brokers = kafka
        .get_bootstrap_brokers()
        .cluster_arn(&arn)
        .send()
        .await
        .unwrap();
    let iam = brokers.bootstrap_broker_string_sasl_iam().unwrap();
    let hosts: Vec<&str> = iam.split(',').collect();
    assert_eq!(hosts.len(), 3, "{iam}");
    assert!(
        hosts
            .iter()
            .all(|h| h.ends_with(":9098") && h.contains(&format!(".kafka.{REGION}.amazonaws.com"))),
        "{iam}"
    );
    assert_eq!(brokers.bootstrap_broker_string(), None);

    // Updates, each against the current version; a stale version is refused.
    let current = |c: &aws_sdk_kafka::types::Cluster| c.current_version().unwrap().to_string();
    let wait_active = || async {
        wait_for("cluster ACTIVE after an update", WAIT, || async {
            let out = kafka
                .describe_cluster_v2()
                .cluster_arn(&arn)
                .send()
                .await
                .unwrap();
            let info = out.cluster_info().unwrap().clone();
            (info.state() == Some(&ClusterState::Active)).then_some(info)
        })
        .await
    };
    let v1 = current(&cluster);
    let out = kafka
        .update_broker_count()
        .cluster_arn(&arn)
        .current_version(&v1)
        .target_number_of_broker_nodes(6)
        .send()
        .await
        .unwrap();
    assert!(out.cluster_operation_arn().is_some());
    let updating = kafka
        .describe_cluster_v2()
        .cluster_arn(&arn)
        .send()
        .await
        .unwrap();
    if emu.time_scale > 0.0 {
        assert_eq!(
            updating.cluster_info().unwrap().state(),
            Some(&ClusterState::Updating)
        );
    }
    let cluster = wait_active().await;
    assert_eq!(
        cluster
            .provisioned()
            .and_then(|p| p.number_of_broker_nodes()),
        Some(6)
    );
    let err = kafka
        .update_broker_type()
        .cluster_arn(&arn)
        .current_version(&v1)
        .target_instance_type("kafka.m5.xlarge")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("BadRequestException".to_string(), 400));

    let v2 = current(&cluster);
    assert_ne!(v1, v2);
    kafka
        .update_broker_type()
        .cluster_arn(&arn)
        .current_version(&v2)
        .target_instance_type("kafka.m5.xlarge")
        .send()
        .await
        .unwrap();
    let cluster = wait_active().await;
    let nodes = cluster
        .provisioned()
        .unwrap()
        .broker_node_group_info()
        .unwrap();
    assert_eq!(nodes.instance_type(), Some("kafka.m5.xlarge"));

    kafka
        .update_broker_storage()
        .cluster_arn(&arn)
        .current_version(current(&cluster))
        .target_broker_ebs_volume_info(
            BrokerEbsVolumeInfo::builder()
                .kafka_broker_node_id("All")
                .volume_size_gb(200)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let cluster = wait_active().await;
    let storage = cluster
        .provisioned()
        .unwrap()
        .broker_node_group_info()
        .unwrap()
        .storage_info()
        .unwrap();
    assert_eq!(
        storage.ebs_storage_info().and_then(|e| e.volume_size()),
        Some(200)
    );

    kafka
        .update_configuration()
        .arn(&config_arn)
        .server_properties(server_properties("auto.create.topics.enable=false\n"))
        .send()
        .await
        .unwrap();
    kafka
        .update_cluster_configuration()
        .cluster_arn(&arn)
        .current_version(current(&cluster))
        .configuration_info(
            ConfigurationInfo::builder()
                .arn(&config_arn)
                .revision(2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let cluster = wait_active().await;
    let software = cluster
        .provisioned()
        .unwrap()
        .current_broker_software_info()
        .unwrap();
    assert_eq!(software.configuration_revision(), Some(2));

    kafka
        .update_cluster_kafka_version()
        .cluster_arn(&arn)
        .current_version(current(&cluster))
        .target_kafka_version("3.9.x")
        .send()
        .await
        .unwrap();
    let cluster = wait_active().await;
    let software = cluster
        .provisioned()
        .unwrap()
        .current_broker_software_info()
        .unwrap();
    assert_eq!(software.kafka_version(), Some("3.9.x"));

    // Tags.
    kafka
        .tag_resource()
        .resource_arn(&arn)
        .tags("Owners", "data-platform")
        .send()
        .await
        .unwrap();
    kafka
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("Name")
        .send()
        .await
        .unwrap();
    let tags = kafka
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let tags: HashMap<&str, &str> = tags
        .tags()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tags,
        HashMap::from([("cdcstack:stack", "cdc"), ("Owners", "data-platform")])
    );

    // The configuration is in use: it cannot go before the cluster.
    let err = kafka
        .delete_configuration()
        .arn(&config_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "BadRequestException");

    let deleted = kafka
        .delete_cluster()
        .cluster_arn(&arn)
        .current_version(current(&cluster))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.state(), Some(&ClusterState::Deleting));
    wait_for("cluster gone", WAIT, || async {
        match kafka.describe_cluster_v2().cluster_arn(&arn).send().await {
            Ok(out) => {
                assert_eq!(
                    out.cluster_info().unwrap().state(),
                    Some(&ClusterState::Deleting)
                );
                None
            }
            Err(e) => {
                assert_eq!(code_status(&e), ("NotFoundException".to_string(), 404));
                assert!(e.into_service_error().is_not_found_exception());
                Some(())
            }
        }
    })
    .await;
    let err = kafka
        .get_bootstrap_brokers()
        .cluster_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err), ("NotFoundException".to_string(), 404)); // not in this operation's model
    assert!(
        kafka
            .list_clusters_v2()
            .cluster_name_filter(&name)
            .send()
            .await
            .unwrap()
            .cluster_info_list()
            .is_empty()
    );
    kafka
        .delete_configuration()
        .arn(&config_arn)
        .send()
        .await
        .unwrap();
}

// ------------------------------------------------------------------ MSK Connect (kafkaconnect)

fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Custom plugin, worker configuration and connector: states, lists, updates, tags, deletion.
#[tokio::test]
async fn kafkaconnect_plugin_worker_configuration_and_connector() {
    use aws_sdk_kafkaconnect::types::{
        ApacheKafkaCluster, Capacity, CapacityUpdate, CloudWatchLogsLogDelivery, ConnectorState,
        CustomPlugin, CustomPluginContentType, CustomPluginLocation, CustomPluginState,
        KafkaCluster, KafkaClusterClientAuthentication, KafkaClusterClientAuthenticationType,
        KafkaClusterEncryptionInTransit, KafkaClusterEncryptionInTransitType, LogDelivery, Plugin,
        ProvisionedCapacity, ProvisionedCapacityUpdate, S3Location, Vpc, WorkerConfiguration,
        WorkerLogDelivery,
    };
    let emu = emulator();
    let cfg = emu.sdk_config().await;
    let kc = aws_sdk_kafkaconnect::Client::new(&cfg);
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let s3 = common::s3(&cfg);
    let net = network(&ec2).await;

    // The plugin zip in the artifact bucket.
    let bucket = unique("cdc-dev-artifacts");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let zip = b"PK\x03\x04 not really a zip".to_vec();
    let key = "plugins/debezium-connector-mysql.zip";
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(ByteStream::from(zip.clone()))
        .send()
        .await
        .unwrap();

    // Custom plugin: CREATING, then ACTIVE with the file's size.
    let plugin_name = unique("cdc-dev-debezium");
    let created = kc
        .create_custom_plugin()
        .name(&plugin_name)
        .description("Debezium MySQL")
        .content_type(CustomPluginContentType::Zip)
        .location(
            CustomPluginLocation::builder()
                .s3_location(
                    S3Location::builder()
                        .bucket_arn(format!("arn:aws:s3:::{bucket}"))
                        .file_key(key)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .tags("cdcstack:stack", "cdc")
        .send()
        .await
        .unwrap();
    let plugin_arn = created.custom_plugin_arn().unwrap().to_string();
    assert!(
        plugin_arn.starts_with(&format!(
            "arn:aws:kafkaconnect:{REGION}:{ACCOUNT_ID}:custom-plugin/{plugin_name}/"
        )),
        "{plugin_arn}"
    );
    assert_eq!(
        created.custom_plugin_state(),
        Some(&CustomPluginState::Creating)
    );
    assert_eq!(created.revision(), 1);
    let plugin = wait_for("plugin ACTIVE", WAIT, || async {
        let out = kc
            .describe_custom_plugin()
            .custom_plugin_arn(&plugin_arn)
            .send()
            .await
            .unwrap();
        (out.custom_plugin_state() == Some(&CustomPluginState::Active)).then_some(out)
    })
    .await;
    assert_eq!(plugin.name(), Some(plugin_name.as_str()));
    let revision = plugin.latest_revision().unwrap();
    assert_eq!(revision.revision(), 1);
    assert_eq!(revision.content_type(), Some(&CustomPluginContentType::Zip));
    assert_eq!(
        revision.file_description().map(|f| f.file_size()),
        Some(zip.len() as i64)
    );
    let location = revision.location().and_then(|l| l.s3_location()).unwrap();
    assert_eq!(location.file_key(), Some(key));
    let listed = kc
        .list_custom_plugins()
        .name_prefix(&plugin_name)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.custom_plugins().len(), 1);
    assert_eq!(
        listed.custom_plugins()[0].custom_plugin_arn(),
        Some(plugin_arn.as_str())
    );
    assert_eq!(
        listed.custom_plugins()[0].custom_plugin_state(),
        Some(&CustomPluginState::Active)
    );

    // Worker configuration.
    let worker_name = unique("cdc-dev-worker");
    let properties = "key.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n";
    let created = kc
        .create_worker_configuration()
        .name(&worker_name)
        .properties_file_content(base64(properties.as_bytes()))
        .send()
        .await
        .unwrap();
    let worker_arn = created.worker_configuration_arn().unwrap().to_string();
    assert_eq!(created.latest_revision().map(|r| r.revision()), Some(1));
    let listed = kc
        .list_worker_configurations()
        .name_prefix(&worker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.worker_configurations().len(), 1);
    assert_eq!(
        listed.worker_configurations()[0].worker_configuration_arn(),
        Some(worker_arn.as_str())
    );
    let described = kc
        .describe_worker_configuration()
        .worker_configuration_arn(&worker_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name(), Some(worker_name.as_str()));
    let content = described
        .latest_revision()
        .and_then(|r| r.properties_file_content())
        .unwrap()
        .to_string();
    assert_eq!(content, base64(properties.as_bytes()));

    // What the connector needs: an execution role and a log group.
    let role = unique("cdc-dev-connector-role");
    let role_arn = aws_sdk_iam::Client::new(&cfg)
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "kafkaconnect.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    let log_group = format!("/aws/mskconnect/{}", unique("cdc-dev"));
    aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .create_log_group()
        .log_group_name(&log_group)
        .send()
        .await
        .unwrap();

    let connector_name = unique("cdc-dev-connector");
    let bootstrap = format!(
        "b-1.cdc.abc123.c2.kafka.{REGION}.amazonaws.com:9098,b-2.cdc.abc123.c2.kafka.{REGION}.amazonaws.com:9098"
    );
    let started = Instant::now();
    let created = kc
        .create_connector()
        .connector_name(&connector_name)
        .connector_description("Debezium MySQL")
        .kafka_connect_version("2.7.1")
        .capacity(
            Capacity::builder()
                .provisioned_capacity(
                    ProvisionedCapacity::builder()
                        .mcu_count(1)
                        .worker_count(1)
                        .build(),
                )
                .build(),
        )
        .connector_configuration(
            "connector.class",
            "io.debezium.connector.mysql.MySqlConnector",
        )
        .connector_configuration("tasks.max", "1")
        .connector_configuration("topic.prefix", "app")
        .kafka_cluster(
            KafkaCluster::builder()
                .apache_kafka_cluster(
                    ApacheKafkaCluster::builder()
                        .bootstrap_servers(&bootstrap)
                        .vpc(
                            Vpc::builder()
                                .set_subnets(Some(net.subnet_ids.clone()))
                                .security_groups(&net.sg_id)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .kafka_cluster_client_authentication(
            KafkaClusterClientAuthentication::builder()
                .authentication_type(KafkaClusterClientAuthenticationType::Iam)
                .build()
                .unwrap(),
        )
        .kafka_cluster_encryption_in_transit(
            KafkaClusterEncryptionInTransit::builder()
                .encryption_type(KafkaClusterEncryptionInTransitType::Tls)
                .build()
                .unwrap(),
        )
        .log_delivery(
            LogDelivery::builder()
                .worker_log_delivery(
                    WorkerLogDelivery::builder()
                        .cloud_watch_logs(
                            CloudWatchLogsLogDelivery::builder()
                                .enabled(true)
                                .log_group(&log_group)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .plugins(
            Plugin::builder()
                .custom_plugin(
                    CustomPlugin::builder()
                        .custom_plugin_arn(&plugin_arn)
                        .revision(1)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .service_execution_role_arn(&role_arn)
        .worker_configuration(
            WorkerConfiguration::builder()
                .worker_configuration_arn(&worker_arn)
                .revision(1)
                .build()
                .unwrap(),
        )
        .tags("cdcstack:stack", "cdc")
        .tags("Name", &connector_name)
        .send()
        .await
        .unwrap();
    let connector_arn = created.connector_arn().unwrap().to_string();
    assert_eq!(created.connector_name(), Some(connector_name.as_str()));
    assert_eq!(created.connector_state(), Some(&ConnectorState::Creating));
    assert!(
        connector_arn.starts_with(&format!(
            "arn:aws:kafkaconnect:{REGION}:{ACCOUNT_ID}:connector/{connector_name}/"
        )),
        "{connector_arn}"
    );

    let connector = wait_for("connector RUNNING", WAIT, || async {
        let out = kc
            .describe_connector()
            .connector_arn(&connector_arn)
            .send()
            .await
            .unwrap();
        (out.connector_state() == Some(&ConnectorState::Running)).then_some(out)
    })
    .await;
    let expected = scaled(600.0);
    assert!(
        started.elapsed().as_secs_f64() >= expected * 0.95,
        "RUNNING after {:?}",
        started.elapsed()
    );
    let provisioned = connector
        .capacity()
        .and_then(|c| c.provisioned_capacity())
        .unwrap();
    assert_eq!(
        (provisioned.mcu_count(), provisioned.worker_count()),
        (1, 1)
    );
    assert_eq!(
        connector.connector_configuration().unwrap()["topic.prefix"],
        "app"
    );
    let apache = connector
        .kafka_cluster()
        .and_then(|k| k.apache_kafka_cluster())
        .unwrap();
    assert_eq!(apache.bootstrap_servers(), Some(bootstrap.as_str()));
    assert_eq!(apache.vpc().map(|v| v.subnets().len()), Some(3));
    assert_eq!(
        connector
            .kafka_cluster_client_authentication()
            .and_then(|a| a.authentication_type()),
        Some(&KafkaClusterClientAuthenticationType::Iam)
    );
    assert_eq!(
        connector
            .kafka_cluster_encryption_in_transit()
            .and_then(|e| e.encryption_type()),
        Some(&KafkaClusterEncryptionInTransitType::Tls)
    );
    let cw = connector
        .log_delivery()
        .and_then(|l| l.worker_log_delivery())
        .and_then(|w| w.cloud_watch_logs())
        .unwrap();
    assert_eq!(
        (cw.enabled(), cw.log_group()),
        (true, Some(log_group.as_str()))
    );
    assert_eq!(
        connector.plugins()[0]
            .custom_plugin()
            .and_then(|p| p.custom_plugin_arn()),
        Some(plugin_arn.as_str())
    );
    assert_eq!(
        connector.service_execution_role_arn(),
        Some(role_arn.as_str())
    );
    assert_eq!(
        connector
            .worker_configuration()
            .and_then(|w| w.worker_configuration_arn()),
        Some(worker_arn.as_str())
    );
    assert_eq!(connector.kafka_connect_version(), Some("2.7.1"));

    let listed = kc
        .list_connectors()
        .connector_name_prefix(&connector_name)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.connectors().len(), 1);
    assert_eq!(
        listed.connectors()[0].connector_arn(),
        Some(connector_arn.as_str())
    );
    assert_eq!(
        listed.connectors()[0].connector_state(),
        Some(&ConnectorState::Running)
    );

    // A plugin or worker configuration in use cannot be deleted.
    let err = kc
        .delete_custom_plugin()
        .custom_plugin_arn(&plugin_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "BadRequestException");

    // Update the capacity, then the connector configuration, each against the current version.
    let v1 = connector.current_version().unwrap().to_string();
    let updated = kc
        .update_connector()
        .connector_arn(&connector_arn)
        .current_version(&v1)
        .capacity(
            CapacityUpdate::builder()
                .provisioned_capacity(
                    ProvisionedCapacityUpdate::builder()
                        .mcu_count(2)
                        .worker_count(1)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.connector_state(), Some(&ConnectorState::Updating));
    let connector = wait_for(
        "connector RUNNING after the capacity update",
        WAIT,
        || async {
            let out = kc
                .describe_connector()
                .connector_arn(&connector_arn)
                .send()
                .await
                .unwrap();
            (out.connector_state() == Some(&ConnectorState::Running)).then_some(out)
        },
    )
    .await;
    let provisioned = connector
        .capacity()
        .and_then(|c| c.provisioned_capacity())
        .unwrap();
    assert_eq!(provisioned.mcu_count(), 2);
    let v2 = connector.current_version().unwrap().to_string();
    assert_ne!(v1, v2);
    let err = kc
        .update_connector()
        .connector_arn(&connector_arn)
        .current_version(&v1)
        .connector_configuration("snapshot.mode", "when_needed")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_status(&err).0, "BadRequestException");
    kc.update_connector()
        .connector_arn(&connector_arn)
        .current_version(&v2)
        .connector_configuration(
            "connector.class",
            "io.debezium.connector.mysql.MySqlConnector",
        )
        .connector_configuration("tasks.max", "1")
        .connector_configuration("topic.prefix", "app")
        .connector_configuration("snapshot.mode", "when_needed")
        .send()
        .await
        .unwrap();
    let connector = wait_for(
        "connector RUNNING after the configuration update",
        WAIT,
        || async {
            let out = kc
                .describe_connector()
                .connector_arn(&connector_arn)
                .send()
                .await
                .unwrap();
            (out.connector_state() == Some(&ConnectorState::Running)).then_some(out)
        },
    )
    .await;
    assert_eq!(
        connector.connector_configuration().unwrap()["snapshot.mode"],
        "when_needed"
    );

    // Tags on all three kinds.
    for arn in [&connector_arn, &plugin_arn, &worker_arn] {
        kc.tag_resource()
            .resource_arn(arn)
            .tags("Owners", "data-platform")
            .send()
            .await
            .unwrap();
    }
    kc.untag_resource()
        .resource_arn(&connector_arn)
        .tag_keys("Name")
        .send()
        .await
        .unwrap();
    let tags = kc
        .list_tags_for_resource()
        .resource_arn(&connector_arn)
        .send()
        .await
        .unwrap();
    let tags: HashMap<&str, &str> = tags
        .tags()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tags,
        HashMap::from([("cdcstack:stack", "cdc"), ("Owners", "data-platform")])
    );
    let tags = kc
        .list_tags_for_resource()
        .resource_arn(&plugin_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().unwrap().len(), 2);

    // Deletion: connector, then what it used.
    let deleted = kc
        .delete_connector()
        .connector_arn(&connector_arn)
        .current_version(connector.current_version().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.connector_state(), Some(&ConnectorState::Deleting));
    wait_for("connector gone", WAIT, || async {
        match kc
            .describe_connector()
            .connector_arn(&connector_arn)
            .send()
            .await
        {
            Ok(_) => None,
            Err(e) => {
                assert!(e.into_service_error().is_not_found_exception());
                Some(())
            }
        }
    })
    .await;
    let deleted = kc
        .delete_custom_plugin()
        .custom_plugin_arn(&plugin_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.custom_plugin_state(),
        Some(&CustomPluginState::Deleting)
    );
    kc.delete_worker_configuration()
        .worker_configuration_arn(&worker_arn)
        .send()
        .await
        .unwrap();
    wait_for("plugin and worker configuration gone", WAIT, || async {
        let plugins = kc
            .list_custom_plugins()
            .name_prefix(&plugin_name)
            .send()
            .await
            .unwrap();
        let workers = kc
            .list_worker_configurations()
            .name_prefix(&worker_name)
            .send()
            .await
            .unwrap();
        (plugins.custom_plugins().is_empty() && workers.worker_configurations().is_empty())
            .then_some(())
    })
    .await;
    let err = kc
        .describe_custom_plugin()
        .custom_plugin_arn(&plugin_arn)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found_exception());
}

// ------------------------------------------------------------------ Redshift Serverless

fn rs_tag(key: &str, value: &str) -> aws_sdk_redshiftserverless::types::Tag {
    aws_sdk_redshiftserverless::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .unwrap()
}

#[tokio::test]
async fn redshift_serverless_namespace_and_workgroup() {
    use aws_sdk_redshiftserverless::types::{LogExport, NamespaceStatus, WorkgroupStatus};
    let emu = emulator();
    let cfg = emu.sdk_config().await;
    let rs = aws_sdk_redshiftserverless::Client::new(&cfg);
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let net = network(&ec2).await;

    let role_arn = format!(
        "arn:aws:iam::{ACCOUNT_ID}:role/{}",
        unique("cdc-dev-redshift-streaming")
    );
    let namespace = unique("cdc-dev-ns");
    let created = rs
        .create_namespace()
        .namespace_name(&namespace)
        .db_name("analytics")
        .admin_username("admin")
        .manage_admin_password(true)
        .iam_roles(&role_arn)
        .log_exports(LogExport::UserLog)
        .log_exports(LogExport::ConnectionLog)
        .log_exports(LogExport::UserActivityLog)
        .tags(rs_tag("cdcstack:stack", "cdc"))
        .tags(rs_tag("Name", &namespace))
        .send()
        .await
        .unwrap();
    let ns = created.namespace().unwrap();
    let ns_arn = ns.namespace_arn().unwrap().to_string();
    assert!(
        ns_arn.starts_with(&format!(
            "arn:aws:redshift-serverless:{REGION}:{ACCOUNT_ID}:namespace/"
        )),
        "{ns_arn}"
    );
    assert_eq!(ns.status(), Some(&NamespaceStatus::Available));
    assert!(ns.creation_date().is_some());

    let got = rs
        .get_namespace()
        .namespace_name(&namespace)
        .send()
        .await
        .unwrap();
    let got = got.namespace().unwrap();
    assert_eq!(got.db_name(), Some("analytics"));
    assert_eq!(got.admin_username(), Some("admin"));
    assert_eq!(got.iam_roles(), std::slice::from_ref(&role_arn));
    assert_eq!(
        got.log_exports(),
        [
            LogExport::UserLog,
            LogExport::ConnectionLog,
            LogExport::UserActivityLog
        ]
    );
    let secret_arn = got.admin_password_secret_arn().unwrap().to_string();
    let secret = aws_sdk_secretsmanager::Client::new(&cfg)
        .get_secret_value()
        .secret_id(&secret_arn)
        .send()
        .await
        .unwrap();
    let secret: serde_json::Value = serde_json::from_str(secret.secret_string().unwrap()).unwrap();
    assert_eq!(secret["username"], "admin");

    let updated = rs
        .update_namespace()
        .namespace_name(&namespace)
        .log_exports(LogExport::UserLog)
        .send()
        .await
        .unwrap();
    if emu.time_scale > 0.0 {
        assert_eq!(
            updated.namespace().unwrap().status(),
            Some(&NamespaceStatus::Modifying)
        );
    }
    let got = wait_for("namespace AVAILABLE", WAIT, || async {
        let out = rs
            .get_namespace()
            .namespace_name(&namespace)
            .send()
            .await
            .unwrap();
        let ns = out.namespace().unwrap().clone();
        (ns.status() == Some(&NamespaceStatus::Available)).then_some(ns)
    })
    .await;
    assert_eq!(got.log_exports(), [LogExport::UserLog]);

    // Workgroup: CREATING, then AVAILABLE with its endpoint.
    let workgroup = unique("cdc-dev-wg");
    let created = rs
        .create_workgroup()
        .workgroup_name(&workgroup)
        .namespace_name(&namespace)
        .base_capacity(8)
        .set_subnet_ids(Some(net.subnet_ids.clone()))
        .security_group_ids(&net.sg_id)
        .publicly_accessible(false)
        .enhanced_vpc_routing(true)
        .tags(rs_tag("cdcstack:stack", "cdc"))
        .send()
        .await
        .unwrap();
    let wg = created.workgroup().unwrap();
    let wg_arn = wg.workgroup_arn().unwrap().to_string();
    assert_eq!(wg.status(), Some(&WorkgroupStatus::Creating));
    let wg = wait_for("workgroup AVAILABLE", WAIT, || async {
        let out = rs
            .get_workgroup()
            .workgroup_name(&workgroup)
            .send()
            .await
            .unwrap();
        let wg = out.workgroup().unwrap().clone();
        (wg.status() == Some(&WorkgroupStatus::Available)).then_some(wg)
    })
    .await;
    assert_eq!(wg.namespace_name(), Some(namespace.as_str()));
    assert_eq!(wg.base_capacity(), Some(8));
    assert_eq!(wg.publicly_accessible(), Some(false));
    assert_eq!(wg.enhanced_vpc_routing(), Some(true));
    assert_eq!(wg.subnet_ids().len(), 3);
    assert_eq!(wg.security_group_ids(), std::slice::from_ref(&net.sg_id));
    let endpoint = wg.endpoint().unwrap();
    assert_eq!(
        endpoint.address(),
        Some(
            format!("{workgroup}.{ACCOUNT_ID}.{REGION}.redshift-serverless.amazonaws.com").as_str()
        )
    );
    assert_eq!(endpoint.port(), Some(5439));
    assert_eq!(
        endpoint.vpc_endpoints()[0].vpc_id(),
        Some(net.vpc_id.as_str())
    );

    // One parameter per update.
    let err = rs
        .update_workgroup()
        .workgroup_name(&workgroup)
        .base_capacity(16)
        .publicly_accessible(true)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());
    rs.update_workgroup()
        .workgroup_name(&workgroup)
        .base_capacity(16)
        .send()
        .await
        .unwrap();
    let wg = wait_for("workgroup AVAILABLE after the update", WAIT, || async {
        let out = rs
            .get_workgroup()
            .workgroup_name(&workgroup)
            .send()
            .await
            .unwrap();
        let wg = out.workgroup().unwrap().clone();
        (wg.status() == Some(&WorkgroupStatus::Available) && wg.base_capacity() == Some(16))
            .then_some(wg)
    })
    .await;
    assert_eq!(wg.base_capacity(), Some(16));

    // Tags.
    rs.tag_resource()
        .resource_arn(&ns_arn)
        .tags(rs_tag("Owners", "data-platform"))
        .send()
        .await
        .unwrap();
    rs.untag_resource()
        .resource_arn(&ns_arn)
        .tag_keys("Name")
        .send()
        .await
        .unwrap();
    let tags = rs
        .list_tags_for_resource()
        .resource_arn(&ns_arn)
        .send()
        .await
        .unwrap();
    let tags: HashMap<&str, &str> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(
        tags,
        HashMap::from([("cdcstack:stack", "cdc"), ("Owners", "data-platform")])
    );
    let tags = rs
        .list_tags_for_resource()
        .resource_arn(&wg_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), "cdcstack:stack");

    // Deletion: the namespace is in use until its workgroup is gone.
    let err = rs
        .delete_namespace()
        .namespace_name(&namespace)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_conflict_exception());
    let deleted = rs
        .delete_workgroup()
        .workgroup_name(&workgroup)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.workgroup().unwrap().status(),
        Some(&WorkgroupStatus::Deleting)
    );
    wait_for("workgroup gone", WAIT, || async {
        match rs.get_workgroup().workgroup_name(&workgroup).send().await {
            Ok(_) => None,
            Err(e) => {
                assert!(e.into_service_error().is_resource_not_found_exception());
                Some(())
            }
        }
    })
    .await;
    let deleted = rs
        .delete_namespace()
        .namespace_name(&namespace)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.namespace().unwrap().status(),
        Some(&NamespaceStatus::Deleting)
    );
    wait_for("namespace gone", WAIT, || async {
        match rs.get_namespace().namespace_name(&namespace).send().await {
            Ok(_) => None,
            Err(e) => {
                assert!(e.into_service_error().is_resource_not_found_exception());
                Some(())
            }
        }
    })
    .await;
    let err = aws_sdk_secretsmanager::Client::new(&cfg)
        .describe_secret()
        .secret_id(&secret_arn)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
}

// ------------------------------------------------------------------ Faults

/// Injected throttling (next-N rules) is retried by the SDK's standard
/// retry strategy; more throttles than attempts surface as the throttling code.
#[tokio::test]
async fn injected_throttling_is_retried_then_surfaces() {
    let emu = emulator();
    let cfg = emu.sdk_config().await; // 3 attempts
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let sm = aws_sdk_secretsmanager::Client::new(&cfg);
    let kafka = aws_sdk_kafka::Client::new(&cfg);
    // Operations no other test of this binary calls: the rules cannot hit them.
    let since = emu.last_seq();
    emu.add_fault_rules(json!([
        {"kind": "throttle", "count": 2, "service": "ec2", "operation": "DescribeAvailabilityZones"},
        {"kind": "throttle", "count": 2, "service": "secretsmanager", "operation": "GetRandomPassword"},
        {"kind": "throttle", "count": 2, "service": "kafka", "operation": "ListKafkaVersions"},
    ]));

    // EC2 (RequestLimitExceeded 503): two throttles, then the answer.
    let zones = ec2.describe_availability_zones().send().await.unwrap();
    assert!(
        zones
            .availability_zones()
            .iter()
            .any(|z| z.zone_name() == Some("us-east-1a"))
    );
    // JSON 1.1 (ThrottlingException 400).
    let password = sm
        .get_random_password()
        .password_length(24)
        .send()
        .await
        .unwrap();
    assert_eq!(password.random_password().map(str::len), Some(24));
    // rest-json (TooManyRequestsException 429).
    kafka.list_kafka_versions().send().await.unwrap();

    for (operation, code, status) in [
        ("DescribeAvailabilityZones", "RequestLimitExceeded", 503),
        ("GetRandomPassword", "ThrottlingException", 400),
        ("ListKafkaVersions", "TooManyRequestsException", 429),
    ] {
        let log = emu.requests_of(operation, since);
        let seen: Vec<(Option<&str>, u64)> = log
            .iter()
            .map(|e| (e["fault"].as_str(), e["status"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (Some("throttle"), status),
                (Some("throttle"), status),
                (None, 200)
            ],
            "{operation} ({code}): {log:?}"
        );
    }

    // More throttles than attempts: the error is the service's throttling error.
    emu.add_fault_rules(json!([
        {"kind": "throttle", "count": 3, "service": "ec2", "operation": "DescribeAvailabilityZones"},
        {"kind": "throttle", "count": 3, "service": "secretsmanager", "operation": "GetRandomPassword"},
    ]));
    let since = emu.last_seq();
    let err = ec2.describe_availability_zones().send().await.unwrap_err();
    assert_eq!(code_status(&err), ("RequestLimitExceeded".to_string(), 503));
    let err = sm.get_random_password().send().await.unwrap_err();
    assert_eq!(code_status(&err), ("ThrottlingException".to_string(), 400));
    assert_eq!(emu.requests_of("DescribeAvailabilityZones", since).len(), 3);
    assert_eq!(emu.requests_of("GetRandomPassword", since).len(), 3);

    // The rules are used up (spent rules leave the list).
    let faults = emu.control("GET", "faults", None);
    let ours = [
        "DescribeAvailabilityZones",
        "GetRandomPassword",
        "ListKafkaVersions",
    ];
    assert!(
        faults["next"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !ours.contains(&r["operation"].as_str().unwrap_or(""))),
        "{faults}"
    );
    ec2.describe_availability_zones().send().await.unwrap();
}
