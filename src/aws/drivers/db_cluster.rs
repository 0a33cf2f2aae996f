//! The Aurora MySQL cluster. RDS generates the master password into
//! Secrets Manager (`manage_master_user_password`), so cdcstack never sees
//! it. With `aurora.reboot_for_parameters`, a parameter change the writer
//! reports as `pending-reboot` is applied by rebooting it.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_rds::types::DbCluster;

use super::common;
use super::rds;
use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, FoundExt};
use crate::aws::policy::{Phase, Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::aurora::{Cluster, ClusterAttrs, ClusterOutputs, major_version};
use crate::model::{Attrs, Changed, Partial};
use crate::stack::Address;

/// Terraform's default (rds/cluster.go): 120 minutes for create, update, delete.
const POLICY: Policy = Policy {
    create: minutes(120),
    update: minutes(120),
    delete: minutes(120),
    transient: &[rds::busy(&[Phase::Update, Phase::Delete], minutes(120))],
};

pub struct ClusterDriver {
    pub aws: Arc<Aws>,
}

fn pending_reboot(c: &DbCluster) -> Vec<String> {
    c.db_cluster_members()
        .iter()
        .filter(|m| m.db_cluster_parameter_group_status() == Some("pending-reboot"))
        .filter_map(|m| m.db_instance_identifier().map(str::to_string))
        .collect()
}

/// The cluster as AWS reports it; `digest` is the parameters digest its
/// instances were last known to run (the state's or the desired one).
fn to_live(c: &DbCluster, digest: Option<String>) -> Live<Cluster> {
    let id = c.db_cluster_identifier().unwrap_or_default().to_string();
    let pending = pending_reboot(c);
    // Which parameters the instances run: those last applied, unless some wait for a reboot.
    let parameters_digest = if pending.is_empty() {
        digest
    } else {
        Some("pending-reboot".into())
    };
    let attrs = ClusterAttrs {
        identifier: id.clone(),
        engine: c.engine().unwrap_or_default().to_string(),
        engine_version: c.engine_version().unwrap_or_default().to_string(),
        database_name: c.database_name().unwrap_or_default().to_string(),
        master_username: c.master_username().unwrap_or_default().to_string(),
        manage_master_user_password: c.master_user_secret().is_some(),
        db_subnet_group_name: c.db_subnet_group().unwrap_or_default().to_string(),
        db_cluster_parameter_group_name: c
            .db_cluster_parameter_group()
            .unwrap_or_default()
            .to_string(),
        vpc_security_group_ids: c
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .map(str::to_string)
            .collect(),
        port: c.port().unwrap_or(3306),
        storage_encrypted: c.storage_encrypted().unwrap_or(false),
        backup_retention_period: c.backup_retention_period().unwrap_or(1),
        deletion_protection: c.deletion_protection().unwrap_or(false),
        enable_http_endpoint: c.http_endpoint_enabled().unwrap_or(false),
        parameters_digest,
        tags: rds::tag_set(c.tag_list()),
    };
    let out = ClusterOutputs {
        id: id.clone(),
        arn: c.db_cluster_arn().unwrap_or_default().to_string(),
        endpoint: c.endpoint().unwrap_or_default().to_string(),
        reader_endpoint: c.reader_endpoint().unwrap_or_default().to_string(),
        master_user_secret_arn: c
            .master_user_secret()
            .and_then(|m| m.secret_arn())
            .unwrap_or_default()
            .to_string(),
        pending_reboot: pending,
    };
    let mut live = Live::ready(id, attrs, out);
    live.ready = c.status() == Some("available");
    live
}

impl ClusterDriver {
    async fn describe(&self, id: &str) -> Result<Option<DbCluster>, DriverError> {
        Ok(self
            .aws
            .rds()
            .describe_db_clusters()
            .db_cluster_identifier(id)
            .send()
            .await
            .api("rds:DescribeDBClusters")
            .found()?
            .and_then(|out| out.db_clusters().first().cloned()))
    }

    async fn wait_available(
        &self,
        ctx: &Ctx,
        phase: Phase,
        id: &str,
        digest: Option<&String>,
    ) -> Result<Live<Cluster>, DriverError> {
        POLICY
            .until(
                ctx,
                phase,
                &format!("Aurora cluster {id} to be available"),
                || async {
                    match self.describe(id).await? {
                        Some(c) if c.status() == Some("available") => {
                            Ok(Poll::Done(to_live(&c, digest.cloned())))
                        }
                        Some(c) => Ok(Poll::Pending(c.status().unwrap_or("unknown").to_string())),
                        None => Ok(Poll::Pending("not visible yet".into())),
                    }
                },
            )
            .await
    }
}

#[async_trait]
impl Lifecycle for ClusterDriver {
    type Kind = Cluster;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Cluster>],
    ) -> Result<Found<Cluster>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(id) = w.known.identifier.as_deref() else {
                continue;
            };
            let Some(c) = self.describe(id).await? else {
                continue;
            };
            if c.status() == Some("deleting") {
                continue;
            }
            let live = to_live(&c, w.known.parameters_digest.clone().flatten());
            common::owned(ctx, &w.address, "Aurora cluster", id, &live.attrs.tags)?;
            found.live.insert(w.address.clone(), live);
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        a: &Address,
        d: &Attrs<Cluster>,
    ) -> Result<Live<Cluster>, DriverError> {
        let id = &d.identifier;
        let res = self
            .aws
            .rds()
            .create_db_cluster()
            .db_cluster_identifier(id)
            .engine(&d.engine)
            .engine_version(&d.engine_version)
            .database_name(&d.database_name)
            .master_username(&d.master_username)
            .manage_master_user_password(d.manage_master_user_password)
            .db_subnet_group_name(&d.db_subnet_group_name)
            .db_cluster_parameter_group_name(&d.db_cluster_parameter_group_name)
            .set_vpc_security_group_ids(Some(d.vpc_security_group_ids.clone()))
            .port(d.port)
            .storage_encrypted(d.storage_encrypted)
            .backup_retention_period(d.backup_retention_period)
            .deletion_protection(d.deletion_protection)
            .enable_http_endpoint(d.enable_http_endpoint)
            .set_tags(Some(rds::sdk_tags(&d.tags)))
            .send()
            .await
            .api("rds:CreateDBCluster");
        let cluster = match res {
            Ok(out) => out.db_cluster().cloned(),
            // Left by an interrupted run: take it over if it is ours.
            Err(e) if e.code_is("DBClusterAlreadyExistsFault") => {
                let c = self.describe(id).await?.ok_or(DriverError::from(e))?;
                common::owned(ctx, a, "Aurora cluster", id, &rds::tag_set(c.tag_list()))?;
                Some(c)
            }
            Err(e) => return Err(e.into()),
        };
        // What AWS reported so far; everything the stack asked for when it
        // reported nothing (wait reads the rest).
        let live = cluster.map_or_else(
            || {
                let out = ClusterOutputs {
                    id: id.clone(),
                    arn: String::new(),
                    endpoint: String::new(),
                    reader_endpoint: String::new(),
                    master_user_secret_arn: String::new(),
                    pending_reboot: vec![],
                };
                Live::pending(id.clone(), d.clone(), out)
            },
            |c| to_live(&c, d.parameters_digest.clone()),
        );
        Ok(Live {
            ready: false,
            ..live
        })
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Cluster>,
        d: &Attrs<Cluster>,
        changed: &Changed<Cluster>,
    ) -> Result<Live<Cluster>, DriverError> {
        let ClusterAttrs {
            identifier: _,
            engine: _,
            engine_version,
            database_name: _,
            master_username: _,
            manage_master_user_password,
            db_subnet_group_name: _,
            db_cluster_parameter_group_name,
            vpc_security_group_ids,
            port,
            storage_encrypted: _,
            backup_retention_period,
            deletion_protection,
            enable_http_endpoint,
            parameters_digest,
            tags,
        } = *changed;
        let rds = self.aws.rds();
        let id = &live.id;
        if engine_version
            || port
            || vpc_security_group_ids
            || db_cluster_parameter_group_name
            || backup_retention_period
            || deletion_protection
            || enable_http_endpoint
            || manage_master_user_password
        {
            let mut req = rds
                .modify_db_cluster()
                .db_cluster_identifier(id)
                .apply_immediately(true);
            if engine_version {
                let upgrade_major =
                    major_version(&d.engine_version) != major_version(&live.attrs.engine_version);
                req = req
                    .engine_version(&d.engine_version)
                    .allow_major_version_upgrade(upgrade_major);
            }
            if port {
                req = req.port(d.port);
            }
            if vpc_security_group_ids {
                req = req.set_vpc_security_group_ids(Some(d.vpc_security_group_ids.clone()));
            }
            if db_cluster_parameter_group_name {
                req = req.db_cluster_parameter_group_name(&d.db_cluster_parameter_group_name);
            }
            if backup_retention_period {
                req = req.backup_retention_period(d.backup_retention_period);
            }
            if deletion_protection {
                req = req.deletion_protection(d.deletion_protection);
            }
            if enable_http_endpoint {
                req = req.enable_http_endpoint(d.enable_http_endpoint);
            }
            if manage_master_user_password {
                req = req.manage_master_user_password(d.manage_master_user_password);
            }
            POLICY
                .retry(
                    ctx,
                    Phase::Update,
                    &format!("modifying Aurora cluster {id}"),
                    || {
                        let req = req.clone();
                        async move { req.send().await.api("rds:ModifyDBCluster").map(|_| ()) }
                    },
                )
                .await?;
            self.wait_available(ctx, Phase::Update, id, d.parameters_digest.as_ref())
                .await?;
        }
        if tags {
            rds::update_tags(&self.aws, &live.out.arn, &live.attrs.tags, &d.tags).await?;
        }
        if parameters_digest {
            // Apply the parameter group: reboot whatever reports pending-reboot.
            let c = self
                .describe(id)
                .await?
                .ok_or_else(|| DriverError::Failed(format!("cluster {id} disappeared")))?;
            for instance in pending_reboot(&c) {
                POLICY
                    .retry(
                        ctx,
                        Phase::Update,
                        &format!("rebooting {instance}"),
                        || async {
                            rds.reboot_db_instance()
                                .db_instance_identifier(&instance)
                                .send()
                                .await
                                .api("rds:RebootDBInstance")
                                .map(|_| ())
                        },
                    )
                    .await?;
            }
            POLICY
                .until(
                    ctx,
                    Phase::Update,
                    &format!("Aurora cluster {id} to run its parameters"),
                    || async {
                        match self.describe(id).await? {
                            Some(c)
                                if pending_reboot(&c).is_empty()
                                    && c.status() == Some("available") =>
                            {
                                Ok(Poll::Done(()))
                            }
                            Some(c) => Ok(Poll::Pending(format!(
                                "{} pending reboot",
                                pending_reboot(&c).join(", ")
                            ))),
                            None => Ok(Poll::Pending("not visible".into())),
                        }
                    },
                )
                .await?;
        }
        let mut fresh = self
            .wait_available(ctx, Phase::Update, id, d.parameters_digest.as_ref())
            .await?;
        if d.parameters_digest.is_some() {
            fresh
                .attrs
                .parameters_digest
                .clone_from(&d.parameters_digest);
        }
        Ok(fresh.done())
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Cluster>,
    ) -> Result<Live<Cluster>, DriverError> {
        // After a create or an update: both phases have the same timeout.
        let fresh = self
            .wait_available(
                ctx,
                Phase::Create,
                &live.id,
                live.attrs.parameters_digest.as_ref(),
            )
            .await?;
        Ok(fresh.done())
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        address: &Address,
        live: &Live<Cluster>,
    ) -> Result<(), DriverError> {
        if live.attrs.deletion_protection {
            return Err(DriverError::Failed(format!(
                "{address}: cluster {} has deletion protection; set aurora.deletion_protection = false and apply before destroying it",
                live.id
            )));
        }
        let id = &live.id;
        // Refused while its instances are still being deleted or it is busy.
        let delete = || async {
            self.aws
                .rds()
                .delete_db_cluster()
                .db_cluster_identifier(id)
                .skip_final_snapshot(true)
                .delete_automated_backups(true)
                .send()
                .await
                .api("rds:DeleteDBCluster")
                .map(|_| ())
        };
        let status = || async {
            Ok(self
                .describe(id)
                .await?
                .map(|c| c.status().unwrap_or("unknown").to_string()))
        };
        POLICY
            .delete(ctx, &format!("Aurora cluster {id}"), delete, status)
            .await
    }
}

impl Advice for ClusterDriver {
    fn delete_blocker(&self, live: &Live<Cluster>) -> Option<String> {
        live.attrs.deletion_protection.then(|| {
            format!(
                "Aurora cluster {} has deletion protection; set aurora.deletion_protection = false and apply that change on its own first (hold back the edits that replace or delete the cluster until the apply after)",
                live.id
            )
        })
    }

    fn notes(
        &self,
        desired: &Partial<Cluster>,
        live: Option<&Live<Cluster>>,
        _changed: &Changed<Cluster>,
    ) -> Vec<String> {
        let pending = live
            .map(|l| &l.out.pending_reboot)
            .filter(|p| !p.is_empty());
        match (pending, desired.parameters_digest.is_some()) {
            (Some(p), false) => vec![format!(
                "{} pending-reboot: the parameter group's changes (binlog settings included) are not in effect until it restarts; reboot it, or set aurora.reboot_for_parameters = true to let apply do it",
                p.join(", ")
            )],
            (Some(_), true) => {
                vec!["apply reboots the instances that report pending-reboot".into()]
            }
            _ => vec![],
        }
    }
}
