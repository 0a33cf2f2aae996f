//! The desired resource graph: acyclic, with the dependencies the
//! architecture needs, and stable `graph` output (snapshots).

use std::path::Path;

use assert_cmd::Command;
use cdcstack::testing::{self as config, Address, Stack};

fn stack(env: &str) -> Stack {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("env/{env}.toml"));
    let cfg = config::load(&path).unwrap_or_else(|e| panic!("{env}: {e}"));
    Stack::build(&cfg).unwrap()
}

fn deps(s: &Stack, a: &str) -> Vec<String> {
    s.resources[a]
        .depends_on
        .iter()
        .map(Address::to_string)
        .collect()
}

#[test]
fn graphs_are_acyclic_and_complete() {
    for env in ["dev", "uat", "prod"] {
        let s = stack(env);
        let order = s.order().expect("acyclic");
        assert_eq!(order.len(), s.resources.len());
        // Every dependency comes earlier in the order.
        let pos = |a: &Address| order.iter().position(|x| x == a).unwrap();
        for r in s.resources.values() {
            for d in &r.depends_on {
                assert!(
                    pos(d) < pos(&r.address),
                    "{env}: {d} must come before {}",
                    r.address
                );
            }
        }
    }
}

#[test]
fn connector_needs_msk_aurora_and_the_cdc_secret() {
    let s = stack("dev");
    let d = deps(&s, "connector.connector");
    for want in [
        "msk.cluster",
        "aurora.cluster",
        "aurora.cdc_secret",
        "aurora.cdc_user",
        "connector.plugin",
        "connector.worker_configuration",
        "connector.role_policy",
    ] {
        assert!(
            d.contains(&want.to_string()),
            "connector.connector misses {want}: {d:?}"
        );
    }
    assert!(deps(&s, "redshift.workgroup").contains(&"redshift.namespace".to_string()));
    assert!(deps(&s, "redshift.namespace").contains(&"redshift.role".to_string()));
    assert!(deps(&s, "aurora.instance[0]").contains(&"aurora.cluster".to_string()));
    assert!(deps(&s, "aurora.cluster").contains(&"aurora.parameter_group".to_string()));
}

#[test]
fn nine_subnets_and_nat_per_mode() {
    let dev = stack("dev");
    let prod = stack("prod");
    let count = |s: &Stack, p: &str| {
        s.resources
            .keys()
            .filter(|a| a.as_str().starts_with(p))
            .count()
    };
    assert_eq!(count(&dev, "network.subnet."), 9);
    assert_eq!(
        count(&dev, "network.nat_gateway"),
        1,
        "dev has a single NAT"
    );
    assert_eq!(
        count(&prod, "network.nat_gateway"),
        3,
        "prod has one NAT per AZ"
    );
    assert_eq!(count(&prod, "aurora.instance"), 2);
    // With a single NAT, every private route table points at it.
    for i in 0..3 {
        assert!(
            deps(&dev, &format!("network.route_table.private[{i}]"))
                .contains(&"network.nat_gateway[0]".to_string())
        );
        assert!(
            deps(&prod, &format!("network.route_table.private[{i}]"))
                .contains(&format!("network.nat_gateway[{i}]"))
        );
    }
    assert!(deps(&dev, "network.nat_gateway[0]").contains(&"network.internet_gateway".to_string()));
}

#[test]
fn data_services_do_not_wait_for_nat_or_bastion() {
    let s = stack("prod");
    for a in [
        "msk.cluster",
        "aurora.cluster",
        "redshift.workgroup",
        "aurora.instance[0]",
    ] {
        let anc = s.ancestors(&Address::from(a));
        let slow: Vec<_> = anc
            .iter()
            .filter(|x| {
                let x = x.as_str();
                x.starts_with("network.nat")
                    || x == "network.bastion"
                    || x.starts_with("network.route_table")
            })
            .collect();
        assert!(slow.is_empty(), "{a} waits for {slow:?}");
        assert!(
            anc.iter()
                .any(|x| x.as_str().starts_with("network.security_group.")),
            "{a} needs its security group"
        );
    }
}

fn graph(format: &str) -> String {
    let out = Command::cargo_bin("cdcstack")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["graph", "--env", "dev", "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn graph_dot_snapshot() {
    insta::assert_snapshot!(graph("dot"));
}

#[test]
fn graph_mermaid_snapshot() {
    insta::assert_snapshot!(graph("mermaid"));
}
