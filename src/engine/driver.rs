//! The one trait every resource kind implements, so the engine knows
//! nothing of AWS: read (in batches), create, update, delete, wait, plus
//! which attributes force a replacement.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::events::{Event, Events};
use crate::settings::Pacing;
use crate::stack::Address;

/// Attribute values, resolved (no references left).
pub type Attrs = Map<String, Value>;

/// One live object as a driver sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// What the kind is read back by: an id, a name or an ARN.
    pub id: String,
    /// Every desired attribute in the same form the stack writes it, plus
    /// outputs (ARNs, endpoints) that other resources refer to.
    pub attrs: Attrs,
    /// False while AWS is still creating or changing it; [`Driver::wait`] finishes it.
    pub ready: bool,
}

impl Live {
    pub fn ready(id: impl Into<String>, attrs: Attrs) -> Self {
        Live {
            id: id.into(),
            attrs,
            ready: true,
        }
    }
}

/// A resource the engine wants read.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub address: Address,
    /// The id recorded in state, when there is one.
    pub id: Option<String>,
    /// The desired attributes that are already known (names, for kinds read by name).
    pub known: Attrs,
}

/// What a batch read found.
#[derive(Debug, Default)]
pub struct Found {
    pub live: BTreeMap<Address, Live>,
    /// Objects carrying this env's ownership tags that match no wanted
    /// address (left by a crash, or duplicates): deleted by the next apply.
    pub strays: Vec<(Address, Live)>,
}

/// Why a driver call failed.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// A call to the provider's API failed (its own error, shown as it is).
    #[error(transparent)]
    Api(Box<dyn std::error::Error + Send + Sync>),
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
    #[error("{0}")]
    Failed(String),
    #[error("interrupted while waiting for {0}")]
    Cancelled(String),
    /// Values that do not fit a kind's structs: a bug, or a state written by
    /// a cdcstack that modelled the kind otherwise.
    #[error(
        "the {what} of a {kind} do not fit cdcstack's model of it: {error}; please report this"
    )]
    Model {
        kind: &'static str,
        what: &'static str,
        error: String,
    },
}

/// A kind's schema, as data: what the plan needs to know to compare and to
/// decide between an update and a replacement.
#[derive(Debug)]
pub struct Schema {
    pub kind: &'static str,
    /// Every attribute the stack sets.
    pub attributes: Vec<&'static str>,
    /// Attributes whose change means delete + create.
    pub force_new: Vec<&'static str>,
    /// List attributes compared as sets.
    pub unordered: Vec<&'static str>,
    /// Outputs an in-place update changes.
    pub volatile: &'static [&'static str],
    /// Kinds it cannot move away from in place.
    pub bound_to: &'static [&'static str],
    /// What a replacement loses for good.
    pub data_lost_on_replace: Option<&'static str>,
}

/// Everything a driver call may use.
#[derive(Clone)]
pub struct Ctx {
    pub stack: String,
    pub env: String,
    pub region: String,
    pub account_id: String,
    pub cancel: CancellationToken,
    pub pacing: Pacing,
    /// Who is told what happens.
    pub events: Events,
    /// The resource being worked on, for progress events.
    pub scope: Option<Scope>,
}

/// The resource a driver call works on.
#[derive(Debug, Clone)]
pub struct Scope {
    pub address: Address,
    pub started: std::time::Instant,
}

impl Ctx {
    /// This context, working on `address` from now.
    pub fn scoped(&self, address: &Address) -> Ctx {
        Ctx {
            scope: Some(Scope {
                address: address.clone(),
                started: std::time::Instant::now(),
            }),
            ..self.clone()
        }
    }

    /// Tells the observers what AWS last reported for the resource in scope.
    pub fn progress(&self, status: &str) {
        if let Some(s) = &self.scope {
            self.events.on(&Event::Progress {
                address: s.address.clone(),
                status: status.to_string(),
                elapsed: s.started.elapsed(),
            });
        }
    }
}

/// A resource kind as the engine sees it: JSON in and out. Drivers are
/// written against the kind's typed structs ([`super::typed::Lifecycle`],
/// [`super::typed::Advice`]) and turned into this by [`super::typed::Typed`].
#[async_trait]
pub trait Driver: Send + Sync {
    /// The kind's schema.
    fn schema(&self) -> &'static Schema;

    /// Whether changing `attr` from `before` to `after` needs a replacement.
    fn forces_replacement(&self, attr: &str, before: Option<&Value>, after: Option<&Value>)
    -> bool;

    /// Whether a desired value and the live one mean the same.
    fn same(&self, attr: &str, desired: &Value, live: &Value) -> bool;

    /// A live object that cannot be repaired: the reason, and the plan replaces it.
    fn broken(&self, live: &Live) -> Option<String>;

    /// Why this live object must not be deleted: a plan that would delete
    /// or replace it is refused with the reason.
    fn delete_blocker(&self, live: &Live) -> Option<String>;

    /// What the plan should tell the user about this resource; `changed`
    /// lists the attributes the plan changes.
    fn notes(&self, desired: &Attrs, live: Option<&Live>, changed: &[String]) -> Vec<String>;

    /// What to tell the user once it was created or updated (manual steps).
    fn after_apply_notes(&self, desired: &Attrs, live: &Live) -> Vec<String>;

    /// Checks at plan time that a resource about to be created can be;
    /// `Err` is the problem and what to do.
    async fn preflight(&self, ctx: &Ctx, desired: &Attrs) -> Result<(), String>;

    /// Reads every wanted resource of this kind in as few calls as possible.
    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError>;

    /// Creates the resource. May return before it is ready (`Live::ready` false).
    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        desired: &Attrs,
    ) -> Result<Live, DriverError>;

    /// Changes `changed` attributes in place. May return before it is ready.
    async fn update(
        &self,
        ctx: &Ctx,
        address: &Address,
        live: &Live,
        desired: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError>;

    /// Deletes it and waits until it is gone (a no-op when already gone).
    async fn delete(&self, ctx: &Ctx, address: &Address, live: &Live) -> Result<(), DriverError>;

    /// Waits until a resource that is not ready is, and reads its outputs.
    async fn wait(&self, ctx: &Ctx, address: &Address, live: &Live) -> Result<Live, DriverError>;
}
