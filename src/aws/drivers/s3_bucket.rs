//! S3: the connector's artifact bucket (versioned, encrypted, private) and
//! the plugin zip in it, uploaded only when its content changed.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::common::{self, b, s};
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Bucket;
pub struct Object;

fn arn(ctx: &Ctx, bucket: &str) -> String {
    format!("arn:{}:s3:::{bucket}", ctx.partition())
}

fn build_err(op: &str) -> impl Fn(aws_sdk_s3::error::BuildError) -> ApiError + '_ {
    move |e| ApiError::other(op, e.to_string())
}

async fn put_tags(ctx: &Ctx, bucket: &str, d: &Attrs) -> Result<(), DriverError> {
    let tags = common::desired_tags(d)
        .into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(build_err("s3:PutBucketTagging"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(build_err("s3:PutBucketTagging"))?;
    ctx.aws
        .s3()
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .api("s3:PutBucketTagging")?;
    Ok(())
}

async fn set(ctx: &Ctx, bucket: &str, attr: &str, d: &Attrs) -> Result<(), DriverError> {
    let s3 = ctx.aws.s3();
    match attr {
        "versioning" => {
            let status = if b(d, "versioning") {
                BucketVersioningStatus::Enabled
            } else {
                BucketVersioningStatus::Suspended
            };
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(VersioningConfiguration::builder().status(status).build())
                .send()
                .await
                .api("s3:PutBucketVersioning")?;
        }
        "encryption" => {
            let by_default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(s(d, "encryption").as_str()))
                .build()
                .map_err(build_err("s3:PutBucketEncryption"))?;
            let conf = ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .map_err(build_err("s3:PutBucketEncryption"))?;
            s3.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(conf)
                .send()
                .await
                .api("s3:PutBucketEncryption")?;
        }
        "block_public_access" => {
            let on = b(d, "block_public_access");
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(on)
                        .ignore_public_acls(on)
                        .block_public_policy(on)
                        .restrict_public_buckets(on)
                        .build(),
                )
                .send()
                .await
                .api("s3:PutPublicAccessBlock")?;
        }
        "tags" => put_tags(ctx, bucket, d).await?,
        _ => {}
    }
    Ok(())
}

async fn bucket_tags(ctx: &Ctx, bucket: &str) -> Result<Value, ApiError> {
    match ctx
        .aws
        .s3()
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
        .api("s3:GetBucketTagging")
    {
        Ok(out) => Ok(common::tags_value(
            out.tag_set().iter().map(|t| (t.key(), t.value())),
        )),
        Err(e) if e.code_is("NoSuchTagSet") => Ok(Value::Object(Default::default())),
        Err(e) => Err(e),
    }
}

/// Reads one bucket's settings; `None` when it does not exist.
async fn read_bucket(ctx: &Ctx, w: &Wanted, bucket: &str) -> Result<Option<Live>, DriverError> {
    let s3 = ctx.aws.s3();
    // Also the existence and ownership check.
    let versioning = match s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .api("s3:GetBucketVersioning")
    {
        Ok(v) => v,
        Err(e) if e.code_is("NoSuchBucket") || e.status == Some(404) => return Ok(None),
        Err(e) if e.status == Some(403) => {
            return Err(DriverError::Failed(format!(
                "{}: bucket `{bucket}` exists but belongs to someone else (bucket names are global); set connector.artifact_bucket to another name",
                w.address
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let arn = arn(ctx, bucket);
    let tags = ctx
        .tags
        .tags(ctx, &arn, w.known.get("tags"), bucket_tags(ctx, bucket))
        .await?;
    common::check_owned(ctx, &w.address, "S3 bucket", bucket, &tags)?;
    let encryption = match s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .api("s3:GetBucketEncryption")
    {
        Ok(out) => out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string()),
        Err(e) if e.status == Some(404) => None,
        Err(e) => return Err(e.into()),
    };
    let blocked = match s3
        .get_public_access_block()
        .bucket(bucket)
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
        Err(e) => return Err(e.into()),
    };
    let mut a = Attrs::new();
    a.insert("bucket".into(), bucket.into());
    a.insert(
        "versioning".into(),
        (versioning.status() == Some(&BucketVersioningStatus::Enabled)).into(),
    );
    a.insert(
        "encryption".into(),
        encryption.map_or(Value::Null, Value::from),
    );
    a.insert("block_public_access".into(), blocked.into());
    a.insert("tags".into(), tags);
    a.insert("arn".into(), arn.into());
    Ok(Some(Live::ready(bucket, a)))
}

#[async_trait]
impl Driver for Bucket {
    fn kind(&self) -> &'static str {
        kinds::S3_BUCKET
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["bucket"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(bucket) = w.known_str("bucket") else {
                continue;
            };
            if let Some(live) = read_bucket(ctx, w, bucket).await? {
                found.live.insert(w.address.clone(), live);
            }
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let bucket = s(d, "bucket");
        let mut req = ctx.aws.s3().create_bucket().bucket(&bucket);
        if ctx.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(ctx.region.as_str()))
                    .build(),
            );
        }
        match req.send().await.api("s3:CreateBucket") {
            Ok(_) => {}
            Err(e) if e.code_is("BucketAlreadyOwnedByYou") => {
                // Ours from an interrupted run (tagged, or not tagged yet when
                // the run died right after creating it), or someone else's.
                match ctx
                    .aws
                    .s3()
                    .get_bucket_tagging()
                    .bucket(&bucket)
                    .send()
                    .await
                    .api("s3:GetBucketTagging")
                {
                    Ok(out) if !out.tag_set().is_empty() => {
                        let tags =
                            common::tags_value(out.tag_set().iter().map(|t| (t.key(), t.value())));
                        common::check_owned(ctx, address, "S3 bucket", &bucket, &tags)?;
                    }
                    Ok(_) => {}
                    Err(e) if e.code_is("NoSuchTagSet") => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) if e.code_is("BucketAlreadyExists") => {
                return Err(DriverError::Failed(format!(
                    "{address}: bucket name `{bucket}` is taken by another AWS account (bucket names are global); set connector.artifact_bucket to another name"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        // Tags first, so a crash after this point leaves a bucket we recognise.
        for attr in ["tags", "block_public_access", "versioning", "encryption"] {
            set(ctx, &bucket, attr, d).await?;
        }
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn(ctx, &bucket).into());
        Ok(Live::ready(bucket, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        for attr in changed {
            set(ctx, &live.id, attr, d).await?;
        }
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let s3 = ctx.aws.s3();
        let bucket = &live.id;
        // A bucket must be empty of every object version first.
        loop {
            let out = match s3
                .list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .api("s3:ListObjectVersions")
            {
                Ok(o) => o,
                Err(e) if e.code_is("NoSuchBucket") => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let ids: Vec<ObjectIdentifier> = out
                .versions()
                .iter()
                .filter_map(|v| {
                    ObjectIdentifier::builder()
                        .key(v.key()?)
                        .set_version_id(v.version_id().map(str::to_string))
                        .build()
                        .ok()
                })
                .chain(out.delete_markers().iter().filter_map(|m| {
                    ObjectIdentifier::builder()
                        .key(m.key()?)
                        .set_version_id(m.version_id().map(str::to_string))
                        .build()
                        .ok()
                }))
                .collect();
            if ids.is_empty() {
                break;
            }
            let del = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(build_err("s3:DeleteObjects"))?;
            s3.delete_objects()
                .bucket(bucket)
                .delete(del)
                .send()
                .await
                .api("s3:DeleteObjects")?;
        }
        match s3
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .api("s3:DeleteBucket")
        {
            Ok(_) => Ok(()),
            Err(e) if e.code_is("NoSuchBucket") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// SHA-256 of a local file, hex.
fn file_sha256(path: &str) -> Result<String, DriverError> {
    let bytes = std::fs::read(path)
        .map_err(|e| DriverError::Failed(format!("cannot read the plugin {path}: {e}")))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

#[async_trait]
impl Driver for Object {
    fn kind(&self) -> &'static str {
        kinds::S3_OBJECT
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["bucket", "key"]
    }

    fn same(&self, attr: &str, desired: &Value, live: &Value) -> bool {
        // Where the zip is read from (another checkout, a renamed copy) is
        // not the object: its content, by checksum, is.
        attr == "source" || desired == live
    }

    fn volatile(&self) -> &'static [&'static str] {
        &["version_id"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let (Some(bucket), Some(key)) = (w.known_str("bucket"), w.known_str("key")) else {
                continue;
            };
            let out = match ctx
                .aws
                .s3()
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .api("s3:HeadObject")
            {
                Ok(o) => o,
                Err(e) if e.is_not_found() || e.code_is("NoSuchBucket") => continue,
                Err(e) => return Err(e.into()),
            };
            let mut a = Attrs::new();
            a.insert("bucket".into(), bucket.into());
            a.insert("key".into(), key.into());
            // Where it came from is local knowledge: keep what we were told.
            if let Some(src) = w.known.get("source") {
                a.insert("source".into(), src.clone());
            }
            let sha = out
                .metadata()
                .and_then(|m| m.get("sha256"))
                .cloned()
                .unwrap_or_default();
            a.insert("sha256".into(), sha.into());
            a.insert(
                "version_id".into(),
                out.version_id().unwrap_or_default().into(),
            );
            found
                .live
                .insert(w.address.clone(), Live::ready(format!("{bucket}/{key}"), a));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let (bucket, key, source) = (s(d, "bucket"), s(d, "key"), s(d, "source"));
        let sha = file_sha256(&source)?;
        if d.get("sha256")
            .and_then(Value::as_str)
            .is_some_and(|want| want != sha)
        {
            return Err(DriverError::Failed(format!(
                "{source} changed since the plan was made; plan again"
            )));
        }
        let body = ByteStream::from_path(&source)
            .await
            .map_err(|e| DriverError::Failed(format!("cannot read the plugin {source}: {e}")))?;
        let out = ctx
            .aws
            .s3()
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .body(body)
            .content_type("application/zip")
            .metadata("sha256", &sha)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await
            .api("s3:PutObject")?;
        let mut attrs = d.clone();
        attrs.insert("sha256".into(), sha.into());
        attrs.insert(
            "version_id".into(),
            out.version_id().unwrap_or_default().into(),
        );
        Ok(Live::ready(format!("{bucket}/{key}"), attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        if changed.iter().all(|c| c == "source") {
            // The same content from another path: nothing to upload.
            let mut attrs = live.attrs.clone();
            attrs.extend(d.clone());
            return Ok(Live::ready(live.id.clone(), attrs));
        }
        self.create(ctx, a, d).await
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let (bucket, key) = (s(&live.attrs, "bucket"), s(&live.attrs, "key"));
        match ctx
            .aws
            .s3()
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .api("s3:DeleteObject")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() || e.code_is("NoSuchBucket") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
