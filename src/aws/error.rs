//! One error type for every AWS call: the operation, AWS's error code and
//! message, and whether retrying can help.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A failed AWS API call.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// e.g. `ec2:CreateVpc`.
    pub operation: String,
    /// AWS's error code, e.g. `DependencyViolation`; `None` for transport errors.
    pub code: Option<String>,
    pub message: String,
    pub status: Option<u16>,
}

impl ApiError {
    pub fn from_sdk<E, R>(operation: &str, e: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + HasStatus + Send + Sync + 'static,
    {
        let status = e.raw_response().map(HasStatus::status);
        let (code, message) = match &e {
            SdkError::ServiceError(se) => {
                let err = se.err();
                (
                    err.code().map(str::to_string),
                    err.message()
                        .map_or_else(|| DisplayErrorContext(err).to_string(), str::to_string),
                )
            }
            other => (None, transport_message(other)),
        };
        ApiError {
            operation: operation.to_string(),
            code,
            message,
            status,
        }
    }

    /// An error made up by cdcstack about an AWS call's result.
    pub fn other(operation: &str, message: impl Into<String>) -> Self {
        ApiError {
            operation: operation.to_string(),
            code: None,
            message: message.into(),
            status: None,
        }
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// "Not found" under any of the names services use.
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
            || self.code.as_deref().is_some_and(|c| {
                c.ends_with("NotFound")
                    || c.ends_with("NotFoundFault")
                    || c.ends_with("NotFoundException")
                    || c.starts_with("NoSuch")
                    || c.contains(".NotFound")
                    || c == "NotFound"
            })
    }
}

/// A request that never got an AWS answer: the error chain in words (not
/// the SDK's debug dump), with what to check.
fn transport_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    let text = parts.join(": ");
    let lower = text.to_lowercase();
    let hint = if lower.contains("credentials") {
        "; no usable AWS credentials: set AWS_PROFILE (or run `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance role is available"
    } else if lower.contains("timeout") || lower.contains("timed out") {
        "; AWS did not answer in time: check the network (proxy, VPN) and retry"
    } else if lower.contains("connect") || lower.contains("dns") || lower.contains("resolve") {
        "; cannot reach the AWS endpoint: check the network, and AWS_ENDPOINT_URL if it is set"
    } else {
        ""
    };
    format!("{text}{hint}")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{} failed: {c}: {}", self.operation, self.message),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

/// The HTTP status of a raw response.
pub trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// `.api("ec2:CreateVpc")?` on an SDK result.
pub trait ApiResultExt<T> {
    /// # Errors
    /// The SDK error as an [`ApiError`] naming `operation`.
    fn api(self, operation: &str) -> Result<T, ApiError>;
}

/// `.found()?` on an API result: `None` when AWS says it is not there.
pub trait FoundExt<T> {
    /// # Errors
    /// Any error but "not found".
    fn found(self) -> Result<Option<T>, ApiError>;
}

impl<T> FoundExt<T> for Result<T, ApiError> {
    fn found(self) -> Result<Option<T>, ApiError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl<T, E, R> ApiResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + HasStatus + Send + Sync + 'static,
{
    fn api(self, operation: &str) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::from_sdk(operation, e))
    }
}

impl From<ApiError> for crate::engine::DriverError {
    fn from(e: ApiError) -> Self {
        crate::engine::DriverError::Api(Box::new(e))
    }
}

/// The AWS error a driver error carries, if it is one.
pub fn api_error(e: &crate::engine::DriverError) -> Option<&ApiError> {
    match e {
        crate::engine::DriverError::Api(a) => a.downcast_ref(),
        _ => None,
    }
}

/// A driver error that says the resource is not there.
pub fn not_found(e: &crate::engine::DriverError) -> bool {
    api_error(e).is_some_and(ApiError::is_not_found)
}
