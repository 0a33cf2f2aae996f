//! The MySQL user Debezium connects as, with only the grants it needs.
//! Created through the RDS Data API when the cluster has it enabled;
//! otherwise cdcstack prints the commands to run from the bastion. Either
//! way the password goes from Secrets Manager to MySQL and nowhere else.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::aws::Aws;
use crate::aws::error::{ApiResultExt, api_error};
use crate::aws::policy::{ALL, Phase, Policy, Transient, minutes};
use crate::engine::typed::{Advice, Found, Lifecycle, Live, Wanted};
use crate::engine::{Ctx, DriverError};
use crate::model::aurora::{CdcUser, CdcUserMethod};
use crate::model::{Attrs, Changed, Nothing, Partial};
use crate::secret::Secret;
use crate::stack::Address;

/// Nothing here waits; the Data API's "not ready yet" is retried for 5 minutes.
const POLICY: Policy = Policy {
    create: minutes(5),
    update: minutes(5),
    delete: minutes(5),
    transient: &[
        Transient {
            during: ALL,
            codes: &["BadRequestException"],
            messages: &["not ready", "HttpEndpoint", "resuming"],
            patience: minutes(5),
            why: "the Data API is not ready for a while after the cluster is new (or resuming)",
        },
        Transient {
            during: ALL,
            codes: &["ServiceUnavailableError"],
            messages: &[],
            patience: minutes(5),
            why: "the Data API is not ready for a while after the cluster is new",
        },
    ],
};

pub struct CdcUserDriver {
    pub aws: Arc<Aws>,
}

fn manual(method: Option<CdcUserMethod>) -> bool {
    method != Some(CdcUserMethod::DataApi)
}

/// The commands for the manual route: secrets are fetched on the bastion, never shown here.
/// ARNs are single-quoted (`rds!cluster-…` would trip bash's history
/// expansion), and the master password goes in MYSQL_PWD, not on the
/// command line where `ps` shows it.
fn instructions(d: &Attrs<CdcUser>) -> String {
    let or = |v: &str, what: &str| {
        if v.is_empty() {
            format!("<{what}, known after apply>")
        } else {
            v.to_string()
        }
    };
    let (user, grants) = (&d.username, &d.grants);
    format!(
        "create the CDC user by hand: on the bastion (with the AWS CLI, jq and a MySQL client) run\n\
         \x20   CDC_PW=$(aws secretsmanager get-secret-value --secret-id '{cdc}' --query SecretString --output text | jq -r .password)\n\
         \x20   MYSQL_PWD=$(aws secretsmanager get-secret-value --secret-id '{master}' --query SecretString --output text | jq -r .password) \\\n\
         \x20     mysql -h {host} -P 3306 -u {admin} -e \"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '$CDC_PW'; ALTER USER '{user}'@'%' IDENTIFIED BY '$CDC_PW'; GRANT {grants} ON *.* TO '{user}'@'%';\"\n\
         \x20 (or set aurora.data_api = true and cdcstack does it through the RDS Data API)",
        master = or(&d.master_secret_arn, "master secret ARN"),
        cdc = or(&d.user_secret_arn, "CDC secret ARN"),
        host = or(&d.cluster_endpoint, "cluster endpoint"),
        admin = d.master_username,
    )
}

fn quote(user: &str) -> String {
    // Usernames are checked to be letters, digits and `_`.
    format!("'{user}'@'%'")
}

impl CdcUserDriver {
    async fn password(&self, secret_arn: &str) -> Result<Secret, DriverError> {
        let out = self
            .aws
            .secrets()
            .get_secret_value()
            .secret_id(secret_arn)
            .send()
            .await
            .api("secretsmanager:GetSecretValue")?;
        let doc = Secret::from_string(out.secret_string().unwrap_or_default().to_string());
        let v: Value = serde_json::from_str(doc.expose())
            .map_err(|_| DriverError::Failed(format!("secret {secret_arn} is not JSON")))?;
        let pw = v
            .get("password")
            .and_then(Value::as_str)
            .ok_or_else(|| DriverError::Failed(format!("secret {secret_arn} has no password")))?;
        Ok(Secret::from_string(pw.to_string()))
    }

    /// Runs one statement with the master credentials; the SQL is never logged.
    async fn execute(
        &self,
        ctx: &Ctx,
        phase: Phase,
        d: &Attrs<CdcUser>,
        sql: &Secret,
    ) -> Result<(), DriverError> {
        POLICY
            .retry(
                ctx,
                phase,
                "running SQL through the RDS Data API",
                || async {
                    self.aws
                        .rds_data()
                        .execute_statement()
                        .resource_arn(&d.cluster_arn)
                        .secret_arn(&d.master_secret_arn)
                        .sql(sql.expose())
                        .send()
                        .await
                        .api("rds-data:ExecuteStatement")
                        .map(|_| ())
                },
            )
            .await
    }
}

#[async_trait]
impl Lifecycle for CdcUserDriver {
    type Kind = CdcUser;

    /// Inside MySQL, where no AWS API reads: what the state recorded is what exists.
    async fn read(
        &self,
        _ctx: &Ctx,
        wanted: &[Wanted<CdcUser>],
    ) -> Result<Found<CdcUser>, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            if let Some(recorded) = &w.recorded {
                found.live.insert(w.address.clone(), recorded.clone());
            }
        }
        Ok(found)
    }

    async fn create(
        &self,
        ctx: &Ctx,
        _a: &Address,
        d: &Attrs<CdcUser>,
    ) -> Result<Live<CdcUser>, DriverError> {
        let user = &d.username;
        if !manual(Some(d.method)) {
            let pw = self.password(&d.user_secret_arn).await?;
            let u = quote(user);
            for sql in [
                format!(
                    "CREATE USER IF NOT EXISTS {u} IDENTIFIED BY '{}'",
                    pw.expose()
                ),
                format!("ALTER USER {u} IDENTIFIED BY '{}'", pw.expose()),
                format!("GRANT {} ON *.* TO {u}", d.grants),
            ] {
                self.execute(ctx, Phase::Create, d, &Secret::from_string(sql))
                    .await?;
            }
        }
        Ok(Live::ready(
            format!("{}/{user}", d.cluster_arn),
            d.clone(),
            Nothing::default(),
        ))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        a: &Address,
        _live: &Live<CdcUser>,
        d: &Attrs<CdcUser>,
        changed: &Changed<CdcUser>,
    ) -> Result<Live<CdcUser>, DriverError> {
        // New password or grants, or another route to the cluster: the
        // statements are idempotent, so any change runs them all again.
        let crate::model::aurora::CdcUserAttrs {
            username: _,
            grants: _,
            method: _,
            cluster_arn: _,
            cluster_endpoint: _,
            master_username: _,
            master_secret_arn: _,
            user_secret_arn: _,
            database: _,
        } = *changed;
        self.create(ctx, a, d).await
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        _a: &Address,
        live: &Live<CdcUser>,
    ) -> Result<(), DriverError> {
        if !manual(Some(live.attrs.method)) {
            let sql = Secret::from_string(format!(
                "DROP USER IF EXISTS {}",
                quote(&live.attrs.username)
            ));
            match self.execute(ctx, Phase::Delete, &live.attrs, &sql).await {
                Ok(()) => {}
                // The cluster is already gone: so is the user.
                Err(e)
                    if api_error(&e)
                        .is_some_and(|a| a.is_not_found() || a.message.contains("not found")) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Advice for CdcUserDriver {
    fn notes(
        &self,
        desired: &Partial<CdcUser>,
        live: Option<&Live<CdcUser>>,
        _changed: &Changed<CdcUser>,
    ) -> Vec<String> {
        if live.is_none() && manual(desired.method) {
            vec!["the CDC user is not created by cdcstack (aurora.data_api = false): apply prints the commands to run from the bastion".into()]
        } else {
            vec![]
        }
    }

    fn after_apply_notes(&self, desired: &Attrs<CdcUser>, _live: &Live<CdcUser>) -> Vec<String> {
        if manual(Some(desired.method)) {
            vec![instructions(desired)]
        } else {
            vec![]
        }
    }
}
