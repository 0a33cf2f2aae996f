//! IAM roles (the connector's execution role, Redshift's streaming role)
//! and their inline policies, as two kinds so a policy that names a
//! resource (the MSK cluster) does not hold up the role itself.

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use serde_json::Value;

use super::common::{self, s};
use crate::aws::error::ApiResultExt;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::stack::{Address, kinds};

pub struct Role;
pub struct RolePolicy;

/// IAM returns policy documents URL-encoded (RFC 3986).
fn document(raw: &str) -> String {
    if raw.trim_start().starts_with('{') {
        return raw.to_string();
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_or_else(|_| raw.to_string(), |s| s.into_owned())
}

#[async_trait]
impl Driver for Role {
    fn kind(&self) -> &'static str {
        kinds::IAM_ROLE
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name"]
    }

    fn same(&self, attr: &str, desired: &Value, live: &Value) -> bool {
        if attr == "assume_role_policy" {
            common::same_policy(desired, live)
        } else {
            desired == live
        }
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(name) = w.known_str("name") else {
                continue;
            };
            let out = match ctx
                .aws
                .iam()
                .get_role()
                .role_name(name)
                .send()
                .await
                .api("iam:GetRole")
            {
                Ok(o) => o,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(r) = out.role() else { continue };
            let tags = common::tags_value(r.tags().iter().map(|t| (t.key(), t.value())));
            common::check_owned(ctx, &w.address, "IAM role", name, &tags)?;
            let mut a = Attrs::new();
            a.insert("name".into(), r.role_name().into());
            a.insert(
                "description".into(),
                r.description().unwrap_or_default().into(),
            );
            a.insert(
                "assume_role_policy".into(),
                document(r.assume_role_policy_document().unwrap_or_default()).into(),
            );
            a.insert("tags".into(), tags);
            a.insert("arn".into(), r.arn().into());
            found.live.insert(w.address.clone(), Live::ready(name, a));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, address: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let iam = ctx.aws.iam();
        let name = s(d, "name");
        let tags: Vec<Tag> = common::desired_tags(d)
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let res = iam
            .create_role()
            .role_name(&name)
            .description(s(d, "description"))
            .assume_role_policy_document(s(d, "assume_role_policy"))
            .set_tags(Some(tags))
            .send()
            .await
            .api("iam:CreateRole");
        let arn = match res {
            Ok(out) => out.role().map(|r| r.arn().to_string()).unwrap_or_default(),
            Err(e) if e.code_is("EntityAlreadyExists") => {
                // Left by an interrupted run: adopt it (if ours) and bring it in line.
                let found = self
                    .read(
                        ctx,
                        &[Wanted {
                            address: address.clone(),
                            id: None,
                            known: d.clone(),
                        }],
                    )
                    .await?;
                let live = found
                    .live
                    .get(address)
                    .cloned()
                    .ok_or(DriverError::Api(e))?;
                let changed = vec![
                    "assume_role_policy".to_string(),
                    "description".to_string(),
                    "tags".to_string(),
                ];
                return self.update(ctx, address, &live, d, &changed).await;
            }
            Err(e) => return Err(e.into()),
        };
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn.into());
        Ok(Live::ready(name, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let iam = ctx.aws.iam();
        let has = |k: &str| changed.iter().any(|c| c == k);
        if has("assume_role_policy") {
            iam.update_assume_role_policy()
                .role_name(&live.id)
                .policy_document(s(d, "assume_role_policy"))
                .send()
                .await
                .api("iam:UpdateAssumeRolePolicy")?;
        }
        if has("description") {
            iam.update_role()
                .role_name(&live.id)
                .description(s(d, "description"))
                .send()
                .await
                .api("iam:UpdateRole")?;
        }
        if has("tags") {
            let (set, gone) = common::tag_delta(&live.attrs, d);
            if !set.is_empty() {
                let tags = set
                    .into_iter()
                    .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
                    .collect();
                iam.tag_role()
                    .role_name(&live.id)
                    .set_tags(Some(tags))
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
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let iam = ctx.aws.iam();
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
        match iam
            .delete_role()
            .role_name(name)
            .send()
            .await
            .api("iam:DeleteRole")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait]
impl Driver for RolePolicy {
    fn kind(&self) -> &'static str {
        kinds::IAM_ROLE_POLICY
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["role_name", "policy_name"]
    }

    fn same(&self, attr: &str, desired: &Value, live: &Value) -> bool {
        if attr == "policy" {
            common::same_policy(desired, live)
        } else {
            desired == live
        }
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            // The role name is known once the role exists (from state).
            let (Some(role), Some(policy)) = (w.known_str("role_name"), w.known_str("policy_name"))
            else {
                continue;
            };
            let out = match ctx
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
            let mut a = Attrs::new();
            a.insert("role_name".into(), role.into());
            a.insert("policy_name".into(), policy.into());
            a.insert("policy".into(), document(out.policy_document()).into());
            found.live.insert(
                w.address.clone(),
                Live::ready(format!("{role}:{policy}"), a),
            );
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        // PutRolePolicy creates or replaces: safe to repeat after a crash.
        ctx.aws
            .iam()
            .put_role_policy()
            .role_name(s(d, "role_name"))
            .policy_name(s(d, "policy_name"))
            .policy_document(s(d, "policy"))
            .send()
            .await
            .api("iam:PutRolePolicy")?;
        Ok(Live::ready(
            format!("{}:{}", s(d, "role_name"), s(d, "policy_name")),
            d.clone(),
        ))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        a: &Address,
        _live: &Live,
        d: &Attrs,
        _changed: &[String],
    ) -> Result<Live, DriverError> {
        self.create(ctx, a, d).await
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        let (role, policy) = (s(&live.attrs, "role_name"), s(&live.attrs, "policy_name"));
        match ctx
            .aws
            .iam()
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .api("iam:DeleteRolePolicy")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_url_encoded_documents() {
        assert_eq!(super::document("%7B%22a%22%3A%201%7D"), r#"{"a": 1}"#);
        assert_eq!(super::document(r#"{"a":1}"#), r#"{"a":1}"#);
    }
}
