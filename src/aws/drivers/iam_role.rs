//! IAM roles (the connector's execution role, Redshift's streaming role)
//! and their inline policies, as two kinds so a policy that names a
//! resource (the MSK cluster) does not hold up the role itself.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;

use super::common;
use crate::aws::Aws;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::iam::{Role, RoleAttrs, RolePolicy, RolePolicyAttrs};
use crate::model::{Arn, Attrs, Changed, Nothing, Tags};
use crate::stack::Address;

/// IAM answers at once: nothing waits and nothing is retried, so the
/// timeouts (Terraform's IAM propagation timeout) are never used.
const ROLE: Policy = Policy {
    create: minutes(2),
    update: minutes(2),
    delete: minutes(2),
    transient: &[],
};

/// As for roles: nothing waits and nothing is retried.
const ROLE_POLICY: Policy = ROLE;

pub struct RoleDriver {
    pub aws: Arc<Aws>,
}

pub struct RolePolicyDriver {
    pub aws: Arc<Aws>,
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn document(raw: &str) -> String {
    if raw.trim_start().starts_with('{') {
        return raw.to_string();
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_or_else(|_| raw.to_string(), |s| s.into_owned())
}

fn sdk_tags(tags: Tags) -> Vec<Tag> {
    tags.into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl RoleDriver {
    /// The role called `name`, if there is one (and it is ours).
    async fn get(
        &self,
        ctx: &Ctx,
        address: &Address,
        name: &str,
    ) -> Result<Option<Live<Role>>, DriverError> {
        let out = match self
            .aws
            .iam()
            .get_role()
            .role_name(name)
            .send()
            .await
            .api("iam:GetRole")
        {
            Ok(o) => o,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(r) = out.role() else {
            return Ok(None);
        };
        let tags = common::tag_map(r.tags().iter().map(|t| (t.key(), t.value())));
        common::owned(ctx, address, "IAM role", name, &tags)?;
        let attrs = RoleAttrs {
            name: r.role_name().to_string(),
            description: r.description().unwrap_or_default().to_string(),
            assume_role_policy: document(r.assume_role_policy_document().unwrap_or_default()),
            tags,
        };
        let out = Arn {
            arn: r.arn().to_string(),
        };
        Ok(Some(Live::ready(name, attrs, out)))
    }
}

#[async_trait]
impl Lifecycle for RoleDriver {
    type Kind = Role;

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted<Role>]) -> Result<Found<Role>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known.name.as_deref() else {
                continue;
            };
            if let Some(live) = self.get(ctx, &w.address, name).await? {
                found.live.insert(w.address.clone(), live);
            }
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        d: &Attrs<Role>,
    ) -> Result<Live<Role>, DriverError> {
        let res = self
            .aws
            .iam()
            .create_role()
            .role_name(&d.name)
            .description(&d.description)
            .assume_role_policy_document(&d.assume_role_policy)
            .set_tags(Some(sdk_tags(d.tags.clone())))
            .send()
            .await
            .api("iam:CreateRole");
        let arn = match res {
            Ok(out) => out.role().map(|r| r.arn().to_string()).unwrap_or_default(),
            Err(e) if e.code_is("EntityAlreadyExists") => {
                // Left by an interrupted run: adopt it (if ours) and bring it in line.
                let live = self
                    .get(ctx, address, &d.name)
                    .await?
                    .ok_or(DriverError::from(e))?;
                let changed = RoleAttrs {
                    name: false,
                    description: true,
                    assume_role_policy: true,
                    tags: true,
                };
                return self.update(ctx, address, &live, d, &changed).await;
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Live::ready(d.name.clone(), d.clone(), Arn { arn }))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<Role>,
        d: &Attrs<Role>,
        changed: &Changed<Role>,
    ) -> Result<Live<Role>, DriverError> {
        let RoleAttrs {
            name: _,
            description,
            assume_role_policy,
            tags,
        } = *changed;
        let iam = self.aws.iam();
        if assume_role_policy {
            iam.update_assume_role_policy()
                .role_name(&live.id)
                .policy_document(&d.assume_role_policy)
                .send()
                .await
                .api("iam:UpdateAssumeRolePolicy")?;
        }
        if description {
            iam.update_role()
                .role_name(&live.id)
                .description(&d.description)
                .send()
                .await
                .api("iam:UpdateRole")?;
        }
        if tags {
            let (set, gone) = common::delta(&live.attrs.tags, &d.tags);
            if !set.is_empty() {
                iam.tag_role()
                    .role_name(&live.id)
                    .set_tags(Some(sdk_tags(set)))
                    .send()
                    .await
                    .api("iam:TagRole")?;
            }
            if !gone.is_empty() {
                iam.untag_role()
                    .role_name(&live.id)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .api("iam:UntagRole")?;
            }
        }
        Ok(live.updated(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live<Role>) -> Result<(), DriverError> {
        let iam = self.aws.iam();
        let name = &live.id;
        // A role with policies or instance profiles cannot be deleted (DeleteConflict).
        match iam
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .api("iam:ListRolePolicies")
        {
            Ok(out) => {
                for p in out.policy_names() {
                    iam.delete_role_policy()
                        .role_name(name)
                        .policy_name(p)
                        .send()
                        .await
                        .api("iam:DeleteRolePolicy")?;
                }
            }
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .api("iam:ListAttachedRolePolicies")?;
        for p in attached.attached_policies() {
            if let Some(arn) = p.policy_arn() {
                iam.detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .api("iam:DetachRolePolicy")?;
            }
        }
        let profiles = iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .send()
            .await
            .api("iam:ListInstanceProfilesForRole")?;
        for p in profiles.instance_profiles() {
            iam.remove_role_from_instance_profile()
                .instance_profile_name(p.instance_profile_name())
                .role_name(name)
                .send()
                .await
                .api("iam:RemoveRoleFromInstanceProfile")?;
        }
        ROLE.delete_call(ctx, &format!("IAM role {name}"), || async {
            iam.delete_role()
                .role_name(name)
                .send()
                .await
                .api("iam:DeleteRole")
                .map(|_| ())
        })
        .await
        .map(|_| ())
    }
}

impl Advice for RoleDriver {}

#[async_trait]
impl Lifecycle for RolePolicyDriver {
    type Kind = RolePolicy;

    async fn read(
        &self,
        _ctx: &Ctx,
        wanted: &[Wanted<RolePolicy>],
    ) -> Result<Found<RolePolicy>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            // The role name is known once the role exists (from state).
            let (Some(role), Some(policy)) =
                (w.known.role_name.as_deref(), w.known.policy_name.as_deref())
            else {
                continue;
            };
            let out = match self
                .aws
                .iam()
                .get_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await
                .api("iam:GetRolePolicy")
            {
                Ok(o) => o,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            let attrs = RolePolicyAttrs {
                role_name: role.to_string(),
                policy_name: policy.to_string(),
                policy: document(out.policy_document()),
            };
            found.live.insert(
                w.address.clone(),
                Live::ready(format!("{role}:{policy}"), attrs, Nothing::default()),
            );
        }
        Ok(found)
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        d: &Attrs<RolePolicy>,
    ) -> Result<Live<RolePolicy>, DriverError> {
        // PutRolePolicy creates or replaces: safe to repeat after a crash.
        self.aws
            .iam()
            .put_role_policy()
            .role_name(&d.role_name)
            .policy_name(&d.policy_name)
            .policy_document(&d.policy)
            .send()
            .await
            .api("iam:PutRolePolicy")?;
        Ok(Live::ready(
            format!("{}:{}", d.role_name, d.policy_name),
            d.clone(),
            Nothing::default(),
        ))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        a: &Address,
        _live: &Live<RolePolicy>,
        d: &Attrs<RolePolicy>,
        changed: &Changed<RolePolicy>,
    ) -> Result<Live<RolePolicy>, DriverError> {
        // The document is the one thing that changes, and PutRolePolicy
        // writes it whole.
        let RolePolicyAttrs {
            role_name: _,
            policy_name: _,
            policy: _,
        } = *changed;
        self.create(ctx, a, d).await
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<RolePolicy>,
    ) -> Result<(), DriverError> {
        let (role, policy) = (&live.attrs.role_name, &live.attrs.policy_name);
        ROLE_POLICY
            .delete_call(ctx, &format!("IAM role policy {}", live.id), || async {
                self.aws
                    .iam()
                    .delete_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .send()
                    .await
                    .api("iam:DeleteRolePolicy")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for RolePolicyDriver {}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_url_encoded_documents() {
        assert_eq!(super::document("%7B%22a%22%3A%201%7D"), r#"{"a": 1}"#);
        assert_eq!(super::document(r#"{"a":1}"#), r#"{"a":1}"#);
    }
}
