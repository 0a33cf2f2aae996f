//! The Aurora MySQL cluster. RDS generates the master password into
//! Secrets Manager (`manage_master_user_password`), so cdcstack never sees
//! it. With `aurora.reboot_for_parameters`, a parameter change the writer
//! reports as `pending-reboot` is applied by rebooting it.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::DbCluster;
use serde_json::Value;

use super::common::{self, b, s, strs};
use super::rds;
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Cluster;

/// Terraform's default (rds/cluster.go): 120 minutes for create, update, delete.
const TIMEOUT: Duration = Duration::from_secs(120 * 60);

fn pending_reboot(c: &DbCluster) -> Vec<String> {
    c.db_cluster_members()
        .iter()
        .filter(|m| m.db_cluster_parameter_group_status() == Some("pending-reboot"))
        .filter_map(|m| m.db_instance_identifier().map(str::to_string))
        .collect()
}

fn to_live(c: &DbCluster, known: &Attrs) -> Live {
    let id = c.db_cluster_identifier().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert("identifier".into(), id.clone().into());
    a.insert("engine".into(), c.engine().unwrap_or_default().into());
    a.insert(
        "engine_version".into(),
        c.engine_version().unwrap_or_default().into(),
    );
    a.insert(
        "database_name".into(),
        c.database_name().unwrap_or_default().into(),
    );
    a.insert(
        "master_username".into(),
        c.master_username().unwrap_or_default().into(),
    );
    a.insert(
        "manage_master_user_password".into(),
        c.master_user_secret().is_some().into(),
    );
    a.insert(
        "db_subnet_group_name".into(),
        c.db_subnet_group().unwrap_or_default().into(),
    );
    a.insert(
        "db_cluster_parameter_group_name".into(),
        c.db_cluster_parameter_group().unwrap_or_default().into(),
    );
    let sgs: Vec<Value> = c
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .map(Into::into)
        .collect();
    a.insert("vpc_security_group_ids".into(), sgs.into());
    a.insert("port".into(), c.port().unwrap_or(3306).into());
    a.insert(
        "storage_encrypted".into(),
        c.storage_encrypted().unwrap_or(false).into(),
    );
    a.insert(
        "backup_retention_period".into(),
        c.backup_retention_period().unwrap_or(1).into(),
    );
    a.insert(
        "deletion_protection".into(),
        c.deletion_protection().unwrap_or(false).into(),
    );
    a.insert(
        "enable_http_endpoint".into(),
        c.http_endpoint_enabled().unwrap_or(false).into(),
    );
    a.insert("tags".into(), rds::tags_value(c.tag_list()));
    let pending = pending_reboot(c);
    // Which parameters the instances run: those last applied, unless some wait for a reboot.
    let applied = if pending.is_empty() {
        known.get("parameters_digest").cloned()
    } else {
        Some("pending-reboot".into())
    };
    if let Some(v) = applied {
        a.insert("parameters_digest".into(), v);
    }
    a.insert(
        "pending_reboot".into(),
        pending
            .into_iter()
            .map(Value::from)
            .collect::<Vec<_>>()
            .into(),
    );
    a.insert("id".into(), id.clone().into());
    a.insert("arn".into(), c.db_cluster_arn().unwrap_or_default().into());
    a.insert("endpoint".into(), c.endpoint().unwrap_or_default().into());
    a.insert(
        "reader_endpoint".into(),
        c.reader_endpoint().unwrap_or_default().into(),
    );
    let secret = c
        .master_user_secret()
        .and_then(|m| m.secret_arn())
        .unwrap_or_default();
    a.insert("master_user_secret_arn".into(), secret.into());
    Live {
        id,
        attrs: a,
        ready: c.status() == Some("available"),
    }
}

async fn describe(ctx: &Ctx, id: &str) -> Result<Option<DbCluster>, DriverError> {
    match ctx
        .aws
        .rds()
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .api("rds:DescribeDBClusters")
    {
        Ok(out) => Ok(out.db_clusters().first().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn wait_available(ctx: &Ctx, id: &str, known: &Attrs) -> Result<Live, DriverError> {
    wait::until(
        ctx,
        &format!("Aurora cluster {id} to be available"),
        TIMEOUT,
        || async {
            match describe(ctx, id).await? {
                Some(c) if c.status() == Some("available") => Ok(Poll::Done(to_live(&c, known))),
                Some(c) => Ok(Poll::Pending(c.status().unwrap_or("unknown").to_string())),
                None => Ok(Poll::Pending("not visible yet".into())),
            }
        },
    )
    .await
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[async_trait]
impl Driver for Cluster {
    fn kind(&self) -> &'static str {
        kinds::DB_CLUSTER
    }

    fn bound_to(&self) -> &'static [&'static str] {
        // AWS does not move it to another VPC, nor off subnets that are
        // replaced under it (their CIDRs are taken until it leaves).
        &[kinds::VPC, kinds::SUBNET]
    }

    fn force_new(&self) -> &'static [&'static str] {
        &[
            "identifier",
            "engine",
            "database_name",
            "master_username",
            "db_subnet_group_name",
            "storage_encrypted",
        ]
    }

    fn data_lost_on_replace(&self) -> Option<&'static str> {
        Some("the cluster's databases and data (no final snapshot is taken)")
    }

    fn forces_replacement(
        &self,
        attr: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> bool {
        if attr == "engine_version" {
            // Upgrades happen in place; Aurora cannot go back to an older version.
            let v =
                |x: Option<&Value>| version_parts(x.and_then(Value::as_str).unwrap_or_default());
            return v(after) < v(before);
        }
        self.force_new().contains(&attr)
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["vpc_security_group_ids"]
    }

    fn delete_blocker(&self, live: &Live) -> Option<String> {
        (live.attrs.get("deletion_protection") == Some(&Value::Bool(true))).then(|| {
            format!(
                "Aurora cluster {} has deletion protection; set aurora.deletion_protection = false and apply that change on its own first (hold back the edits that replace or delete the cluster until the apply after)",
                live.id
            )
        })
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(id) = w.known_str("identifier") else {
                continue;
            };
            let Some(c) = describe(ctx, id).await? else {
                continue;
            };
            if c.status() == Some("deleting") {
                continue;
            }
            let live = to_live(&c, &w.known);
            common::check_owned(ctx, &w.address, "Aurora cluster", id, &live.attrs["tags"])?;
            found.live.insert(w.address.clone(), live);
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let id = s(d, "identifier");
        let res = ctx
            .aws
            .rds()
            .create_db_cluster()
            .db_cluster_identifier(&id)
            .engine(s(d, "engine"))
            .engine_version(s(d, "engine_version"))
            .database_name(s(d, "database_name"))
            .master_username(s(d, "master_username"))
            .manage_master_user_password(b(d, "manage_master_user_password"))
            .db_subnet_group_name(s(d, "db_subnet_group_name"))
            .db_cluster_parameter_group_name(s(d, "db_cluster_parameter_group_name"))
            .set_vpc_security_group_ids(Some(strs(d, "vpc_security_group_ids")))
            .port(i32::try_from(common::i(d, "port")).unwrap_or(3306))
            .storage_encrypted(b(d, "storage_encrypted"))
            .backup_retention_period(
                i32::try_from(common::i(d, "backup_retention_period")).unwrap_or(1),
            )
            .deletion_protection(b(d, "deletion_protection"))
            .enable_http_endpoint(b(d, "enable_http_endpoint"))
            .set_tags(Some(rds::sdk_tags(d)))
            .send()
            .await
            .api("rds:CreateDBCluster");
        let cluster = match res {
            Ok(out) => out.db_cluster().cloned(),
            // Left by an interrupted run: take it over if it is ours.
            Err(e) if e.code_is("DBClusterAlreadyExistsFault") => {
                let c = describe(ctx, &id).await?.ok_or(DriverError::Api(e))?;
                common::check_owned(
                    ctx,
                    a,
                    "Aurora cluster",
                    &id,
                    &rds::tags_value(c.tag_list()),
                )?;
                Some(c)
            }
            Err(e) => return Err(e.into()),
        };
        let mut live = cluster.map_or_else(
            || Live::pending(id.clone(), Attrs::new()),
            |c| to_live(&c, d),
        );
        live.ready = false;
        // Everything the stack asked for, plus what AWS reported so far.
        let mut attrs = d.clone();
        attrs.extend(live.attrs);
        live.attrs = attrs;
        Ok(live)
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let rds = ctx.aws.rds();
        let has = |k: &str| changed.iter().any(|c| c == k);
        let modify_fields = [
            "engine_version",
            "port",
            "vpc_security_group_ids",
            "db_cluster_parameter_group_name",
            "backup_retention_period",
            "deletion_protection",
            "enable_http_endpoint",
            "manage_master_user_password",
        ];
        if modify_fields.iter().any(|f| has(f)) {
            let mut req = rds
                .modify_db_cluster()
                .db_cluster_identifier(&live.id)
                .apply_immediately(true);
            if has("engine_version") {
                let major = |v: &str| version_parts(v).first().copied();
                let upgrade_major =
                    major(&s(d, "engine_version")) != major(&s(&live.attrs, "engine_version"));
                req = req
                    .engine_version(s(d, "engine_version"))
                    .allow_major_version_upgrade(upgrade_major);
            }
            if has("port") {
                req = req.port(i32::try_from(common::i(d, "port")).unwrap_or(3306));
            }
            if has("vpc_security_group_ids") {
                req = req.set_vpc_security_group_ids(Some(strs(d, "vpc_security_group_ids")));
            }
            if has("db_cluster_parameter_group_name") {
                req = req.db_cluster_parameter_group_name(s(d, "db_cluster_parameter_group_name"));
            }
            if has("backup_retention_period") {
                req = req.backup_retention_period(
                    i32::try_from(common::i(d, "backup_retention_period")).unwrap_or(1),
                );
            }
            if has("deletion_protection") {
                req = req.deletion_protection(b(d, "deletion_protection"));
            }
            if has("enable_http_endpoint") {
                req = req.enable_http_endpoint(b(d, "enable_http_endpoint"));
            }
            if has("manage_master_user_password") {
                req = req.manage_master_user_password(b(d, "manage_master_user_password"));
            }
            wait::retry(
                ctx,
                &format!("modifying Aurora cluster {}", live.id),
                TIMEOUT,
                rds::busy,
                || {
                    let req = req.clone();
                    async move { req.send().await.api("rds:ModifyDBCluster").map(|_| ()) }
                },
            )
            .await?;
            wait_available(ctx, &live.id, d).await?;
        }
        if has("tags") {
            rds::update_tags(ctx, &s(&live.attrs, "arn"), &live.attrs, d).await?;
        }
        if has("parameters_digest") {
            // Apply the parameter group: reboot whatever reports pending-reboot.
            let c = describe(ctx, &live.id)
                .await?
                .ok_or_else(|| DriverError::Failed(format!("cluster {} disappeared", live.id)))?;
            for instance in pending_reboot(&c) {
                wait::retry(
                    ctx,
                    &format!("rebooting {instance}"),
                    TIMEOUT,
                    rds::busy,
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
            wait::until(
                ctx,
                &format!("Aurora cluster {} to run its parameters", live.id),
                TIMEOUT,
                || async {
                    match describe(ctx, &live.id).await? {
                        Some(c)
                            if pending_reboot(&c).is_empty() && c.status() == Some("available") =>
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
        let fresh = wait_available(ctx, &live.id, d).await?;
        let mut attrs = d.clone();
        attrs.extend(fresh.attrs);
        if let Some(v) = d.get("parameters_digest") {
            attrs.insert("parameters_digest".into(), v.clone());
        }
        Ok(Live::ready(live.id.clone(), attrs))
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let fresh = wait_available(ctx, &live.id, &live.attrs).await?;
        let mut attrs = live.attrs.clone();
        attrs.extend(fresh.attrs);
        Ok(Live::ready(live.id.clone(), attrs))
    }

    async fn delete(&self, ctx: &Ctx, address: &Address, live: &Live) -> Result<(), DriverError> {
        if live.attrs.get("deletion_protection") == Some(&Value::Bool(true)) {
            return Err(DriverError::Failed(format!(
                "{address}: cluster {} has deletion protection; set aurora.deletion_protection = false and apply before destroying it",
                live.id
            )));
        }
        let id = &live.id;
        // Refused while its instances are still being deleted or it is busy.
        let delete = || async {
            ctx.aws
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
            Ok(describe(ctx, id)
                .await?
                .map(|c| c.status().unwrap_or("unknown").to_string()))
        };
        wait::delete(
            ctx,
            &format!("Aurora cluster {id}"),
            TIMEOUT,
            rds::busy,
            delete,
            status,
        )
        .await
    }

    fn notes(&self, desired: &Attrs, live: Option<&Live>, _changed: &[String]) -> Vec<String> {
        let pending = live
            .and_then(|l| l.attrs.get("pending_reboot"))
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty());
        match (pending, desired.contains_key("parameters_digest")) {
            (Some(p), false) => vec![format!(
                "{} pending-reboot: the parameter group's changes (binlog settings included) are not in effect until it restarts; reboot it, or set aurora.reboot_for_parameters = true to let apply do it",
                p.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
            (Some(_), true) => {
                vec!["apply reboots the instances that report pending-reboot".into()]
            }
            _ => vec![],
        }
    }
}
