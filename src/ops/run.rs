//! The steps plan, apply and destroy share: build the desired stack, read
//! state and live resources into a plan, run a plan, record outputs.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::session::Session;
use crate::apply::{self, Checkpoints, Outcome};
use crate::engine::{Ctx, Event, Registry};
use crate::error::{ApplyFailed, Error, Result};
use crate::plan::{self, Mode, Plan};
use crate::stack::{Address, Stack, matches_target};
use crate::state::{State, Store};

pub struct Prepared {
    pub stack: Stack,
    pub registry: Registry,
    pub targets: Vec<String>,
    /// SHA-256 of the environment file.
    pub digest: String,
}

pub fn prepare(s: &Session, targets: &[String]) -> Result<Prepared> {
    let mut stack = Stack::build(&s.cfg)?;
    stack.retain_targets(targets)?;
    let bytes = std::fs::read(&s.cfg.path).map_err(|source| Error::ReadEnvFile {
        path: s.cfg.path.clone(),
        source,
    })?;
    let aws = Arc::new(crate::aws::Aws::new(s.aws.clone(), &s.cfg.stack.region));
    Ok(Prepared {
        stack,
        registry: crate::aws::drivers::registry(&aws),
        targets: targets.to_vec(),
        digest: format!("{:x}", Sha256::digest(&bytes)),
    })
}

pub fn ctx(s: &Session, account_id: &str, cancel: CancellationToken) -> Ctx {
    Ctx {
        stack: s.cfg.stack.name.clone(),
        env: s.cfg.stack.environment.clone(),
        region: s.cfg.stack.region.clone(),
        account_id: account_id.to_string(),
        cancel,
        pacing: s.settings.pacing,
        events: s.events.clone(),
        scope: None,
    }
}

/// The part of the state a targeted run may touch.
fn scoped(state: &State, p: &Prepared, mode: Mode) -> State {
    if p.targets.is_empty() {
        return state.clone();
    }
    let mut s = state.clone();
    let hit = |a: &Address| p.targets.iter().any(|t| matches_target(a, t));
    if mode == Mode::Destroy {
        // The targets and everything that depends on them.
        let mut keep: std::collections::BTreeSet<Address> =
            s.resources.keys().filter(|a| hit(a)).cloned().collect();
        loop {
            let more: Vec<Address> = s
                .resources
                .iter()
                .filter(|(a, r)| {
                    !keep.contains(*a) && r.depends_on.iter().any(|d| keep.contains(d))
                })
                .map(|(a, _)| a.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            keep.extend(more);
        }
        s.resources.retain(|a, _| keep.contains(a));
    } else {
        s.resources
            .retain(|a, _| hit(a) || p.stack.resources.contains_key(a));
    }
    s
}

pub async fn make_plan(
    s: &Session,
    p: &Prepared,
    store: &Store,
    mode: Mode,
    account_id: &str,
    cancel: CancellationToken,
) -> Result<Plan> {
    let ctx = ctx(s, account_id, cancel);
    let state = scoped(&store.state, p, mode);
    let stack_for_mode;
    let stack = if mode == Mode::Destroy && !p.targets.is_empty() {
        // Read what the scoped state names, plus the targets themselves.
        let mut st = p.stack.clone();
        st.resources.retain(|a, _| {
            state.resources.contains_key(a) || p.targets.iter().any(|t| matches_target(a, t))
        });
        stack_for_mode = st;
        &stack_for_mode
    } else {
        &p.stack
    };
    let input = plan::Inputs {
        stack,
        state: &state,
        state_exists: !store.is_new(),
        env: &s.env,
        config_digest: &p.digest,
        mode,
        targets: &p.targets,
    };
    Ok(plan::make(&ctx, &p.registry, input).await?)
}

/// Runs `plan`, then records the outputs. Returns the store and what happened.
pub async fn execute(
    s: &Session,
    p: &Prepared,
    plan: &Plan,
    store: Store,
    parallelism: usize,
    cancel: CancellationToken,
) -> Result<(Store, Outcome)> {
    let ctx = ctx(s, &plan.account_id, cancel);
    let cp = Arc::new(Checkpoints::new(store));
    let outcome = apply::run(&ctx, &p.registry, plan, &p.stack, cp.clone(), parallelism).await?;
    let cp = Arc::try_unwrap(cp).unwrap_or_else(|_| unreachable!("apply tasks are done"));
    let mut store = cp.into_store().await;
    let full = Stack::build(&s.cfg)?;
    let outputs = apply::outputs(&full, &store.state);
    if outputs != store.state.outputs {
        store.state.outputs = outputs;
        store.persist().await?;
    }
    Ok((store, outcome))
}

/// The summary event when everything was done, otherwise every failure.
///
/// # Errors
/// [`Error::Apply`] naming what failed, what was skipped and what to run next.
pub fn report(s: &Session, plan: &Plan, outcome: Outcome) -> Result<()> {
    let sum = plan.summary();
    if outcome.failed.is_empty() && outcome.skipped.is_empty() && !outcome.interrupted {
        s.events.on(&Event::Summary {
            destroy: plan.mode == Mode::Destroy,
            add: sum.add,
            change: sum.change,
            remove: sum.destroy,
        });
        return Ok(());
    }
    Err(Error::Apply(Box::new(ApplyFailed {
        destroy: plan.mode == Mode::Destroy,
        env: s.env.clone(),
        outcome,
    })))
}
