//! Carving the 9 subnets out of the VPC CIDR, deterministically.
//!
//! The VPC CIDR is cut into 16 equal blocks (4 more prefix bits). Tier `t`
//! in AZ `i` takes block `4 * t + i`, so each tier keeps a spare block for a
//! fourth AZ and the layout never depends on anything but the CIDR.

use ipnet::Ipv4Net;
use serde::Serialize;

/// Subnet tiers of the blog's VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// NAT gateways and the bastion; routes to the internet gateway.
    Public,
    /// MSK brokers and MSK Connect workers; routes to a NAT gateway.
    Private,
    /// Aurora; no route to the internet.
    Database,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Public, Tier::Private, Tier::Database];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Database => "database",
        }
    }

    fn index(self) -> u32 {
        match self {
            Tier::Public => 0,
            Tier::Private => 1,
            Tier::Database => 2,
        }
    }
}

/// Extra prefix bits per subnet: 16 blocks.
pub const SUBNET_BITS: u8 = 4;
/// Smallest subnet AWS allows.
pub const MIN_SUBNET_PREFIX: u8 = 28;
/// Widest VPC CIDR AWS allows.
pub const MIN_VPC_PREFIX: u8 = 16;
/// Narrowest VPC CIDR that still leaves /28 subnets.
pub const MAX_VPC_PREFIX: u8 = MIN_SUBNET_PREFIX - SUBNET_BITS;

/// The subnet of `tier` in AZ number `az` (0-based).
///
/// # Panics
/// If `vpc` is narrower than [`MAX_VPC_PREFIX`] or `az > 3`; validation
/// refuses such files first.
pub fn subnet(vpc: Ipv4Net, tier: Tier, az: usize) -> Ipv4Net {
    assert!(az < 4 && vpc.prefix_len() <= MAX_VPC_PREFIX);
    let block = tier.index() * 4 + u32::try_from(az).expect("az < 4");
    let prefix = vpc.prefix_len() + SUBNET_BITS;
    let size = 1u32 << (32 - u32::from(prefix));
    let base = u32::from(vpc.network());
    Ipv4Net::new((base + block * size).into(), prefix).expect("prefix ≤ 32")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carves_nine_disjoint_subnets_inside_the_vpc() {
        let vpc: Ipv4Net = "10.20.0.0/16".parse().unwrap();
        let mut all = Vec::new();
        for t in Tier::ALL {
            for az in 0..3 {
                let s = subnet(vpc, t, az);
                assert!(vpc.contains(&s));
                all.push(s);
            }
        }
        assert_eq!(subnet(vpc, Tier::Public, 0).to_string(), "10.20.0.0/20");
        assert_eq!(subnet(vpc, Tier::Private, 1).to_string(), "10.20.80.0/20");
        assert_eq!(subnet(vpc, Tier::Database, 2).to_string(), "10.20.160.0/20");
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!a.contains(b) && !b.contains(a), "{a} overlaps {b}");
            }
        }
    }

    #[test]
    fn narrowest_vpc_gives_slash_28() {
        let vpc: Ipv4Net = "192.168.1.0/24".parse().unwrap();
        assert_eq!(
            subnet(vpc, Tier::Database, 2).to_string(),
            "192.168.1.160/28"
        );
    }
}
