//! S3: the connector's artifact bucket (versioned, encrypted, private) and
//! the plugin zip in it, uploaded only when its content changed.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use sha2::{Digest, Sha256};

use super::common;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Policy, minutes};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::s3::{Bucket, BucketAttrs, Object, ObjectAttrs, ObjectOutputs};
use crate::model::{Arn, Attrs, Changed, Tags};
use crate::stack::Address;

/// Terraform's bucket timeouts (create and update 20 min, delete 60 min);
/// no call waits on a bucket, and none of its errors is retried.
const BUCKET_POLICY: Policy = Policy {
    create: minutes(20),
    update: minutes(20),
    delete: minutes(60),
    transient: &[],
};

/// An upload is one call; nothing waits on an object, nothing is retried.
const OBJECT_POLICY: Policy = Policy {
    create: minutes(5),
    update: minutes(5),
    delete: minutes(5),
    transient: &[],
};

pub struct BucketDriver {
    pub aws: Arc<Aws>,
}

pub struct ObjectDriver {
    pub aws: Arc<Aws>,
}

fn build_err(op: &str) -> impl Fn(aws_sdk_s3::error::BuildError) -> ApiError + '_ {
    move |e| ApiError::other(op, e.to_string())
}

fn tag_set(tags: &[Tag]) -> Tags {
    common::tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

impl BucketDriver {
    fn arn(&self, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}", self.aws.partition)
    }

    async fn put_tags(&self, bucket: &str, tags: &Tags) -> Result<(), DriverError> {
        let tags = tags
            .iter()
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
        self.aws
            .s3()
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .api("s3:PutBucketTagging")?;
        Ok(())
    }

    async fn put_versioning(&self, bucket: &str, on: bool) -> Result<(), DriverError> {
        let status = if on {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        self.aws
            .s3()
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .api("s3:PutBucketVersioning")?;
        Ok(())
    }

    /// Sets the default encryption to `algorithm`; none: back to S3's default.
    async fn put_encryption(
        &self,
        bucket: &str,
        algorithm: Option<&str>,
    ) -> Result<(), DriverError> {
        let s3 = self.aws.s3();
        let Some(algorithm) = algorithm else {
            s3.delete_bucket_encryption()
                .bucket(bucket)
                .send()
                .await
                .api("s3:DeleteBucketEncryption")?;
            return Ok(());
        };
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(algorithm))
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
        Ok(())
    }

    async fn put_public_access_block(&self, bucket: &str, on: bool) -> Result<(), DriverError> {
        self.aws
            .s3()
            .put_public_access_block()
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
        Ok(())
    }

    async fn bucket_tags(&self, bucket: &str) -> Result<Tags, ApiError> {
        match self
            .aws
            .s3()
            .get_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .api("s3:GetBucketTagging")
        {
            Ok(out) => Ok(tag_set(out.tag_set())),
            Err(e) if e.code_is("NoSuchTagSet") => Ok(Tags::new()),
            Err(e) => Err(e),
        }
    }

    /// Reads one bucket's settings; `None` when it does not exist.
    async fn read_bucket(
        &self,
        ctx: &Ctx,
        w: &Wanted<Bucket>,
        bucket: &str,
    ) -> Result<Option<Live<Bucket>>, DriverError> {
        let s3 = self.aws.s3();
        // Also the existence and ownership check.
        let versioning = match s3
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .api("s3:GetBucketVersioning")
        {
            Ok(v) => v,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) if e.status == Some(403) => {
                return Err(DriverError::Failed(format!(
                    "{}: bucket `{bucket}` exists but belongs to someone else (bucket names are global); set connector.artifact_bucket to another name",
                    w.address
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let arn = self.arn(bucket);
        let tags = self
            .aws
            .tags_of(ctx, &arn, w.known.tags.as_ref(), self.bucket_tags(bucket))
            .await?;
        common::owned(ctx, &w.address, "S3 bucket", bucket, &tags)?;
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
            Err(e) if e.is_not_found() => None,
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
            Err(e) if e.is_not_found() => false,
            Err(e) => return Err(e.into()),
        };
        let attrs = BucketAttrs {
            bucket: bucket.to_string(),
            versioning: versioning.status() == Some(&BucketVersioningStatus::Enabled),
            encryption,
            block_public_access: blocked,
            tags,
        };
        Ok(Some(Live::ready(bucket, attrs, Arn { arn })))
    }
}

#[async_trait]
impl Lifecycle for BucketDriver {
    type Kind = Bucket;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Bucket>],
    ) -> Result<Found<Bucket>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(bucket) = w.known.bucket.as_deref() else {
                continue;
            };
            if let Some(live) = self.read_bucket(ctx, w, bucket).await? {
                found.live.insert(w.address.clone(), live);
            }
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<Bucket>,
    ) -> Result<Live<Bucket>, DriverError> {
        let bucket = &d.bucket;
        let mut req = self.aws.s3().create_bucket().bucket(bucket);
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
                match self
                    .aws
                    .s3()
                    .get_bucket_tagging()
                    .bucket(bucket)
                    .send()
                    .await
                    .api("s3:GetBucketTagging")
                {
                    Ok(out) if !out.tag_set().is_empty() => {
                        let tags = tag_set(out.tag_set());
                        common::owned(ctx, address, "S3 bucket", bucket, &tags)?;
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
        self.put_tags(bucket, &d.tags).await?;
        self.put_public_access_block(bucket, d.block_public_access)
            .await?;
        self.put_versioning(bucket, d.versioning).await?;
        if d.encryption.is_some() {
            self.put_encryption(bucket, d.encryption.as_deref()).await?;
        }
        Ok(Live::ready(
            bucket.clone(),
            d.clone(),
            Arn {
                arn: self.arn(bucket),
            },
        ))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<Bucket>,
        d: &Attrs<Bucket>,
        changed: &Changed<Bucket>,
    ) -> Result<Live<Bucket>, DriverError> {
        let BucketAttrs {
            bucket: _,
            versioning,
            encryption,
            block_public_access,
            tags,
        } = *changed;
        let bucket = &live.id;
        // In the attributes' order, as before.
        if block_public_access {
            self.put_public_access_block(bucket, d.block_public_access)
                .await?;
        }
        if encryption {
            self.put_encryption(bucket, d.encryption.as_deref()).await?;
        }
        if tags {
            self.put_tags(bucket, &d.tags).await?;
        }
        if versioning {
            self.put_versioning(bucket, d.versioning).await?;
        }
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Bucket>,
    ) -> Result<(), DriverError> {
        let s3 = self.aws.s3();
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
                Err(e) if e.is_not_found() => return Ok(()),
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
        BUCKET_POLICY
            .delete_call(ctx, &format!("bucket {bucket}"), || async {
                s3.delete_bucket()
                    .bucket(bucket)
                    .send()
                    .await
                    .api("s3:DeleteBucket")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for BucketDriver {}

/// SHA-256 of a local file, hex.
fn file_sha256(path: &str) -> Result<String, DriverError> {
    let bytes = std::fs::read(path)
        .map_err(|e| DriverError::Failed(format!("cannot read the plugin {path}: {e}")))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

#[async_trait]
impl Lifecycle for ObjectDriver {
    type Kind = Object;

    async fn read(
        &self,
        _ctx: &Ctx,
        wanted: &[Wanted<Object>],
    ) -> Result<Found<Object>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let (Some(bucket), Some(key)) = (w.known.bucket.as_deref(), w.known.key.as_deref())
            else {
                continue;
            };
            let out = match self
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
                // `NoSuchBucket` included.
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            let attrs = ObjectAttrs {
                bucket: bucket.to_string(),
                key: key.to_string(),
                // Where it came from is local knowledge: keep what we were told.
                source: w.known.source.clone().unwrap_or_default(),
                sha256: Some(
                    out.metadata()
                        .and_then(|m| m.get("sha256"))
                        .cloned()
                        .unwrap_or_default(),
                ),
            };
            let out = ObjectOutputs {
                version_id: out.version_id().unwrap_or_default().to_string(),
            };
            found.live.insert(
                w.address.clone(),
                Live::ready(format!("{bucket}/{key}"), attrs, out),
            );
        }
        Ok(found)
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        d: &Attrs<Object>,
    ) -> Result<Live<Object>, DriverError> {
        let (bucket, key, source) = (&d.bucket, &d.key, &d.source);
        let sha = file_sha256(source)?;
        if d.sha256.as_ref().is_some_and(|want| *want != sha) {
            return Err(DriverError::Failed(format!(
                "{source} changed since the plan was made; plan again"
            )));
        }
        let body = ByteStream::from_path(source)
            .await
            .map_err(|e| DriverError::Failed(format!("cannot read the plugin {source}: {e}")))?;
        let out = self
            .aws
            .s3()
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body)
            .content_type("application/zip")
            .metadata("sha256", &sha)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await
            .api("s3:PutObject")?;
        let attrs = ObjectAttrs {
            sha256: Some(sha),
            ..d.clone()
        };
        let outputs = ObjectOutputs {
            version_id: out.version_id().unwrap_or_default().to_string(),
        };
        Ok(Live::ready(format!("{bucket}/{key}"), attrs, outputs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        a: &Address,
        live: &Live<Object>,
        d: &Attrs<Object>,
        changed: &Changed<Object>,
    ) -> Result<Live<Object>, DriverError> {
        let ObjectAttrs {
            bucket: _,
            key: _,
            source,
            sha256,
        } = *changed;
        match (sha256, source) {
            // New content: upload it.
            (true, _) => self.create(ctx, a, d).await,
            // The same content from another path: nothing to upload.
            (false, true | false) => Ok(live.updated(d)),
        }
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Object>,
    ) -> Result<(), DriverError> {
        let (bucket, key) = (&live.attrs.bucket, &live.attrs.key);
        // Gone already, or its bucket is (`NoSuchBucket`): done.
        OBJECT_POLICY
            .delete_call(ctx, &format!("object s3://{bucket}/{key}"), || async {
                self.aws
                    .s3()
                    .delete_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .api("s3:DeleteObject")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for ObjectDriver {}
