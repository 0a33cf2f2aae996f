//! `apply` and `destroy`: plan (or load a saved plan), show it, ask, and
//! carry it out under the lock.

use std::path::PathBuf;
use std::time::Duration;

use super::run::{execute, make_plan, prepare, report};
use super::session::Session;
use crate::error::{Error, Result};
use crate::plan::{self, Mode, Plan};
use crate::state::{Operation, Store};

/// What an operation shows and asks on the way.
pub trait Interaction: Send + Sync {
    /// Shows the plan about to be carried out.
    ///
    /// # Errors
    /// When it cannot be shown (stdout closed).
    fn show(&self, plan: &Plan) -> Result<()>;

    /// Asks `question`; true only for "yes".
    fn approve(&self, question: &str) -> bool;
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// A plan saved by `plan --out`, instead of planning now.
    pub plan_file: Option<PathBuf>,
    pub auto_approve: bool,
    pub targets: Vec<String>,
    pub lock_timeout: Duration,
    /// How many resources may be worked on at once.
    pub parallelism: usize,
}

#[derive(Debug, Clone)]
pub struct DestroyOptions {
    pub auto_approve: bool,
    pub targets: Vec<String>,
    pub lock_timeout: Duration,
    pub parallelism: usize,
}

/// Why a saved plan cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("the plan was made for env `{plan}`, not `{env}`")]
    OtherEnv { plan: String, env: String },
    #[error("{path} changed since the plan was made")]
    ConfigChanged { path: PathBuf, env: String },
    #[error(
        "the saved plan does not match the state (plan: lineage {plan_lineage}, serial {plan_serial}; state: lineage {state}): it was made against another state"
    )]
    OtherState {
        plan_lineage: String,
        plan_serial: u64,
        state: String,
        env: String,
    },
    #[error(
        "the saved plan is stale: the state changed since it was made (serial {then} then, {now} now)"
    )]
    Stale { then: u64, now: u64, env: String },
    #[error("the plan was made in account {plan}, these credentials are for {current}")]
    OtherAccount { plan: String, current: String },
}

impl SavedPlanError {
    pub fn hint(&self) -> String {
        match self {
            SavedPlanError::OtherEnv { plan, .. } => {
                format!("apply it with `--env {plan}`, or plan this environment")
            }
            SavedPlanError::OtherAccount { .. } => {
                "use the credentials the plan was made with, or plan again".into()
            }
            SavedPlanError::ConfigChanged { env, .. }
            | SavedPlanError::OtherState { env, .. }
            | SavedPlanError::Stale { env, .. } => {
                format!("plan again: `cdcstack plan --env {env} --out FILE`")
            }
        }
    }
}

/// Makes the account match the environment file, or carries out a saved plan.
/// Returns the plan it carried out (one with no changes did nothing).
///
/// # Errors
/// A saved plan that no longer applies, a declined prompt, the lock's, the
/// state's, or [`Error::Apply`] naming every resource that failed.
pub async fn apply(s: &Session, opts: &ApplyOptions, ui: &dyn Interaction) -> Result<Plan> {
    let saved = match &opts.plan_file {
        Some(f) => {
            let path = if f.exists() {
                f.clone()
            } else {
                s.settings.plan_path(f)
            };
            Some(plan::file::load(&path)?)
        }
        None => None,
    };
    let prepared = prepare(s, &opts.targets)?;
    if let Some(sp) = &saved {
        if sp.env != s.env {
            return Err(SavedPlanError::OtherEnv {
                plan: sp.env.clone(),
                env: s.env.clone(),
            }
            .into());
        }
        if sp.config_digest != prepared.digest {
            return Err(SavedPlanError::ConfigChanged {
                path: s.cfg.path.clone(),
                env: s.env.clone(),
            }
            .into());
        }
    }
    let account = s.account_id().await?;
    s.locked(Operation::Apply, opts.lock_timeout, true, |cancel| async {
        let mut store = Store::load(s.backend.clone()).await?;
        let plan = match saved {
            Some(plan) => {
                check_fresh(&plan, &store, &s.env)?;
                // The first state takes the lineage the plan was made with.
                if store.is_new() {
                    store.state.lineage = plan.state_lineage.clone();
                }
                if plan.account_id != account {
                    return Err(SavedPlanError::OtherAccount {
                        plan: plan.account_id.clone(),
                        current: account.clone(),
                    }
                    .into());
                }
                plan
            }
            None => {
                let plan =
                    make_plan(s, &prepared, &store, Mode::Normal, &account, cancel.clone()).await?;
                ui.show(&plan)?;
                if !plan.has_changes() {
                    return Ok(plan);
                }
                if !opts.auto_approve && !ui.approve("Do you want to perform these actions?") {
                    return Err(Error::Declined { what: "apply" });
                }
                plan
            }
        };
        let (_, outcome) = execute(s, &prepared, &plan, store, opts.parallelism, cancel).await?;
        report(s, &plan, outcome)?;
        Ok(plan)
    })
    .await
}

/// Deletes everything the environment's state holds (and whatever carries
/// its ownership tags), in reverse dependency order.
///
/// # Errors
/// As [`apply`].
pub async fn destroy(s: &Session, opts: &DestroyOptions, ui: &dyn Interaction) -> Result<Plan> {
    let prepared = prepare(s, &opts.targets)?;
    let account = s.account_id().await?;
    s.locked(
        Operation::Destroy,
        opts.lock_timeout,
        true,
        |cancel| async {
            let store = Store::load(s.backend.clone()).await?;
            let plan = make_plan(
                s,
                &prepared,
                &store,
                Mode::Destroy,
                &account,
                cancel.clone(),
            )
            .await?;
            ui.show(&plan)?;
            if !plan.has_changes() {
                return Ok(plan);
            }
            let question = format!(
                "Destroy every resource of env `{}` listed above? There is no undo.",
                s.env
            );
            if !opts.auto_approve && !ui.approve(&question) {
                return Err(Error::Declined { what: "destroy" });
            }
            let (_, outcome) =
                execute(s, &prepared, &plan, store, opts.parallelism, cancel).await?;
            report(s, &plan, outcome)?;
            Ok(plan)
        },
    )
    .await
}

/// Refuses a saved plan when the state moved on since it was made.
fn check_fresh(plan: &Plan, store: &Store, env: &str) -> Result<(), SavedPlanError> {
    let st = &store.state;
    if plan.state_exists && (store.is_new() || st.lineage != plan.state_lineage) {
        return Err(SavedPlanError::OtherState {
            plan_lineage: plan.state_lineage.clone(),
            plan_serial: plan.state_serial,
            state: if store.is_new() {
                "none (there is no state)".to_string()
            } else {
                st.lineage.clone()
            },
            env: env.to_string(),
        });
    }
    let then = if plan.state_exists {
        plan.state_serial
    } else {
        0
    };
    let now = if store.is_new() { 0 } else { st.serial };
    if then != now || plan.state_exists == store.is_new() {
        return Err(SavedPlanError::Stale {
            then,
            now,
            env: env.to_string(),
        });
    }
    Ok(())
}
