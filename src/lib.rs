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
pub mod config;
mod engine;
mod error;
mod logging;
mod model;
mod ops;
mod plan;
mod secret;
mod settings;
pub mod stack;
pub mod state;
mod ui;

pub use entry::main;

mod entry;
