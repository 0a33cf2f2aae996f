//! Waiting on AWS: polling until a resource reaches a state, and retrying
//! calls that fail only because AWS has not caught up yet (eventual
//! consistency, resources still busy). Both back off and give up after a
//! per-kind timeout; both stop when the run is interrupted.

use std::future::Future;
use std::time::{Duration, Instant};

use super::driver::{Ctx, DriverError};

/// What one poll saw.
pub enum Poll<T> {
    Done(T),
    /// Not yet; the string says what it is doing (for logs).
    Pending(String),
}

/// Polls `check` until it is done, `timeout` passes, or the run is interrupted.
///
/// # Errors
/// The first error `check` returns, [`DriverError::Timeout`] or [`DriverError::Cancelled`].
pub async fn until<T, F, Fut>(
    ctx: &Ctx,
    what: &str,
    timeout: Duration,
    mut check: F,
) -> Result<T, DriverError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, DriverError>>,
{
    let start = Instant::now();
    let mut delay = ctx.pacing.min;
    loop {
        match check().await? {
            Poll::Done(v) => return Ok(v),
            Poll::Pending(status) => {
                tracing::debug!(%what, %status, elapsed = ?start.elapsed(), "waiting");
                ctx.progress(&status);
                if start.elapsed() >= timeout {
                    return Err(DriverError::Timeout {
                        what: format!("{what} (last status: {status})"),
                        after: timeout,
                    });
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.cancel.cancelled() => return Err(DriverError::Cancelled(what.to_string())),
        }
        delay = (delay.mul_f32(1.5)).min(ctx.pacing.max);
    }
}

/// Retries `call` while `patience` says its error is transient (the
/// duration to keep trying it for), backing off between attempts.
///
/// # Errors
/// The first final error, or the transient one once its patience is spent.
pub async fn retry<T, E, F, Fut>(
    ctx: &Ctx,
    what: &str,
    patience: impl Fn(&E) -> Option<Duration>,
    mut call: F,
) -> Result<T, DriverError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Into<DriverError> + std::fmt::Display,
{
    let start = Instant::now();
    let mut delay = ctx.pacing.min;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => match patience(&e) {
                Some(limit) if start.elapsed() < limit => {
                    tracing::debug!(%what, error = %e, "retrying");
                }
                Some(limit) => {
                    return Err(DriverError::Failed(format!(
                        "{what}: still failing after {}: {e}",
                        humantime::format_duration(Duration::from_secs(limit.as_secs()))
                    )));
                }
                None => return Err(e.into()),
            },
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.cancel.cancelled() => return Err(DriverError::Cancelled(what.to_string())),
        }
        delay = (delay.mul_f32(1.5)).min(ctx.pacing.max);
    }
}
