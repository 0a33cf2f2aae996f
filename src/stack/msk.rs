//! MSK: the configuration (server properties) and the provisioned cluster
//! with TLS and IAM authentication on port 9098.

use super::network::{security_group, subnet_ids};
use super::{Builder, Expr, id_of, kinds, map};
use crate::attrs;
use crate::config::cidr::Tier;

pub const CONFIGURATION: &str = "msk.configuration";
pub const CLUSTER: &str = "msk.cluster";

pub(super) fn build(b: &mut Builder<'_>) {
    let c = b.cfg;
    let m = &c.msk;
    let n = c.names();

    // MSK configurations take no tags. No `kafka_versions` either: it cannot
    // change, and a configuration in use cannot be replaced.
    b.add(
        CONFIGURATION,
        kinds::MSK_CONFIGURATION,
        attrs! {
            "name" => n.msk_configuration.as_str(),
            "description" => "server properties (managed by cdcstack)",
            "server_properties" => Expr::Map(
                m.configuration.iter().map(|(k, v)| (k.clone(), Expr::from(v.as_str()))).collect()
            ),
        },
        &[],
    );

    b.add_tagged(
        CLUSTER,
        kinds::MSK_CLUSTER,
        &n.msk_cluster,
        attrs! {
            "name" => n.msk_cluster.as_str(),
            "kafka_version" => m.kafka_version.as_str(),
            "broker_count" => m.broker_count,
            "instance_type" => m.instance_type.as_str(),
            "ebs_volume_gb" => m.ebs_volume_gb,
            "client_subnets" => subnet_ids(Tier::Private).into_expr(),
            "security_groups" => Expr::List(vec![id_of(&security_group("msk"))]),
            "configuration_arn" => Expr::reference(CONFIGURATION, "arn"),
            "configuration_revision" => Expr::reference(CONFIGURATION, "latest_revision"),
            "client_authentication" => map([("sasl_iam", Expr::from(true))]),
            "encryption_in_transit" => map([
                ("client_broker", Expr::from("TLS")),
                ("in_cluster", Expr::from(true)),
            ]),
        },
        &[],
    );

    b.output(
        "msk_cluster_arn",
        "MSK cluster ARN",
        Expr::reference(CLUSTER, "arn"),
    );
    b.output(
        "msk_bootstrap_brokers_iam",
        "MSK bootstrap brokers for IAM authentication (port 9098)",
        Expr::reference(CLUSTER, "bootstrap_brokers_sasl_iam"),
    );
}
