//! Reading what exists: one batch read per resource kind, all kinds at
//! once, instead of one call per resource.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::task::JoinSet;

use super::Registry;
use super::driver::{Ctx, Driver, DriverError, Live, Wanted};
use super::events::Event;
use crate::stack::Address;

/// What exists, over all kinds.
#[derive(Debug, Default)]
pub struct Refreshed {
    pub live: BTreeMap<Address, Live>,
    /// Objects with this env's ownership tags at no wanted address, with the
    /// kind whose read found them (their address may be in no file or state).
    pub strays: Vec<(Address, String, Live)>,
}

/// Reads every wanted resource, grouped by kind, concurrently.
///
/// # Errors
/// The first kind whose read failed, named.
pub async fn read_all(
    ctx: &Ctx,
    registry: &Registry,
    wanted: Vec<(String, Wanted)>,
) -> Result<Refreshed, (String, DriverError)> {
    let mut by_kind: BTreeMap<String, Vec<Wanted>> = BTreeMap::new();
    for (kind, w) in wanted {
        by_kind.entry(kind).or_default().push(w);
    }
    let total = by_kind.len();
    ctx.events.on(&Event::RefreshStarted { kinds: total });
    let mut set = JoinSet::new();
    // Which kind each task reads, to name the one whose task panicked.
    let mut tasks = HashMap::new();
    for (kind, list) in by_kind {
        let driver: Arc<dyn Driver> = registry.get(kind.as_str()).cloned().ok_or_else(|| {
            (
                kind.clone(),
                DriverError::Failed(format!("no driver for resource kind `{kind}`")),
            )
        })?;
        let ctx = ctx.clone();
        let k = kind.clone();
        let task = set.spawn(async move {
            let r = driver.read(&ctx, &list).await;
            (k, r)
        });
        tasks.insert(task.id(), kind);
    }
    let mut all = Refreshed::default();
    let mut first_err = None;
    let mut done = 0;
    while let Some(joined) = set.join_next_with_id().await {
        let (kind, r) = match joined {
            Ok((_, read)) => read,
            Err(e) => {
                let kind = tasks[&e.id()].clone();
                let msg = format!(
                    "internal error: the {kind} driver panicked while reading; please report this"
                );
                (kind, Err(DriverError::Failed(msg)))
            }
        };
        done += 1;
        ctx.events.on(&Event::KindRead {
            kind: kind.clone(),
            done,
            total,
        });
        match r {
            Ok(f) => {
                all.live.extend(f.live);
                all.strays
                    .extend(f.strays.into_iter().map(|(a, l)| (a, kind.clone(), l)));
            }
            Err(e) => {
                first_err.get_or_insert((kind, e));
            }
        }
    }
    ctx.events.on(&Event::RefreshDone);
    match first_err {
        Some(e) => Err(e),
        None => Ok(all),
    }
}
