//! What every AWS-touching command shares: the loaded env file, SDK
//! configurations, the state backend, and running a body under the lock
//! with Ctrl-C / SIGTERM handling that always releases it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::aws::{Clients, error::ApiResultExt};
use crate::cli::{EnvArg, GlobalArgs};
use crate::config::{BackendKind, Config};
use crate::error::{Error, Result};
use crate::printer::Printer;
use crate::state::{self, Backend, Operation};

pub struct Session {
    pub cfg: Config,
    pub env: String,
    pub printer: Printer,
    /// Clients in the stack's region.
    pub aws: Arc<Clients>,
    pub backend: Arc<dyn Backend>,
}

impl Session {
    pub async fn open(global: &GlobalArgs, env: &EnvArg, printer: Printer) -> Result<Session> {
        let cfg = super::load_env(global, env)?;
        let sdk = crate::aws::sdk_config(&cfg.stack.region).await;
        let backend = match &cfg.backend.kind {
            BackendKind::S3 { region, .. } if *region != cfg.stack.region => {
                state::open(&cfg, &env.name, Some(&crate::aws::sdk_config(region).await))
            }
            _ => state::open(&cfg, &env.name, Some(&sdk)),
        };
        Ok(Session {
            env: env.name.clone(),
            aws: Arc::new(Clients::new(sdk)),
            backend,
            cfg,
            printer,
        })
    }

    /// The caller's account id (one STS call).
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

    /// Runs `body` holding the state lock; the lock is released on success,
    /// on error and on interrupt.
    ///
    /// With `graceful`, the first Ctrl-C / SIGTERM only cancels the token the
    /// body gets (so it can stop starting work and record what is in flight)
    /// and a second one stops at once; otherwise the first one stops at once.
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
            self.printer,
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
        let result = tokio::select! {
            r = body(cancel.clone()) => r,
            () = hard.cancelled() => Err(Error::Interrupted),
        };
        watcher.abort();
        match state::release(self.backend.as_ref(), &token).await {
            Ok(None) => tracing::info!(id = %token.info.id, "lock released"),
            Ok(Some(msg)) => self.printer.warn(msg),
            Err(e) => self.printer.warn(format!(
                "could not release the lock {}: {e}\n  release it with: cdcstack force-unlock --env {} {}",
                token.info.id, self.env, token.info.id
            )),
        }
        result
    }
}

async fn watch_signals(
    cancel: CancellationToken,
    hard: CancellationToken,
    graceful: bool,
    p: Printer,
) {
    let mut count = 0;
    loop {
        interrupted().await;
        count += 1;
        if graceful && count == 1 {
            p.warn("interrupt received: no new work is started; waiting for what is in flight (interrupt again to stop at once)");
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

/// Asks on stderr; true only for "yes".
pub fn confirm(question: &str) -> bool {
    use std::io::{BufRead, IsTerminal};
    eprint!("{question}\n  Only 'yes' will be accepted: ");
    let mut line = String::new();
    let stdin = std::io::stdin();
    if stdin.lock().read_line(&mut line).is_err() {
        return false;
    }
    if !stdin.is_terminal() {
        eprintln!();
    }
    line.trim() == "yes"
}
