//! Redshift Serverless: the streaming-ingestion role with the blog's policy,
//! the namespace and the workgroup.

use serde_json::json;

use super::msk;
use super::network::{security_group, subnet_ids};
use super::{Builder, Expr, id_of, kinds, map};
use crate::attrs;
use crate::config::cidr::Tier;

pub const ROLE: &str = "redshift.role";
pub const ROLE_POLICY: &str = "redshift.role_policy";
pub const NAMESPACE: &str = "redshift.namespace";
pub const WORKGROUP: &str = "redshift.workgroup";

pub(super) fn build(b: &mut Builder<'_>) {
    let c = b.cfg;
    let r = &c.redshift;
    let n = c.names();

    b.add_tagged(
        ROLE,
        kinds::IAM_ROLE,
        &n.redshift_role,
        attrs! {
            "name" => n.redshift_role.as_str(),
            "description" => "Redshift Serverless streaming ingestion from MSK (managed by cdcstack)",
            "assume_role_policy" => Expr::Json(Box::new(Expr::Lit(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"] },
                    "Action": "sts:AssumeRole",
                }],
            })))),
        },
        &[],
    );

    b.add_tagged(
        NAMESPACE,
        kinds::REDSHIFT_NAMESPACE,
        &n.redshift_namespace,
        attrs! {
            "name" => n.redshift_namespace.as_str(),
            "db_name" => r.database.as_str(),
            "admin_username" => r.admin_username.as_str(),
            // Redshift generates the admin password into Secrets Manager.
            "manage_admin_password" => true,
            "iam_roles" => Expr::List(vec![Expr::reference(ROLE, "arn")]),
            "log_exports" => Expr::List(r.log_exports.iter().map(|l| Expr::from(l.as_str())).collect()),
        },
        &[],
    );

    b.add_tagged(
        WORKGROUP,
        kinds::REDSHIFT_WORKGROUP,
        &n.redshift_workgroup,
        attrs! {
            "name" => n.redshift_workgroup.as_str(),
            "namespace_name" => Expr::reference(NAMESPACE, "name"),
            "base_capacity" => r.base_capacity,
            "subnet_ids" => subnet_ids(Tier::Private).into_expr(),
            "security_group_ids" => Expr::List(vec![id_of(&security_group("redshift"))]),
            "publicly_accessible" => r.publicly_accessible,
            "enhanced_vpc_routing" => r.enhanced_vpc_routing,
        },
        &[],
    );

    // The blog's policy, attached once the workgroup (whose ARN it names) exists.
    let statement = |sid: &str, actions: &[&str], resources: Vec<Expr>| {
        map([
            ("Sid", Expr::from(sid)),
            ("Effect", "Allow".into()),
            (
                "Action",
                Expr::List(actions.iter().map(|a| Expr::from(*a)).collect()),
            ),
            ("Resource", Expr::List(resources)),
        ])
    };
    let policy = map([
        ("Version", Expr::from("2012-10-17")),
        (
            "Statement",
            Expr::List(vec![
                statement(
                    "MSKIAMpolicy",
                    &[
                        "kafka-cluster:ReadData",
                        "kafka-cluster:DescribeTopic",
                        "kafka-cluster:Connect",
                        "kafka-cluster:DescribeCluster",
                    ],
                    vec![
                        Expr::reference(msk::CLUSTER, "arn"),
                        Expr::reference(msk::CLUSTER, "topic_arn"),
                    ],
                ),
                statement(
                    "MSKPolicy",
                    &["kafka:GetBootstrapBrokers", "kafka:DescribeCluster"],
                    vec![Expr::reference(msk::CLUSTER, "arn")],
                ),
                statement(
                    "RedshiftServerlessStreaming",
                    &["redshift-serverless:GetCredentials"],
                    vec![Expr::reference(WORKGROUP, "arn")],
                ),
            ]),
        ),
    ]);
    b.add(
        ROLE_POLICY,
        kinds::IAM_ROLE_POLICY,
        attrs! {
            "role_name" => Expr::reference(ROLE, "name"),
            "policy_name" => "cdcstack-streaming",
            "policy" => Expr::Json(Box::new(policy)),
        },
        &[],
    );

    b.output(
        "redshift_namespace",
        "Redshift Serverless namespace",
        Expr::reference(NAMESPACE, "name"),
    );
    b.output(
        "redshift_workgroup_endpoint",
        "Redshift Serverless workgroup endpoint",
        Expr::reference(WORKGROUP, "endpoint"),
    );
    b.output(
        "redshift_admin_secret_arn",
        "Secrets Manager ARN of the Redshift admin credentials (managed by Redshift)",
        Expr::reference(NAMESPACE, "admin_password_secret_arn"),
    );
}
