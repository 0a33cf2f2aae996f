//! Redshift Serverless: the namespace (database, admin credentials managed
//! by Redshift, IAM roles, log exports) and the workgroup (capacity, private
//! subnets, enhanced VPC routing). Redshift changes one setting at a time
//! and refuses calls while busy, so updates go one by one, each waited out.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_redshiftserverless::types::{LogExport, Tag};
use serde_json::Value;

use super::common::{self, b, i, s, strs};
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::wait::{self, Poll};
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Namespace;
pub struct Workgroup;

/// Terraform's defaults (redshiftserverless/workgroup.go, namespace.go).
const WORKGROUP_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const NAMESPACE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// "operation running", "multiple configurations at the same time": wait and retry.
fn busy(e: &ApiError) -> bool {
    e.code_is("ConflictException")
}

async fn tags(ctx: &Ctx, arn: &str) -> Result<Value, ApiError> {
    let out = ctx
        .aws
        .redshift()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .api("redshift-serverless:ListTagsForResource")?;
    Ok(common::tags_value(
        out.tags().iter().map(|t| (t.key(), t.value())),
    ))
}

fn sdk_tags(d: &Attrs) -> Result<Vec<Tag>, DriverError> {
    common::desired_tags(d)
        .into_iter()
        .map(|(k, v)| common::built(Tag::builder().key(k).value(v).build(), "a tag"))
        .collect()
}

async fn update_tags(ctx: &Ctx, arn: &str, before: &Attrs, d: &Attrs) -> Result<(), DriverError> {
    let rs = ctx.aws.redshift();
    let (set, gone) = common::tag_delta(before, d);
    if !set.is_empty() {
        let t = set
            .into_iter()
            .map(|(k, v)| common::built(Tag::builder().key(k).value(v).build(), "a tag"))
            .collect::<Result<Vec<_>, _>>()?;
        rs.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(t))
            .send()
            .await
            .api("redshift-serverless:TagResource")?;
    }
    if !gone.is_empty() {
        rs.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(gone))
            .send()
            .await
            .api("redshift-serverless:UntagResource")?;
    }
    Ok(())
}

/// Role ARNs, also from the `IamRole(applyStatus=in-sync, iamRoleArn=arn:…)` form.
fn role_arn(raw: &str) -> String {
    raw.split("iamRoleArn=")
        .nth(1)
        .map_or(raw, |r| r.trim_end_matches(')'))
        .trim()
        .to_string()
}

// ---------------------------------------------------------------- namespace

async fn get_namespace(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<aws_sdk_redshiftserverless::types::Namespace>, DriverError> {
    match ctx
        .aws
        .redshift()
        .get_namespace()
        .namespace_name(name)
        .send()
        .await
        .api("redshift-serverless:GetNamespace")
    {
        Ok(out) => Ok(out.namespace().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn namespace_live(n: &aws_sdk_redshiftserverless::types::Namespace, tags: Value) -> Live {
    let name = n.namespace_name().unwrap_or_default().to_string();
    let mut a = Attrs::new();
    a.insert("name".into(), name.clone().into());
    a.insert("db_name".into(), n.db_name().unwrap_or_default().into());
    a.insert(
        "admin_username".into(),
        n.admin_username().unwrap_or_default().into(),
    );
    a.insert(
        "manage_admin_password".into(),
        n.admin_password_secret_arn().is_some().into(),
    );
    let roles: Vec<Value> = n.iam_roles().iter().map(|r| role_arn(r).into()).collect();
    a.insert("iam_roles".into(), roles.into());
    let exports: Vec<Value> = n.log_exports().iter().map(|l| l.as_str().into()).collect();
    a.insert("log_exports".into(), exports.into());
    a.insert("tags".into(), tags);
    a.insert("arn".into(), n.namespace_arn().unwrap_or_default().into());
    a.insert("id".into(), n.namespace_id().unwrap_or_default().into());
    a.insert(
        "admin_password_secret_arn".into(),
        n.admin_password_secret_arn().unwrap_or_default().into(),
    );
    let ready = n.status().is_some_and(|s| s.as_str() == "AVAILABLE");
    Live {
        id: name,
        attrs: a,
        ready,
    }
}

async fn wait_namespace(
    ctx: &Ctx,
    name: &str,
) -> Result<aws_sdk_redshiftserverless::types::Namespace, DriverError> {
    wait::until(
        ctx,
        &format!("namespace {name} to be AVAILABLE"),
        NAMESPACE_TIMEOUT,
        || async {
            match get_namespace(ctx, name).await? {
                Some(n) if n.status().is_some_and(|s| s.as_str() == "AVAILABLE") => {
                    Ok(Poll::Done(n))
                }
                Some(n) => Ok(Poll::Pending(
                    n.status().map_or("unknown", |s| s.as_str()).to_string(),
                )),
                None => Ok(Poll::Pending("not visible yet".into())),
            }
        },
    )
    .await
}

fn log_exports(d: &Attrs) -> Vec<LogExport> {
    strs(d, "log_exports")
        .iter()
        .map(|l| LogExport::from(l.as_str()))
        .collect()
}

#[async_trait]
impl Driver for Namespace {
    fn kind(&self) -> &'static str {
        kinds::REDSHIFT_NAMESPACE
    }

    fn force_new(&self) -> &'static [&'static str] {
        // The admin username only changes together with a password we never hold.
        &["name", "db_name", "admin_username"]
    }

    fn data_lost_on_replace(&self) -> Option<&'static str> {
        Some("the namespace's databases and all their data")
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["iam_roles", "log_exports"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            let Some(n) = get_namespace(ctx, name).await? else {
                continue;
            };
            if n.status().is_some_and(|s| s.as_str() == "DELETING") {
                continue;
            }
            let arn = n.namespace_arn().unwrap_or_default();
            let t = ctx
                .tags
                .tags(ctx, arn, w.known.get("tags"), tags(ctx, arn))
                .await?;
            common::check_owned(ctx, &w.address, "Redshift Serverless namespace", name, &t)?;
            found.live.insert(w.address.clone(), namespace_live(&n, t));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let name = s(d, "name");
        let req = ctx
            .aws
            .redshift()
            .create_namespace()
            .namespace_name(&name)
            .db_name(s(d, "db_name"))
            .admin_username(s(d, "admin_username"))
            .manage_admin_password(b(d, "manage_admin_password"))
            .set_iam_roles(Some(strs(d, "iam_roles")))
            .set_log_exports(Some(log_exports(d)))
            .set_tags(Some(sdk_tags(d)?));
        // A role made a moment ago may not be visible to Redshift yet.
        let propagating = |e: &ApiError| {
            e.code_is("ValidationException") && e.message.to_lowercase().contains("role")
        };
        wait::retry(
            ctx,
            "creating the namespace",
            Duration::from_secs(120),
            propagating,
            || {
                let req = req.clone();
                async move {
                    req.send()
                        .await
                        .api("redshift-serverless:CreateNamespace")
                        .map(|_| ())
                }
            },
        )
        .await?;
        let n = wait_namespace(ctx, &name).await?;
        let mut live = namespace_live(&n, d.get("tags").cloned().unwrap_or_default());
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
        let rs = ctx.aws.redshift();
        let name = &live.id;
        let has = |k: &str| changed.iter().any(|c| c == k);
        // One setting per call: Redshift refuses several at once.
        if has("iam_roles") {
            wait::retry(
                ctx,
                "updating the namespace's IAM roles",
                NAMESPACE_TIMEOUT,
                busy,
                || async {
                    rs.update_namespace()
                        .namespace_name(name)
                        .set_iam_roles(Some(strs(d, "iam_roles")))
                        .send()
                        .await
                        .api("redshift-serverless:UpdateNamespace")
                        .map(|_| ())
                },
            )
            .await?;
            wait_namespace(ctx, name).await?;
        }
        if has("log_exports") {
            wait::retry(
                ctx,
                "updating the namespace's log exports",
                NAMESPACE_TIMEOUT,
                busy,
                || async {
                    rs.update_namespace()
                        .namespace_name(name)
                        .set_log_exports(Some(log_exports(d)))
                        .send()
                        .await
                        .api("redshift-serverless:UpdateNamespace")
                        .map(|_| ())
                },
            )
            .await?;
            wait_namespace(ctx, name).await?;
        }
        if has("manage_admin_password") {
            wait::retry(
                ctx,
                "updating the namespace's admin password management",
                NAMESPACE_TIMEOUT,
                busy,
                || async {
                    rs.update_namespace()
                        .namespace_name(name)
                        .manage_admin_password(b(d, "manage_admin_password"))
                        .send()
                        .await
                        .api("redshift-serverless:UpdateNamespace")
                        .map(|_| ())
                },
            )
            .await?;
        }
        if has("tags") {
            update_tags(ctx, &s(&live.attrs, "arn"), &live.attrs, d).await?;
        }
        let n = wait_namespace(ctx, name).await?;
        let mut fresh = namespace_live(&n, d.get("tags").cloned().unwrap_or_default());
        let mut attrs = d.clone();
        attrs.extend(fresh.attrs);
        fresh.attrs = attrs;
        Ok(fresh)
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        wait_namespace(ctx, &live.id).await?;
        Ok(Live {
            ready: true,
            ..live.clone()
        })
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let name = &live.id;
        // Refused while its workgroup is still being deleted.
        let delete = || async {
            ctx.aws
                .redshift()
                .delete_namespace()
                .namespace_name(name)
                .send()
                .await
                .api("redshift-serverless:DeleteNamespace")
                .map(|_| ())
        };
        let status = || async {
            Ok(get_namespace(ctx, name)
                .await?
                .map(|n| n.status().map_or("unknown", |s| s.as_str()).to_string()))
        };
        wait::delete(
            ctx,
            &format!("namespace {name}"),
            NAMESPACE_TIMEOUT,
            busy,
            delete,
            status,
        )
        .await
    }
}

// ---------------------------------------------------------------- workgroup

async fn get_workgroup(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<aws_sdk_redshiftserverless::types::Workgroup>, DriverError> {
    match ctx
        .aws
        .redshift()
        .get_workgroup()
        .workgroup_name(name)
        .send()
        .await
        .api("redshift-serverless:GetWorkgroup")
    {
        Ok(out) => Ok(out.workgroup().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn workgroup_live(w: &aws_sdk_redshiftserverless::types::Workgroup, tags: Value) -> Live {
    let name = w.workgroup_name().unwrap_or_default().to_string();
    let strings = |v: &[String]| {
        v.iter()
            .map(|x| Value::from(x.as_str()))
            .collect::<Vec<_>>()
    };
    let mut a = Attrs::new();
    a.insert("name".into(), name.clone().into());
    a.insert(
        "namespace_name".into(),
        w.namespace_name().unwrap_or_default().into(),
    );
    a.insert(
        "base_capacity".into(),
        w.base_capacity().unwrap_or(0).into(),
    );
    a.insert("subnet_ids".into(), strings(w.subnet_ids()).into());
    a.insert(
        "security_group_ids".into(),
        strings(w.security_group_ids()).into(),
    );
    a.insert(
        "publicly_accessible".into(),
        w.publicly_accessible().unwrap_or(false).into(),
    );
    a.insert(
        "enhanced_vpc_routing".into(),
        w.enhanced_vpc_routing().unwrap_or(false).into(),
    );
    a.insert("tags".into(), tags);
    a.insert("arn".into(), w.workgroup_arn().unwrap_or_default().into());
    a.insert("id".into(), w.workgroup_id().unwrap_or_default().into());
    let endpoint = w
        .endpoint()
        .map(|e| {
            format!(
                "{}:{}",
                e.address().unwrap_or_default(),
                e.port().unwrap_or(5439)
            )
        })
        .unwrap_or_default();
    a.insert("endpoint".into(), endpoint.into());
    a.insert(
        "status".into(),
        w.status().map_or("", |s| s.as_str()).into(),
    );
    let ready = w.status().is_some_and(|s| s.as_str() == "AVAILABLE");
    Live {
        id: name,
        attrs: a,
        ready,
    }
}

async fn wait_workgroup(
    ctx: &Ctx,
    name: &str,
) -> Result<aws_sdk_redshiftserverless::types::Workgroup, DriverError> {
    wait::until(
        ctx,
        &format!("workgroup {name} to be AVAILABLE"),
        WORKGROUP_TIMEOUT,
        || async {
            match get_workgroup(ctx, name).await? {
                Some(w) if w.status().is_some_and(|s| s.as_str() == "AVAILABLE") => {
                    Ok(Poll::Done(w))
                }
                Some(w) => Ok(Poll::Pending(
                    w.status().map_or("unknown", |s| s.as_str()).to_string(),
                )),
                None => Ok(Poll::Pending("not visible yet".into())),
            }
        },
    )
    .await
}

#[async_trait]
impl Driver for Workgroup {
    fn kind(&self) -> &'static str {
        kinds::REDSHIFT_WORKGROUP
    }

    fn bound_to(&self) -> &'static [&'static str] {
        // AWS does not move it to another VPC, nor off subnets that are
        // replaced under it (their CIDRs are taken until it leaves).
        &[kinds::VPC, kinds::SUBNET]
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name", "namespace_name"]
    }

    fn unordered(&self) -> &'static [&'static str] {
        &["subnet_ids", "security_group_ids"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            let Some(wg) = get_workgroup(ctx, name).await? else {
                continue;
            };
            if wg.status().is_some_and(|s| s.as_str() == "DELETING") {
                continue;
            }
            let arn = wg.workgroup_arn().unwrap_or_default();
            let t = ctx
                .tags
                .tags(ctx, arn, w.known.get("tags"), tags(ctx, arn))
                .await?;
            common::check_owned(ctx, &w.address, "Redshift Serverless workgroup", name, &t)?;
            found.live.insert(w.address.clone(), workgroup_live(&wg, t));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let name = s(d, "name");
        ctx.aws
            .redshift()
            .create_workgroup()
            .workgroup_name(&name)
            .namespace_name(s(d, "namespace_name"))
            .base_capacity(i32::try_from(i(d, "base_capacity")).unwrap_or(8))
            .set_subnet_ids(Some(strs(d, "subnet_ids")))
            .set_security_group_ids(Some(strs(d, "security_group_ids")))
            .publicly_accessible(b(d, "publicly_accessible"))
            .enhanced_vpc_routing(b(d, "enhanced_vpc_routing"))
            .set_tags(Some(sdk_tags(d)?))
            .send()
            .await
            .api("redshift-serverless:CreateWorkgroup")?;
        let mut attrs = d.clone();
        attrs.insert("id".into(), "".into());
        Ok(Live::pending(name, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let rs = ctx.aws.redshift();
        let name = &live.id;
        // One parameter per call ("Can't update multiple configurations at the
        // same time"), each waited out before the next.
        for attr in changed {
            let req = rs.update_workgroup().workgroup_name(name);
            let req = match attr.as_str() {
                "base_capacity" => {
                    req.base_capacity(i32::try_from(i(d, "base_capacity")).unwrap_or(8))
                }
                "publicly_accessible" => req.publicly_accessible(b(d, "publicly_accessible")),
                "enhanced_vpc_routing" => req.enhanced_vpc_routing(b(d, "enhanced_vpc_routing")),
                "subnet_ids" => req.set_subnet_ids(Some(strs(d, "subnet_ids"))),
                "security_group_ids" => {
                    req.set_security_group_ids(Some(strs(d, "security_group_ids")))
                }
                _ => continue,
            };
            wait::retry(
                ctx,
                &format!("updating {attr} of workgroup {name}"),
                WORKGROUP_TIMEOUT,
                busy,
                || {
                    let req = req.clone();
                    async move {
                        req.send()
                            .await
                            .api("redshift-serverless:UpdateWorkgroup")
                            .map(|_| ())
                    }
                },
            )
            .await?;
            wait_workgroup(ctx, name).await?;
        }
        if changed.iter().any(|c| c == "tags") {
            update_tags(ctx, &s(&live.attrs, "arn"), &live.attrs, d).await?;
        }
        self.wait(
            ctx,
            a,
            &Live {
                attrs: {
                    let mut x = live.attrs.clone();
                    x.extend(d.clone());
                    x
                },
                ..live.clone()
            },
        )
        .await
    }

    async fn wait(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<Live, DriverError> {
        let wg = wait_workgroup(ctx, &live.id).await?;
        let mut fresh = workgroup_live(&wg, live.attrs.get("tags").cloned().unwrap_or_default());
        let mut attrs = live.attrs.clone();
        attrs.extend(fresh.attrs);
        fresh.attrs = attrs;
        Ok(fresh)
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let name = &live.id;
        let delete = || async {
            ctx.aws
                .redshift()
                .delete_workgroup()
                .workgroup_name(name)
                .send()
                .await
                .api("redshift-serverless:DeleteWorkgroup")
                .map(|_| ())
        };
        let status = || async {
            Ok(get_workgroup(ctx, name)
                .await?
                .map(|w| w.status().map_or("unknown", |s| s.as_str()).to_string()))
        };
        wait::delete(
            ctx,
            &format!("workgroup {name}"),
            WORKGROUP_TIMEOUT,
            busy,
            delete,
            status,
        )
        .await
    }

    fn notes(&self, _desired: &Attrs, live: Option<&Live>, changed: &[String]) -> Vec<String> {
        let settings = [
            "base_capacity",
            "publicly_accessible",
            "enhanced_vpc_routing",
            "subnet_ids",
            "security_group_ids",
        ];
        let n = changed
            .iter()
            .filter(|c| settings.contains(&c.as_str()))
            .count();
        if live.is_none() {
            return vec![];
        }
        if n > 1 {
            vec![format!(
                "{n} workgroup settings change: applied one at a time (Redshift refuses several at once), waiting for AVAILABLE between them"
            )]
        } else {
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn role_arns_from_either_form() {
        assert_eq!(
            super::role_arn("arn:aws:iam::1:role/r"),
            "arn:aws:iam::1:role/r"
        );
        assert_eq!(
            super::role_arn("IamRole(applyStatus=in-sync, iamRoleArn=arn:aws:iam::1:role/r)"),
            "arn:aws:iam::1:role/r"
        );
    }
}
