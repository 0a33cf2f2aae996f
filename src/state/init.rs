//! `cdcstack init`: the state bucket, created or verified — versioning on
//! (every state write can be recovered), default encryption, all public
//! access blocked, and a policy that refuses requests without TLS.

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use serde_json::{Value, json};

use super::StateError;
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;

/// What the bucket needs.
pub struct BucketSpec<'a> {
    pub bucket: &'a str,
    pub region: &'a str,
    pub kms_key_id: Option<&'a str>,
    /// When known, the bucket must belong to this account.
    pub account_id: Option<&'a str>,
}

/// What `init` found and did.
#[derive(Debug, Default)]
pub struct InitReport {
    pub created: bool,
    /// Settings changed (on a new bucket, or with --fix).
    pub fixed: Vec<String>,
    /// Settings found wrong and left alone (without --fix).
    pub problems: Vec<String>,
}

const TLS_SID: &str = "DenyInsecureTransport";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Versioning,
    Encryption,
    PublicAccess,
    TlsPolicy,
}

impl Setting {
    fn describe(&self) -> &'static str {
        match self {
            Setting::Versioning => {
                "versioning is not enabled (state history could not be recovered)"
            }
            Setting::Encryption => "default encryption is not set as configured",
            Setting::PublicAccess => "public access is not fully blocked",
            Setting::TlsPolicy => "the bucket policy does not deny requests without TLS",
        }
    }
}

/// Creates or checks the bucket; repairs it only when `fix` (or when new).
///
/// # Errors
/// AWS errors, or a bucket that exists elsewhere or belongs to someone else.
pub async fn ensure_bucket(
    s3: &aws_sdk_s3::Client,
    spec: &BucketSpec<'_>,
    fix: bool,
) -> Result<InitReport, StateError> {
    let mut report = InitReport::default();
    let b = spec.bucket;
    let mut head = s3.head_bucket().bucket(b);
    if let Some(acct) = spec.account_id {
        head = head.expected_bucket_owner(acct);
    }
    let missing = match head.send().await.api("s3:HeadBucket") {
        Ok(out) => {
            if let Some(r) = out.bucket_region().filter(|r| *r != spec.region) {
                return Err(StateError::Api(ApiError::other(
                    "s3:HeadBucket",
                    format!(
                        "bucket `{b}` is in {r}, but backend.region is {}; set backend.region = \"{r}\"",
                        spec.region
                    ),
                )));
            }
            ALL.to_vec()
        }
        Err(e) if e.status == Some(404) || e.is_not_found() => {
            create(s3, spec).await?;
            report.created = true;
            Vec::new()
        }
        Err(e) if e.status == Some(403) => {
            return Err(StateError::Api(ApiError::other(
                "s3:HeadBucket",
                format!(
                    "bucket `{b}` exists but these credentials cannot use it (it may belong to another account); pick another backend.bucket or check your AWS profile"
                ),
            )));
        }
        Err(e) if e.status == Some(301) => {
            return Err(StateError::Api(ApiError::other(
                "s3:HeadBucket",
                format!(
                    "bucket `{b}` is in another region than backend.region ({}); set backend.region to the bucket's region",
                    spec.region
                ),
            )));
        }
        Err(e) => return Err(StateError::Api(e)),
    };

    let wrong = if report.created {
        ALL.to_vec()
    } else {
        let mut wrong = Vec::new();
        for s in missing {
            if !is_ok(s3, spec, &s).await? {
                wrong.push(s);
            }
        }
        wrong
    };
    for s in wrong {
        if report.created || fix {
            apply(s3, spec, &s).await?;
            report.fixed.push(s.describe().to_string());
        } else {
            report.problems.push(s.describe().to_string());
        }
    }
    Ok(report)
}

const ALL: [Setting; 4] = [
    Setting::Versioning,
    Setting::Encryption,
    Setting::PublicAccess,
    Setting::TlsPolicy,
];

async fn create(s3: &aws_sdk_s3::Client, spec: &BucketSpec<'_>) -> Result<(), StateError> {
    let mut req = s3.create_bucket().bucket(spec.bucket);
    // us-east-1 is the one region that takes no location constraint.
    if spec.region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(spec.region))
                .build(),
        );
    }
    match req.send().await.api("s3:CreateBucket") {
        Ok(_) => Ok(()),
        Err(e) if e.code_is("BucketAlreadyOwnedByYou") => Ok(()),
        Err(e) if e.code_is("BucketAlreadyExists") => Err(StateError::Api(ApiError::other(
            "s3:CreateBucket",
            format!(
                "bucket name `{}` is taken by another AWS account (bucket names are global); choose another backend.bucket",
                spec.bucket
            ),
        ))),
        Err(e) => Err(StateError::Api(e)),
    }
}

fn tls_statement(spec: &BucketSpec<'_>) -> Value {
    let arn = format!(
        "arn:{}:s3:::{}",
        crate::config::partition(spec.region),
        spec.bucket
    );
    json!({
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn.clone(), format!("{arn}/*")],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } },
    })
}

async fn current_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<Value>, StateError> {
    match s3
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .api("s3:GetBucketPolicy")
    {
        Ok(out) => Ok(out.policy().and_then(|p| serde_json::from_str(p).ok())),
        Err(e) if e.code_is("NoSuchBucketPolicy") || e.status == Some(404) => Ok(None),
        Err(e) => Err(StateError::Api(e)),
    }
}

async fn is_ok(
    s3: &aws_sdk_s3::Client,
    spec: &BucketSpec<'_>,
    s: &Setting,
) -> Result<bool, StateError> {
    let b = spec.bucket;
    Ok(match s {
        Setting::Versioning => {
            let out = s3
                .get_bucket_versioning()
                .bucket(b)
                .send()
                .await
                .api("s3:GetBucketVersioning")?;
            out.status() == Some(&BucketVersioningStatus::Enabled)
        }
        Setting::Encryption => match s3
            .get_bucket_encryption()
            .bucket(b)
            .send()
            .await
            .api("s3:GetBucketEncryption")
        {
            Ok(out) => out
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .filter_map(|r| r.apply_server_side_encryption_by_default())
                .any(|d| match spec.kms_key_id {
                    Some(k) => {
                        d.sse_algorithm() == &ServerSideEncryption::AwsKms
                            && d.kms_master_key_id() == Some(k)
                    }
                    None => true,
                }),
            Err(e)
                if e.status == Some(404)
                    || e.code_is("ServerSideEncryptionConfigurationNotFoundError") =>
            {
                false
            }
            Err(e) => return Err(StateError::Api(e)),
        },
        Setting::PublicAccess => match s3
            .get_public_access_block()
            .bucket(b)
            .send()
            .await
            .api("s3:GetPublicAccessBlock")
        {
            Ok(out) => out.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            }),
            Err(e) if e.status == Some(404) => false,
            Err(e) => return Err(StateError::Api(e)),
        },
        Setting::TlsPolicy => current_policy(s3, b).await?.is_some_and(|p| {
            p["Statement"].as_array().is_some_and(|st| {
                st.iter()
                    .any(|s| s.get("Sid").and_then(Value::as_str) == Some(TLS_SID))
            })
        }),
    })
}

async fn apply(
    s3: &aws_sdk_s3::Client,
    spec: &BucketSpec<'_>,
    s: &Setting,
) -> Result<(), StateError> {
    let b = spec.bucket;
    match s {
        Setting::Versioning => {
            s3.put_bucket_versioning()
                .bucket(b)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .api("s3:PutBucketVersioning")?;
        }
        Setting::Encryption => {
            let mut d = ServerSideEncryptionByDefault::builder();
            d = match spec.kms_key_id {
                Some(k) => d
                    .sse_algorithm(ServerSideEncryption::AwsKms)
                    .kms_master_key_id(k),
                None => d.sse_algorithm(ServerSideEncryption::Aes256),
            };
            let rule = ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    d.build()
                        .map_err(|e| ApiError::other("s3:PutBucketEncryption", e.to_string()))?,
                )
                .bucket_key_enabled(spec.kms_key_id.is_some())
                .build();
            s3.put_bucket_encryption()
                .bucket(b)
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder()
                        .rules(rule)
                        .build()
                        .map_err(|e| ApiError::other("s3:PutBucketEncryption", e.to_string()))?,
                )
                .send()
                .await
                .api("s3:PutBucketEncryption")?;
        }
        Setting::PublicAccess => {
            s3.put_public_access_block()
                .bucket(b)
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
                .api("s3:PutPublicAccessBlock")?;
        }
        Setting::TlsPolicy => {
            // Keep whatever else the policy says; add our statement.
            let mut policy = current_policy(s3, b)
                .await?
                .unwrap_or_else(|| json!({ "Version": "2012-10-17", "Statement": [] }));
            if !policy["Statement"].is_array() {
                policy["Statement"] = json!([]);
            }
            let st = policy["Statement"].as_array_mut().expect("made an array");
            st.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(TLS_SID));
            st.push(tls_statement(spec));
            s3.put_bucket_policy()
                .bucket(b)
                .policy(policy.to_string())
                .send()
                .await
                .api("s3:PutBucketPolicy")?;
        }
    }
    Ok(())
}
