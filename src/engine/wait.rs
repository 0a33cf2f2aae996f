//! Waiting on AWS: polling until a resource reaches a state, and retrying
//! calls that fail only because AWS has not caught up yet (eventual
//! consistency, resources still busy). Both back off and give up after a
//! per-kind timeout; both stop when the run is interrupted.

use std::future::Future;
use std::time::{Duration, Instant};

use super::driver::{Ctx, DriverError};
use crate::aws::ApiError;

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
pub async fn retry_while<T, E, F, Fut>(
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

/// Retries `call` while its error is one `transient` accepts (e.g.
/// `DependencyViolation` while ENIs linger), up to `timeout`.
///
/// # Errors
/// The last error once it is not transient or the time is up.
pub async fn retry<T, F, Fut>(
    ctx: &Ctx,
    what: &str,
    timeout: Duration,
    transient: impl Fn(&ApiError) -> bool,
    mut call: F,
) -> Result<T, DriverError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let start = Instant::now();
    let mut delay = ctx.pacing.min;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if transient(&e) && start.elapsed() < timeout => {
                tracing::debug!(%what, error = %e, "retrying");
            }
            Err(e) if transient(&e) => {
                return Err(DriverError::Failed(format!(
                    "{what}: still failing after {}: {e}",
                    humantime::format_duration(Duration::from_secs(timeout.as_secs()))
                )));
            }
            Err(e) => return Err(e.into()),
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.cancel.cancelled() => return Err(DriverError::Cancelled(what.to_string())),
        }
        delay = (delay.mul_f32(1.5)).min(ctx.pacing.max);
    }
}

/// Deleting what is already gone is done.
///
/// # Errors
/// Any other error of `r`.
pub fn gone_ok(r: Result<(), DriverError>) -> Result<(), DriverError> {
    match r {
        Err(DriverError::Api(e)) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// Deletes with `call` (retried while `busy` says AWS is not ready for it),
/// then polls `status` (the resource's state, `None` once it is gone) until
/// it is gone. Already gone counts as deleted.
///
/// # Errors
/// The delete's error, a timeout, or an interrupt.
pub async fn delete<F, Fut, S, SFut>(
    ctx: &Ctx,
    what: &str,
    timeout: Duration,
    busy: impl Fn(&ApiError) -> bool,
    call: F,
    mut status: S,
) -> Result<(), DriverError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ApiError>>,
    S: FnMut() -> SFut,
    SFut: Future<Output = Result<Option<String>, DriverError>>,
{
    match retry(ctx, &format!("deleting {what}"), timeout, busy, call).await {
        Err(DriverError::Api(e)) if e.is_not_found() => return Ok(()),
        other => other?,
    }
    until(ctx, &format!("{what} to be deleted"), timeout, || {
        let s = status();
        async move {
            Ok(match s.await? {
                None => Poll::Done(()),
                Some(state) => Poll::Pending(state),
            })
        }
    })
    .await
}
