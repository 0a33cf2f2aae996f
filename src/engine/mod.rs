//! The engine: the resource-kind trait ([`Driver`]), batch reads of what
//! exists, waiters and retries. It knows nothing of AWS services; drivers
//! (in [`crate::aws::drivers`]) do.

pub mod driver;
pub mod events;
pub mod refresh;
pub mod typed;
pub mod wait;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use driver::{Attrs, Ctx, Driver, DriverError, Found, Live, Schema, Scope, Wanted};
pub use events::{Event, Events, Observer, Step};

/// Drivers by kind name.
pub type Registry = BTreeMap<&'static str, Arc<dyn Driver>>;
