//! The command line (clap derive): every flag in one place. Doc comments
//! are the help text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Plan and apply one AWS change-data-capture stack — Aurora MySQL → Debezium
/// on MSK Connect → MSK → Redshift Serverless — from one TOML file per environment.
///
/// `--env NAME` always means the file `<env-dir>/NAME.toml`. AWS credentials
/// come from the standard chain (profiles, SSO, environment, instance roles);
/// the region is the env file's. `AWS_ENDPOINT_URL` is honoured.
#[derive(Debug, Parser)]
#[command(
    name = "cdcstack",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding the environment files.
    #[arg(
        long,
        global = true,
        default_value = "env",
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub env_dir: PathBuf,
    /// Directory where saved plans land by default.
    #[arg(
        long,
        global = true,
        default_value = "plans",
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub plans_dir: PathBuf,
    /// More detail on stderr (-v: cdcstack's own steps such as locking and retries, -vv: debug, the AWS SDK's too).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// Only errors and requested data.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Global options"
    )]
    pub quiet: bool,
    /// No colours (also when NO_COLOR is set).
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_color: bool,
}

#[derive(Debug, Args, Clone)]
pub struct EnvArg {
    /// The environment: reads `<env-dir>/NAME.toml`.
    #[arg(id = "env", long = "env", short = 'e', value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// How long to wait for a lock held by someone else (e.g. 30s, 5m); 0 fails at once.
    #[arg(long, value_name = "DUR", default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

#[derive(Debug, Args, Clone)]
pub struct ParallelArgs {
    /// How many resources may be worked on at once.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
}

#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Limit to resources at or under ADDR (e.g. `network`, `msk.cluster`) and what they depend on; repeatable. For exceptional use.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an environment file offline (no AWS call).
    Validate(ValidateArgs),
    /// Create or verify the state bucket (versioning, encryption, public access blocked).
    Init(InitArgs),
    /// Show what apply would change, against state and the live account.
    Plan(PlanArgs),
    /// Make the account match the environment file (or apply a saved plan).
    Apply(ApplyArgs),
    /// Delete everything the environment's state holds, in reverse dependency order.
    Destroy(DestroyArgs),
    /// Print outputs: endpoints, ARNs, bootstrap brokers, secret ARNs (never secret values).
    Output(OutputArgs),
    /// Print the resource dependency graph.
    Graph(GraphArgs),
    /// Inspect the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Remove a lock left by a dead process (only when the given ID matches).
    ForceUnlock(ForceUnlockArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub env: EnvArg,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Repair a misconfigured state bucket (versioning off, encryption or public access block missing).
    #[arg(long)]
    pub fix: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Save the plan to FILE (relative names land in --plans-dir) for `apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON on stdout (format documented in the README).
    #[arg(long)]
    pub json: bool,
    /// Only reconcile state with what exists; propose no changes to AWS.
    #[arg(long)]
    pub refresh_only: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// A plan saved by `plan --out`; refused if the state changed since.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub parallel: ParallelArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub parallel: ParallelArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Print only this output.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz (`| dot -Tsvg`).
    Dot,
    /// Mermaid flowchart (renders in GitHub markdown).
    Mermaid,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub env: EnvArg,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the addresses in state.
    List(StateListArgs),
    /// Show one resource in state.
    Show(StateShowArgs),
    /// Print the raw state document on stdout.
    Pull(StateListArgs),
}

#[derive(Debug, Args)]
pub struct StateListArgs {
    #[command(flatten)]
    pub env: EnvArg,
}

#[derive(Debug, Args)]
pub struct StateShowArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// Resource address, e.g. `network.subnet.private[1]`.
    #[arg(value_name = "ADDR")]
    pub address: String,
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    #[command(flatten)]
    pub env: EnvArg,
    /// The lock ID printed by the command that found the lock.
    #[arg(value_name = "LOCK_ID")]
    pub lock_id: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub force: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(s).map_err(|e| format!("{e} (use e.g. 30s, 5m, 1h)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("soon").is_err());
    }
}
