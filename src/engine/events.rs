//! What plan and apply report while they run, for whoever shows it (the
//! text lines, a progress view, a JSON stream): Terraform's UI hooks
//! (`PreApply`/`PostApply`, refresh progress) as one observer trait. The
//! engine only emits; it never prints.

use std::sync::Arc;
use std::time::Duration;

use crate::stack::Address;

/// What apply does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Update,
    Delete,
    /// Wait for a resource AWS is still creating or changing.
    Wait,
}

impl Step {
    /// The progressive verb (`Creating`).
    pub fn doing(self) -> &'static str {
        match self {
            Step::Create => "Creating",
            Step::Update => "Updating",
            Step::Delete => "Destroying",
            Step::Wait => "Waiting",
        }
    }

    /// The verb once done (`Created`).
    pub fn done(self) -> &'static str {
        match self {
            Step::Create => "Created",
            Step::Update => "Updated",
            Step::Delete => "Destroyed",
            Step::Wait => "Ready",
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The plan starts reading what exists: one batch read per kind.
    RefreshStarted {
        kinds: usize,
    },
    /// One kind's batch read finished.
    KindRead {
        kind: String,
        done: usize,
        total: usize,
    },
    RefreshDone,
    ResourceStarted {
        address: Address,
        step: Step,
    },
    /// What AWS last reported for a resource being waited on.
    Progress {
        address: Address,
        status: String,
        elapsed: Duration,
    },
    ResourceDone {
        address: Address,
        step: Step,
        /// Its id, for creates and updates.
        id: Option<String>,
        elapsed: Duration,
    },
    ResourceFailed {
        address: Address,
        step: Step,
        error: String,
    },
    /// Stopped by an interrupt; what it started is in state.
    ResourceInterrupted {
        address: Address,
    },
    /// Something the user has to do or know about one resource (manual steps).
    Note {
        address: Address,
        message: String,
    },
    /// Something the user should know about the run (a lock left behind).
    Warning {
        message: String,
    },
    /// Apply or destroy finished with every resource done.
    Summary {
        destroy: bool,
        add: usize,
        change: usize,
        remove: usize,
    },
}

/// Whoever shows a run.
pub trait Observer: Send + Sync {
    fn on(&self, event: &Event);
}

/// Shared observers.
pub type Events = Arc<dyn Observer>;

#[cfg(test)]
/// Every event, kept (for tests and for summaries made afterwards).
#[derive(Default)]
pub struct Recorder(std::sync::Mutex<Vec<Event>>);

#[cfg(test)]
impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
impl Observer for Recorder {
    fn on(&self, event: &Event) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event.clone());
    }
}
