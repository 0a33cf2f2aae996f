//! `cdcstack init`: create or verify the state bucket (or local directory).

use crate::cli::{GlobalArgs, InitArgs};
use crate::config::BackendKind;
use crate::error::{Error, ExitStatus, Result};
use crate::printer::Printer;
use crate::state::init::{BucketSpec, ensure_bucket};

pub async fn run(global: &GlobalArgs, p: Printer, args: &InitArgs) -> Result<ExitStatus> {
    let s = super::session::Session::open(global, &args.env, p).await?;
    let (bucket, region) = match &s.cfg.backend.kind {
        BackendKind::Local { path } => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::Usage(format!("cannot create {}: {e}", dir.display())))?;
            }
            p.status(
                "Ready",
                format!(
                    "local state at {} (for experiments: one machine, no versions; locked with a lock file beside it)",
                    path.display()
                ),
            );
            return Ok(ExitStatus::Success);
        }
        BackendKind::S3 { bucket, region, .. } => (bucket.clone(), region.clone()),
    };
    let account = s.account_id().await?;
    let sdk = crate::aws::sdk_config(&region).await;
    let s3 = crate::aws::s3_client(&sdk);
    let spec = BucketSpec {
        bucket: &bucket,
        region: &region,
        kms_key_id: s.cfg.backend.kms_key_id.as_deref(),
        account_id: Some(&account),
    };
    let report = ensure_bucket(&s3, &spec, args.fix).await?;
    if !report.problems.is_empty() {
        return Err(Error::Aborted(format!(
            "state bucket `{bucket}` is misconfigured:\n{}\nnothing was changed; run `cdcstack init --env {} --fix` to repair it",
            report
                .problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n"),
            s.env
        )));
    }
    let encryption = match &s.cfg.backend.kms_key_id {
        Some(k) => format!("SSE-KMS ({k})"),
        None => "SSE-S3".into(),
    };
    let summary = format!("versioning on, {encryption}, public access blocked, TLS-only policy");
    if report.created {
        p.status(
            "Created",
            format!("state bucket `{bucket}` in {region}: {summary}"),
        );
    } else if report.fixed.is_empty() {
        p.status(
            "Ready",
            format!("state bucket `{bucket}` in {region}: {summary} (no changes)"),
        );
    } else {
        for f in &report.fixed {
            p.status("Fixed", f);
        }
        p.status(
            "Ready",
            format!("state bucket `{bucket}` in {region}: {summary}"),
        );
    }
    Ok(ExitStatus::Success)
}
