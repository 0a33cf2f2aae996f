//! The environment file (`env/<name>.toml`): its schema, defaults and checks.
//!
//! First stage of the pipeline: `config → stack (graph) → plan → apply → state`.
//! Loading never touches AWS; every problem in a file is reported at once.

mod checks;
pub mod cidr;
pub mod diagnostic;
pub mod names;
mod reader;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use serde::Serialize;

pub use diagnostic::Diagnostics;

/// A loaded, fully checked environment.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    pub stack: Stack,
    pub backend: Backend,
    /// Default tags, merged into every taggable resource.
    pub tags: BTreeMap<String, String>,
    pub network: Network,
    pub aurora: Aurora,
    pub msk: Msk,
    pub connector: Connector,
    pub redshift: Redshift,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    pub name: String,
    pub environment: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backend {
    pub kind: BackendKind,
    pub use_lockfile: bool,
    pub encrypt: bool,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub enum BackendKind {
    S3 {
        bucket: String,
        key: String,
        region: String,
    },
    /// A local file, for experiments; resolved against the env file's directory.
    Local { path: PathBuf },
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NatGateways {
    OnePerAz,
    Single,
}

#[derive(Debug, Clone, Serialize)]
pub struct Network {
    pub name: String,
    pub cidr: Ipv4Net,
    pub azs: Vec<String>,
    pub nat_gateways: NatGateways,
    pub bastion: Option<Bastion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bastion {
    pub instance_type: String,
    pub allowed_cidrs: Vec<Ipv4Net>,
    /// `None`: the Amazon Linux 2023 AMI from the public SSM parameter.
    pub ami: Option<String>,
    pub key_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Aurora {
    /// DB cluster identifier.
    pub name: String,
    pub engine_version: String,
    pub instance_class: String,
    pub instances: u32,
    pub database: String,
    pub master_username: String,
    pub cdc_username: String,
    /// Extra cluster parameters; the binlog ones are always added.
    pub parameters: BTreeMap<String, String>,
    pub reboot_for_parameters: bool,
    pub backup_retention_days: u32,
    /// Create the CDC user through the RDS Data API (turns on the cluster's HTTP endpoint).
    pub data_api: bool,
    pub deletion_protection: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Msk {
    pub name: String,
    pub kafka_version: String,
    pub broker_count: u32,
    pub instance_type: String,
    pub ebs_volume_gb: u32,
    pub configuration: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub enum PluginSource {
    /// A local zip, uploaded to the artifact bucket when its content changes.
    Local(PathBuf),
    S3 {
        bucket: String,
        key: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Connector {
    pub name: String,
    pub plugin: PluginSource,
    pub topic_prefix: String,
    pub databases: Vec<String>,
    pub snapshot_mode: String,
    pub workers: u32,
    pub mcu: u32,
    pub config: BTreeMap<String, String>,
    pub kafka_connect_version: String,
    pub log_retention_days: u32,
    pub artifact_bucket: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Redshift {
    /// Namespace and workgroup name.
    pub name: String,
    pub database: String,
    pub admin_username: String,
    pub base_capacity: u32,
    pub log_exports: Vec<String>,
    pub enhanced_vpc_routing: bool,
    pub publicly_accessible: bool,
}

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A problem with the file itself (missing, unreadable, empty, not TOML): one line.
    #[error("{0}")]
    File(String),
    /// The file parsed but has problems; every one of them.
    #[error("{}", .0.short().trim_end())]
    Invalid(Box<Diagnostics>),
}

impl Config {
    /// `{stack.name}-{environment}-{role}`, the default of every generated name.
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.stack.name, self.stack.environment)
    }
}

/// Path of the file for `--env NAME`.
pub fn env_path(env_dir: &Path, env: &str) -> PathBuf {
    env_dir.join(format!("{env}.toml"))
}

/// Reads and checks `path`. No AWS call.
///
/// # Errors
/// [`ConfigError::File`] when the file cannot be read as UTF-8 TOML,
/// [`ConfigError::Invalid`] with every problem otherwise.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        ConfigError::File(match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("{shown}: no such environment file; create it (see README, \"The environment file\") or check --env and --env-dir")
            }
            _ => format!("{shown}: cannot read: {e}"),
        })
    })?;
    if meta.is_dir() {
        return Err(ConfigError::File(format!(
            "{shown}: is a directory, not an environment file"
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| ConfigError::File(format!("{shown}: cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, col) = diagnostic::line_col(
            &String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
            usize::MAX,
        );
        ConfigError::File(format!(
            "{shown}:{line}:{col}: not valid UTF-8; save the file as UTF-8"
        ))
    })?;
    parse(path, text)
}

/// Checks the text of an environment file that lives at `path`.
///
/// # Errors
/// As [`load`].
pub fn parse(path: &Path, text: String) -> Result<Config, ConfigError> {
    let shown = path.display();
    if text.trim().is_empty() {
        return Err(ConfigError::File(format!(
            "{shown}: the file is empty; it needs at least [stack] name and region, [backend] bucket and [network] cidr"
        )));
    }
    let doc = match toml_edit::Document::parse(text.as_str()) {
        Ok(d) => d,
        Err(e) => {
            let (line, col) = e
                .span()
                .map_or((1, 1), |s| diagnostic::line_col(&text, s.start));
            let mut msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
            // toml_edit names neither the key nor what to do.
            if msg == "duplicate key"
                && let Some(key) = e
                    .span()
                    .and_then(|s| text.get(s.start..))
                    .and_then(|rest| rest.lines().next())
                    .map(|l| {
                        l.split('=')
                            .next()
                            .unwrap_or(l)
                            .trim()
                            .trim_matches(['[', ']'])
                    })
                    .filter(|k| !k.is_empty())
            {
                msg = format!("`{key}` is set twice; keep one of them");
            }
            return Err(ConfigError::File(format!(
                "{shown}:{line}:{col}: not valid TOML: {msg}"
            )));
        }
    };
    let mut r = reader::Reader::default();
    let cfg = schema::read(&mut r, path, doc.as_table());
    checks::check(&mut r, &cfg);
    if r.diags.is_empty() {
        Ok(cfg)
    } else {
        {
            let mut items = r.diags;
            items.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Err(ConfigError::Invalid(Box::new(Diagnostics {
                path: path.to_path_buf(),
                source: text,
                items,
            })))
        }
    }
}

/// Every AWS name the stack uses, derived from the file in one place so the
/// checks and the graph can never disagree.
#[derive(Debug, Clone, Serialize)]
pub struct Names {
    pub vpc: String,
    pub aurora_cluster: String,
    pub aurora_parameter_group: String,
    pub aurora_subnet_group: String,
    pub cdc_secret: String,
    pub msk_cluster: String,
    pub msk_configuration: String,
    pub connector: String,
    pub plugin: String,
    pub worker_configuration: String,
    pub connector_role: String,
    pub log_group: String,
    pub artifact_bucket: String,
    pub redshift_namespace: String,
    pub redshift_workgroup: String,
    pub redshift_role: String,
}

impl Names {
    pub fn aurora_instance(&self, i: u32) -> String {
        format!("{}-{}", self.aurora_cluster, i + 1)
    }
}

/// Roles of the security groups, in creation order.
pub const SECURITY_GROUPS: [&str; 5] = ["bastion", "aurora", "msk", "connect", "redshift"];

impl Config {
    pub fn names(&self) -> Names {
        let p = self.prefix();
        let c = &self.connector.name;
        Names {
            vpc: self.network.name.clone(),
            aurora_cluster: self.aurora.name.clone(),
            aurora_parameter_group: format!("{}-binlog", self.aurora.name),
            aurora_subnet_group: self.aurora.name.clone(),
            cdc_secret: format!("{}-cdc-user", self.aurora.name),
            msk_cluster: self.msk.name.clone(),
            msk_configuration: format!("{}-config", self.msk.name),
            connector: c.clone(),
            plugin: format!("{c}-debezium"),
            worker_configuration: format!("{c}-worker"),
            connector_role: format!("{c}-role"),
            log_group: format!("/cdcstack/{p}/connector"),
            artifact_bucket: self.connector.artifact_bucket.clone(),
            redshift_namespace: self.redshift.name.clone(),
            redshift_workgroup: self.redshift.name.clone(),
            redshift_role: format!("{}-streaming", self.redshift.name),
        }
    }

    /// Name of the security group with `role` (one of [`SECURITY_GROUPS`]).
    pub fn security_group_name(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix())
    }
}

pub use checks::{BINLOG_PARAMETERS, partition};
