//! `init`: the state bucket (or local directory), created or verified.

use std::path::PathBuf;

use super::session::Session;
use crate::config::BackendKind;
use crate::error::{Error, Result};
use crate::state::init::{BucketSpec, InitReport, ensure_bucket};

/// What `init` found and did.
#[derive(Debug)]
pub enum Initialized {
    /// A local state file's directory exists.
    Local { path: PathBuf },
    Bucket {
        bucket: String,
        region: String,
        report: InitReport,
    },
}

/// Creates or verifies the state bucket; repairs it only with `fix`.
///
/// # Errors
/// A misconfigured bucket without `fix`, or AWS's and the file system's.
pub async fn init(s: &Session, fix: bool) -> Result<Initialized> {
    let (bucket, region) = match &s.cfg.backend.kind {
        BackendKind::Local { path } => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            return Ok(Initialized::Local { path: path.clone() });
        }
        BackendKind::S3 { bucket, region, .. } => (bucket.clone(), region.clone()),
    };
    let account = s.account_id().await?;
    let sdk = crate::aws::sdk_config(&region).await?;
    let s3 = crate::aws::s3_client(&sdk);
    let spec = BucketSpec {
        bucket: &bucket,
        region: &region,
        kms_key_id: s.cfg.backend.kms_key_id.as_deref(),
        account_id: Some(&account),
    };
    let report = ensure_bucket(&s3, &spec, fix).await?;
    if !report.problems.is_empty() {
        return Err(Error::Misconfigured {
            bucket,
            problems: report.problems,
            env: s.env.clone(),
        });
    }
    Ok(Initialized::Bucket {
        bucket,
        region,
        report,
    })
}
