//! Apply: runs a plan's actions concurrently in dependency order — each
//! resource starts as soon as its own dependencies are done, never tier by
//! tier — and writes the state after every resource, so a crash loses at
//! most what was in flight (and that is found again by ownership tags).
//!
//! # Guarantees
//! - A resource whose dependency failed is not started; independent work
//!   finishes; every success is in state.
//! - Deletes run after everything that used the resource is deleted or changed.
//! - After an interrupt no new work starts; resources already created but
//!   still becoming ready are in state with their ids.

mod ops;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;

use crate::engine::{Attrs, Ctx, DriverError, Event, Live, Registry, Step};
use crate::plan::{Action, Change, Mode, Plan, Reason, normalize};
use crate::stack::{Address, Lookup, Stack};
use crate::state::{ResourceState, StateError, Store};

use ops::{Op, build_ops};

/// What happened.
#[derive(Debug, Default)]
pub struct Outcome {
    pub done: usize,
    pub failed: Vec<(Address, String)>,
    pub skipped: Vec<Address>,
    pub interrupted: bool,
}

/// The state, shared by the running operations. Every change is persisted
/// before the operation that made it counts as done; changes that finish
/// while a write is under way go out together in the next write (group
/// commit), so resources finishing at once do not queue one write each.
pub struct Checkpoints {
    store: Mutex<Store>,
    pending: std::sync::Mutex<Pending>,
    /// The newest change generation known to be written.
    durable: std::sync::atomic::AtomicU64,
}

/// Changes not written yet: `Some` records a resource, `None` forgets it.
#[derive(Default)]
struct Pending {
    changes: Vec<(Address, Option<ResourceState>)>,
    generation: u64,
}

impl Checkpoints {
    pub fn new(store: Store) -> Self {
        Checkpoints {
            store: Mutex::new(store),
            pending: std::sync::Mutex::default(),
            durable: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub async fn into_store(self) -> Store {
        self.store.into_inner()
    }

    async fn record(
        &self,
        address: &Address,
        kind: &str,
        live: &Live,
        depends_on: &[Address],
    ) -> Result<(), StateError> {
        let state = ResourceState {
            kind: kind.to_string(),
            id: live.id.clone(),
            attributes: live.attrs.clone(),
            depends_on: depends_on.to_vec(),
        };
        self.commit(address, Some(state)).await
    }

    async fn forget(&self, address: &Address) -> Result<(), StateError> {
        self.commit(address, None).await
    }

    /// Queues one change and returns once a write that includes it is done.
    async fn commit(
        &self,
        address: &Address,
        change: Option<ResourceState>,
    ) -> Result<(), StateError> {
        use std::sync::atomic::Ordering;
        let mine = {
            let mut p = self.pending.lock().expect("pending changes lock");
            p.changes.push((address.clone(), change));
            p.generation += 1;
            p.generation
        };
        let mut store = self.store.lock().await;
        if self.durable.load(Ordering::Acquire) >= mine {
            return Ok(());
        }
        let (batch, generation) = {
            let mut p = self.pending.lock().expect("pending changes lock");
            (std::mem::take(&mut p.changes), p.generation)
        };
        let mut changed = false;
        for (a, c) in batch {
            changed |= match c {
                Some(rs) => store
                    .state
                    .resources
                    .insert(a, rs.clone())
                    .is_none_or(|old| old != rs),
                None => store.state.resources.remove(&a).is_some(),
            };
        }
        if changed {
            store.persist().await?;
        }
        self.durable.store(generation, Ordering::Release);
        Ok(())
    }

    /// Outputs of resources in state, for resolving references.
    async fn snapshot(&self, addrs: &[Address]) -> Applied {
        let s = self.store.lock().await;
        Applied {
            outputs: addrs
                .iter()
                .filter_map(|a| {
                    s.state
                        .resources
                        .get(a)
                        .map(|r| (a.clone(), r.attributes.clone()))
                })
                .collect(),
            account_id: s.state.account_id.clone(),
        }
    }
}

/// Outputs of resources as they are now.
struct Applied {
    outputs: HashMap<Address, Attrs>,
    account_id: Option<String>,
}

impl Lookup for Applied {
    fn output(&self, address: &Address, attr: &str) -> Option<Value> {
        self.outputs.get(address)?.get(attr).cloned()
    }
    fn account_id(&self) -> Option<String> {
        self.account_id.clone()
    }
}

/// Runs `plan`.
///
/// # Errors
/// Only a state write failure stops the run early; resource failures are in [`Outcome`].
pub async fn run(
    ctx: &Ctx,
    registry: &Registry,
    plan: &Plan,
    stack: &Stack,
    checkpoints: Arc<Checkpoints>,
    parallelism: usize,
) -> Result<Outcome, StateError> {
    let ops = build_ops(plan, stack);
    // An ordering bug must stop the run before anything is deleted, not
    // halfway through.
    if let Some(stuck) = ops::waiting_on_each_other(&ops) {
        let list = stuck
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Ok(Outcome {
            failed: vec![(
                stuck[0].clone(),
                format!(
                    "internal error: these operations would wait on each other: {list}; nothing was changed (applying with --target on one of them first may get past it; please report this)"
                ),
            )],
            ..Outcome::default()
        });
    }
    // Record what exists and stays as it is (adopted, refreshed) in one write.
    {
        let mut s = checkpoints.store.lock().await;
        s.state.account_id = Some(ctx.account_id.clone());
        s.state.stack = Some(ctx.stack.clone());
        s.state.environment = Some(ctx.env.clone());
        s.state.region = Some(ctx.region.clone());
        for c in &plan.changes {
            // A refresh-only plan's drift: the state takes what exists (its
            // `after`); otherwise `before` is what was read.
            let attrs = if c.reason == Some(Reason::Drift) {
                c.after.as_ref()
            } else {
                c.before.as_ref()
            };
            if let (Some(id), Some(attrs)) = (&c.live_id, attrs)
                && c.action != Action::Delete
            {
                s.state.resources.insert(
                    c.address.clone(),
                    ResourceState {
                        kind: c.kind.clone(),
                        id: id.clone(),
                        attributes: attrs.clone(),
                        depends_on: c.depends_on.clone(),
                    },
                );
            } else if plan.mode == Mode::RefreshOnly && c.reason == Some(Reason::DeletedOutside) {
                // Gone from AWS: gone from the state, as Terraform's
                // `apply -refresh-only` does.
                s.state.resources.remove(&c.address);
            }
        }
        s.persist().await?;
    }

    let changes: Arc<Vec<Change>> = Arc::new(plan.changes.clone());
    let mut pending: Vec<usize> = ops.iter().map(|o| o.deps.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for (i, o) in ops.iter().enumerate() {
        for &d in &o.deps {
            dependents[d].push(i);
        }
    }
    let ops = Arc::new(ops);
    let mut blocked = vec![false; ops.len()];
    let mut ready: Vec<usize> = (0..ops.len()).filter(|&i| pending[i] == 0).collect();
    let sem = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut running: JoinSet<(usize, Result<(), OpError>)> = JoinSet::new();
    // Which op each task runs, to name the one whose task panicked.
    let mut tasks: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut out = Outcome::default();
    let mut state_error: Option<StateError> = None;

    loop {
        // Start everything whose dependencies are done.
        while let Some(i) = ready.pop() {
            if blocked[i] {
                out.skipped.push(ops[i].address.clone());
                release(i, &dependents, &mut pending, &mut ready, &mut blocked, true);
                continue;
            }
            if ctx.cancel.is_cancelled() || state_error.is_some() {
                out.interrupted = ctx.cancel.is_cancelled();
                continue;
            }
            let (ctx, registry, changes, ops, checkpoints, sem) = (
                ctx.clone(),
                registry.clone(),
                changes.clone(),
                ops.clone(),
                checkpoints.clone(),
                sem.clone(),
            );
            let task = running.spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore never closes");
                let op = &ops[i];
                let ctx = ctx.scoped(&op.address);
                let r = run_op(&ctx, &registry, op, &changes[op.change], &checkpoints).await;
                (i, r)
            });
            tasks.insert(task.id(), i);
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (i, r) = match joined {
            Ok((_, done)) => done,
            // A bug in a driver stops only what depends on that resource;
            // the run goes on, records what finished and releases the lock.
            Err(e) => {
                let i = tasks[&e.id()];
                let why = if e.is_panic() {
                    "panicked"
                } else {
                    "was cancelled"
                };
                let msg = format!(
                    "internal error: the {} driver {why} while {} it; please report this",
                    plan.changes[ops[i].change].kind,
                    ops[i].step.doing().to_lowercase()
                );
                (i, Err(OpError::Driver(DriverError::Failed(msg))))
            }
        };
        let op = &ops[i];
        let failed = match r {
            Ok(()) => {
                out.done += 1;
                false
            }
            Err(OpError::Driver(DriverError::Cancelled(_))) => {
                ctx.events.on(&Event::ResourceInterrupted {
                    address: op.address.clone(),
                });
                out.interrupted = true;
                true
            }
            Err(OpError::State(e)) => {
                ctx.events.on(&Event::ResourceFailed {
                    address: op.address.clone(),
                    step: op.step,
                    error: e.to_string(),
                });
                out.failed.push((op.address.clone(), e.to_string()));
                state_error.get_or_insert(e);
                true
            }
            Err(OpError::Driver(e)) => {
                ctx.events.on(&Event::ResourceFailed {
                    address: op.address.clone(),
                    step: op.step,
                    error: e.to_string(),
                });
                out.failed.push((op.address.clone(), e.to_string()));
                true
            }
        };
        release(
            i,
            &dependents,
            &mut pending,
            &mut ready,
            &mut blocked,
            failed,
        );
    }
    if ctx.cancel.is_cancelled() {
        out.interrupted = true;
    }
    // Operations that never became ready wait on each other: a bug in the
    // ordering, reported rather than passed over as success.
    let stuck: Vec<&Address> = (0..ops.len())
        .filter(|&i| pending[i] > 0)
        .map(|i| &ops[i].address)
        .collect();
    if !stuck.is_empty() && !out.interrupted && state_error.is_none() {
        let list = stuck
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        out.failed.push((
            stuck[0].clone(),
            format!("internal error: these operations wait on each other: {list}"),
        ));
    }
    if let Some(e) = state_error {
        return Err(e);
    }
    Ok(out)
}

/// Marks op `i` finished; its dependents become ready (blocked when it failed).
fn release(
    i: usize,
    dependents: &[Vec<usize>],
    pending: &mut [usize],
    ready: &mut Vec<usize>,
    blocked: &mut [bool],
    failed: bool,
) {
    for &d in &dependents[i] {
        if failed {
            blocked[d] = true;
        }
        pending[d] -= 1;
        if pending[d] == 0 {
            ready.push(d);
        }
    }
}

/// Why one operation failed: its driver, or the state write after it.
enum OpError {
    Driver(DriverError),
    State(StateError),
}

impl From<DriverError> for OpError {
    fn from(e: DriverError) -> Self {
        OpError::Driver(e)
    }
}

impl From<StateError> for OpError {
    fn from(e: StateError) -> Self {
        OpError::State(e)
    }
}

async fn run_op(
    ctx: &Ctx,
    registry: &Registry,
    op: &Op,
    c: &Change,
    cp: &Checkpoints,
) -> Result<(), OpError> {
    let driver = registry
        .get(c.kind.as_str())
        .ok_or_else(|| DriverError::Failed(format!("no driver for resource kind `{}`", c.kind)))?
        .clone();
    let addr = &c.address;
    let start = Instant::now();
    let current = || Live {
        id: c.live_id.clone().unwrap_or_default(),
        attrs: c.before.clone().unwrap_or_default(),
        ready: !c.wait,
    };
    ctx.events.on(&Event::ResourceStarted {
        address: addr.clone(),
        step: op.step,
    });
    let done = |id: Option<String>| {
        ctx.events.on(&Event::ResourceDone {
            address: addr.clone(),
            step: op.step,
            id,
            elapsed: start.elapsed(),
        });
    };
    match op.step {
        Step::Delete => {
            if c.live_id.is_some() {
                driver.delete(ctx, addr, &current()).await?;
            }
            cp.forget(addr).await?;
            done(None);
        }
        Step::Wait => {
            let live = driver.wait(ctx, addr, &current()).await?;
            cp.record(addr, &c.kind, &live, &c.depends_on).await?;
            done(None);
        }
        Step::Create | Step::Update => {
            let desired = resolve(c, cp).await?;
            let mut live = if op.step == Step::Create {
                let live = driver.create(ctx, addr, &desired).await?;
                cp.record(addr, &c.kind, &live, &c.depends_on).await?;
                live
            } else {
                let mut live = current();
                if !live.ready {
                    live = driver.wait(ctx, addr, &live).await?;
                }
                let changed: Vec<String> = desired
                    .iter()
                    .filter(|(k, v)| {
                        let cur = live.attrs.get(*k).map(|l| normalize(driver.as_ref(), k, l));
                        !cur.is_some_and(|cur| {
                            driver.same(k, &normalize(driver.as_ref(), k, v), &cur)
                        })
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                if !changed.is_empty() {
                    live = driver.update(ctx, addr, &live, &desired, &changed).await?;
                    cp.record(addr, &c.kind, &live, &c.depends_on).await?;
                }
                live
            };
            if !live.ready {
                live = driver.wait(ctx, addr, &live).await?;
            }
            cp.record(addr, &c.kind, &live, &c.depends_on).await?;
            done(Some(live.id.clone()));
            for message in driver.after_apply_notes(&desired, &live) {
                ctx.events.on(&Event::Note {
                    address: addr.clone(),
                    message,
                });
            }
        }
    }
    Ok(())
}

/// The desired attributes with every reference resolved from the state.
async fn resolve(c: &Change, cp: &Checkpoints) -> Result<Attrs, DriverError> {
    let applied = cp.snapshot(&c.depends_on).await;
    let mut out = Attrs::new();
    for (k, e) in c.desired.iter().flat_map(BTreeMap::iter) {
        match e.resolve(&applied) {
            Some(Value::Null) => {}
            Some(v) => {
                out.insert(k.clone(), v);
            }
            None => {
                return Err(DriverError::Failed(format!(
                    "`{k}` = {} is still unknown after its dependencies were applied",
                    e.display()
                )));
            }
        }
    }
    Ok(out)
}

/// Resolves the stack's outputs from the state.
pub fn outputs(stack: &Stack, state: &crate::state::State) -> BTreeMap<String, Value> {
    let applied = Applied {
        outputs: state
            .resources
            .iter()
            .map(|(a, r)| (a.clone(), r.attributes.clone()))
            .collect(),
        account_id: state.account_id.clone(),
    };
    stack
        .outputs
        .iter()
        .filter_map(|o| Some((o.name.to_string(), o.value.resolve(&applied)?)))
        .collect()
}
