//! `cdcstack validate` on broken environment files: every mistake is found,
//! and the message names the file, the line and the key.

use std::path::Path;

use assert_cmd::Command;

/// A valid file; each case replaces one of its lines.
const BASE: &str = r#"[stack]
name = "cdc"
region = "us-east-1"

[backend]
bucket = "acme-cdcstack-state"
key = "cdc/t/cdcstack.tfstate"

[tags]
Project = "data_streaming_pipeline"
Owners = "data-platform"

[network]
cidr = "10.20.0.0/16"
azs = ["us-east-1a", "us-east-1b", "us-east-1c"]
nat_gateways = "single"
bastion = { instance_type = "t3.micro", allowed_cidrs = ["203.0.113.0/24"] }

[aurora]
engine_version = "8.0.mysql_aurora.3.08.0"
instance_class = "db.r6g.large"
instances = 1
master_username = "admin"
cdc_username = "debezium"
parameters = {}

[msk]
kafka_version = "3.9.x"
broker_count = 3
instance_type = "kafka.m5.large"
ebs_volume_gb = 100

[connector]
plugin = "plugin.zip"
snapshot_mode = "initial"
capacity = { workers = 1, mcu = 1 }
config = {}

[redshift]
base_capacity = 8
log_exports = ["userlog", "connectionlog", "useractivitylog"]
enhanced_vpc_routing = true
"#;

fn env_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plugin.zip"), b"PK\x03\x04").unwrap();
    dir
}

fn validate(dir: &Path, env: &str) -> (i32, String) {
    let out = Command::cargo_bin("cdcstack")
        .unwrap()
        .args(["--no-color", "--env-dir"])
        .arg(dir)
        .args(["validate", "--env", env])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

/// Replaces the line `from` of BASE with `to`; returns the text and the 1-based line.
fn edit(from: &str, to: &str) -> (String, usize) {
    let lines: Vec<&str> = BASE.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == from)
        .unwrap_or_else(|| panic!("no line {from:?} in BASE"));
    let mut out: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    out[at] = to.to_string();
    (out.join("\n") + "\n", at + 1)
}

#[test]
fn base_file_is_valid() {
    let dir = env_dir();
    std::fs::write(dir.path().join("t.toml"), BASE).unwrap();
    let (code, stderr) = validate(dir.path(), "t");
    assert_eq!(code, 0, "{stderr}");
}

/// (mistake, line of BASE to replace, replacement, key named in the message, text in the message)
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "unknown key",
        "broker_count = 3",
        "brokers = 3",
        "msk.brokers",
        "did you mean `broker_count`",
    ),
    (
        "wrong type",
        "broker_count = 3",
        "broker_count = \"3\"",
        "msk.broker_count",
        "expected an integer, found a string",
    ),
    (
        "bool of wrong type",
        "enhanced_vpc_routing = true",
        "enhanced_vpc_routing = \"yes\"",
        "redshift.enhanced_vpc_routing",
        "expected a boolean",
    ),
    (
        "CIDR syntax",
        "cidr = \"10.20.0.0/16\"",
        "cidr = \"10.20.0.0/33\"",
        "network.cidr",
        "not an IPv4 CIDR",
    ),
    (
        "CIDR too narrow",
        "cidr = \"10.20.0.0/16\"",
        "cidr = \"10.20.0.0/26\"",
        "network.cidr",
        "/16 to /24",
    ),
    (
        "CIDR too wide",
        "cidr = \"10.20.0.0/16\"",
        "cidr = \"10.0.0.0/8\"",
        "network.cidr",
        "/16 to /24",
    ),
    (
        "CIDR host bits",
        "cidr = \"10.20.0.0/16\"",
        "cidr = \"10.20.1.0/16\"",
        "network.cidr",
        "10.20.0.0/16",
    ),
    (
        "two AZs",
        "azs = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]",
        "azs = [\"us-east-1a\", \"us-east-1b\"]",
        "network.azs",
        "exactly 3",
    ),
    (
        "AZ of another region",
        "azs = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]",
        "azs = [\"us-east-1a\", \"eu-west-1b\", \"us-east-1c\"]",
        "network.azs[1]",
        "not an availability zone of us-east-1",
    ),
    (
        "duplicate AZ",
        "azs = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]",
        "azs = [\"us-east-1a\", \"us-east-1b\", \"us-east-1a\"]",
        "network.azs[2]",
        "listed twice",
    ),
    (
        "nat mode",
        "nat_gateways = \"single\"",
        "nat_gateways = \"two\"",
        "network.nat_gateways",
        "one_per_az, single",
    ),
    (
        "bastion CIDR",
        "bastion = { instance_type = \"t3.micro\", allowed_cidrs = [\"203.0.113.0/24\"] }",
        "bastion = { instance_type = \"t3.micro\", allowed_cidrs = [\"203.0.113.300/24\"] }",
        "network.bastion.allowed_cidrs[0]",
        "not an IPv4 CIDR",
    ),
    (
        "brokers not a multiple of AZs",
        "broker_count = 3",
        "broker_count = 4",
        "msk.broker_count",
        "use 3 or 6",
    ),
    (
        "Kafka version",
        "kafka_version = \"3.9.x\"",
        "kafka_version = \"latest\"",
        "msk.kafka_version",
        "not an MSK Kafka version",
    ),
    (
        "base capacity step",
        "base_capacity = 8",
        "base_capacity = 12",
        "redshift.base_capacity",
        "steps of 8",
    ),
    (
        "base capacity range",
        "base_capacity = 8",
        "base_capacity = 2048",
        "redshift.base_capacity",
        "8 to 1024",
    ),
    (
        "log export",
        "log_exports = [\"userlog\", \"connectionlog\", \"useractivitylog\"]",
        "log_exports = [\"userlog\", \"auditlog\"]",
        "redshift.log_exports[1]",
        "connectionlog",
    ),
    (
        "aws: tag",
        "Owners = \"data-platform\"",
        "\"aws:owner\" = \"x\"",
        "tags.\"aws:owner\"",
        "reserved `aws:` prefix",
    ),
    (
        "tag character other services refuse",
        "Owners = \"data-platform\"",
        "Owners = \"data#platform\"",
        "tags.Owners",
        "contains '#'",
    ),
    (
        "key set twice",
        "broker_count = 3",
        "broker_count = 3\nbroker_count = 6",
        "broker_count",
        "set twice",
    ),
    (
        "long tag value",
        "Owners = \"data-platform\"",
        "Owners = \"{LONG}\"",
        "tags.Owners",
        "at most 256",
    ),
    (
        "missing plugin file",
        "plugin = \"plugin.zip\"",
        "plugin = \"nowhere/debezium.zip\"",
        "connector.plugin",
        "does not exist",
    ),
    (
        "plugin URL scheme",
        "plugin = \"plugin.zip\"",
        "plugin = \"https://example.com/d.zip\"",
        "connector.plugin",
        "s3://",
    ),
    (
        "plugin s3 URL without key",
        "plugin = \"plugin.zip\"",
        "plugin = \"s3://my-plugins\"",
        "connector.plugin",
        "names no object",
    ),
    (
        "backend bucket name",
        "bucket = \"acme-cdcstack-state\"",
        "bucket = \"Acme_State\"",
        "backend.bucket",
        "S3 bucket name",
    ),
    (
        "stack name",
        "name = \"cdc\"",
        "name = \"CDC\"",
        "stack.name",
        "lowercase",
    ),
    (
        "region",
        "region = \"us-east-1\"",
        "region = \"us-middle-1\"",
        "stack.region",
        "not an AWS region",
    ),
    (
        "snapshot mode",
        "snapshot_mode = \"initial\"",
        "snapshot_mode = \"everything\"",
        "connector.snapshot_mode",
        "when_needed",
    ),
    (
        "more workers",
        "capacity = { workers = 1, mcu = 1 }",
        "capacity = { workers = 2, mcu = 1 }",
        "connector.capacity.workers",
        "one task",
    ),
    (
        "autoscaling",
        "capacity = { workers = 1, mcu = 1 }",
        "capacity = { autoscaling = true, mcu = 1 }",
        "connector.capacity.autoscaling",
        "autoscaled capacity is refused",
    ),
    (
        "MCU count",
        "capacity = { workers = 1, mcu = 1 }",
        "capacity = { workers = 1, mcu = 3 }",
        "connector.capacity.mcu",
        "1, 2, 4 or 8",
    ),
    (
        "password in connector config",
        "config = {}",
        "config = { \"database.password\" = \"hunter2\" }",
        "connector.config.\"database.password\"",
        "Secrets Manager",
    ),
    (
        "engine version",
        "engine_version = \"8.0.mysql_aurora.3.08.0\"",
        "engine_version = \"5.7.mysql_aurora.2.11.2\"",
        "aurora.engine_version",
        "aurora-mysql8.0",
    ),
    (
        "binlog overridden",
        "parameters = {}",
        "parameters = { binlog_format = \"MIXED\" }",
        "aurora.parameters.binlog_format",
        "always `ROW`",
    ),
    (
        "instances",
        "instances = 1",
        "instances = 0",
        "aurora.instances",
        "from 1 to 16",
    ),
    (
        "reserved master user",
        "master_username = \"admin\"",
        "master_username = \"rdsadmin\"",
        "aurora.master_username",
        "reserved",
    ),
    (
        "CDC user is the master",
        "cdc_username = \"debezium\"",
        "cdc_username = \"admin\"",
        "aurora.cdc_username",
        "must not be the master user",
    ),
    (
        "RDS identifier after expansion",
        "instances = 1",
        "instances = 1\nname = \"aurora-cluster-with-a-name-far-too-long-for-rds-identifiers-xxxxx\"",
        "aurora.name",
        "63 characters",
    ),
    (
        "IAM role name after expansion",
        "snapshot_mode = \"initial\"",
        "snapshot_mode = \"initial\"\nname = \"a-connector-name-that-is-long-enough-to-break-the-iam-role-name\"",
        "connector.name",
        "IAM role name",
    ),
    (
        "Redshift name",
        "base_capacity = 8",
        "base_capacity = 8\nname = \"Analytics\"",
        "redshift.name",
        "lowercase",
    ),
    (
        "artifact bucket",
        "snapshot_mode = \"initial\"",
        "snapshot_mode = \"initial\"\nartifact_bucket = \"x\"",
        "connector.artifact_bucket",
        "3–63 characters",
    ),
    (
        "log retention",
        "snapshot_mode = \"initial\"",
        "snapshot_mode = \"initial\"\nlog_retention_days = 10",
        "connector.log_retention_days",
        "14, 30",
    ),
    (
        "lockfile off",
        "key = \"cdc/t/cdcstack.tfstate\"",
        "key = \"cdc/t/cdcstack.tfstate\"\nuse_lockfile = false",
        "backend.use_lockfile",
        "always locks",
    ),
];

#[test]
fn each_mistake_names_its_line_and_key() {
    assert!(CASES.len() >= 25);
    let dir = env_dir();
    let mut failures = Vec::new();
    for (i, (what, from, to, key, text)) in CASES.iter().enumerate() {
        let to = to.replace("{LONG}", &"x".repeat(300));
        let (body, line) = edit(from, &to);
        // Where a case adds lines, the mistake is on the last one.
        let line = line + to.matches('\n').count();
        let env = format!("case{i}");
        std::fs::write(dir.path().join(format!("{env}.toml")), &body).unwrap();
        let (code, stderr) = validate(dir.path(), &env);
        let want_loc = format!("{env}.toml:{line}:");
        let want_key = format!("`{key}`");
        if code != 1
            || !stderr.contains(&want_loc)
            || !stderr.contains(&want_key)
            || !stderr.contains(text)
        {
            failures.push(format!(
                "[{what}] exit {code}, want 1 with {want_loc} {want_key} {text:?}:\n{stderr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn tag_limit_counts_cdcstacks_own_tags() {
    let dir = env_dir();
    let many: String = (0..47).map(|i| format!("T{i} = \"v\"\n")).collect();
    let (body, line) = edit("Project = \"data_streaming_pipeline\"", &many);
    let body = body.replace("Owners = \"data-platform\"\n", "");
    std::fs::write(dir.path().join("tags.toml"), body).unwrap();
    let (code, stderr) = validate(dir.path(), "tags");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("`tags`") && stderr.contains("47 default tags"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("tags.toml:{}:", line - 1)),
        "{stderr}"
    );
}

#[test]
fn unknown_section_and_missing_keys() {
    let dir = env_dir();
    let body = BASE.replace("name = \"cdc\"\n", "") + "\n[extras]\nx = 1\n";
    let extras_line = body.lines().position(|l| l == "[extras]").unwrap() + 1;
    std::fs::write(dir.path().join("u.toml"), body).unwrap();
    let (code, stderr) = validate(dir.path(), "u");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("u.toml:1:")
            && stderr.contains("`stack.name`")
            && stderr.contains("missing required key"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("u.toml:{extras_line}:"))
            && stderr.contains("unknown key `extras`"),
        "{stderr}"
    );
    assert!(stderr.contains("has 2 problems"), "{stderr}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let dir = env_dir();
    let body = BASE
        .replace("broker_count = 3", "broker_count = 5")
        .replace("base_capacity = 8", "base_capacity = 9")
        .replace("name = \"cdc\"", "name = \"Cdc\"")
        .replace("nat_gateways = \"single\"", "nat_gateway = \"single\"");
    std::fs::write(dir.path().join("many.toml"), body).unwrap();
    let (code, stderr) = validate(dir.path(), "many");
    assert_eq!(code, 1);
    assert!(stderr.contains("has 4 problems"), "{stderr}");
    for k in [
        "`msk.broker_count`",
        "`redshift.base_capacity`",
        "`stack.name`",
        "`network.nat_gateway`",
    ] {
        assert!(stderr.contains(k), "{k} missing in:\n{stderr}");
    }
    assert!(stderr.contains('^'), "a caret under the value: {stderr}");
}

#[test]
fn unreadable_files_get_one_line() {
    let dir = env_dir();
    std::fs::write(dir.path().join("empty.toml"), "  \n").unwrap();
    std::fs::write(dir.path().join("syntax.toml"), "[stack\nname = 1\n").unwrap();
    std::fs::write(
        dir.path().join("binary.toml"),
        b"[stack]\nname = \"\xff\xfe\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("adir.toml")).unwrap();
    for (env, want) in [
        ("empty", "the file is empty"),
        ("syntax", "syntax.toml:1:"),
        ("binary", "not valid UTF-8"),
        ("adir", "is a directory"),
        ("missing", "no such environment file"),
    ] {
        let (code, stderr) = validate(dir.path(), env);
        assert_eq!(code, 1, "{env}: {stderr}");
        assert!(stderr.contains(want), "{env}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{env}: one line, got:\n{stderr}"
        );
    }
    let (_, stderr) = validate(dir.path(), "syntax");
    assert!(stderr.contains("not valid TOML"), "{stderr}");
}

#[test]
fn example_environments_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for env in ["dev", "uat", "prod"] {
        let (code, stderr) = validate(&root.join("env"), env);
        assert_eq!(code, 0, "env/{env}.toml: {stderr}");
    }
}

#[test]
fn a_long_stack_name_reports_every_name_it_breaks() {
    let dir = env_dir();
    let body = BASE.replace("name = \"cdc\"", "name = \"abcdefghijabcdefghijabcdefghij12\"\nenvironment = \"productionproductionproduction12\"");
    std::fs::write(dir.path().join("long.toml"), body).unwrap();
    let (code, stderr) = validate(dir.path(), "long");
    assert_eq!(code, 1);
    let at_name = stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && l.contains("long.toml:2:8: `stack.name`"))
        .count();
    assert!(
        at_name >= 6,
        "one problem per broken name, all at stack.name:\n{stderr}"
    );
    for what in [
        "RDS DB cluster identifier",
        "MSK cluster name",
        "IAM role name",
        "Redshift Serverless workgroup name",
    ] {
        assert!(stderr.contains(what), "{what}:\n{stderr}");
    }
    assert!(stderr.contains("or set `msk.name`"), "{stderr}");
}

#[test]
fn usage_mistakes_exit_1_and_help_exits_0() {
    // Exit 2 is reserved for `plan --detailed-exitcode` with changes, so a
    // script must never mistake a typo for "there are changes".
    for args in [
        &["validate"][..],
        &["plan", "--env", "dev", "--no-such-flag"],
        &["no-such-command"],
        &["graph", "--env", "dev", "--format", "png"],
    ] {
        let out = Command::cargo_bin("cdcstack")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
    }
    for args in [&["--help"][..], &["plan", "--help"], &["--version"]] {
        let out = Command::cargo_bin("cdcstack")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_password_in_the_connector_config_is_refused_without_printing_it() {
    let dir = env_dir();
    for (n, line) in [
        "config = { \"DATABASE.PASSWORD\" = \"hunter2-secret\" }",
        concat!(
            "config = { \"x.sasl.jaas.config\" = ",
            "\"ScramLoginModule required username=\\\"u\\\" password=\\\"hunter2-secret\\\";\" }"
        ),
    ]
    .iter()
    .enumerate()
    {
        let (body, at) = edit("config = {}", line);
        let env = format!("secret{n}");
        std::fs::write(dir.path().join(format!("{env}.toml")), &body).unwrap();
        let (code, stderr) = validate(dir.path(), &env);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains(&format!("{env}.toml:{at}:")), "{stderr}");
        assert!(
            stderr.contains("a password must not be written"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("hunter2-secret"),
            "the value is not shown: {stderr}"
        );
    }
}
