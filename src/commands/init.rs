//! `cdcstack init`: create or verify the state bucket (or local directory).

use super::Context;
use crate::cli::InitArgs;
use crate::error::{ExitStatus, Result};
use crate::ops::{self, Initialized};

pub async fn run(cx: &Context, args: &InitArgs) -> Result<ExitStatus> {
    let s = cx.session(&args.env.name).await?;
    let p = cx.printer;
    match ops::init(&s, args.fix).await? {
        Initialized::Local { path } => p.status(
            "Ready",
            format!(
                "local state at {} (for experiments: one machine, no versions; locked with a lock file beside it)",
                path.display()
            ),
        ),
        Initialized::Bucket {
            bucket,
            region,
            report,
        } => {
            let encryption = match &s.cfg.backend.kms_key_id {
                Some(k) => format!("SSE-KMS ({k})"),
                None => "SSE-S3".into(),
            };
            let summary =
                format!("versioning on, {encryption}, public access blocked, TLS-only policy");
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
        }
    }
    Ok(ExitStatus::Success)
}
