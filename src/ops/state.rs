//! Reading the state: its addresses, one resource, the raw document, the
//! outputs; and `force-unlock`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::session::Session;
use crate::error::{Error, Result};
use crate::stack::{Address, Stack};
use crate::state::{self, LockInfo, ResourceState, Store};

/// The addresses in state.
///
/// # Errors
/// The state's.
pub async fn resources(s: &Session) -> Result<Vec<Address>> {
    let store = Store::load(s.backend.clone()).await?;
    Ok(store.state.resources.keys().cloned().collect())
}

/// One resource in state.
///
/// # Errors
/// [`Error::NotInState`], or the state's.
pub async fn show(s: &Session, address: &str) -> Result<ResourceState> {
    let store = Store::load(s.backend.clone()).await?;
    store
        .state
        .resources
        .get(address)
        .cloned()
        .ok_or_else(|| Error::NotInState {
            address: address.to_string(),
            env: s.env.clone(),
        })
}

/// The raw state document.
///
/// # Errors
/// [`Error::NoState`] when there is none yet, or the state's.
pub async fn pull(s: &Session) -> Result<Vec<u8>> {
    let store = Store::load(s.backend.clone()).await?;
    if store.is_new() {
        return Err(Error::NoState {
            location: s.backend.location(),
            env: s.env.clone(),
        });
    }
    Ok(store.state.to_bytes())
}

/// The stack's outputs resolved from the state (what exists so far, even
/// after a partial apply), with the stack that defines them.
///
/// # Errors
/// The state's.
pub async fn outputs(s: &Session) -> Result<(Stack, BTreeMap<String, Value>)> {
    let store = Store::load(s.backend.clone()).await?;
    let stack = Stack::build(&s.cfg)?;
    let outputs = crate::apply::outputs(&stack, &store.state);
    Ok((stack, outputs))
}

/// Removes the lock only if its ID is `id`.
///
/// # Errors
/// A lock with another ID, no lock, or the backend's.
pub async fn force_unlock(s: &Session, id: &str) -> Result<LockInfo> {
    Ok(state::force_unlock(s.backend.as_ref(), id).await?)
}
