//! `plan` and `refresh`: what apply would change, read under the lock.

use std::time::Duration;

use super::run::{make_plan, prepare};
use super::session::Session;
use crate::error::Result;
use crate::plan::{Mode, Plan};
use crate::state::{Operation, Store};

/// What a plan covers.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `--target`s: only these addresses and what they depend on.
    pub targets: Vec<String>,
    /// How long to wait for a lock someone else holds.
    pub lock_timeout: Duration,
}

/// The changes apply would make.
///
/// # Errors
/// The lock's, the state's, a read's, or a plan AWS could not carry out.
pub async fn plan(s: &Session, opts: &PlanOptions) -> Result<Plan> {
    run(s, opts, Mode::Normal).await
}

/// What differs between the state and what exists, changing nothing in AWS
/// (Terraform's `plan -refresh-only`).
///
/// # Errors
/// As [`plan`].
pub async fn refresh(s: &Session, opts: &PlanOptions) -> Result<Plan> {
    run(s, opts, Mode::RefreshOnly).await
}

async fn run(s: &Session, opts: &PlanOptions, mode: Mode) -> Result<Plan> {
    let prepared = prepare(s, &opts.targets)?;
    let account = s.account_id().await?;
    let op = if mode == Mode::RefreshOnly {
        Operation::Refresh
    } else {
        Operation::Plan
    };
    s.locked(op, opts.lock_timeout, false, |cancel| async {
        let store = Store::load(s.backend.clone()).await?;
        make_plan(s, &prepared, &store, mode, &account, cancel).await
    })
    .await
}
