//! Redshift Serverless: the streaming-ingestion role with the blog's policy,
//! the namespace and the workgroup.

use serde_json::{Value, json};

use super::msk;
use super::network::{security_group, subnet_ids};
use super::{Builder, Expr, iam};
use crate::config::cidr::Tier;
use crate::model::iam::{Role, RoleAttrs, RolePolicy, RolePolicyAttrs};
use crate::model::redshift::{Namespace, NamespaceAttrs, Workgroup, WorkgroupAttrs};
use crate::model::{self, E};

pub const ROLE: &str = "redshift.role";
pub const ROLE_POLICY: &str = "redshift.role_policy";
pub const NAMESPACE: &str = "redshift.namespace";
pub const WORKGROUP: &str = "redshift.workgroup";

pub(super) fn build(b: &mut Builder<'_>) {
    let c = b.cfg;
    let r = &c.redshift;
    let n = c.names();

    b.add::<Role>(
        ROLE,
        RoleAttrs {
            name: n.redshift_role.as_str().into(),
            description: "Redshift Serverless streaming ingestion from MSK (managed by cdcstack)"
                .into(),
            assume_role_policy: E::json(E::<Value>::lit(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"] },
                    "Action": "sts:AssumeRole",
                }],
            }))),
            tags: b.tags(ROLE, &n.redshift_role),
        },
        &[],
    );

    b.add::<Namespace>(
        NAMESPACE,
        NamespaceAttrs {
            name: n.redshift_namespace.as_str().into(),
            db_name: r.database.as_str().into(),
            admin_username: r.admin_username.as_str().into(),
            // Redshift generates the admin password into Secrets Manager.
            manage_admin_password: true.into(),
            iam_roles: E::list([E::reference(ROLE, "arn")]),
            log_exports: E::list(r.log_exports.iter().map(|l| E::from(l.as_str()))),
            tags: b.tags(NAMESPACE, &n.redshift_namespace),
        },
        &[],
    );

    b.add::<Workgroup>(
        WORKGROUP,
        WorkgroupAttrs {
            name: n.redshift_workgroup.as_str().into(),
            namespace_name: E::reference(NAMESPACE, "name"),
            base_capacity: i32::try_from(r.base_capacity)
                .expect("the config schema bounds it to 8..=1024")
                .into(),
            subnet_ids: subnet_ids(Tier::Private),
            security_group_ids: E::list([model::id_of(&security_group("redshift"))]),
            publicly_accessible: r.publicly_accessible.into(),
            enhanced_vpc_routing: r.enhanced_vpc_routing.into(),
            tags: b.tags(WORKGROUP, &n.redshift_workgroup),
        },
        &[],
    );

    // The blog's policy, attached once the workgroup (whose ARN it names) exists.
    let policy = iam::policy(vec![
        iam::allow(
            "MSKIAMpolicy",
            &[
                "kafka-cluster:ReadData",
                "kafka-cluster:DescribeTopic",
                "kafka-cluster:Connect",
                "kafka-cluster:DescribeCluster",
            ],
            vec![
                E::reference(msk::CLUSTER, "arn"),
                E::reference(msk::CLUSTER, "topic_arn"),
            ],
        ),
        iam::allow(
            "MSKPolicy",
            &["kafka:GetBootstrapBrokers", "kafka:DescribeCluster"],
            vec![E::reference(msk::CLUSTER, "arn")],
        ),
        iam::allow(
            "RedshiftServerlessStreaming",
            &["redshift-serverless:GetCredentials"],
            vec![E::reference(WORKGROUP, "arn")],
        ),
    ]);
    b.add::<RolePolicy>(
        ROLE_POLICY,
        RolePolicyAttrs {
            role_name: E::reference(ROLE, "name"),
            policy_name: "cdcstack-streaming".into(),
            policy,
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
