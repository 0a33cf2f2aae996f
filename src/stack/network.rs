//! The network tier: the blog's 9-subnet VPC, gateways, routes, security
//! groups and the bastion.

use serde_json::json;

use super::{Address, Builder, Expr, id_of, kinds, map};
use crate::attrs;
use crate::config::NatGateways;
use crate::config::cidr::{self, Tier};
use crate::model::{
    self,
    network::{Subnet, SubnetAttrs, Vpc, VpcAttrs},
};

pub const VPC: &str = "network.vpc";
pub const IGW: &str = "network.internet_gateway";
pub const BASTION: &str = "network.bastion";

pub fn subnet(tier: Tier, az: usize) -> String {
    format!("network.subnet.{}[{az}]", tier.as_str())
}

pub fn security_group(role: &str) -> String {
    format!("network.security_group.{role}")
}

/// Ids of the three subnets of a tier.
pub fn subnet_ids(tier: Tier) -> Expr {
    Expr::List((0..3).map(|i| id_of(&subnet(tier, i))).collect())
}

fn ingress(port: u16, description: &str, source: Expr) -> Expr {
    map([
        ("protocol", Expr::from("tcp")),
        ("from_port", port.into()),
        ("to_port", port.into()),
        ("description", description.into()),
        ("source", source),
    ])
}

/// A rule source: another group's id, or `"self"`, or a CIDR.
fn from_group(role: &str) -> Expr {
    map([("security_group_id", id_of(&security_group(role)))])
}

pub(super) fn build(b: &mut Builder<'_>) {
    let c = b.cfg;
    let prefix = c.prefix();
    let n = &c.network;

    b.typed::<Vpc>(
        VPC,
        VpcAttrs {
            cidr_block: n.cidr.to_string().into(),
            enable_dns_support: true.into(),
            enable_dns_hostnames: true.into(),
            tags: b.tag_set(VPC, &n.name),
        },
        &[],
    );

    for tier in Tier::ALL {
        for (i, az) in n.azs.iter().enumerate() {
            let suffix = az.strip_prefix(&c.stack.region).unwrap_or(az);
            let address = subnet(tier, i);
            b.typed::<Subnet>(
                address.as_str(),
                SubnetAttrs {
                    vpc_id: model::id_of(VPC),
                    cidr_block: cidr::subnet(n.cidr, tier, i).to_string().into(),
                    availability_zone: az.as_str().into(),
                    map_public_ip_on_launch: (tier == Tier::Public).into(),
                    tags: b.tag_set(&address, &format!("{prefix}-{}-{suffix}", tier.as_str())),
                },
                &[],
            );
        }
    }

    b.add_tagged(
        IGW,
        kinds::INTERNET_GATEWAY,
        &format!("{prefix}-igw"),
        attrs! { "vpc_id" => id_of(VPC) },
        &[],
    );

    let nats = match n.nat_gateways {
        NatGateways::OnePerAz => 3,
        NatGateways::Single => 1,
    };
    for i in 0..nats {
        let eip = Address::indexed("network.nat_eip", i);
        b.add_tagged(
            eip.clone(),
            kinds::EIP,
            &format!("{prefix}-nat-{i}"),
            attrs! { "domain" => "vpc" },
            &[],
        );
        // A public NAT gateway needs the internet gateway attached first.
        b.add_tagged(
            Address::indexed("network.nat_gateway", i),
            kinds::NAT_GATEWAY,
            &format!("{prefix}-nat-{i}"),
            attrs! {
                "subnet_id" => id_of(&subnet(Tier::Public, i)),
                "allocation_id" => id_of(eip.as_str()),
                "connectivity_type" => "public",
            },
            &[IGW],
        );
    }

    let default_route = |target: &str, id: Expr| {
        Expr::List(vec![map([
            ("destination_cidr_block", Expr::from("0.0.0.0/0")),
            (target, id),
        ])])
    };
    b.add_tagged(
        "network.route_table.public",
        kinds::ROUTE_TABLE,
        &format!("{prefix}-public"),
        attrs! {
            "vpc_id" => id_of(VPC),
            "routes" => default_route("gateway_id", id_of(IGW)),
            "subnet_ids" => subnet_ids(Tier::Public),
        },
        &[],
    );
    for i in 0..3 {
        let nat = Address::indexed("network.nat_gateway", if nats == 1 { 0 } else { i });
        b.add_tagged(
            Address::indexed("network.route_table.private", i),
            kinds::ROUTE_TABLE,
            &format!("{prefix}-private-{i}"),
            attrs! {
                "vpc_id" => id_of(VPC),
                "routes" => default_route("nat_gateway_id", id_of(nat.as_str())),
                "subnet_ids" => Expr::List(vec![id_of(&subnet(Tier::Private, i))]),
            },
            &[],
        );
    }
    // The database tier has no route to the internet.
    b.add_tagged(
        "network.route_table.database",
        kinds::ROUTE_TABLE,
        &format!("{prefix}-database"),
        attrs! {
            "vpc_id" => id_of(VPC),
            "routes" => Expr::List(vec![]),
            "subnet_ids" => subnet_ids(Tier::Database),
        },
        &[],
    );

    security_groups(b);
    if let Some(bastion) = &n.bastion {
        let mut a = attrs! {
            "instance_type" => bastion.instance_type.as_str(),
            "subnet_id" => id_of(&subnet(Tier::Public, 0)),
            "security_group_ids" => Expr::List(vec![id_of(&security_group("bastion"))]),
            "metadata_http_tokens" => "required",
            // null: the latest Amazon Linux 2023 AMI, read at creation and not compared after.
            "ami" => bastion.ami.clone().map_or(serde_json::Value::Null, serde_json::Value::from),
        };
        if let Some(k) = &bastion.key_name {
            a.insert("key_name".into(), k.as_str().into());
        }
        b.add_tagged(
            BASTION,
            kinds::INSTANCE,
            &format!("{prefix}-bastion"),
            a,
            &[],
        );
        b.output(
            "bastion_public_ip",
            "public IP of the bastion host",
            Expr::reference(BASTION, "public_ip"),
        );
    }

    b.output("vpc_id", "VPC id", id_of(VPC));
    for tier in Tier::ALL {
        let (name, description) = match tier {
            Tier::Public => ("public_subnet_ids", "public subnet ids (NAT, bastion)"),
            Tier::Private => (
                "private_subnet_ids",
                "private subnet ids (MSK, MSK Connect, Redshift)",
            ),
            Tier::Database => ("database_subnet_ids", "database subnet ids (Aurora)"),
        };
        b.output(name, description, subnet_ids(tier));
    }
}

fn security_groups(b: &mut Builder<'_>) {
    let c = b.cfg;
    let has_bastion = c.network.bastion.is_some();
    let all_egress = json!([{ "protocol": "-1", "source": { "cidr_block": "0.0.0.0/0" } }]);

    let mut rules: Vec<(&str, &str, Vec<Expr>)> = Vec::new();
    let bastion_rules = c
        .network
        .bastion
        .iter()
        .flat_map(|bs| bs.allowed_cidrs.iter())
        .map(|cidr| {
            ingress(
                22,
                "SSH from allowed_cidrs",
                map([("cidr_block", Expr::from(cidr.to_string()))]),
            )
        })
        .collect();
    rules.push((
        "bastion",
        "bastion host: SSH from allowed_cidrs",
        bastion_rules,
    ));

    let mut aurora = vec![
        ingress(3306, "MySQL from MSK Connect", from_group("connect")),
        ingress(3306, "MySQL from Redshift", from_group("redshift")),
    ];
    let mut msk = vec![
        ingress(9098, "Kafka IAM from MSK Connect", from_group("connect")),
        ingress(9098, "Kafka IAM from Redshift", from_group("redshift")),
        ingress(
            9098,
            "Kafka IAM between brokers",
            map([("self", Expr::from(true))]),
        ),
    ];
    if has_bastion {
        aurora.insert(
            0,
            ingress(3306, "MySQL from the bastion", from_group("bastion")),
        );
        msk.insert(
            0,
            ingress(9098, "Kafka IAM from the bastion", from_group("bastion")),
        );
    }
    rules.push((
        "aurora",
        "Aurora MySQL: 3306 from bastion, MSK Connect and Redshift",
        aurora,
    ));
    rules.push((
        "msk",
        "MSK brokers: 9098 (IAM) from MSK Connect and Redshift",
        msk,
    ));
    rules.push(("connect", "MSK Connect workers", vec![]));
    rules.push(("redshift", "Redshift Serverless workgroup", vec![]));

    for (role, description, ingress) in rules {
        if role == "bastion" && !has_bastion {
            continue;
        }
        let name = c.security_group_name(role);
        b.add_tagged(
            security_group(role).as_str(),
            kinds::SECURITY_GROUP,
            &name,
            attrs! {
                "name" => name.as_str(),
                "description" => description,
                "vpc_id" => id_of(VPC),
                "ingress" => Expr::List(ingress),
                "egress" => all_egress.clone(),
            },
            &[],
        );
    }
}
