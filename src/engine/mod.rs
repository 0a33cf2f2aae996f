//! The engine: what a resource kind offers it ([`Driver`], built from a
//! kind's typed [`typed::Lifecycle`] and [`typed::Advice`]), the context a
//! driver call runs in ([`Ctx`]: who, where, cancellation, pacing, events),
//! batch reads of what exists, waiters and generic retries, and the events
//! a run emits. It knows no cloud API: drivers own their clients, their
//! errors and their retry policies.

pub mod driver;
pub mod events;
#[cfg(test)]
pub mod fake;
pub mod refresh;
pub mod typed;
pub mod wait;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use driver::{Attrs, Ctx, Driver, DriverError, Live, Wanted};
pub use events::{Event, Events, Observer, Step};

/// Drivers by kind name.
pub type Registry = BTreeMap<&'static str, Arc<dyn Driver>>;
