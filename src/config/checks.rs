//! Checks that need more than one key: AZs against the region, broker count
//! against AZs, every generated name against its AWS rule, tag limits.

use super::names::{self, Rule};
use super::reader::Reader;
use super::{Config, SECURITY_GROUPS};

/// Commercial, GovCloud and China regions.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

/// The ARN partition of a region (`arn:{partition}:…`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Cluster parameters Debezium needs, always set.
pub const BINLOG_PARAMETERS: [(&str, &str); 3] = [
    ("binlog_format", "ROW"),
    ("binlog_row_image", "FULL"),
    ("binlog_checksum", "NONE"),
];

/// Tags cdcstack adds to every resource: `Name` and the three ownership tags.
pub const OWN_TAGS: usize = 4;
/// AWS's limit of tags per resource.
pub const MAX_TAGS: usize = 50;

pub(super) fn check(r: &mut Reader, cfg: &Config) {
    check_azs(r, cfg);
    check_names(r, cfg);
    if cfg.tags.len() + OWN_TAGS > MAX_TAGS {
        r.report(
            "tags",
            format!(
                "{} default tags plus cdcstack's {OWN_TAGS} (Name and ownership) exceed AWS's {MAX_TAGS} tags per resource",
                cfg.tags.len()
            ),
            format!("keep at most {} default tags", MAX_TAGS - OWN_TAGS),
        );
    }
}

fn check_azs(r: &mut Reader, cfg: &Config) {
    let azs = &cfg.network.azs;
    // An example region for messages even when stack.region is missing.
    let region = if cfg.stack.region.is_empty() {
        "us-east-1"
    } else {
        cfg.stack.region.as_str()
    };
    if !r.ok(&["network.azs"]) {
        return;
    }
    if azs.len() != 3 {
        r.report(
            "network.azs",
            format!(
                "{} availability zones given; the stack spans exactly 3",
                azs.len()
            ),
            format!("list three, for example [\"{region}a\", \"{region}b\", \"{region}c\"]"),
        );
        return;
    }
    let mut seen = Vec::new();
    for (i, az) in azs.iter().enumerate() {
        let key = format!("network.azs[{i}]");
        let suffix_ok = az
            .strip_prefix(region)
            .is_some_and(|s| s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase()));
        if r.ok(&["stack.region"]) && !suffix_ok {
            r.report(
                &key,
                format!("`{az}` is not an availability zone of {region}"),
                format!("use zones of the stack's region, such as {region}a"),
            );
        } else if seen.contains(&az) {
            r.report(
                &key,
                format!("`{az}` is listed twice"),
                "the 3 zones must be distinct",
            );
        }
        seen.push(az);
    }
    let n = u32::try_from(azs.len()).unwrap_or(3);
    if r.ok(&["msk.broker_count"]) && !cfg.msk.broker_count.is_multiple_of(n) {
        let b = cfg.msk.broker_count;
        let lower = b / n * n;
        let options = if lower == 0 {
            format!("{n}")
        } else {
            format!("{lower} or {}", lower + n)
        };
        r.report(
            "msk.broker_count",
            format!("{b} brokers is not a multiple of the {n} availability zones"),
            format!("MSK puts the same number of brokers in each zone; use {options}"),
        );
    }
}

fn check_names(r: &mut Reader, cfg: &Config) {
    if !r.ok(&["stack.name", "stack.environment"]) {
        return;
    }
    let n = cfg.names();
    let sg: Vec<String> = SECURITY_GROUPS
        .iter()
        .map(|g| cfg.security_group_name(g))
        .collect();
    let last_instance = n.aurora_instance(cfg.aurora.instances.saturating_sub(1));
    let list: Vec<(&str, &str, &Rule)> = vec![
        ("aurora.name", &n.aurora_cluster, &names::RDS_CLUSTER),
        ("aurora.name", &last_instance, &names::RDS_INSTANCE),
        (
            "aurora.name",
            &n.aurora_parameter_group,
            &names::RDS_PARAMETER_GROUP,
        ),
        (
            "aurora.name",
            &n.aurora_subnet_group,
            &names::RDS_SUBNET_GROUP,
        ),
        ("aurora.name", &n.cdc_secret, &names::SECRET),
        ("msk.name", &n.msk_cluster, &names::MSK_CLUSTER),
        ("msk.name", &n.msk_configuration, &names::MSK_CONFIGURATION),
        ("connector.name", &n.connector, &names::MSKC_CONNECTOR),
        ("connector.name", &n.plugin, &names::MSKC_PLUGIN),
        (
            "connector.name",
            &n.worker_configuration,
            &names::MSKC_WORKER_CONFIGURATION,
        ),
        ("connector.name", &n.connector_role, &names::IAM_ROLE),
        ("stack.name", &n.log_group, &names::LOG_GROUP),
        (
            "connector.artifact_bucket",
            &n.artifact_bucket,
            &names::S3_BUCKET,
        ),
        (
            "redshift.name",
            &n.redshift_namespace,
            &names::REDSHIFT_NAMESPACE,
        ),
        (
            "redshift.name",
            &n.redshift_workgroup,
            &names::REDSHIFT_WORKGROUP,
        ),
        ("redshift.name", &n.redshift_role, &names::IAM_ROLE),
    ];
    // Every broken name, grouped by the key the user can change: a
    // generated name comes from stack.name, an explicit one from its key.
    let mut by_key: std::collections::BTreeMap<&str, Vec<(String, &str)>> = Default::default();
    for (key, name, rule) in list.into_iter().chain(
        sg.iter()
            .map(|s| ("stack.name", s.as_str(), &names::SECURITY_GROUP)),
    ) {
        let Err(e) = rule.check(name) else { continue };
        let given = r.spans.contains_key(key);
        let at = if given { key } else { "stack.name" };
        let problems = by_key.entry(at).or_default();
        if !problems.iter().any(|(p, _)| *p == e) {
            problems.push((e, key));
        }
    }
    for (at, problems) in by_key {
        if !r.ok(&[at]) {
            continue;
        }
        for (message, key) in problems {
            let help = if at == key {
                format!("change `{at}`")
            } else if key == "stack.name" {
                "names are generated as `{name}-{environment}-…`: shorten stack.name or the environment".to_string()
            } else {
                format!(
                    "names are generated as `{{name}}-{{environment}}-…`: shorten stack.name or the environment, or set `{key}`"
                )
            };
            r.report(at, message, help);
        }
    }
}
