//! Redshift Serverless: the namespace (database, admin credentials managed
//! by Redshift, IAM roles, log exports) and the workgroup (capacity, private
//! subnets, enhanced VPC routing). Redshift changes one setting at a time
//! and refuses calls while busy, so updates go one by one, each waited out.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_redshiftserverless::types::{LogExport, Tag};

use super::common;
use crate::aws::error::{ApiResultExt, FoundExt};
use crate::aws::policy::{Phase, Policy, Transient, minutes};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::wait::Poll;
use crate::engine::{Ctx, DriverError};
use crate::model::redshift::{
    Namespace, NamespaceAttrs, NamespaceOutputs, Workgroup, WorkgroupAttrs, WorkgroupOutputs,
};
use crate::model::{Attrs, Changed, Partial, Tags};
use crate::stack::Address;

/// "operation running", "multiple configurations at the same time": wait and retry.
const fn busy(patience: Duration) -> Transient {
    Transient {
        during: &[Phase::Update, Phase::Delete],
        codes: &["ConflictException"],
        messages: &[],
        patience,
        why: "Redshift is still busy with another change (or, for a namespace, its workgroup's deletion)",
    }
}

/// Terraform's defaults (redshiftserverless/namespace.go).
const NAMESPACE: Policy = Policy {
    create: minutes(10),
    update: minutes(10),
    delete: minutes(10),
    transient: &[
        Transient {
            during: &[Phase::Create],
            codes: &["ValidationException"],
            messages: &["role"],
            patience: Duration::from_secs(120),
            why: "a role made a moment ago may not be visible to Redshift yet",
        },
        busy(minutes(10)),
    ],
};

/// Terraform's defaults (redshiftserverless/workgroup.go).
const WORKGROUP: Policy = Policy {
    create: minutes(20),
    update: minutes(20),
    delete: minutes(20),
    transient: &[busy(minutes(20))],
};

pub struct NamespaceDriver {
    pub aws: Arc<Aws>,
}

pub struct WorkgroupDriver {
    pub aws: Arc<Aws>,
}

async fn tags(aws: &Aws, arn: &str) -> Result<Tags, ApiError> {
    let out = aws
        .redshift()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .api("redshift-serverless:ListTagsForResource")?;
    Ok(common::tag_map(
        out.tags().iter().map(|t| (t.key(), t.value())),
    ))
}

fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, DriverError> {
    tags.iter()
        .map(|(k, v)| common::built(Tag::builder().key(k).value(v).build(), "a tag"))
        .collect()
}

async fn update_tags(aws: &Aws, arn: &str, before: &Tags, after: &Tags) -> Result<(), DriverError> {
    let rs = aws.redshift();
    let (set, gone) = common::delta(before, after);
    if !set.is_empty() {
        rs.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(&set)?))
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

fn namespace_live(n: &aws_sdk_redshiftserverless::types::Namespace, tags: Tags) -> Live<Namespace> {
    let name = n.namespace_name().unwrap_or_default().to_string();
    let attrs = NamespaceAttrs {
        name: name.clone(),
        db_name: n.db_name().unwrap_or_default().to_string(),
        admin_username: n.admin_username().unwrap_or_default().to_string(),
        manage_admin_password: n.admin_password_secret_arn().is_some(),
        iam_roles: n.iam_roles().iter().map(|r| role_arn(r)).collect(),
        log_exports: n
            .log_exports()
            .iter()
            .map(|l| l.as_str().to_string())
            .collect(),
        tags,
    };
    let out = NamespaceOutputs {
        arn: n.namespace_arn().unwrap_or_default().to_string(),
        id: n.namespace_id().unwrap_or_default().to_string(),
        admin_password_secret_arn: n
            .admin_password_secret_arn()
            .unwrap_or_default()
            .to_string(),
    };
    let mut live = Live::ready(name, attrs, out);
    live.ready = n.status().is_some_and(|s| s.as_str() == "AVAILABLE");
    live
}

fn log_exports(d: &Attrs<Namespace>) -> Vec<LogExport> {
    d.log_exports
        .iter()
        .map(|l| LogExport::from(l.as_str()))
        .collect()
}

impl NamespaceDriver {
    async fn get(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_redshiftserverless::types::Namespace>, DriverError> {
        Ok(self
            .aws
            .redshift()
            .get_namespace()
            .namespace_name(name)
            .send()
            .await
            .api("redshift-serverless:GetNamespace")
            .found()?
            .and_then(|out| out.namespace().cloned()))
    }

    async fn wait_available(
        &self,
        ctx: &Ctx,
        phase: Phase,
        name: &str,
    ) -> Result<aws_sdk_redshiftserverless::types::Namespace, DriverError> {
        NAMESPACE
            .until(
                ctx,
                phase,
                &format!("namespace {name} to be AVAILABLE"),
                || async {
                    match self.get(name).await? {
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

    /// One `UpdateNamespace` call (Redshift refuses several settings at once).
    async fn set(
        &self,
        ctx: &Ctx,
        what: &str,
        req: aws_sdk_redshiftserverless::operation::update_namespace::builders::UpdateNamespaceFluentBuilder,
    ) -> Result<(), DriverError> {
        NAMESPACE
            .retry(ctx, Phase::Update, what, || {
                let req = req.clone();
                async move {
                    req.send()
                        .await
                        .api("redshift-serverless:UpdateNamespace")
                        .map(|_| ())
                }
            })
            .await
    }
}

#[async_trait]
impl Lifecycle for NamespaceDriver {
    type Kind = Namespace;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Namespace>],
    ) -> Result<Found<Namespace>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            let Some(n) = self.get(name).await? else {
                continue;
            };
            if n.status().is_some_and(|s| s.as_str() == "DELETING") {
                continue;
            }
            let arn = n.namespace_arn().unwrap_or_default();
            let t = self
                .aws
                .tags_of(ctx, arn, w.known.tags.as_ref(), tags(&self.aws, arn))
                .await?;
            common::owned(ctx, &w.address, "Redshift Serverless namespace", name, &t)?;
            found.live.insert(w.address.clone(), namespace_live(&n, t));
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        _a: &Address,
        d: &Attrs<Namespace>,
    ) -> Result<Live<Namespace>, DriverError> {
        let req = self
            .aws
            .redshift()
            .create_namespace()
            .namespace_name(&d.name)
            .db_name(&d.db_name)
            .admin_username(&d.admin_username)
            .manage_admin_password(d.manage_admin_password)
            .set_iam_roles(Some(d.iam_roles.clone()))
            .set_log_exports(Some(log_exports(d)))
            .set_tags(Some(sdk_tags(&d.tags)?));
        NAMESPACE
            .retry(ctx, Phase::Create, "creating the namespace", || {
                let req = req.clone();
                async move {
                    req.send()
                        .await
                        .api("redshift-serverless:CreateNamespace")
                        .map(|_| ())
                }
            })
            .await?;
        let n = self.wait_available(ctx, Phase::Create, &d.name).await?;
        Ok(namespace_live(&n, d.tags.clone()))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Namespace>,
        d: &Attrs<Namespace>,
        changed: &Changed<Namespace>,
    ) -> Result<Live<Namespace>, DriverError> {
        let NamespaceAttrs {
            name: _,
            db_name: _,
            admin_username: _,
            manage_admin_password,
            iam_roles,
            log_exports: exports,
            tags,
        } = *changed;
        let rs = self.aws.redshift();
        let name = &live.id;
        // One setting per call: Redshift refuses several at once.
        if iam_roles {
            self.set(
                ctx,
                "updating the namespace's IAM roles",
                rs.update_namespace()
                    .namespace_name(name)
                    .set_iam_roles(Some(d.iam_roles.clone())),
            )
            .await?;
            self.wait_available(ctx, Phase::Update, name).await?;
        }
        if exports {
            self.set(
                ctx,
                "updating the namespace's log exports",
                rs.update_namespace()
                    .namespace_name(name)
                    .set_log_exports(Some(log_exports(d))),
            )
            .await?;
            self.wait_available(ctx, Phase::Update, name).await?;
        }
        if manage_admin_password {
            self.set(
                ctx,
                "updating the namespace's admin password management",
                rs.update_namespace()
                    .namespace_name(name)
                    .manage_admin_password(d.manage_admin_password),
            )
            .await?;
        }
        if tags {
            update_tags(&self.aws, &live.out.arn, &live.attrs.tags, &d.tags).await?;
        }
        let n = self.wait_available(ctx, Phase::Update, name).await?;
        Ok(namespace_live(&n, d.tags.clone()))
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Namespace>,
    ) -> Result<Live<Namespace>, DriverError> {
        self.wait_available(ctx, Phase::Create, &live.id).await?;
        Ok(live.clone().done())
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Namespace>,
    ) -> Result<(), DriverError> {
        let name = &live.id;
        // Refused while its workgroup is still being deleted.
        let delete = || async {
            self.aws
                .redshift()
                .delete_namespace()
                .namespace_name(name)
                .send()
                .await
                .api("redshift-serverless:DeleteNamespace")
                .map(|_| ())
        };
        let status = || async {
            Ok(self
                .get(name)
                .await?
                .map(|n| n.status().map_or("unknown", |s| s.as_str()).to_string()))
        };
        NAMESPACE
            .delete(ctx, &format!("namespace {name}"), delete, status)
            .await
    }
}

impl Advice for NamespaceDriver {}

// ---------------------------------------------------------------- workgroup

fn workgroup_live(w: &aws_sdk_redshiftserverless::types::Workgroup, tags: Tags) -> Live<Workgroup> {
    let name = w.workgroup_name().unwrap_or_default().to_string();
    let attrs = WorkgroupAttrs {
        name: name.clone(),
        namespace_name: w.namespace_name().unwrap_or_default().to_string(),
        base_capacity: w.base_capacity().unwrap_or(0),
        subnet_ids: w.subnet_ids().to_vec(),
        security_group_ids: w.security_group_ids().to_vec(),
        publicly_accessible: w.publicly_accessible().unwrap_or(false),
        enhanced_vpc_routing: w.enhanced_vpc_routing().unwrap_or(false),
        tags,
    };
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
    let out = WorkgroupOutputs {
        arn: Some(w.workgroup_arn().unwrap_or_default().to_string()),
        id: Some(w.workgroup_id().unwrap_or_default().to_string()),
        endpoint: Some(endpoint),
        status: Some(w.status().map_or("", |s| s.as_str()).to_string()),
    };
    let mut live = Live::ready(name, attrs, out);
    live.ready = w.status().is_some_and(|s| s.as_str() == "AVAILABLE");
    live
}

impl WorkgroupDriver {
    async fn get(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_redshiftserverless::types::Workgroup>, DriverError> {
        Ok(self
            .aws
            .redshift()
            .get_workgroup()
            .workgroup_name(name)
            .send()
            .await
            .api("redshift-serverless:GetWorkgroup")
            .found()?
            .and_then(|out| out.workgroup().cloned()))
    }

    async fn wait_available(
        &self,
        ctx: &Ctx,
        phase: Phase,
        name: &str,
    ) -> Result<aws_sdk_redshiftserverless::types::Workgroup, DriverError> {
        WORKGROUP
            .until(
                ctx,
                phase,
                &format!("workgroup {name} to be AVAILABLE"),
                || async {
                    match self.get(name).await? {
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
}

#[async_trait]
impl Lifecycle for WorkgroupDriver {
    type Kind = Workgroup;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Workgroup>],
    ) -> Result<Found<Workgroup>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            let Some(wg) = self.get(name).await? else {
                continue;
            };
            if wg.status().is_some_and(|s| s.as_str() == "DELETING") {
                continue;
            }
            let arn = wg.workgroup_arn().unwrap_or_default();
            let t = self
                .aws
                .tags_of(ctx, arn, w.known.tags.as_ref(), tags(&self.aws, arn))
                .await?;
            common::owned(ctx, &w.address, "Redshift Serverless workgroup", name, &t)?;
            found.live.insert(w.address.clone(), workgroup_live(&wg, t));
        }
        Ok(found)
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        d: &Attrs<Workgroup>,
    ) -> Result<Live<Workgroup>, DriverError> {
        self.aws
            .redshift()
            .create_workgroup()
            .workgroup_name(&d.name)
            .namespace_name(&d.namespace_name)
            .base_capacity(d.base_capacity)
            .set_subnet_ids(Some(d.subnet_ids.clone()))
            .set_security_group_ids(Some(d.security_group_ids.clone()))
            .publicly_accessible(d.publicly_accessible)
            .enhanced_vpc_routing(d.enhanced_vpc_routing)
            .set_tags(Some(sdk_tags(&d.tags)?))
            .send()
            .await
            .api("redshift-serverless:CreateWorkgroup")?;
        let out = WorkgroupOutputs {
            arn: None,
            id: Some(String::new()),
            endpoint: None,
            status: None,
        };
        Ok(Live::pending(d.name.clone(), d.clone(), out))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Workgroup>,
        d: &Attrs<Workgroup>,
        changed: &Changed<Workgroup>,
    ) -> Result<Live<Workgroup>, DriverError> {
        let WorkgroupAttrs {
            name: _,
            namespace_name: _,
            base_capacity,
            subnet_ids,
            security_group_ids,
            publicly_accessible,
            enhanced_vpc_routing,
            tags,
        } = *changed;
        let rs = self.aws.redshift();
        let name = &live.id;
        let req = || rs.update_workgroup().workgroup_name(name);
        // One parameter per call ("Can't update multiple configurations at the
        // same time"), each waited out before the next; in the attributes'
        // alphabetical order, as the plan lists them.
        let steps = [
            (
                base_capacity,
                "base_capacity",
                req().base_capacity(d.base_capacity),
            ),
            (
                enhanced_vpc_routing,
                "enhanced_vpc_routing",
                req().enhanced_vpc_routing(d.enhanced_vpc_routing),
            ),
            (
                publicly_accessible,
                "publicly_accessible",
                req().publicly_accessible(d.publicly_accessible),
            ),
            (
                security_group_ids,
                "security_group_ids",
                req().set_security_group_ids(Some(d.security_group_ids.clone())),
            ),
            (
                subnet_ids,
                "subnet_ids",
                req().set_subnet_ids(Some(d.subnet_ids.clone())),
            ),
        ];
        for (_, attr, req) in steps.into_iter().filter(|(on, _, _)| *on) {
            WORKGROUP
                .retry(
                    ctx,
                    Phase::Update,
                    &format!("updating {attr} of workgroup {name}"),
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
            self.wait_available(ctx, Phase::Update, name).await?;
        }
        if tags {
            let arn = live.out.arn.as_deref().unwrap_or_default();
            update_tags(&self.aws, arn, &live.attrs.tags, &d.tags).await?;
        }
        let wg = self.wait_available(ctx, Phase::Update, name).await?;
        Ok(workgroup_live(&wg, d.tags.clone()))
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Workgroup>,
    ) -> Result<Live<Workgroup>, DriverError> {
        let wg = self.wait_available(ctx, Phase::Create, &live.id).await?;
        Ok(workgroup_live(&wg, live.attrs.tags.clone()))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<Workgroup>,
    ) -> Result<(), DriverError> {
        let name = &live.id;
        let delete = || async {
            self.aws
                .redshift()
                .delete_workgroup()
                .workgroup_name(name)
                .send()
                .await
                .api("redshift-serverless:DeleteWorkgroup")
                .map(|_| ())
        };
        let status = || async {
            Ok(self
                .get(name)
                .await?
                .map(|w| w.status().map_or("unknown", |s| s.as_str()).to_string()))
        };
        WORKGROUP
            .delete(ctx, &format!("workgroup {name}"), delete, status)
            .await
    }
}

impl Advice for WorkgroupDriver {
    fn notes(
        &self,
        _desired: &Partial<Workgroup>,
        live: Option<&Live<Workgroup>>,
        changed: &Changed<Workgroup>,
    ) -> Vec<String> {
        let WorkgroupAttrs {
            name: _,
            namespace_name: _,
            base_capacity,
            subnet_ids,
            security_group_ids,
            publicly_accessible,
            enhanced_vpc_routing,
            tags: _,
        } = *changed;
        let n = [
            base_capacity,
            publicly_accessible,
            enhanced_vpc_routing,
            subnet_ids,
            security_group_ids,
        ]
        .into_iter()
        .filter(|c| *c)
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
