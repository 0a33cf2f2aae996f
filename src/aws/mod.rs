//! AWS access: one SDK configuration per run (the env file's region, the
//! standard credential chain, standard-mode retries) and lazily built clients.
//! Nothing here knows about any particular endpoint.

pub mod drivers;
pub mod error;
pub mod policy;
pub mod tag_index;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

pub use error::ApiError;

/// Attempts per call for throttling, 5xx and transient network errors.
///
/// Standard mode, not adaptive: adaptive's client-side rate limiter drops to
/// 0.5 requests/s after a few throttles and recovers slowly. Measured on the
/// emulator with 30% of EC2 calls throttled, a network-tier apply took over 6
/// minutes with adaptive retries and seconds with these settings.
const MAX_ATTEMPTS: u32 = 10;

/// An endpoint override the SDK could not use.
#[derive(Debug, thiserror::Error)]
#[error("{var}={value:?} is not an endpoint URL: {why}")]
pub struct EndpointError {
    pub var: String,
    pub value: String,
    pub why: &'static str,
}

impl EndpointError {
    pub fn hint(&self) -> String {
        format!(
            "set {} to a URL with its scheme, such as http://127.0.0.1:4566, or unset it to use AWS",
            self.var
        )
    }
}

/// Checks the endpoint overrides the SDK reads (`AWS_ENDPOINT_URL` and
/// `AWS_ENDPOINT_URL_<SERVICE>`): the SDK panics on an empty one and sends
/// a scheme-less one nowhere, with a debug dump for an error.
///
/// # Errors
/// The first variable that is not an `http(s)://host` URL.
pub fn check_endpoints(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), EndpointError> {
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(k, _)| k == "AWS_ENDPOINT_URL" || k.starts_with("AWS_ENDPOINT_URL_"))
        .collect();
    vars.sort();
    for (var, value) in vars {
        let why = if value.trim().is_empty() {
            "it is empty"
        } else if let Some(rest) = value
            .strip_prefix("http://")
            .or_else(|| value.strip_prefix("https://"))
        {
            if rest
                .split(['/', '?', '#'])
                .next()
                .unwrap_or_default()
                .is_empty()
            {
                "it has no host"
            } else {
                continue;
            }
        } else {
            "it does not start with http:// or https://"
        };
        return Err(EndpointError { var, value, why });
    }
    Ok(())
}

/// Loads the SDK configuration for `region` (never `AWS_REGION`).
///
/// # Errors
/// An endpoint override that cannot be used.
pub async fn sdk_config(region: &str) -> Result<SdkConfig, EndpointError> {
    check_endpoints(std::env::vars())?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(10)),
        )
        .load()
        .await)
}

/// True when S3 is reached through an endpoint override, where
/// virtual-host addressing (`bucket.host`) cannot work.
fn s3_path_style(sdk: &SdkConfig) -> bool {
    sdk.endpoint_url().is_some()
        || ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// No client-side retry quota: the SDK's default token bucket gives up after
/// about a hundred retries, which one throttling burst during a large apply
/// can use up (Terraform's provider turns it off too). Attempts stay bounded
/// by [`MAX_ATTEMPTS`] per call.
fn retry_partition() -> aws_smithy_runtime::client::retries::RetryPartition {
    use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
    RetryPartition::custom("cdcstack")
        .token_bucket(TokenBucket::unlimited())
        .build()
}

macro_rules! clients {
    ($($name:ident: $krate:ident),* $(,)?) => {
        /// Service clients, created on first use.
        #[derive(Debug)]
        pub struct Clients {
            pub sdk: SdkConfig,
            $($name: OnceLock<$krate::Client>,)*
        }

        impl Clients {
            pub fn new(sdk: SdkConfig) -> Self {
                Clients { sdk, $($name: OnceLock::new(),)* }
            }
            $(
                pub fn $name(&self) -> &$krate::Client {
                    self.$name.get_or_init(|| {
                        let conf = $krate::config::Builder::from(&self.sdk).retry_partition(retry_partition()).build();
                        $krate::Client::from_conf(conf)
                    })
                }
            )*
        }
    };
}

clients! {
    ec2: aws_sdk_ec2,
    rds: aws_sdk_rds,
    rds_data: aws_sdk_rdsdata,
    kafka: aws_sdk_kafka,
    kafkaconnect: aws_sdk_kafkaconnect,
    redshift: aws_sdk_redshiftserverless,
    iam: aws_sdk_iam,
    secrets: aws_sdk_secretsmanager,
    logs: aws_sdk_cloudwatchlogs,
    sts: aws_sdk_sts,
    ssm: aws_sdk_ssm,
    tagging: aws_sdk_resourcegroupstagging,
}

/// An S3 client for `sdk`, path-style when an endpoint override is set.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(s3_path_style(sdk))
        .retry_partition(retry_partition())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

impl Clients {
    pub fn s3(&self) -> aws_sdk_s3::Client {
        s3_client(&self.sdk)
    }
}

/// What every driver of a run shares: the SDK clients of the stack's
/// region, the tag index read once per run, and the ARN partition.
#[derive(Debug)]
pub struct Aws {
    clients: Arc<Clients>,
    /// Tags of this environment's resources, read once per run.
    tags: tag_index::TagIndex,
    /// `aws`, `aws-cn` or `aws-us-gov`: the first field of every ARN.
    pub partition: &'static str,
}

impl Aws {
    /// The drivers' share of one run in `region`.
    pub fn new(clients: Arc<Clients>, region: &str) -> Self {
        Aws {
            clients,
            tags: tag_index::TagIndex::default(),
            partition: crate::config::partition(region),
        }
    }
}

impl Aws {
    /// The tags of `arn`: from the run's tag index when it agrees with
    /// `recorded` (the state's), otherwise from `authoritative` (the
    /// service's own call).
    ///
    /// # Errors
    /// `authoritative`'s error.
    pub async fn tags_of<F>(
        &self,
        ctx: &crate::engine::Ctx,
        arn: &str,
        recorded: Option<&crate::model::Tags>,
        authoritative: F,
    ) -> Result<crate::model::Tags, ApiError>
    where
        F: std::future::Future<Output = Result<crate::model::Tags, ApiError>>,
    {
        match self.confirmed_tags(ctx, arn, recorded).await {
            Some(t) => Ok(t),
            None => authoritative.await,
        }
    }

    /// The tags of `arn` when the run's tag index agrees with `recorded`.
    pub async fn confirmed_tags(
        &self,
        ctx: &crate::engine::Ctx,
        arn: &str,
        recorded: Option<&crate::model::Tags>,
    ) -> Option<crate::model::Tags> {
        self.tags
            .confirmed_tags(self.tagging(), ctx, arn, recorded)
            .await
    }

    /// `arn:{partition}:{service}:{region}:{account}:{resource}`.
    pub fn arn(&self, ctx: &crate::engine::Ctx, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, ctx.region, ctx.account_id
        )
    }
}

impl std::ops::Deref for Aws {
    type Target = Clients;

    fn deref(&self) -> &Clients {
        &self.clients
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)]) -> Result<(), EndpointError> {
        check_endpoints(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn endpoint_overrides_are_urls_or_an_error_naming_the_variable() {
        assert!(check(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"), ("HOME", "")]).is_ok());
        assert!(check(&[("AWS_ENDPOINT_URL_S3", "https://s3.example.com/")]).is_ok());
        let e = check(&[("AWS_ENDPOINT_URL", "")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "AWS_ENDPOINT_URL=\"\" is not an endpoint URL: it is empty"
        );
        let e = check(&[("AWS_ENDPOINT_URL_STS", "localhost:4566")]).unwrap_err();
        assert!(e.to_string().starts_with("AWS_ENDPOINT_URL_STS="), "{e}");
        assert!(e.hint().contains("http://"), "{}", e.hint());
        assert!(check(&[("AWS_ENDPOINT_URL", "http://")]).is_err());
    }
}
