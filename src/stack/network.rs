//! The network tier: the blog's 9-subnet VPC, gateways, routes, security
//! groups and the bastion.

use super::{Address, Builder, Expr};
use crate::config::NatGateways;
use crate::config::cidr::{self, Tier};
use crate::model::network::{
    Eip, EipAttrs, Instance, InstanceAttrs, InternetGateway, InternetGatewayAttrs, NatGateway,
    NatGatewayAttrs, Route, RouteTable, RouteTableAttrs, SecurityGroup, SecurityGroupAttrs, SgRule,
    Source, Subnet, SubnetAttrs, Vpc, VpcAttrs,
};
use crate::model::{Desired, E, id_of};

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
pub fn subnet_ids(tier: Tier) -> E<Vec<String>> {
    E::list((0..3).map(|i| id_of(&subnet(tier, i))))
}

fn ingress(port: u16, description: &str, source: E<Source>) -> E<SgRule> {
    E::record(SgRule::<Desired> {
        protocol: "tcp".into(),
        from_port: Some(i32::from(port)).into(),
        to_port: Some(i32::from(port)).into(),
        description: description.into(),
        source,
    })
}

/// A rule source: another group's id.
fn from_group(role: &str) -> E<Source> {
    E::record(Source::<Desired>::SecurityGroupId(id_of(&security_group(
        role,
    ))))
}

/// A default route through `target` (`gateway_id` or `nat_gateway_id`).
fn default_route(nat: bool, id: E<String>) -> E<Vec<Route>> {
    let (gateway_id, nat_gateway_id) = if nat {
        (None::<&str>.into(), E::some(id))
    } else {
        (E::some(id), None::<&str>.into())
    };
    E::list([E::record(Route::<Desired> {
        destination_cidr_block: "0.0.0.0/0".into(),
        gateway_id,
        nat_gateway_id,
    })])
}

pub(super) fn build(b: &mut Builder<'_>) {
    let c = b.cfg;
    let prefix = c.prefix();
    let n = &c.network;

    b.add::<Vpc>(
        VPC,
        VpcAttrs {
            cidr_block: n.cidr.to_string().into(),
            enable_dns_support: true.into(),
            enable_dns_hostnames: true.into(),
            tags: b.tags(VPC, &n.name),
        },
        &[],
    );

    for tier in Tier::ALL {
        for (i, az) in n.azs.iter().enumerate() {
            let suffix = az.strip_prefix(&c.stack.region).unwrap_or(az);
            let address = subnet(tier, i);
            b.add::<Subnet>(
                address.as_str(),
                SubnetAttrs {
                    vpc_id: id_of(VPC),
                    cidr_block: cidr::subnet(n.cidr, tier, i).to_string().into(),
                    availability_zone: az.as_str().into(),
                    map_public_ip_on_launch: (tier == Tier::Public).into(),
                    tags: b.tags(&address, &format!("{prefix}-{}-{suffix}", tier.as_str())),
                },
                &[],
            );
        }
    }

    b.add::<InternetGateway>(
        IGW,
        InternetGatewayAttrs {
            vpc_id: id_of(VPC),
            tags: b.tags(IGW, &format!("{prefix}-igw")),
        },
        &[],
    );

    let nats = match n.nat_gateways {
        NatGateways::OnePerAz => 3,
        NatGateways::Single => 1,
    };
    for i in 0..nats {
        let eip = Address::indexed("network.nat_eip", i);
        let name = format!("{prefix}-nat-{i}");
        b.add::<Eip>(
            eip.clone(),
            EipAttrs {
                domain: "vpc".into(),
                tags: b.tags(eip.as_str(), &name),
            },
            &[],
        );
        // A public NAT gateway needs the internet gateway attached first.
        let nat = Address::indexed("network.nat_gateway", i);
        b.add::<NatGateway>(
            nat.clone(),
            NatGatewayAttrs {
                subnet_id: id_of(&subnet(Tier::Public, i)),
                allocation_id: id_of(eip.as_str()),
                connectivity_type: "public".into(),
                tags: b.tags(nat.as_str(), &name),
            },
            &[IGW],
        );
    }

    let public = "network.route_table.public";
    b.add::<RouteTable>(
        public,
        RouteTableAttrs {
            vpc_id: id_of(VPC),
            routes: default_route(false, id_of(IGW)),
            subnet_ids: subnet_ids(Tier::Public),
            tags: b.tags(public, &format!("{prefix}-public")),
        },
        &[],
    );
    for i in 0..3 {
        let nat = Address::indexed("network.nat_gateway", if nats == 1 { 0 } else { i });
        let table = Address::indexed("network.route_table.private", i);
        b.add::<RouteTable>(
            table.clone(),
            RouteTableAttrs {
                vpc_id: id_of(VPC),
                routes: default_route(true, id_of(nat.as_str())),
                subnet_ids: E::list([id_of(&subnet(Tier::Private, i))]),
                tags: b.tags(table.as_str(), &format!("{prefix}-private-{i}")),
            },
            &[],
        );
    }
    // The database tier has no route to the internet.
    let database = "network.route_table.database";
    b.add::<RouteTable>(
        database,
        RouteTableAttrs {
            vpc_id: id_of(VPC),
            routes: E::lit(vec![]),
            subnet_ids: subnet_ids(Tier::Database),
            tags: b.tags(database, &format!("{prefix}-database")),
        },
        &[],
    );

    security_groups(b);
    if let Some(bastion) = &n.bastion {
        b.add::<Instance>(
            BASTION,
            InstanceAttrs {
                instance_type: bastion.instance_type.as_str().into(),
                subnet_id: id_of(&subnet(Tier::Public, 0)),
                security_group_ids: E::list([id_of(&security_group("bastion"))]),
                metadata_http_tokens: "required".into(),
                // None: the latest Amazon Linux 2023 AMI, read at creation and not compared after.
                ami: bastion.ami.as_deref().into(),
                key_name: bastion.key_name.as_deref().into(),
                tags: b.tags(BASTION, &format!("{prefix}-bastion")),
            },
            &[],
        );
        b.output(
            "bastion_public_ip",
            "public IP of the bastion host",
            Expr::reference(BASTION, "public_ip"),
        );
    }

    b.output("vpc_id", "VPC id", id_of(VPC).into_expr());
    for tier in Tier::ALL {
        let (name, description) = match tier {
            Tier::Public => ("public_subnet_ids", "public subnet ids (NAT, bastion)"),
            Tier::Private => (
                "private_subnet_ids",
                "private subnet ids (MSK, MSK Connect, Redshift)",
            ),
            Tier::Database => ("database_subnet_ids", "database subnet ids (Aurora)"),
        };
        b.output(name, description, subnet_ids(tier).into_expr());
    }
}

fn security_groups(b: &mut Builder<'_>) {
    let c = b.cfg;
    let has_bastion = c.network.bastion.is_some();
    let all_egress = E::lit(vec![SgRule {
        protocol: "-1".into(),
        from_port: None,
        to_port: None,
        description: None,
        source: Source::CidrBlock("0.0.0.0/0".into()),
    }]);

    let mut rules: Vec<(&str, &str, Vec<E<SgRule>>)> = Vec::new();
    let bastion_rules = c
        .network
        .bastion
        .iter()
        .flat_map(|bs| bs.allowed_cidrs.iter())
        .map(|cidr| {
            ingress(
                22,
                "SSH from allowed_cidrs",
                E::lit(Source::CidrBlock(cidr.to_string())),
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
            E::lit(Source::Itself(true)),
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
        let address = security_group(role);
        b.add::<SecurityGroup>(
            address.as_str(),
            SecurityGroupAttrs {
                name: name.as_str().into(),
                description: description.into(),
                vpc_id: id_of(VPC),
                ingress: E::list(ingress),
                egress: all_egress.clone(),
                tags: b.tags(&address, &name),
            },
            &[],
        );
    }
}
