//! The network tier: VPC, subnets, internet and NAT gateways with their
//! addresses, route tables, security groups and the bastion instance.

use serde::{Deserialize, Serialize};

use super::{Desired, Form, IN_PLACE, IN_PLACE_SET, Id, Kind, Known, Lift, REPLACE, Tags, is_null};

pub struct Vpc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct VpcAttrs<F: Form = Known> {
    pub cidr_block: F::Of<String>,
    pub enable_dns_support: F::Of<bool>,
    pub enable_dns_hostnames: F::Of<bool>,
    pub tags: F::Of<Tags>,
}

impl Kind for Vpc {
    const NAME: &'static str = "vpc";
    type Attrs<F: Form> = VpcAttrs<F>;
    type Outputs<F: Form> = Id<F>;
    const CHANGES: VpcAttrs<super::Rules> = VpcAttrs {
        cidr_block: REPLACE,
        enable_dns_support: IN_PLACE,
        enable_dns_hostnames: IN_PLACE,
        tags: IN_PLACE,
    };
}

pub struct Subnet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SubnetAttrs<F: Form = Known> {
    pub vpc_id: F::Of<String>,
    pub cidr_block: F::Of<String>,
    pub availability_zone: F::Of<String>,
    pub map_public_ip_on_launch: F::Of<bool>,
    pub tags: F::Of<Tags>,
}

impl Kind for Subnet {
    const NAME: &'static str = "subnet";
    type Attrs<F: Form> = SubnetAttrs<F>;
    type Outputs<F: Form> = Id<F>;
    const CHANGES: SubnetAttrs<super::Rules> = SubnetAttrs {
        vpc_id: REPLACE,
        cidr_block: REPLACE,
        availability_zone: REPLACE,
        map_public_ip_on_launch: IN_PLACE,
        tags: IN_PLACE,
    };
}

pub struct InternetGateway;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct InternetGatewayAttrs<F: Form = Known> {
    pub vpc_id: F::Of<String>,
    pub tags: F::Of<Tags>,
}

impl Kind for InternetGateway {
    const NAME: &'static str = "internet_gateway";
    type Attrs<F: Form> = InternetGatewayAttrs<F>;
    type Outputs<F: Form> = Id<F>;
    const CHANGES: InternetGatewayAttrs<super::Rules> = InternetGatewayAttrs {
        vpc_id: REPLACE,
        tags: IN_PLACE,
    };
}

pub struct Eip;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct EipAttrs<F: Form = Known> {
    pub domain: F::Of<String>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct EipOutputs<F: Form = Known> {
    pub id: F::Of<String>,
    pub public_ip: F::Of<String>,
}

impl Kind for Eip {
    const NAME: &'static str = "eip";
    type Attrs<F: Form> = EipAttrs<F>;
    type Outputs<F: Form> = EipOutputs<F>;
    const CHANGES: EipAttrs<super::Rules> = EipAttrs {
        domain: REPLACE,
        tags: IN_PLACE,
    };
}

pub struct NatGateway;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NatGatewayAttrs<F: Form = Known> {
    pub subnet_id: F::Of<String>,
    pub allocation_id: F::Of<String>,
    pub connectivity_type: F::Of<String>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NatGatewayOutputs<F: Form = Known> {
    pub id: F::Of<String>,
    /// `pending`, `available`, `failed`…; not known right after the create call.
    #[serde(skip_serializing_if = "is_null")]
    pub state: F::Of<Option<String>>,
    /// AWS's failure code and message, for a failed gateway.
    #[serde(skip_serializing_if = "is_null")]
    pub failure: F::Of<Option<String>>,
}

impl Kind for NatGateway {
    const NAME: &'static str = "nat_gateway";
    type Attrs<F: Form> = NatGatewayAttrs<F>;
    type Outputs<F: Form> = NatGatewayOutputs<F>;
    const CHANGES: NatGatewayAttrs<super::Rules> = NatGatewayAttrs {
        subnet_id: REPLACE,
        allocation_id: REPLACE,
        connectivity_type: REPLACE,
        tags: IN_PLACE,
    };
}

pub struct RouteTable;

/// One route: a destination and the gateway it goes through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Route<F: Form = Known> {
    pub destination_cidr_block: F::Of<String>,
    #[serde(skip_serializing_if = "is_null")]
    pub gateway_id: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub nat_gateway_id: F::Of<Option<String>>,
}

impl Lift for Route<Desired> {
    type Known = Route;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RouteTableAttrs<F: Form = Known> {
    pub vpc_id: F::Of<String>,
    pub routes: F::Of<Vec<Route>>,
    pub subnet_ids: F::Of<Vec<String>>,
    pub tags: F::Of<Tags>,
}

impl Kind for RouteTable {
    const NAME: &'static str = "route_table";
    type Attrs<F: Form> = RouteTableAttrs<F>;
    type Outputs<F: Form> = Id<F>;
    const CHANGES: RouteTableAttrs<super::Rules> = RouteTableAttrs {
        vpc_id: REPLACE,
        routes: IN_PLACE_SET,
        subnet_ids: IN_PLACE_SET,
        tags: IN_PLACE,
    };
}

pub struct SecurityGroup;

/// Where a security group rule lets traffic in from (or out to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "", rename_all = "snake_case")]
pub enum Source<F: Form = Known> {
    CidrBlock(F::Of<String>),
    SecurityGroupId(F::Of<String>),
    /// The group itself (`{"self": true}`).
    #[serde(rename = "self")]
    Itself(F::Of<bool>),
}

impl Lift for Source<Desired> {
    type Known = Source;
}

/// One rule: a protocol, a port range (none for all traffic) and a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SgRule<F: Form = Known> {
    pub protocol: F::Of<String>,
    #[serde(skip_serializing_if = "is_null")]
    pub from_port: F::Of<Option<i32>>,
    #[serde(skip_serializing_if = "is_null")]
    pub to_port: F::Of<Option<i32>>,
    #[serde(skip_serializing_if = "is_null")]
    pub description: F::Of<Option<String>>,
    pub source: F::Of<Source>,
}

impl Lift for SgRule<Desired> {
    type Known = SgRule;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SecurityGroupAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub description: F::Of<String>,
    pub vpc_id: F::Of<String>,
    pub ingress: F::Of<Vec<SgRule>>,
    pub egress: F::Of<Vec<SgRule>>,
    pub tags: F::Of<Tags>,
}

impl Kind for SecurityGroup {
    const NAME: &'static str = "security_group";
    type Attrs<F: Form> = SecurityGroupAttrs<F>;
    type Outputs<F: Form> = Id<F>;
    // The API cannot change a group's name or description.
    const CHANGES: SecurityGroupAttrs<super::Rules> = SecurityGroupAttrs {
        name: REPLACE,
        description: REPLACE,
        vpc_id: REPLACE,
        ingress: IN_PLACE_SET,
        egress: IN_PLACE_SET,
        tags: IN_PLACE,
    };
}

pub struct Instance;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct InstanceAttrs<F: Form = Known> {
    /// `None`: the latest Amazon Linux 2023 image, read at creation only.
    #[serde(skip_serializing_if = "is_null")]
    pub ami: F::Of<Option<String>>,
    pub instance_type: F::Of<String>,
    pub subnet_id: F::Of<String>,
    pub security_group_ids: F::Of<Vec<String>>,
    pub metadata_http_tokens: F::Of<String>,
    #[serde(skip_serializing_if = "is_null")]
    pub key_name: F::Of<Option<String>>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct InstanceOutputs<F: Form = Known> {
    pub id: F::Of<String>,
    #[serde(skip_serializing_if = "is_null")]
    pub public_ip: F::Of<Option<String>>,
    #[serde(skip_serializing_if = "is_null")]
    pub private_ip: F::Of<Option<String>>,
    /// Its volumes, tagged with it at launch; tag changes follow to them.
    #[serde(skip_serializing_if = "is_null")]
    pub volume_ids: F::Of<Option<Vec<String>>>,
}

impl Kind for Instance {
    const NAME: &'static str = "instance";
    type Attrs<F: Form> = InstanceAttrs<F>;
    type Outputs<F: Form> = InstanceOutputs<F>;
    const CHANGES: InstanceAttrs<super::Rules> = InstanceAttrs {
        ami: REPLACE,
        instance_type: IN_PLACE,
        subnet_id: REPLACE,
        security_group_ids: IN_PLACE_SET,
        metadata_http_tokens: IN_PLACE,
        key_name: REPLACE,
        tags: IN_PLACE,
    };
}
