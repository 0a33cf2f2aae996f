//! Reads each section of the file into [`Config`], applying the documented
//! defaults (the blog's values) and the checks that need only one key.

use std::collections::BTreeMap;
use std::path::Path;

use ipnet::Ipv4Net;

use super::cidr;
use super::names::{self, Rule};
use super::reader::{Reader, Tbl};
use super::{
    Aurora, Backend, BackendKind, Bastion, Config, Connector, Msk, NatGateways, Network,
    PluginSource, Redshift, Stack,
};

/// Debezium MySQL snapshot modes (Debezium 2.x).
pub const SNAPSHOT_MODES: &[&str] = &[
    "initial",
    "initial_only",
    "when_needed",
    "never",
    "no_data",
    "schema_only",
    "schema_only_recovery",
    "recovery",
    "always",
    "configuration_based",
    "custom",
];

/// Redshift Serverless log exports.
pub const LOG_EXPORTS: &[&str] = &["userlog", "connectionlog", "useractivitylog"];

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// MSK Connect MCU counts per worker.
pub const MCU_COUNTS: &[u32] = &[1, 2, 4, 8];

/// MSK Connect Kafka Connect versions.
pub const KAFKA_CONNECT_VERSIONS: &[&str] = &["2.7.1", "3.7.x"];

pub(super) fn read(r: &mut Reader, path: &Path, doc: &toml_edit::Table) -> Config {
    let mut root = r.root(doc);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();

    let stack = read_stack(r, &mut root, &stem);
    let backend = read_backend(r, &mut root, &stack, path);
    let tags = read_tags(r, &mut root);
    let prefix = format!("{}-{}", stack.name, stack.environment);
    let network = read_network(r, &mut root, &stack, &prefix);
    let aurora = read_aurora(r, &mut root, &prefix);
    let msk = read_msk(r, &mut root, &prefix);
    let connector = read_connector(r, &mut root, &prefix, &aurora, path);
    let redshift = read_redshift(r, &mut root, &prefix);
    r.finish(root);

    Config {
        path: path.to_path_buf(),
        stack,
        backend,
        tags,
        network,
        aurora,
        msk,
        connector,
        redshift,
    }
}

/// A section that must be present: reports it and reads on with an empty one.
fn required_section<'a>(
    r: &mut Reader,
    root: &mut Tbl<'a>,
    key: &'static str,
    help: &str,
) -> Tbl<'a> {
    match r.table(root, key) {
        Some(t) => t,
        None => {
            if !root.contains(key) {
                r.missing(root, key, help);
            }
            Tbl::empty(key)
        }
    }
}

fn section<'a>(r: &mut Reader, root: &mut Tbl<'a>, key: &'static str) -> Tbl<'a> {
    r.table(root, key).unwrap_or_else(|| Tbl::empty(key))
}

fn required_string(r: &mut Reader, t: &mut Tbl<'_>, key: &'static str, help: &str) -> String {
    match r.string(t, key) {
        Some(s) => s,
        None => {
            if !t.contains(key) {
                r.missing(t, key, help);
            }
            String::new()
        }
    }
}

/// Checks `value` (read from `key`) against an AWS naming rule.
fn named(r: &mut Reader, key: &str, value: &str, rule: &Rule, help: &str) {
    if r.ok(&[key])
        && let Err(e) = rule.check(value)
    {
        r.report(key, e, help);
    }
}

/// An integer in `lo..=hi`, or the default.
fn int_in(
    r: &mut Reader,
    t: &mut Tbl<'_>,
    key: &'static str,
    lo: i64,
    hi: i64,
    default: u32,
) -> u32 {
    let Some(v) = r.int(t, key) else {
        return default;
    };
    if (lo..=hi).contains(&v) {
        u32::try_from(v).unwrap_or(default)
    } else {
        let path = format!("{}.{key}", t.path());
        r.report(
            &path,
            format!("{v} is out of range"),
            format!("use a value from {lo} to {hi}"),
        );
        default
    }
}

/// A string from a fixed set, or the default.
fn one_of(
    r: &mut Reader,
    t: &mut Tbl<'_>,
    key: &'static str,
    allowed: &[&str],
    default: &str,
) -> String {
    let Some(v) = r.string(t, key) else {
        return default.to_string();
    };
    if allowed.contains(&v.as_str()) {
        v
    } else {
        let path = format!("{}.{key}", t.path());
        r.report(
            &path,
            format!("`{v}` is not allowed"),
            format!("use one of: {}", allowed.join(", ")),
        );
        default.to_string()
    }
}

fn read_stack(r: &mut Reader, root: &mut Tbl<'_>, stem: &str) -> Stack {
    let mut t = required_section(
        r,
        root,
        "stack",
        "add a [stack] section with `name` and `region`",
    );
    let name = required_string(
        r,
        &mut t,
        "name",
        "add `name = \"cdc\"`: the prefix of every resource name",
    );
    named(
        r,
        "stack.name",
        &name,
        &names::NAME_PART,
        "for example `cdc`",
    );
    let environment = r
        .string(&mut t, "environment")
        .unwrap_or_else(|| stem.to_string());
    let env_key = if t.contains("environment") {
        "stack.environment"
    } else {
        ""
    };
    if let Err(e) = names::NAME_PART.check(&environment) {
        if env_key.is_empty() {
            r.report(
                "stack.environment",
                format!("the environment defaults to the file name, and {e}"),
                "rename the file or set `environment` in [stack]",
            );
        } else {
            named(
                r,
                env_key,
                &environment,
                &names::NAME_PART,
                "for example `dev`",
            );
        }
    }
    let region = required_string(r, &mut t, "region", "add `region = \"us-east-1\"`");
    if !region.is_empty()
        && r.ok(&["stack.region"])
        && !super::checks::REGIONS.contains(&region.as_str())
    {
        r.report(
            "stack.region",
            format!("`{region}` is not an AWS region"),
            "use a region code such as us-east-1, eu-west-1 or ap-southeast-2",
        );
    }
    r.finish(t);
    Stack {
        name,
        environment,
        region,
    }
}

fn read_backend(r: &mut Reader, root: &mut Tbl<'_>, stack: &Stack, path: &Path) -> Backend {
    let mut t = required_section(
        r,
        root,
        "backend",
        "add a [backend] section with the state `bucket` (or `path` for a local file)",
    );
    let bucket = r.string(&mut t, "bucket");
    let key = r.string(&mut t, "key");
    let region = r.string(&mut t, "region");
    let use_lockfile = r.boolean(&mut t, "use_lockfile").unwrap_or(true);
    let encrypt = r.boolean(&mut t, "encrypt").unwrap_or(true);
    let kms_key_id = r.string(&mut t, "kms_key_id");
    let local = r.string(&mut t, "path");

    if !use_lockfile {
        r.report(
            "backend.use_lockfile",
            "cdcstack always locks state with the S3 lock object",
            "remove `use_lockfile = false` (DynamoDB locking is not supported; Terraform deprecated it)",
        );
    }
    if let Some(k) = &kms_key_id
        && !(k.starts_with("arn:") || k.starts_with("alias/") || uuid::Uuid::parse_str(k).is_ok())
    {
        r.report(
            "backend.kms_key_id",
            format!("`{k}` is not a KMS key ARN, alias or key id"),
            "use `arn:aws:kms:REGION:ACCOUNT:key/ID`, `alias/NAME` or the key id",
        );
    }
    let kind = match (bucket, local) {
        (Some(_), Some(_)) => {
            r.report(
                "backend.path",
                "`path` and `bucket` are both set",
                "keep `bucket` for S3 state, or `path` for a local file (experiments only)",
            );
            BackendKind::Local { path: path.into() }
        }
        (None, Some(p)) => {
            if p.trim().is_empty() {
                r.report(
                    "backend.path",
                    "the path is empty",
                    "for example `path = \"state/dev.tfstate\"`",
                );
            }
            BackendKind::Local {
                path: resolve(path, &p),
            }
        }
        (bucket, None) => {
            let bucket = bucket.unwrap_or_else(|| {
                if !t.contains("bucket") {
                    r.missing(&t, "bucket", "add `bucket = \"...\"`: the S3 bucket holding the state (or `path` for a local file)");
                }
                String::new()
            });
            named(
                r,
                "backend.bucket",
                &bucket,
                &names::S3_BUCKET,
                "the state bucket must follow S3 bucket naming rules",
            );
            let given = key.is_some();
            let key = key.unwrap_or_else(|| {
                format!("{}/{}/cdcstack.tfstate", stack.name, stack.environment)
            });
            // A default key from a broken stack name is not a second problem.
            let checkable = given || r.ok(&["stack.name", "stack.environment"]);
            if checkable && (key.is_empty() || key.starts_with('/') || key.len() > 1000) {
                r.report(
                    "backend.key",
                    format!("`{key}` is not a usable object key"),
                    "use a relative key such as `cdc/dev/cdcstack.tfstate` (no leading /, at most 1000 bytes)",
                );
            }
            if let Some(region) = &region
                && r.ok(&["backend.region"])
                && !super::checks::REGIONS.contains(&region.as_str())
            {
                r.report(
                    "backend.region",
                    format!("`{region}` is not an AWS region"),
                    "use a region code such as us-east-1",
                );
            }
            let region = region.unwrap_or_else(|| stack.region.clone());
            BackendKind::S3 {
                bucket,
                key,
                region,
            }
        }
    };
    r.finish(t);
    Backend {
        kind,
        use_lockfile,
        encrypt,
        kms_key_id,
    }
}

fn read_tags(r: &mut Reader, root: &mut Tbl<'_>) -> BTreeMap<String, String> {
    let tags = r.string_map(root, "tags", true).unwrap_or_default();
    for (k, v) in &tags {
        let key = format!("tags.{}", super::reader::quote_key(k));
        if k.to_ascii_lowercase().starts_with("aws:") {
            r.report(
                &key,
                format!("tag key `{k}` uses the reserved `aws:` prefix"),
                "AWS reserves `aws:` tags; choose another key",
            );
        } else if k.starts_with("cdcstack:") {
            r.report(
                &key,
                format!("tag key `{k}` uses the `cdcstack:` prefix"),
                "cdcstack sets its ownership tags itself; choose another key",
            );
        } else if k == "Name" {
            r.report(
                &key,
                "`Name` is set by cdcstack on every resource",
                "remove it; each resource gets its own Name tag",
            );
        } else if k.is_empty() || k.chars().count() > 128 {
            r.report(
                &key,
                format!("tag key is {} characters", k.chars().count()),
                "tag keys must be 1–128 characters",
            );
        } else if v.chars().count() > 256 {
            r.report(
                &key,
                format!("tag value is {} characters", v.chars().count()),
                "tag values must be at most 256 characters",
            );
        } else if let Some(c) = k.chars().chain(v.chars()).find(|c| !tag_char(*c)) {
            r.report(
                &key,
                format!(
                    "tag `{k}` = `{v}` contains {c:?}, which RDS, IAM, MSK and Redshift refuse"
                ),
                "use letters, digits, spaces and _ . : / = + - @ only",
            );
        }
    }
    tags
}

/// The characters every service of the stack accepts in tags (RDS, IAM,
/// MSK and Redshift are stricter than EC2: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`).
fn tag_char(c: char) -> bool {
    c.is_alphanumeric()
        || c == ' '
        || c.is_whitespace() && !c.is_control()
        || "_.:/=+-@".contains(c)
}

fn read_network(r: &mut Reader, root: &mut Tbl<'_>, stack: &Stack, prefix: &str) -> Network {
    let mut t = required_section(r, root, "network", "add a [network] section with `cidr`");
    let name = r
        .string(&mut t, "name")
        .unwrap_or_else(|| format!("{prefix}-vpc"));
    let cidr_s = required_string(
        r,
        &mut t,
        "cidr",
        "add `cidr = \"10.20.0.0/16\"`: the VPC CIDR the 9 subnets are carved from",
    );
    let cidr = parse_vpc_cidr(r, &cidr_s);
    let azs = r.string_list(&mut t, "azs").unwrap_or_else(|| {
        ["a", "b", "c"]
            .iter()
            .map(|s| format!("{}{s}", stack.region))
            .collect()
    });
    let nat = one_of(
        r,
        &mut t,
        "nat_gateways",
        &["one_per_az", "single"],
        "one_per_az",
    );
    let nat_gateways = if nat == "single" {
        NatGateways::Single
    } else {
        NatGateways::OnePerAz
    };
    let bastion = r.table(&mut t, "bastion").map(|mut b| {
        let instance_type = r
            .string(&mut b, "instance_type")
            .unwrap_or_else(|| "t3.micro".into());
        if r.ok(&["network.bastion.instance_type"]) && !is_instance_type(&instance_type) {
            r.report(
                "network.bastion.instance_type",
                format!("`{instance_type}` is not an EC2 instance type"),
                "for example `t3.micro`",
            );
        }
        let allowed = r.string_list(&mut b, "allowed_cidrs").unwrap_or_default();
        let mut allowed_cidrs = Vec::new();
        for (i, c) in allowed.iter().enumerate() {
            match c.parse::<Ipv4Net>() {
                Ok(n) if n.trunc() == n => allowed_cidrs.push(n),
                Ok(n) => r.report(
                    &format!("network.bastion.allowed_cidrs[{i}]"),
                    format!("`{c}` has host bits set"),
                    format!("use `{}`", n.trunc()),
                ),
                Err(_) => r.report(
                    &format!("network.bastion.allowed_cidrs[{i}]"),
                    format!("`{c}` is not an IPv4 CIDR"),
                    "for example `203.0.113.0/24` or `198.51.100.7/32`",
                ),
            }
        }
        let ami = r.string(&mut b, "ami");
        if let Some(a) = &ami
            && !(a.starts_with("ami-")
                && a.len() >= 12
                && a[4..].chars().all(|c| c.is_ascii_hexdigit()))
        {
            r.report(
                "network.bastion.ami",
                format!("`{a}` is not an AMI id"),
                "use an id like `ami-0abcdef1234567890`, or remove `ami` for Amazon Linux 2023",
            );
        }
        let key_name = r.string(&mut b, "key_name");
        r.finish(b);
        Bastion {
            instance_type,
            allowed_cidrs,
            ami,
            key_name,
        }
    });
    r.finish(t);
    Network {
        name,
        cidr,
        azs,
        nat_gateways,
        bastion,
    }
}

fn parse_vpc_cidr(r: &mut Reader, s: &str) -> Ipv4Net {
    let fallback: Ipv4Net = "10.0.0.0/16".parse().expect("literal");
    if s.is_empty() {
        return fallback;
    }
    let help = format!(
        "use an IPv4 CIDR from /{} to /{} (9 subnets of 1/16 of it each need at least /{})",
        cidr::MIN_VPC_PREFIX,
        cidr::MAX_VPC_PREFIX,
        cidr::MIN_SUBNET_PREFIX
    );
    match s.parse::<Ipv4Net>() {
        Err(_) => {
            r.report(
                "network.cidr",
                format!("`{s}` is not an IPv4 CIDR"),
                format!("{help}, for example `10.20.0.0/16`"),
            );
            fallback
        }
        Ok(n) if n.trunc() != n => {
            r.report(
                "network.cidr",
                format!("`{s}` has host bits set"),
                format!("use `{}`", n.trunc()),
            );
            fallback
        }
        Ok(n) if n.prefix_len() < cidr::MIN_VPC_PREFIX => {
            r.report(
                "network.cidr",
                format!("/{} is larger than a VPC can be", n.prefix_len()),
                help,
            );
            fallback
        }
        Ok(n) if n.prefix_len() > cidr::MAX_VPC_PREFIX => {
            r.report(
                "network.cidr",
                format!(
                    "/{} leaves no room for 9 subnets (they would be /{})",
                    n.prefix_len(),
                    n.prefix_len() + cidr::SUBNET_BITS
                ),
                help,
            );
            fallback
        }
        Ok(n) => n,
    }
}

fn is_instance_type(s: &str) -> bool {
    let mut parts = s.splitn(2, '.');
    let (Some(family), Some(size)) = (parts.next(), parts.next()) else {
        return false;
    };
    !family.is_empty()
        && family.starts_with(|c: char| c.is_ascii_lowercase())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !size.is_empty()
        && size
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn read_aurora(r: &mut Reader, root: &mut Tbl<'_>, prefix: &str) -> Aurora {
    let mut t = section(r, root, "aurora");
    let name = r
        .string(&mut t, "name")
        .unwrap_or_else(|| format!("{prefix}-aurora"));
    let engine_version = r
        .string(&mut t, "engine_version")
        .unwrap_or_else(|| "8.0.mysql_aurora.3.08.0".into());
    if r.ok(&["aurora.engine_version"]) && !engine_version.starts_with("8.0.mysql_aurora.3.") {
        r.report(
            "aurora.engine_version",
            format!("`{engine_version}` is not an Aurora MySQL 3 (MySQL 8.0) version"),
            "the binlog parameter group is family aurora-mysql8.0; use a version like `8.0.mysql_aurora.3.08.0`",
        );
    }
    let instance_class = r
        .string(&mut t, "instance_class")
        .unwrap_or_else(|| "db.r6g.large".into());
    if r.ok(&["aurora.instance_class"])
        && !(instance_class == "db.serverless"
            || instance_class
                .strip_prefix("db.")
                .is_some_and(is_instance_type))
    {
        r.report(
            "aurora.instance_class",
            format!("`{instance_class}` is not a DB instance class"),
            "for example `db.r6g.large`, `db.t4g.medium` or `db.serverless`",
        );
    }
    let instances = int_in(r, &mut t, "instances", 1, 16, 1);
    let database = r.string(&mut t, "database").unwrap_or_else(|| "app".into());
    named(
        r,
        "aurora.database",
        &database,
        &names::MYSQL_DATABASE,
        "for example `app`",
    );
    let master_username = r
        .string(&mut t, "master_username")
        .unwrap_or_else(|| "admin".into());
    named(
        r,
        "aurora.master_username",
        &master_username,
        &names::MYSQL_MASTER_USER,
        "for example `admin`",
    );
    let cdc_username = r
        .string(&mut t, "cdc_username")
        .unwrap_or_else(|| "debezium".into());
    named(
        r,
        "aurora.cdc_username",
        &cdc_username,
        &names::MYSQL_USER,
        "for example `debezium`",
    );
    if r.ok(&["aurora.cdc_username", "aurora.master_username"]) && cdc_username == master_username {
        r.report(
            "aurora.cdc_username",
            "the CDC user must not be the master user",
            "Debezium gets a dedicated user with only the replication grants; pick another name",
        );
    }
    let parameters = r
        .string_map(&mut t, "parameters", false)
        .unwrap_or_default();
    for (k, v) in &parameters {
        let key = format!("aurora.parameters.{}", super::reader::quote_key(k));
        let fixed = super::checks::BINLOG_PARAMETERS
            .iter()
            .find(|(n, _)| n == k);
        if let Some((n, want)) = fixed {
            if !v.eq_ignore_ascii_case(want) {
                r.report(
                    &key,
                    format!("`{n}` is always `{want}` for CDC"),
                    format!("remove it; Debezium needs {n}={want}"),
                );
            }
        } else if !k
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            || k.is_empty()
        {
            r.report(
                &key,
                format!("`{k}` is not a parameter name"),
                "DB parameter names contain letters, digits, `_` and `.`",
            );
        }
    }
    let reboot_for_parameters = r.boolean(&mut t, "reboot_for_parameters").unwrap_or(false);
    let backup_retention_days = int_in(r, &mut t, "backup_retention_days", 1, 35, 7);
    let data_api = r.boolean(&mut t, "data_api").unwrap_or(false);
    let deletion_protection = r.boolean(&mut t, "deletion_protection").unwrap_or(false);
    r.finish(t);
    Aurora {
        name,
        engine_version,
        instance_class,
        instances,
        database,
        master_username,
        cdc_username,
        parameters,
        reboot_for_parameters,
        backup_retention_days,
        data_api,
        deletion_protection,
    }
}

fn read_msk(r: &mut Reader, root: &mut Tbl<'_>, prefix: &str) -> Msk {
    let mut t = section(r, root, "msk");
    let name = r
        .string(&mut t, "name")
        .unwrap_or_else(|| format!("{prefix}-msk"));
    let kafka_version = r
        .string(&mut t, "kafka_version")
        .unwrap_or_else(|| "3.9.x".into());
    if r.ok(&["msk.kafka_version"]) && !is_kafka_version(&kafka_version) {
        r.report(
            "msk.kafka_version",
            format!("`{kafka_version}` is not an MSK Kafka version"),
            "for example `3.9.x`, `3.8.x` or `3.6.0`",
        );
    }
    // The multiple-of-AZs rule is checked later; the range says the rest.
    let broker_count = int_in(r, &mut t, "broker_count", 3, 90, 3);
    let instance_type = r
        .string(&mut t, "instance_type")
        .unwrap_or_else(|| "kafka.m5.large".into());
    if r.ok(&["msk.instance_type"])
        && !(instance_type
            .strip_prefix("kafka.")
            .or_else(|| instance_type.strip_prefix("express.")))
        .is_some_and(is_instance_type)
    {
        r.report(
            "msk.instance_type",
            format!("`{instance_type}` is not an MSK broker type"),
            "for example `kafka.m5.large`, `kafka.m7g.large` or `kafka.t3.small`",
        );
    }
    let ebs_volume_gb = int_in(r, &mut t, "ebs_volume_gb", 1, 16384, 100);
    let configuration = r
        .string_map(&mut t, "configuration", false)
        .unwrap_or_else(|| {
            BTreeMap::from([("auto.create.topics.enable".to_string(), "true".to_string())])
        });
    for k in configuration.keys() {
        if k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            r.report(
                &format!("msk.configuration.{}", super::reader::quote_key(k)),
                format!("`{k}` is not a Kafka server property"),
                "property names look like `auto.create.topics.enable`",
            );
        }
    }
    r.finish(t);
    Msk {
        name,
        kafka_version,
        broker_count,
        instance_type,
        ebs_volume_gb,
        configuration,
    }
}

fn is_kafka_version(v: &str) -> bool {
    let v = v.strip_suffix(".kraft").unwrap_or(v);
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts[..2]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && (parts[2] == "x"
            || (!parts[2].is_empty() && parts[2].chars().all(|c| c.is_ascii_digit())))
}

fn read_connector(
    r: &mut Reader,
    root: &mut Tbl<'_>,
    prefix: &str,
    aurora: &Aurora,
    path: &Path,
) -> Connector {
    let mut t = required_section(
        r,
        root,
        "connector",
        "add a [connector] section with `plugin`: the Debezium MySQL plugin zip",
    );
    let name = r
        .string(&mut t, "name")
        .unwrap_or_else(|| format!("{prefix}-connector"));
    let plugin_s = required_string(
        r,
        &mut t,
        "plugin",
        "add `plugin = \"../plugins/debezium-connector-mysql.zip\"` (a local zip) or an `s3://bucket/key` URL",
    );
    let plugin = read_plugin(r, &plugin_s, path);
    let topic_prefix = r
        .string(&mut t, "topic_prefix")
        .unwrap_or_else(|| aurora.database.clone());
    named(
        r,
        "connector.topic_prefix",
        &topic_prefix,
        &names::KAFKA_TOPIC_PREFIX,
        "for example `app`",
    );
    let databases = r
        .string_list(&mut t, "databases")
        .unwrap_or_else(|| vec![aurora.database.clone()]);
    if databases.is_empty() && r.ok(&["connector.databases"]) {
        r.report(
            "connector.databases",
            "no database to capture",
            format!("list at least one, for example `[\"{}\"]`", aurora.database),
        );
    }
    for (i, d) in databases.iter().enumerate() {
        named(
            r,
            &format!("connector.databases[{i}]"),
            d,
            &names::MYSQL_DATABASE,
            "list MySQL database names",
        );
    }
    let snapshot_mode = one_of(r, &mut t, "snapshot_mode", SNAPSHOT_MODES, "initial");
    let (workers, mcu) = read_capacity(r, &mut t);
    let config = r.string_map(&mut t, "config", false).unwrap_or_default();
    for (k, v) in &config {
        let key = format!("connector.config.{}", super::reader::quote_key(k));
        let (kl, vl) = (k.to_ascii_lowercase(), v.to_ascii_lowercase());
        // A config-provider reference (`${secretsmanager:…}`) is resolved by
        // MSK Connect at run time and is no secret itself.
        let literal = !v.contains("${");
        if kl == "database.password"
            || (kl.contains("password") && literal)
            || (vl.contains("password=") && literal)
        {
            r.report_secret(
                &key,
                "a password must not be written in the connector configuration (it would be stored in state and shown in plans)",
                "remove it: the CDC user's password reaches Debezium from Secrets Manager at run time (database.password is set by cdcstack); keep other secrets in Secrets Manager and refer to them as ${secretsmanager:NAME:KEY}",
            );
        } else if k == "tasks.max" && v != "1" {
            r.report(
                &key,
                "Debezium MySQL runs exactly one task",
                "remove `tasks.max` or set it to 1",
            );
        } else if k == "connector.class" && v != "io.debezium.connector.mysql.MySqlConnector" {
            r.report(
                &key,
                "cdcstack deploys the Debezium MySQL connector",
                "remove `connector.class`",
            );
        }
    }
    let kafka_connect_version = one_of(
        r,
        &mut t,
        "kafka_connect_version",
        KAFKA_CONNECT_VERSIONS,
        "2.7.1",
    );
    let log_retention_days =
        r.int(&mut t, "log_retention_days").map_or(14, |d| {
            match u32::try_from(d)
                .ok()
                .filter(|d| LOG_RETENTION_DAYS.contains(d))
            {
                Some(d) => d,
                None => {
                    r.report(
                        "connector.log_retention_days",
                        format!("{d} is not a CloudWatch Logs retention period"),
                        format!(
                            "use one of: {}",
                            LOG_RETENTION_DAYS
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    14
                }
            }
        });
    let artifact_bucket = r
        .string(&mut t, "artifact_bucket")
        .unwrap_or_else(|| format!("{prefix}-connector-artifacts"));
    r.finish(t);
    Connector {
        name,
        plugin,
        topic_prefix,
        databases,
        snapshot_mode,
        workers,
        mcu,
        config,
        kafka_connect_version,
        log_retention_days,
        artifact_bucket,
    }
}

fn read_plugin(r: &mut Reader, s: &str, env_file: &Path) -> PluginSource {
    if s.is_empty() {
        return PluginSource::Local(Default::default());
    }
    if let Some(rest) = s.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if let Err(e) = names::S3_BUCKET.check(bucket) {
            r.report("connector.plugin", e, "use `s3://BUCKET/KEY.zip`");
        } else if key.is_empty() {
            r.report(
                "connector.plugin",
                format!("`{s}` names no object"),
                "use `s3://BUCKET/KEY.zip`",
            );
        }
        return PluginSource::S3 {
            bucket: bucket.into(),
            key: key.into(),
        };
    }
    if s.contains("://") {
        r.report(
            "connector.plugin",
            format!("`{s}` is neither a local path nor an s3:// URL"),
            "use a path to the plugin zip (relative to the env file) or `s3://BUCKET/KEY.zip`",
        );
        return PluginSource::Local(s.into());
    }
    let p = resolve(env_file, s);
    match std::fs::metadata(&p) {
        Ok(m) if m.is_file() => {}
        Ok(_) => r.report("connector.plugin", format!("`{}` is not a file", p.display()), "point it at the plugin zip"),
        Err(_) => r.report(
            "connector.plugin",
            format!("`{}` does not exist", p.display()),
            "relative paths resolve against the env file's directory; point it at the Debezium MySQL plugin zip or use an s3:// URL",
        ),
    }
    PluginSource::Local(p)
}

fn read_capacity(r: &mut Reader, t: &mut Tbl<'_>) -> (u32, u32) {
    let Some(mut c) = r.table(t, "capacity") else {
        return (1, 1);
    };
    // Named only to give the reason instead of "unknown key".
    for key in ["autoscaling", "min_workers", "max_workers"] {
        if r.present(&mut c, key) {
            r.report(
                &format!("connector.capacity.{key}"),
                "Debezium MySQL runs one task, so autoscaled capacity is refused",
                "use provisioned capacity: `capacity = { workers = 1, mcu = 1 }`",
            );
        }
    }
    let workers = r.int(&mut c, "workers").map_or(1, |w| {
        if w != 1 {
            r.report(
                "connector.capacity.workers",
                format!(
                    "{w} workers: Debezium MySQL runs exactly one task, so more workers do nothing"
                ),
                "use `workers = 1`; give it more MCUs instead",
            );
        }
        1
    });
    let mcu = r.int(&mut c, "mcu").map_or(1, |m| {
        match u32::try_from(m).ok().filter(|m| MCU_COUNTS.contains(m)) {
            Some(m) => m,
            None => {
                r.report(
                    "connector.capacity.mcu",
                    format!("{m} MCUs per worker is not offered"),
                    "use 1, 2, 4 or 8",
                );
                1
            }
        }
    });
    r.finish(c);
    (workers, mcu)
}

fn read_redshift(r: &mut Reader, root: &mut Tbl<'_>, prefix: &str) -> Redshift {
    let mut t = section(r, root, "redshift");
    let name = r
        .string(&mut t, "name")
        .unwrap_or_else(|| format!("{prefix}-redshift"));
    let database = r
        .string(&mut t, "database")
        .unwrap_or_else(|| "analytics".into());
    named(
        r,
        "redshift.database",
        &database,
        &names::REDSHIFT_DATABASE,
        "for example `analytics`",
    );
    let admin_username = r
        .string(&mut t, "admin_username")
        .unwrap_or_else(|| "admin".into());
    named(
        r,
        "redshift.admin_username",
        &admin_username,
        &names::REDSHIFT_ADMIN_USER,
        "for example `admin`",
    );
    let base_capacity = r.int(&mut t, "base_capacity").map_or(8, |c| {
        if (8..=1024).contains(&c) && c % 8 == 0 {
            u32::try_from(c).unwrap_or(8)
        } else {
            r.report(
                "redshift.base_capacity",
                format!("{c} RPUs is not a Redshift Serverless base capacity"),
                "use 8 to 1024 in steps of 8 (8, 16, 24, …)",
            );
            8
        }
    });
    let log_exports = r
        .string_list(&mut t, "log_exports")
        .unwrap_or_else(|| LOG_EXPORTS.iter().map(|s| s.to_string()).collect());
    for (i, l) in log_exports.iter().enumerate() {
        let key = format!("redshift.log_exports[{i}]");
        if !LOG_EXPORTS.contains(&l.as_str()) {
            r.report(
                &key,
                format!("`{l}` is not a Redshift log export"),
                format!("use any of: {}", LOG_EXPORTS.join(", ")),
            );
        } else if log_exports[..i].contains(l) {
            r.report(
                &key,
                format!("`{l}` is listed twice"),
                "list each log export once",
            );
        }
    }
    let enhanced_vpc_routing = r.boolean(&mut t, "enhanced_vpc_routing").unwrap_or(true);
    let publicly_accessible = r.boolean(&mut t, "publicly_accessible").unwrap_or(false);
    r.finish(t);
    Redshift {
        name,
        database,
        admin_username,
        base_capacity,
        log_exports,
        enhanced_vpc_routing,
        publicly_accessible,
    }
}

/// Resolves a path from the env file against the file's directory.
fn resolve(env_file: &Path, p: &str) -> std::path::PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        env_file.parent().unwrap_or(Path::new(".")).join(p)
    }
}
