//! MSK: the configuration (server properties) and the provisioned cluster
//! with TLS and IAM authentication on port 9098.

use super::network::{security_group, subnet_ids};
use super::{Builder, Expr};
use crate::config::cidr::Tier;
use crate::model::msk::{
    ClientAuthentication, Cluster, ClusterAttrs, Configuration, ConfigurationAttrs,
    EncryptionInTransit,
};
use crate::model::{self, E};

pub const CONFIGURATION: &str = "msk.configuration";
pub const CLUSTER: &str = "msk.cluster";

/// A count the config schema bounds (brokers, GiB) as the API's integer.
fn count(n: u32) -> E<i32> {
    i32::try_from(n)
        .expect("the config schema bounds it far below i32::MAX")
        .into()
}

pub(super) fn build(b: &mut Builder<'_>) {
    let c = b.cfg;
    let m = &c.msk;
    let n = c.names();

    // MSK configurations take no tags. No `kafka_versions` either: it cannot
    // change, and a configuration in use cannot be replaced.
    b.add::<Configuration>(
        CONFIGURATION,
        ConfigurationAttrs {
            name: n.msk_configuration.as_str().into(),
            description: "server properties (managed by cdcstack)".into(),
            server_properties: E::map(
                m.configuration
                    .iter()
                    .map(|(k, v)| (k.as_str(), E::from(v.as_str()))),
            ),
        },
        &[],
    );

    b.add::<Cluster>(
        CLUSTER,
        ClusterAttrs {
            name: n.msk_cluster.as_str().into(),
            kafka_version: m.kafka_version.as_str().into(),
            broker_count: count(m.broker_count),
            instance_type: m.instance_type.as_str().into(),
            ebs_volume_gb: count(m.ebs_volume_gb),
            client_subnets: subnet_ids(Tier::Private),
            security_groups: E::list([model::id_of(&security_group("msk"))]),
            configuration_arn: E::reference(CONFIGURATION, "arn"),
            configuration_revision: E::reference(CONFIGURATION, "latest_revision"),
            client_authentication: ClientAuthentication { sasl_iam: true }.into(),
            encryption_in_transit: EncryptionInTransit {
                client_broker: "TLS".into(),
                in_cluster: true,
            }
            .into(),
            tags: b.tags(CLUSTER, &n.msk_cluster),
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
