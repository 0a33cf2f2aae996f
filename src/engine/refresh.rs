//! Reading what exists: one batch read per resource kind, all kinds at
//! once, instead of one call per resource.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::Registry;
use super::driver::{Ctx, Driver, DriverError, Live, Wanted};
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
    let mut set = JoinSet::new();
    for (kind, list) in by_kind {
        let driver: Arc<dyn Driver> = registry.get(kind.as_str()).cloned().ok_or_else(|| {
            (
                kind.clone(),
                DriverError::Failed(format!("no driver for resource kind `{kind}`")),
            )
        })?;
        let ctx = ctx.clone();
        set.spawn(async move {
            let r = driver.read(&ctx, &list).await;
            (kind, r)
        });
    }
    let mut all = Refreshed::default();
    let mut first_err = None;
    while let Some(joined) = set.join_next().await {
        let (kind, r) = joined.expect("read task panicked");
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
    match first_err {
        Some(e) => Err(e),
        None => Ok(all),
    }
}
