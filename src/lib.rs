//! cdcstack: plan and apply one AWS CDC stack from a TOML file per environment.
//!
//! The pipeline: [`config`] (the env file, checked offline) → [`stack`] (the
//! desired resources and their dependency graph). [`commands`] holds one
//! thin module per subcommand; [`cli`] every flag.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod error;
pub mod logging;
pub mod model;
pub mod ops;
pub mod plan;
pub mod secret;
pub mod settings;
pub mod stack;
pub mod state;
pub mod ui;
