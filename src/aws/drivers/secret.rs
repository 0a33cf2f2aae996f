//! Secrets Manager secrets holding generated credentials (the CDC user's).
//! cdcstack generates the password, sends it once, and never reads it back
//! in plan; state holds the ARN only.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;
use serde_json::json;

use super::common;
use crate::aws::Aws;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{Policy, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::aurora::{Secret as SecretKind, SecretAttrs};
use crate::model::{Arn, Attrs, Changed, Tags};
use crate::secret::Secret;
use crate::stack::Address;

/// Nothing here waits or retries: every call answers at once.
const POLICY: Policy = Policy {
    create: minutes(2),
    update: minutes(2),
    delete: minutes(2),
    transient: &[],
};

pub struct SecretDriver {
    pub aws: Arc<Aws>,
}

fn secret_value(d: &Attrs<SecretKind>) -> Secret {
    let len = d.password_length.clamp(16, 128) as usize;
    let password = Secret::generate(len);
    Secret::from_string(
        json!({ "username": d.username, "password": password.expose() }).to_string(),
    )
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

#[async_trait]
impl Lifecycle for SecretDriver {
    type Kind = SecretKind;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<SecretKind>],
    ) -> Result<Found<SecretKind>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(id) = w.id.as_deref().or(w.known.name.as_deref()) else {
                continue;
            };
            let out = match self
                .aws
                .secrets()
                .describe_secret()
                .secret_id(id)
                .send()
                .await
                .api("secretsmanager:DescribeSecret")
            {
                Ok(o) => o,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            // Scheduled for deletion counts as gone; create restores it.
            if out.deleted_date().is_some() {
                continue;
            }
            let tags = common::tag_map(
                out.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
            );
            let name = out.name().unwrap_or_default();
            common::owned(ctx, &w.address, "secret", name, &tags)?;
            let arn = out.arn().unwrap_or_default().to_string();
            let attrs = SecretAttrs {
                name: name.to_string(),
                description: out.description().unwrap_or_default().to_string(),
                // The value is never read: what it was made from comes from
                // state (or, before there is one, the stack's literals).
                username: w.known.username.clone().unwrap_or_default(),
                password_length: w.known.password_length.unwrap_or_default(),
                tags,
            };
            found.live.insert(
                w.address.clone(),
                Live::ready(arn.clone(), attrs, Arn { arn }),
            );
        }
        Ok(found)
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        d: &Attrs<SecretKind>,
    ) -> Result<Live<SecretKind>, DriverError> {
        let sm = self.aws.secrets();
        let value = secret_value(d);
        let res = sm
            .create_secret()
            .name(&d.name)
            .description(&d.description)
            .secret_string(value.expose())
            .set_tags(Some(sdk_tags(&d.tags)))
            .send()
            .await
            .api("secretsmanager:CreateSecret");
        let arn = match res {
            Ok(out) => out.arn().unwrap_or_default().to_string(),
            // Deleted with a recovery window: bring it back as it was. Its
            // old value is the one in use (the CDC user's password), so a
            // new one would lock the connector out.
            Err(e)
                if e.code_is("InvalidRequestException")
                    && e.message.contains("scheduled for deletion") =>
            {
                let out = sm
                    .restore_secret()
                    .secret_id(&d.name)
                    .send()
                    .await
                    .api("secretsmanager:RestoreSecret")?;
                let arn = out.arn().unwrap_or_default().to_string();
                sm.tag_resource()
                    .secret_id(&arn)
                    .set_tags(Some(sdk_tags(&d.tags)))
                    .send()
                    .await
                    .api("secretsmanager:TagResource")?;
                arn
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Live::ready(arn.clone(), d.clone(), Arn { arn }))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _a: &Address,
        live: &Live<SecretKind>,
        d: &Attrs<SecretKind>,
        changed: &Changed<SecretKind>,
    ) -> Result<Live<SecretKind>, DriverError> {
        let SecretAttrs {
            name: _,
            description,
            username,
            password_length,
            tags,
        } = *changed;
        let sm = self.aws.secrets();
        if description {
            sm.update_secret()
                .secret_id(&live.id)
                .description(&d.description)
                .send()
                .await
                .api("secretsmanager:UpdateSecret")?;
        }
        if username || password_length {
            // New credentials; the CDC user resource that depends on them follows.
            let value = secret_value(d);
            sm.put_secret_value()
                .secret_id(&live.id)
                .secret_string(value.expose())
                .send()
                .await
                .api("secretsmanager:PutSecretValue")?;
        }
        if tags {
            let (set, gone) = common::delta(&live.attrs.tags, &d.tags);
            if !set.is_empty() {
                sm.tag_resource()
                    .secret_id(&live.id)
                    .set_tags(Some(sdk_tags(&set)))
                    .send()
                    .await
                    .api("secretsmanager:TagResource")?;
            }
            if !gone.is_empty() {
                sm.untag_resource()
                    .secret_id(&live.id)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .api("secretsmanager:UntagResource")?;
            }
        }
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<SecretKind>,
    ) -> Result<(), DriverError> {
        // No recovery window: a later apply can create the name again at once.
        POLICY
            .delete_call(ctx, &format!("secret {}", live.id), || async {
                self.aws
                    .secrets()
                    .delete_secret()
                    .secret_id(&live.id)
                    .force_delete_without_recovery(true)
                    .send()
                    .await
                    .api("secretsmanager:DeleteSecret")
                    .map(|_| ())
            })
            .await
            .map(|_| ())
    }
}

impl Advice for SecretDriver {}
