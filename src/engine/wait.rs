//! Waiting on AWS: polling until a resource reaches a state, and retrying
//! calls that fail only because AWS has not caught up yet (eventual
//! consistency, resources still busy). Both back off and give up after a
//! per-kind timeout; both stop when the run is interrupted.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::engine::fake::World;

    #[tokio::test(start_paused = true)]
    async fn polls_back_off_up_to_the_ceiling_until_done() {
        let w = World::default();
        let ctx = w.ctx(); // pacing 10 ms, ×1.5, up to 100 ms
        let polls = Arc::new(AtomicU32::new(0));
        let start = tokio::time::Instant::now();
        let n = polls.clone();
        let v = until(&ctx, "it", Duration::from_secs(60), || {
            let n = n.clone();
            async move {
                Ok(if n.fetch_add(1, Ordering::SeqCst) < 9 {
                    Poll::Pending("BUSY".into())
                } else {
                    Poll::Done(7)
                })
            }
        })
        .await
        .unwrap();
        assert_eq!((v, polls.load(Ordering::SeqCst)), (7, 10));
        // 10, 15, 22.5, 33.75, 50.6, 75.9, then 100 three times: about 0.5 s.
        let waited = start.elapsed();
        assert!(
            waited > Duration::from_millis(450) && waited < Duration::from_millis(560),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_that_takes_too_long_says_what_it_last_saw() {
        let w = World::default();
        let err = until::<(), _, _>(&w.ctx(), "the cluster", Duration::from_secs(2), || async {
            Ok(Poll::Pending("MODIFYING".into()))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, DriverError::Timeout { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("the cluster (last status: MODIFYING)"),
            "{err}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_stops_a_wait() {
        let w = World::default();
        let ctx = w.ctx();
        let cancel = w.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            cancel.cancel();
        });
        let err = until::<(), _, _>(&ctx, "it", Duration::from_secs(3600), || async {
            Ok(Poll::Pending("BUSY".into()))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, DriverError::Cancelled(_)), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_until_they_clear_or_patience_runs_out() {
        let w = World::default();
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let patience = |e: &DriverError| {
            matches!(e, DriverError::Failed(m) if m == "busy").then_some(Duration::from_secs(5))
        };
        let v = retry(&w.ctx(), "it", patience, || {
            let c = c.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) < 3 {
                    Err(DriverError::Failed("busy".into()))
                } else {
                    Ok("done")
                }
            }
        })
        .await
        .unwrap();
        assert_eq!((v, calls.load(Ordering::SeqCst)), ("done", 4));

        let err = retry::<(), _, _, _>(&w.ctx(), "deleting it", patience, || async {
            Err(DriverError::Failed("busy".into()))
        })
        .await
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("deleting it: still failing after 5s: busy"),
            "{err}"
        );

        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let err = retry::<(), _, _, _>(&w.ctx(), "it", patience, || {
            c.fetch_add(1, Ordering::SeqCst);
            async { Err(DriverError::Failed("denied".into())) }
        })
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "denied");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a final error is not retried"
        );
    }

    #[tokio::test]
    async fn a_wait_reports_progress_for_the_resource_in_scope() {
        let w = World::default();
        let ctx = w.ctx().scoped(&"t.a".into());
        let n = Arc::new(AtomicU32::new(0));
        until(&ctx, "it", Duration::from_secs(5), || {
            let n = n.clone();
            async move {
                Ok(if n.fetch_add(1, Ordering::SeqCst) == 0 {
                    Poll::Pending("CREATING".into())
                } else {
                    Poll::Done(())
                })
            }
        })
        .await
        .unwrap();
        let events = w.events.events();
        assert!(
            matches!(&events[..], [crate::engine::Event::Progress { address, status, .. }]
                if address.as_str() == "t.a" && status == "CREATING"),
            "{events:?}"
        );
    }
}
