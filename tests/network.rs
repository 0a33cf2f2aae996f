//! The engine on the network tier, end to end on the emulator: apply, plan
//! again, in-place and replacing edits, drift, destroy.

mod common;

use std::collections::BTreeSet;

use common::emulator;
use common::envfile::EnvDir;
use serde_json::Value;

fn apply(e: &EnvDir) {
    let (code, out, err) = e.run(&["apply", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 0, "apply failed:\n{out}\n{err}");
}

/// The JSON plan's changes: address → (actions, changed attributes).
fn plan_json(e: &EnvDir) -> Vec<(String, Vec<String>, BTreeSet<String>)> {
    let (code, out, err) = e.run(&["plan", "--json", "--target", "network"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"]["actions"] != serde_json::json!(["no-op"]))
        .map(|c| {
            let actions = c["change"]["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            let changed = c["change"]["changed_attributes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            (c["address"].as_str().unwrap().to_string(), actions, changed)
        })
        .collect()
}

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&emulator().sdk_config().await)
}

/// The ids of the env's VPCs (those carrying its ownership tags).
async fn vpc_ids(ec2: &aws_sdk_ec2::Client, e: &EnvDir) -> Vec<String> {
    let out = ec2
        .describe_vpcs()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    out.vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect()
}

fn tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], k: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(k))
        .and_then(|t| t.value())
}

#[tokio::test]
async fn apply_builds_the_blogs_vpc_and_plan_then_shows_no_changes() {
    let e = EnvDir::dev();
    e.init();
    e.edit("nat_gateways = \"single\"", "nat_gateways = \"one_per_az\"");
    apply(&e);
    let ec2 = ec2().await;

    let subnets = ec2
        .describe_subnets()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let subnets = subnets.subnets();
    assert_eq!(subnets.len(), 9);
    let azs: BTreeSet<&str> = subnets
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    assert_eq!(
        azs,
        BTreeSet::from(["us-east-1a", "us-east-1b", "us-east-1c"])
    );
    let by_addr = |a: &str| {
        subnets
            .iter()
            .find(|s| tag(s.tags(), "cdcstack:address") == Some(a))
            .unwrap()
    };
    for (i, az) in ["a", "b", "c"].iter().enumerate() {
        for (tier, block, public) in [
            ("public", i, true),
            ("private", 4 + i, false),
            ("database", 8 + i, false),
        ] {
            let s = by_addr(&format!("network.subnet.{tier}[{i}]"));
            assert_eq!(
                s.cidr_block(),
                Some(format!("10.20.{}.0/20", block * 16).as_str()),
                "{tier}[{i}]"
            );
            assert_eq!(
                s.availability_zone(),
                Some(format!("us-east-1{az}").as_str())
            );
            assert_eq!(s.map_public_ip_on_launch(), Some(public), "{tier}[{i}]");
            assert_eq!(
                tag(s.tags(), "Name"),
                Some(format!("{}-dev-{tier}-{az}", e.stack).as_str())
            );
            assert_eq!(tag(s.tags(), "Project"), Some("data_streaming_pipeline"));
            assert_eq!(tag(s.tags(), "Owners"), Some("data-platform"));
        }
    }

    // Private subnet i routes to the NAT gateway in public subnet i; the database tier has no internet route.
    let nats = ec2
        .describe_nat_gateways()
        .set_filter(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let nats: Vec<_> = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.state().map(|s| s.as_str()) == Some("available"))
        .collect();
    assert_eq!(nats.len(), 3);
    let tables = ec2
        .describe_route_tables()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    for i in 0..3 {
        let rt = tables
            .route_tables()
            .iter()
            .find(|t| {
                tag(t.tags(), "cdcstack:address")
                    == Some(&format!("network.route_table.private[{i}]"))
            })
            .unwrap();
        let nat_id = rt
            .routes()
            .iter()
            .find_map(|r| r.nat_gateway_id())
            .expect("a NAT route");
        let nat = nats
            .iter()
            .find(|n| n.nat_gateway_id() == Some(nat_id))
            .unwrap();
        assert_eq!(
            nat.subnet_id(),
            by_addr(&format!("network.subnet.public[{i}]")).subnet_id(),
            "private[{i}] uses its AZ's NAT"
        );
        let assoc: Vec<_> = rt
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id())
            .collect();
        assert_eq!(
            assoc,
            vec![
                by_addr(&format!("network.subnet.private[{i}]"))
                    .subnet_id()
                    .unwrap()
            ]
        );
    }
    let db = tables
        .route_tables()
        .iter()
        .find(|t| tag(t.tags(), "cdcstack:address") == Some("network.route_table.database"))
        .unwrap();
    assert!(db.routes().iter().all(|r| r.gateway_id() == Some("local")
        || r.gateway_id().is_none() && r.nat_gateway_id().is_none()));
    let public = tables
        .route_tables()
        .iter()
        .find(|t| tag(t.tags(), "cdcstack:address") == Some("network.route_table.public"))
        .unwrap();
    assert!(
        public
            .routes()
            .iter()
            .any(|r| r.gateway_id().is_some_and(|g| g.starts_with("igw-")))
    );

    // Every taggable resource carries the default tags, Name and the ownership tags.
    let vpcs = ec2
        .describe_vpcs()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let sgs = ec2
        .describe_security_groups()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let eips = ec2
        .describe_addresses()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    assert_eq!(sgs.security_groups().len(), 5);
    assert_eq!(eips.addresses().len(), 3);
    let mut all_tags: Vec<&[aws_sdk_ec2::types::Tag]> = vec![vpcs.vpcs()[0].tags()];
    all_tags.extend(sgs.security_groups().iter().map(|g| g.tags()));
    all_tags.extend(eips.addresses().iter().map(|a| a.tags()));
    all_tags.extend(nats.iter().map(|n| n.tags()));
    for tags in all_tags {
        for k in [
            "Name",
            "Project",
            "Owners",
            "Provisioner",
            "Environment",
            "cdcstack:stack",
            "cdcstack:env",
            "cdcstack:address",
        ] {
            assert!(tag(tags, k).is_some(), "tag {k} missing in {tags:?}");
        }
    }

    // Right after: nothing to do, exit 0 with --detailed-exitcode.
    let (code, out, err) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("No changes."), "{out}");
}

#[tokio::test]
async fn edits_change_exactly_what_they_should() {
    let e = EnvDir::dev();
    e.init();
    apply(&e);

    // A default tag: in-place tag updates only.
    e.edit("Owners = \"data-platform\"", "Owners = \"analytics\"");
    let changes = plan_json(&e);
    assert!(changes.len() >= 20, "every taggable resource: {changes:?}");
    for (addr, actions, changed) in &changes {
        assert_eq!(actions, &["update"], "{addr}");
        assert_eq!(changed, &BTreeSet::from(["tags".to_string()]), "{addr}");
    }
    let (code, out, err) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        out.contains("~ \"Owners\" = \"data-platform\" -> \"analytics\""),
        "{out}"
    );
    apply(&e);
    assert!(plan_json(&e).is_empty());
    // The bastion's root volume, tagged with it at launch, follows.
    let volumes = ec2()
        .await
        .describe_volumes()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    assert!(
        !volumes.volumes().is_empty(),
        "the root volume carries our tags"
    );
    for v in volumes.volumes() {
        assert_eq!(tag(v.tags(), "Owners"), Some("analytics"), "{v:?}");
    }

    // The bastion's instance type: exactly that resource changes, in place.
    e.edit(
        "instance_type = \"t3.micro\"",
        "instance_type = \"t3.small\"",
    );
    let changes = plan_json(&e);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].0, "network.bastion");
    assert_eq!(changes[0].1, ["update"]);
    assert_eq!(changes[0].2, BTreeSet::from(["instance_type".to_string()]));
    apply(&e);
    let ec2 = ec2().await;
    let r = ec2
        .describe_instances()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let i = r
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) == Some("running"))
        .unwrap();
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));

    // A rule list: the plan names the rule that goes and the one that comes.
    e.edit("[\"203.0.113.0/24\"]", "[\"198.51.100.0/24\"]");
    let (_, out, _) = e.run(&["plan", "--target", "network"]);
    let block = out
        .split("\n\n")
        .find(|b| b.contains("network.security_group.bastion"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(block.contains("~ ingress = ["), "{block}");
    let line = |sym: &str, cidr: &str| {
        block
            .lines()
            .any(|l| l.trim_start().starts_with(sym) && l.contains(cidr))
    };
    assert!(line("- {", "203.0.113.0/24"), "{block}");
    assert!(line("+ {", "198.51.100.0/24"), "{block}");
    e.edit("[\"198.51.100.0/24\"]", "[\"203.0.113.0/24\"]");

    // The VPC CIDR: the VPC and everything whose identity hangs on it is replaced, nothing else.
    e.edit("cidr = \"10.20.0.0/16\"", "cidr = \"10.30.0.0/16\"");
    let changes = plan_json(&e);
    let replaced: BTreeSet<&str> = changes
        .iter()
        .filter(|c| c.1 == ["delete", "create"])
        .map(|c| c.0.as_str())
        .collect();
    for a in [
        "network.vpc",
        "network.subnet.public[0]",
        "network.subnet.database[2]",
        "network.internet_gateway",
        "network.security_group.msk",
        "network.route_table.public",
        "network.nat_gateway[0]",
        "network.bastion",
    ] {
        assert!(replaced.contains(a), "{a} should be replaced: {changes:?}");
    }
    assert!(
        !replaced.contains("network.nat_eip[0]"),
        "the EIP does not depend on the VPC"
    );
    let (_, out, _) = e.run(&["plan", "--target", "network"]);
    assert!(
        out.contains("cidr_block = \"10.20.0.0/16\" -> \"10.30.0.0/16\" # forces replacement"),
        "{out}"
    );
}

#[tokio::test]
async fn a_resource_deleted_behind_our_back_is_created_again_and_destroy_leaves_nothing() {
    let e = EnvDir::dev();
    e.init();
    apply(&e);
    let ec2 = ec2().await;
    let tables = ec2
        .describe_route_tables()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let db = tables
        .route_tables()
        .iter()
        .find(|t| tag(t.tags(), "cdcstack:address") == Some("network.route_table.database"))
        .unwrap();
    for a in db.associations() {
        ec2.disassociate_route_table()
            .association_id(a.route_table_association_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    ec2.delete_route_table()
        .route_table_id(db.route_table_id().unwrap())
        .send()
        .await
        .unwrap();

    let (code, out, _) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    assert_eq!(code, 2);
    assert!(out.contains("network.route_table.database (route_table) will be created again (it was deleted outside cdcstack)"), "{out}");
    let changes = plan_json(&e);
    assert_eq!(changes.len(), 1, "{changes:?}");
    apply(&e);
    assert!(plan_json(&e).is_empty());

    let (code, out, err) = e.run(&["destroy", "--auto-approve", "--target", "network"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let f = || Some(e.owner_filters());
    assert!(
        ec2.describe_vpcs()
            .set_filters(f())
            .send()
            .await
            .unwrap()
            .vpcs()
            .is_empty()
    );
    assert!(
        ec2.describe_subnets()
            .set_filters(f())
            .send()
            .await
            .unwrap()
            .subnets()
            .is_empty()
    );
    assert!(
        ec2.describe_security_groups()
            .set_filters(f())
            .send()
            .await
            .unwrap()
            .security_groups()
            .is_empty()
    );
    assert!(
        ec2.describe_route_tables()
            .set_filters(f())
            .send()
            .await
            .unwrap()
            .route_tables()
            .is_empty()
    );
    assert!(
        ec2.describe_internet_gateways()
            .set_filters(f())
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .is_empty()
    );
    assert!(
        ec2.describe_addresses()
            .set_filters(f())
            .send()
            .await
            .unwrap()
            .addresses()
            .is_empty()
    );
    let nats = ec2
        .describe_nat_gateways()
        .set_filter(f())
        .send()
        .await
        .unwrap();
    assert!(
        nats.nat_gateways()
            .iter()
            .all(|n| n.state().map(|s| s.as_str()) == Some("deleted"))
    );
    let r = ec2
        .describe_instances()
        .set_filters(f())
        .send()
        .await
        .unwrap();
    assert!(
        r.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .all(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) == Some("terminated"))
    );
    let (_, out, _) = e.run(&["state", "list"]);
    assert!(out.trim().is_empty(), "{out}");
}

#[tokio::test]
async fn drift_is_reported_and_stripped_tags_do_not_lose_a_resource() {
    let e = EnvDir::dev();
    e.init();
    apply(&e);
    let ec2 = ec2().await;
    let vpc_id = vpc_ids(&ec2, &e).await.remove(0);

    // Someone edits a tag: refresh-only reports it, state → live.
    ec2.create_tags()
        .resources(&vpc_id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Owners")
                .value("someone")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (code, out, err) = e.run(&[
        "plan",
        "--refresh-only",
        "--detailed-exitcode",
        "--target",
        "network",
    ]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        out.contains("network.vpc (vpc) has changed outside cdcstack"),
        "{out}"
    );
    assert!(
        out.contains("~ \"Owners\" = \"data-platform\" -> \"someone\""),
        "{out}"
    );
    assert!(out.contains("nothing in AWS would change"), "{out}");
    // Applied (as a saved plan), the state takes the live value.
    let saved = e.dir.join("refresh.plan").display().to_string();
    e.ok(&[
        "plan",
        "--refresh-only",
        "--out",
        &saved,
        "--target",
        "network",
    ]);
    e.ok(&["apply", &saved]);
    let (code, out, _) = e.run(&[
        "plan",
        "--refresh-only",
        "--detailed-exitcode",
        "--target",
        "network",
    ]);
    assert_eq!(code, 0, "the state took the drift: {out}");
    let (_, shown, _) = e.run(&["state", "show", "network.vpc"]);
    assert!(shown.contains("someone"), "{shown}");

    // Someone strips our ownership tags from a subnet: it is still ours
    // (the state knows its id), so the plan restores the tags instead of
    // creating another subnet.
    let subnets = ec2
        .describe_subnets()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    let s = subnets
        .subnets()
        .iter()
        .find(|s| tag(s.tags(), "cdcstack:address") == Some("network.subnet.private[1]"))
        .unwrap();
    let subnet_id = s.subnet_id().unwrap().to_string();
    ec2.delete_tags()
        .resources(&subnet_id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("cdcstack:stack")
                .build(),
        )
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("cdcstack:address")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let changes = plan_json(&e);
    let subnet = changes
        .iter()
        .find(|c| c.0 == "network.subnet.private[1]")
        .expect("the subnet is planned");
    assert_eq!(subnet.1, ["update"], "{changes:?}");
    assert_eq!(subnet.2, BTreeSet::from(["tags".to_string()]));
    apply(&e);
    let subnets = ec2
        .describe_subnets()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 9, "no second subnet");
    assert!(
        subnets
            .subnets()
            .iter()
            .any(|x| x.subnet_id() == Some(subnet_id.as_str()))
    );
}

#[tokio::test]
async fn strays_at_addresses_no_file_or_state_knows_are_deleted() {
    // e.g. an apply killed while creating nat_eip[1] under one_per_az, after
    // which the file went back to a single NAT gateway.
    let e = EnvDir::dev();
    e.init();
    apply(&e);
    let ec2 = ec2().await;
    let vpc = vpc_ids(&ec2, &e).await.remove(0);
    let tags = |address: &str, kind: aws_sdk_ec2::types::ResourceType| {
        let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(kind)
            .tags(tag("cdcstack:stack", &e.stack))
            .tags(tag("cdcstack:env", "dev"))
            .tags(tag("cdcstack:address", address))
            .build()
    };
    ec2.allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .tag_specifications(tags(
            "network.nat_eip[1]",
            aws_sdk_ec2::types::ResourceType::ElasticIp,
        ))
        .send()
        .await
        .unwrap();
    ec2.create_security_group()
        .group_name(format!("{}-extra", e.stack))
        .description("left behind")
        .vpc_id(&vpc)
        .tag_specifications(tags(
            "network.security_group.extra",
            aws_sdk_ec2::types::ResourceType::SecurityGroup,
        ))
        .send()
        .await
        .unwrap();

    let (_, out, _) = e.run(&["plan", "--target", "network"]);
    assert!(
        out.contains("- network.nat_eip[1] (eip) will be destroyed"),
        "{out}"
    );
    assert!(
        out.contains("- network.security_group.extra (security_group) will be destroyed"),
        "{out}"
    );
    apply(&e);
    let (code, out, _) = e.run(&["plan", "--detailed-exitcode", "--target", "network"]);
    assert_eq!(code, 0, "{out}");
    let left = ec2
        .describe_security_groups()
        .set_filters(Some(e.owner_filters()))
        .send()
        .await
        .unwrap();
    assert!(
        left.security_groups()
            .iter()
            .all(|g| g.group_name() != Some(&format!("{}-extra", e.stack))),
        "the stray group is gone"
    );
    e.ok(&["destroy", "--auto-approve"]);
    assert!(vpc_ids(&ec2, &e).await.is_empty());
}
