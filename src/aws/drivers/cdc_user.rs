//! The MySQL user Debezium connects as, with only the grants it needs.
//! Created through the RDS Data API when the cluster has it enabled;
//! otherwise cdcstack prints the commands to run from the bastion. Either
//! way the password goes from Secrets Manager to MySQL and nowhere else.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::common::s;
use crate::aws::ApiError;
use crate::aws::error::ApiResultExt;
use crate::engine::wait;
use crate::engine::{Attrs, Ctx, Driver, DriverError, Found, Live, Wanted};
use crate::secret::Secret;
use crate::stack::{Address, kinds};

pub struct CdcUser;

fn manual(d: &Attrs) -> bool {
    s(d, "method") != "data_api"
}

/// The commands for the manual route: secrets are fetched on the bastion, never shown here.
/// ARNs are single-quoted (`rds!cluster-…` would trip bash's history
/// expansion), and the master password goes in MYSQL_PWD, not on the
/// command line where `ps` shows it.
fn instructions(d: &Attrs) -> String {
    let or = |k: &str, what: &str| {
        let v = s(d, k);
        if v.is_empty() {
            format!("<{what}, known after apply>")
        } else {
            v
        }
    };
    let (user, grants) = (s(d, "username"), s(d, "grants"));
    format!(
        "create the CDC user by hand: on the bastion (with the AWS CLI, jq and a MySQL client) run\n\
         \x20   CDC_PW=$(aws secretsmanager get-secret-value --secret-id '{cdc}' --query SecretString --output text | jq -r .password)\n\
         \x20   MYSQL_PWD=$(aws secretsmanager get-secret-value --secret-id '{master}' --query SecretString --output text | jq -r .password) \\\n\
         \x20     mysql -h {host} -P 3306 -u {admin} -e \"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '$CDC_PW'; ALTER USER '{user}'@'%' IDENTIFIED BY '$CDC_PW'; GRANT {grants} ON *.* TO '{user}'@'%';\"\n\
         \x20 (or set aurora.data_api = true and cdcstack does it through the RDS Data API)",
        master = or("master_secret_arn", "master secret ARN"),
        cdc = or("user_secret_arn", "CDC secret ARN"),
        host = or("cluster_endpoint", "cluster endpoint"),
        admin = s(d, "master_username"),
    )
}

async fn password(ctx: &Ctx, secret_arn: &str) -> Result<Secret, DriverError> {
    let out = ctx
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
async fn execute(ctx: &Ctx, d: &Attrs, sql: &Secret) -> Result<(), DriverError> {
    // The Data API answers "not ready" for a while after the cluster is new.
    let transient = |e: &ApiError| {
        e.code_is("BadRequestException")
            && (e.message.contains("not ready")
                || e.message.contains("HttpEndpoint")
                || e.message.contains("resuming"))
            || e.code_is("ServiceUnavailableError")
    };
    wait::retry(
        ctx,
        "running SQL through the RDS Data API",
        Duration::from_secs(5 * 60),
        transient,
        || async {
            ctx.aws
                .rds_data()
                .execute_statement()
                .resource_arn(s(d, "cluster_arn"))
                .secret_arn(s(d, "master_secret_arn"))
                .sql(sql.expose())
                .send()
                .await
                .api("rds-data:ExecuteStatement")
                .map(|_| ())
        },
    )
    .await
}

fn quote(user: &str) -> String {
    // Usernames are checked to be letters, digits and `_`.
    format!("'{user}'@'%'")
}

#[async_trait]
impl Driver for CdcUser {
    fn kind(&self) -> &'static str {
        kinds::DB_CDC_USER
    }

    fn force_new(&self) -> &'static [&'static str] {
        &["username", "cluster_arn", "method"]
    }

    /// Inside MySQL, where no AWS API reads: what the state recorded is what exists.
    async fn read(&self, _ctx: &Ctx, wanted: &[Wanted]) -> Result<Found, DriverError> {
        let mut found = Found::default();
        for w in wanted {
            if let Some(id) = &w.id {
                found
                    .live
                    .insert(w.address.clone(), Live::ready(id.clone(), w.known.clone()));
            }
        }
        Ok(found)
    }

    async fn create(&self, ctx: &Ctx, _a: &Address, d: &Attrs) -> Result<Live, DriverError> {
        let user = s(d, "username");
        if !manual(d) {
            let pw = password(ctx, &s(d, "user_secret_arn")).await?;
            let u = quote(&user);
            for sql in [
                format!(
                    "CREATE USER IF NOT EXISTS {u} IDENTIFIED BY '{}'",
                    pw.expose()
                ),
                format!("ALTER USER {u} IDENTIFIED BY '{}'", pw.expose()),
                format!("GRANT {} ON *.* TO {u}", s(d, "grants")),
            ] {
                execute(ctx, d, &Secret::from_string(sql)).await?;
            }
        }
        Ok(Live::ready(
            format!("{}/{user}", s(d, "cluster_arn")),
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
        // New password or grants: the statements are idempotent.
        self.create(ctx, a, d).await
    }

    async fn delete(&self, ctx: &Ctx, _a: &Address, live: &Live) -> Result<(), DriverError> {
        if !manual(&live.attrs) {
            let sql = Secret::from_string(format!(
                "DROP USER IF EXISTS {}",
                quote(&s(&live.attrs, "username"))
            ));
            match execute(ctx, &live.attrs, &sql).await {
                Ok(()) => {}
                // The cluster is already gone: so is the user.
                Err(DriverError::Api(e)) if e.is_not_found() || e.message.contains("not found") => {
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn notes(&self, desired: &Attrs, live: Option<&Live>, _changed: &[String]) -> Vec<String> {
        if live.is_none() && manual(desired) {
            vec!["the CDC user is not created by cdcstack (aurora.data_api = false): apply prints the commands to run from the bastion".into()]
        } else {
            vec![]
        }
    }

    fn after_apply_notes(&self, desired: &Attrs, _live: &Live) -> Vec<String> {
        if manual(desired) {
            vec![instructions(desired)]
        } else {
            vec![]
        }
    }
}
