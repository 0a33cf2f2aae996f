//! State in S3: `s3://{bucket}/{key}`, lock at `{key}.tflock`.
//!
//! Lock: `PutObject` with `If-None-Match: *`; release: `DeleteObject` with
//! `If-Match` on the lock's ETag (S3's conditional delete), so a lock taken
//! over by someone else after a force-unlock is never deleted by mistake.
//! State writes carry `If-Match` on the ETag last read, so no update is lost.
//! A lock+read+write+unlock cycle costs 4 requests.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use super::StateError;
use super::backend::{Backend, Contended, Etag, LockToken};
use super::lock::LockInfo;
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;

/// Where the state lives, and the env it belongs to (for messages).
pub struct Location<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub env: &'a str,
}

pub struct S3Backend {
    client: aws_sdk_s3::Client,
    env: String,
    bucket: String,
    key: String,
    lock_key: String,
    encrypt: bool,
    kms_key_id: Option<String>,
}

impl S3Backend {
    pub fn new(
        client: aws_sdk_s3::Client,
        at: Location<'_>,
        encrypt: bool,
        kms_key_id: Option<String>,
    ) -> Self {
        S3Backend {
            client,
            env: at.env.to_string(),
            bucket: at.bucket.to_string(),
            key: at.key.to_string(),
            lock_key: format!("{}.tflock", at.key),
            encrypt,
            kms_key_id,
        }
    }

    fn put(
        &self,
        key: &str,
        body: &[u8],
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body.to_vec()));
        if let Some(k) = &self.kms_key_id {
            req = req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(k);
        } else if self.encrypt {
            req = req.server_side_encryption(ServerSideEncryption::Aes256);
        }
        req
    }

    async fn get(&self, key: &str, op: &str) -> Result<Option<(Vec<u8>, Etag)>, StateError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .api(op)
        {
            Ok(out) => {
                let etag = Etag(out.e_tag().unwrap_or_default().to_string());
                let body = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| ApiError::other(op, format!("reading the body: {e}")))?
                    .into_bytes()
                    .to_vec();
                Ok(Some((body, etag)))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(self.access_error(e)),
        }
    }

    /// Adds what to check when the bucket itself is the problem.
    fn access_error(&self, e: ApiError) -> StateError {
        if e.code_is("NoSuchBucket") {
            StateError::NoBucket {
                bucket: self.bucket.clone(),
                env: self.env.clone(),
            }
        } else {
            StateError::Api(e)
        }
    }
}

fn precondition_failed(e: &ApiError) -> bool {
    e.status == Some(412) || e.code_is("PreconditionFailed")
}

fn conflict(e: &ApiError) -> bool {
    e.status == Some(409) || e.code_is("ConditionalRequestConflict")
}

#[async_trait]
impl Backend for S3Backend {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn lock_path(&self) -> String {
        format!("{}/{}", self.bucket, self.key)
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<Result<LockToken, Contended>, StateError> {
        let res = self
            .put(&self.lock_key, &info.to_bytes())
            .if_none_match("*")
            .send()
            .await
            .api("s3:PutObject");
        match res {
            Ok(out) => Ok(Ok(LockToken {
                info: info.clone(),
                etag: Etag(out.e_tag().unwrap_or_default().to_string()),
            })),
            Err(e) if precondition_failed(&e) => {
                let holder = self.read_lock().await?.map(|(i, _)| i);
                Ok(Err(Contended::Held(holder)))
            }
            Err(e) if conflict(&e) => Ok(Err(Contended::Conflict)),
            Err(e) => Err(self.access_error(e)),
        }
    }

    async fn read_lock(&self) -> Result<Option<(LockInfo, Etag)>, StateError> {
        let Some((body, etag)) = self.get(&self.lock_key, "s3:GetObject").await? else {
            return Ok(None);
        };
        let info = serde_json::from_slice(&body).map_err(|e| StateError::BadLock {
            location: format!("s3://{}/{}", self.bucket, self.lock_key),
            reason: e.to_string(),
        })?;
        Ok(Some((info, etag)))
    }

    async fn delete_lock(&self, etag: &Etag) -> Result<bool, StateError> {
        let res = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.lock_key)
            .if_match(&etag.0)
            .send()
            .await
            .api("s3:DeleteObject");
        match res {
            Ok(_) => Ok(true),
            Err(e) if precondition_failed(&e) || e.is_not_found() => Ok(false),
            Err(e) => Err(self.access_error(e)),
        }
    }

    async fn read(&self) -> Result<Option<(Vec<u8>, Etag)>, StateError> {
        self.get(&self.key, "s3:GetObject").await
    }

    async fn write(&self, bytes: &[u8], expected: Option<&Etag>) -> Result<Etag, StateError> {
        let req = self.put(&self.key, bytes);
        let req = match expected {
            Some(etag) => req.if_match(&etag.0),
            None => req.if_none_match("*"),
        };
        match req.send().await.api("s3:PutObject") {
            Ok(out) => Ok(Etag(out.e_tag().unwrap_or_default().to_string())),
            Err(e)
                if precondition_failed(&e)
                    || conflict(&e)
                    || (expected.is_some() && e.is_not_found()) =>
            {
                Err(StateError::Stale {
                    location: self.location(),
                })
            }
            Err(e) => Err(self.access_error(e)),
        }
    }

    fn recovery_hint(&self) -> String {
        let (b, k) = (&self.bucket, &self.key);
        format!(
            "the bucket keeps every version: list them with\n    aws s3api list-object-versions --bucket {b} --prefix {k}\n  and restore a good one with\n    aws s3api copy-object --bucket {b} --key {k} --copy-source '{b}/{k}?versionId=VERSION_ID'"
        )
    }
}
