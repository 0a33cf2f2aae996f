//! cdcstack: plan and apply one AWS CDC stack from a TOML file per environment.
//!
//! The pipeline: [`config`] (the env file, checked offline) → [`stack`] (the
//! desired resources, typed by [`model`], and their dependency graph) →
//! [`plan`] (desired vs state vs what exists, read through [`engine`] by the
//! drivers in [`aws`]) → [`apply`] (concurrent, dependency-ordered) →
//! [`state`] (S3 or a local file, behind a lock). [`ops`] runs these for
//! each command; [`commands`] turns the command line ([`cli`]) into options
//! and shows the results through [`ui`]; [`settings`] are resolved once.
//!
//! Only what the binary and the integration tests use is public, so rustc
//! finds dead code.

mod apply;
mod aws;
mod cli;
mod commands;
mod config;
mod engine;
mod error;
mod logging;
mod model;
mod ops;
mod plan;
mod secret;
mod settings;
mod stack;
mod state;
mod ui;

pub use entry::main;

mod entry;

/// What the integration tests reach in to: loading an env file, the stack it
/// builds, and the state backends and lock. Everything else stays private.
pub mod testing {
    pub use crate::config::load;
    pub use crate::stack::{Address, Stack};
    pub use crate::state::s3::{Location, S3Backend};
    pub use crate::state::{
        Backend, Operation, ResourceState, StateError, Store, acquire, force_unlock, release,
    };
}
