//! Secrets Manager secrets holding generated credentials (the CDC user's).
//! cdcstack generates the password, sends it once, and never reads it back
//! in plan; state holds the ARN only.

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;
use serde_json::json;

use super::common::{self, s};
use crate::aws::error::ApiResultExt;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::secret::Secret;
use crate::stack::{Address, kinds};

pub struct SecretDriver;

fn secret_value(d: &Attrs) -> Secret {
    let len = usize::try_from(common::i(d, "password_length"))
        .unwrap_or(32)
        .clamp(16, 128);
    let password = Secret::generate(len);
    Secret::from_string(
        json!({ "username": s(d, "username"), "password": password.expose() }).to_string(),
    )
}

fn sdk_tags(d: &Attrs) -> Vec<Tag> {
    common::desired_tags(d)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

#[async_trait]
impl Driver for SecretDriver {
    fn kind(&self) -> &'static str {
        kinds::SECRET
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["name"]
    }

    async fn read(&self, ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            let Some(id) = w.id.as_deref().or_else(|| w.known_str("name")) else {
                continue;
            };
            let out = match ctx
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
            let tags = common::tags_value(
                out.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
            );
            let name = out.name().unwrap_or_default();
            common::check_owned(ctx, &w.address, "secret", name, &tags)?;
            let arn = out.arn().unwrap_or_default().to_string();
            let mut a = Attrs::new();
            a.insert("name".into(), name.into());
            a.insert(
                "description".into(),
                out.description().unwrap_or_default().into(),
            );
            // The value is never read: what it was made from comes from state.
            for k in ["username", "password_length"] {
                if let Some(v) = w.known.get(k) {
                    a.insert(k.into(), v.clone());
                }
            }
            a.insert("tags".into(), tags);
            a.insert("arn".into(), arn.clone().into());
            found.live.insert(w.address.clone(), Live::ready(arn, a));
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let sm = ctx.aws.secrets();
        let value = secret_value(d);
        let res = sm
            .create_secret()
            .name(s(d, "name"))
            .description(s(d, "description"))
            .secret_string(value.expose())
            .set_tags(Some(sdk_tags(d)))
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
                    .secret_id(s(d, "name"))
                    .send()
                    .await
                    .api("secretsmanager:RestoreSecret")?;
                let arn = out.arn().unwrap_or_default().to_string();
                sm.tag_resource()
                    .secret_id(&arn)
                    .set_tags(Some(sdk_tags(d)))
                    .send()
                    .await
                    .api("secretsmanager:TagResource")?;
                arn
            }
            Err(e) => return Err(e.into()),
        };
        let mut attrs = d.clone();
        attrs.insert("arn".into(), arn.clone().into());
        Ok(Live::ready(arn, attrs))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live,
        d: &Attrs,
        changed: &[String],
    ) -> Result<Live, DriverError> {
        let sm = ctx.aws.secrets();
        let has = |k: &str| changed.iter().any(|c| c == k);
        if has("description") {
            sm.update_secret()
                .secret_id(&live.id)
                .description(s(d, "description"))
                .send()
                .await
                .api("secretsmanager:UpdateSecret")?;
        }
        if has("username") || has("password_length") {
            // New credentials; the CDC user resource that depends on them follows.
            let value = secret_value(d);
            sm.put_secret_value()
                .secret_id(&live.id)
                .secret_string(value.expose())
                .send()
                .await
                .api("secretsmanager:PutSecretValue")?;
        }
        if has("tags") {
            let (set, gone) = common::tag_delta(&live.attrs, d);
            if !set.is_empty() {
                let tags = set
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect();
                sm.tag_resource()
                    .secret_id(&live.id)
                    .set_tags(Some(tags))
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
        Ok(live.merged(d))
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        // No recovery window: a later apply can create the name again at once.
        match ctx
            .aws
            .secrets()
            .delete_secret()
            .secret_id(&live.id)
            .force_delete_without_recovery(true)
            .send()
            .await
            .api("secretsmanager:DeleteSecret")
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
