//! What every AWS-touching operation shares: the loaded env file, the SDK
//! clients, the state backend, and running a body under the lock with
//! Ctrl-C / SIGTERM handling that always releases it.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use tokio_util::sync::CancellationToken;

use crate::aws::{Clients, error::ApiResultExt};
use crate::config::{BackendKind, Config};
use crate::engine::{Event, Events};
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::state::{self, Backend, Operation};

pub struct Session {
    pub cfg: Config,
    pub env: String,
    pub settings: Settings,
    /// Who is told what happens.
    pub events: Events,
    /// Clients in the stack's region.
    pub aws: Arc<Clients>,
    pub backend: Arc<dyn Backend>,
}

impl Session {
    /// Loads `<env-dir>/ENV.toml` and the SDK configuration (no AWS call yet).
    ///
    /// # Errors
    /// A bad env name or file, or an unusable AWS endpoint setting.
    pub async fn open(settings: &Settings, env: &str, events: Events) -> Result<Session> {
        let cfg = super::environment(settings, env)?;
        let sdk = crate::aws::sdk_config(&cfg.stack.region).await?;
        let backend = match &cfg.backend.kind {
            BackendKind::S3 { region, .. } if *region != cfg.stack.region => {
                state::open(&cfg, env, Some(&crate::aws::sdk_config(region).await?))
            }
            _ => state::open(&cfg, env, Some(&sdk)),
        };
        Ok(Session {
            env: env.to_string(),
            aws: Arc::new(Clients::new(sdk)),
            settings: settings.clone(),
            events,
            backend,
            cfg,
        })
    }

    /// The caller's account id (one STS call).
    ///
    /// # Errors
    /// STS's.
    pub async fn account_id(&self) -> Result<String> {
        let out = self
            .aws
            .sts()
            .get_caller_identity()
            .send()
            .await
            .api("sts:GetCallerIdentity")?;
        out.account().map(str::to_string).ok_or_else(|| {
            Error::Aws(crate::aws::ApiError::other(
                "sts:GetCallerIdentity",
                "no account in the answer",
            ))
        })
    }

    fn warn(&self, message: String) {
        self.events.on(&Event::Warning { message });
    }

    /// Runs `body` holding the state lock; the lock is released on success,
    /// on error, on interrupt, and when the body panics.
    ///
    /// With `graceful`, the first Ctrl-C / SIGTERM only cancels the token the
    /// body gets (so it can stop starting work and record what is in flight)
    /// and a second one stops at once; otherwise the first one stops at once.
    ///
    /// # Errors
    /// The lock's, the body's, [`Error::Interrupted`], or [`Error::Internal`]
    /// for a panic.
    pub async fn locked<T, F, Fut>(
        &self,
        op: Operation,
        timeout: Duration,
        graceful: bool,
        body: F,
    ) -> Result<T>
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let cancel = CancellationToken::new();
        let hard = CancellationToken::new();
        let watcher = tokio::spawn(watch_signals(
            cancel.clone(),
            hard.clone(),
            graceful,
            self.events.clone(),
        ));
        let token = tokio::select! {
            t = state::acquire(self.backend.as_ref(), op, &self.env, timeout) => t,
            // Nothing has started yet, so even a first Ctrl-C stops at once.
            () = cancel.cancelled() => { watcher.abort(); return Err(Error::Interrupted) }
            () = hard.cancelled() => { watcher.abort(); return Err(Error::Interrupted) }
        };
        let token = match token {
            Ok(t) => t,
            Err(e) => {
                watcher.abort();
                return Err(e.into());
            }
        };
        tracing::info!(id = %token.info.id, "lock acquired");
        // A bug that panics must not keep the lock: the panic is caught
        // here, the lock released, and the run ends with an error.
        let result = tokio::select! {
            r = AssertUnwindSafe(body(cancel.clone())).catch_unwind() => r.unwrap_or_else(|panic| {
                Err(Error::Internal(format!("a bug stopped the run: {}", panic_message(&panic))))
            }),
            () = hard.cancelled() => Err(Error::Interrupted),
        };
        watcher.abort();
        match state::release(self.backend.as_ref(), &token).await {
            Ok(None) => tracing::info!(id = %token.info.id, "lock released"),
            Ok(Some(msg)) => self.warn(msg),
            Err(e) => self.warn(format!(
                "could not release the lock {}: {e}\n  release it with: cdcstack force-unlock --env {} {}",
                token.info.id, self.env, token.info.id
            )),
        }
        result
    }
}

/// The text a panic was raised with.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

async fn watch_signals(
    cancel: CancellationToken,
    hard: CancellationToken,
    graceful: bool,
    events: Events,
) {
    let mut count = 0;
    loop {
        interrupted().await;
        count += 1;
        if graceful && count == 1 {
            events.on(&Event::Warning {
                message: "interrupt received: no new work is started; waiting for what is in flight (interrupt again to stop at once)".into(),
            });
            cancel.cancel();
        } else {
            cancel.cancel();
            hard.cancel();
            return;
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Without a SIGTERM handler (it cannot fail on Linux in practice)
        // Ctrl-C still works; a missing handler must not abort the run.
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::events::Recorder;
    use crate::state::memory::MemoryBackend;

    fn session(backend: Arc<MemoryBackend>) -> Session {
        use clap::Parser as _;
        let cli = crate::cli::Cli::try_parse_from(["cdcstack", "plan", "--env", "dev"]).unwrap();
        let settings = Settings::resolve(&cli.global, |_| None, false).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("env");
        Session {
            cfg: crate::config::load(&dir.join("dev.toml")).unwrap(),
            env: "dev".into(),
            settings,
            events: Arc::new(Recorder::default()),
            aws: Arc::new(Clients::new(aws_config::SdkConfig::builder().build())),
            backend,
        }
    }

    #[tokio::test]
    async fn the_lock_is_released_on_success_error_and_panic() {
        let backend = Arc::new(MemoryBackend::default());
        let s = session(backend.clone());
        let ok: Result<u32> = s
            .locked(Operation::Plan, Duration::ZERO, false, |_| async { Ok(1) })
            .await;
        assert_eq!(ok.unwrap(), 1);
        assert!(backend.read_lock().await.unwrap().is_none());

        let err: Result<()> = s
            .locked(Operation::Apply, Duration::ZERO, true, |_| async {
                Err(Error::Declined { what: "apply" })
            })
            .await;
        assert!(matches!(err, Err(Error::Declined { .. })));
        assert!(backend.read_lock().await.unwrap().is_none());

        let err: Result<()> = s
            .locked(Operation::Apply, Duration::ZERO, true, |_| async {
                panic!("a bug in the body")
            })
            .await;
        match err {
            Err(Error::Internal(m)) => assert!(m.contains("a bug in the body"), "{m}"),
            other => panic!("expected an internal error: {other:?}"),
        }
        assert!(
            backend.read_lock().await.unwrap().is_none(),
            "a panic does not keep the lock"
        );
    }

    #[tokio::test]
    async fn a_held_lock_stops_the_body_from_running() {
        let backend = Arc::new(MemoryBackend::default());
        let s = session(backend.clone());
        let held = state::acquire(backend.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        let ran = std::sync::atomic::AtomicBool::new(false);
        let err: Result<()> = s
            .locked(Operation::Plan, Duration::ZERO, false, |_| async {
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(matches!(
            err,
            Err(Error::State(state::StateError::Locked { .. }))
        ));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(
            backend.read_lock().await.unwrap().unwrap().0.id,
            held.info.id
        );
    }
}
