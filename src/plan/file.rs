//! Saved plans (`plan --out FILE`, `apply FILE`): the whole plan as JSON
//! with the state lineage and serial it was made against. Apply refuses it
//! when the state or the environment file moved on. Holds no secret values
//! (plans never do).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Plan;

/// Bumped when the saved form changes incompatibly.
pub const PLAN_FILE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct SavedPlan {
    cdcstack_plan: u32,
    cdcstack_version: String,
    plan: Plan,
}

/// # Errors
/// When the file cannot be written.
pub fn save(path: &Path, plan: &Plan) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let saved = SavedPlan {
        cdcstack_plan: PLAN_FILE_VERSION,
        cdcstack_version: env!("CARGO_PKG_VERSION").to_string(),
        plan: plan.clone(),
    };
    std::fs::write(
        path,
        serde_json::to_vec_pretty(&saved).expect("plan serialises"),
    )
}

/// Why a file is not a usable plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file {}", .path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a cdcstack plan file{}", .path.display(), .reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NotAPlan {
        path: std::path::PathBuf,
        reason: Option<String>,
    },
    #[error("{} is a version {found} plan file; this cdcstack reads version {PLAN_FILE_VERSION}; plan again", .path.display())]
    Version {
        path: std::path::PathBuf,
        found: u64,
    },
    #[error("{} is damaged ({reason}); plan again", .path.display())]
    Damaged {
        path: std::path::PathBuf,
        reason: String,
    },
}

/// # Errors
/// Why the file is not a usable plan.
pub fn load(path: &Path) -> Result<Plan, PlanFileError> {
    let path_buf = || path.to_path_buf();
    let bytes = std::fs::read(path).map_err(|source| PlanFileError::Read {
        path: path_buf(),
        source,
    })?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| PlanFileError::NotAPlan {
            path: path_buf(),
            reason: Some(e.to_string()),
        })?;
    match v.get("cdcstack_plan").and_then(serde_json::Value::as_u64) {
        Some(n) if n == u64::from(PLAN_FILE_VERSION) => {}
        Some(found) => {
            return Err(PlanFileError::Version {
                path: path_buf(),
                found,
            });
        }
        None => {
            return Err(PlanFileError::NotAPlan {
                path: path_buf(),
                reason: None,
            });
        }
    }
    let saved: SavedPlan = serde_json::from_value(v).map_err(|e| PlanFileError::Damaged {
        path: path_buf(),
        reason: e.to_string(),
    })?;
    Ok(saved.plan)
}
