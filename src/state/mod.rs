//! State and its lock: the S3 object (or local file) recording what exists,
//! guarded by a lock object so two runs never interleave, with conditional
//! writes so no update is ever lost.

pub mod backend;
pub mod format;
pub mod init;
pub mod local;
pub mod lock;
#[cfg(test)]
pub mod memory;
pub mod s3;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

pub use backend::{Backend, Contended, Etag, LockToken};
pub use format::{ResourceState, State};
pub use lock::{LockInfo, Operation};

use crate::aws::ApiError;
use crate::config::{BackendKind, Config};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "the state is locked by another run:\n{}\n{}",
        .info.describe(), .info.advice(env)
    )]
    Locked { info: Box<LockInfo>, env: String },
    #[error(
        "the state is locked, but the lock object could not be read (it was just released, or it is not a lock body); try again"
    )]
    LockedUnknown,
    #[error(
        "the lock at {location} is not a valid lock body ({reason}); if no run is active, delete it by hand"
    )]
    BadLock { location: String, reason: String },
    #[error(
        "the state at {location} cannot be used: {reason}\nNothing was changed. To recover an earlier version: {hint}"
    )]
    Corrupt {
        location: String,
        reason: String,
        hint: String,
    },
    #[error(
        "the state at {location} changed since it was read; the write was refused and nothing was overwritten. Another run wrote it (was the lock forced?); run the command again to work from the new state"
    )]
    Stale { location: String },
    #[error(
        "the state bucket `{bucket}` does not exist; create it with `cdcstack init --env {env}`"
    )]
    NoBucket { bucket: String, env: String },
    #[error("no lock with ID {wanted} to remove: {found}")]
    UnlockMismatch { wanted: String, found: String },
    #[error("local state: {0}")]
    Local(String),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Opens the state backend of env `env` (no AWS call yet).
pub fn open(cfg: &Config, env: &str, sdk: Option<&aws_config::SdkConfig>) -> Arc<dyn Backend> {
    match &cfg.backend.kind {
        BackendKind::Local { path } => Arc::new(local::LocalBackend::new(path)),
        BackendKind::S3 { bucket, key, .. } => {
            let sdk = sdk.expect("an S3 backend needs an SDK configuration");
            Arc::new(s3::S3Backend::new(
                crate::aws::s3_client(sdk),
                s3::Location { bucket, key, env },
                cfg.backend.encrypt,
                cfg.backend.kms_key_id.clone(),
            ))
        }
    }
}

/// Takes the lock, waiting up to `timeout` with backoff (1 s doubling to
/// 16 s, as Terraform) while someone else holds it.
///
/// # Errors
/// [`StateError::Locked`] naming the holder when the wait is over.
pub async fn acquire(
    b: &dyn Backend,
    op: Operation,
    env: &str,
    timeout: Duration,
) -> Result<LockToken, StateError> {
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_secs(1);
    let info = LockInfo::new(op, &b.lock_path());
    loop {
        match b.try_lock(&info).await? {
            Ok(token) => return Ok(token),
            Err(Contended::Conflict) => {
                // Another writer raced us on the same key; one of us will win at once.
                tokio::time::sleep(Duration::from_millis(50 + u64::from(rand::random::<u8>())))
                    .await;
            }
            Err(Contended::Held(holder)) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(match holder {
                        Some(info) => StateError::Locked {
                            info: Box::new(info),
                            env: env.to_string(),
                        },
                        None => StateError::LockedUnknown,
                    });
                }
                tokio::time::sleep(delay.min(deadline - now)).await;
                delay = (delay * 2).min(Duration::from_secs(16));
            }
        }
    }
}

/// Releases our lock (conditional on its version).
///
/// # Errors
/// AWS or file errors. A lock that is already gone or was replaced is not an error:
/// it is reported by the returned message.
pub async fn release(b: &dyn Backend, token: &LockToken) -> Result<Option<String>, StateError> {
    if b.delete_lock(&token.etag).await? {
        return Ok(None);
    }
    Ok(Some(match b.read_lock().await? {
        None => format!(
            "the lock {} was already gone (was it force-unlocked?)",
            token.info.id
        ),
        Some((other, _)) => format!(
            "the lock {} was replaced by lock {} ({}); it was left in place",
            token.info.id, other.id, other.who
        ),
    }))
}

/// Deletes the lock only if its ID is `id`.
///
/// # Errors
/// [`StateError::UnlockMismatch`] when there is no lock or it has another ID.
pub async fn force_unlock(b: &dyn Backend, id: &str) -> Result<LockInfo, StateError> {
    match b.read_lock().await? {
        None => Err(StateError::UnlockMismatch {
            wanted: id.into(),
            found: "the state is not locked".into(),
        }),
        Some((info, _)) if info.id != id => Err(StateError::UnlockMismatch {
            wanted: id.into(),
            found: format!(
                "the current lock has ID {} (held by {}); nothing was changed",
                info.id, info.who
            ),
        }),
        Some((info, etag)) => {
            if b.delete_lock(&etag).await? {
                Ok(info)
            } else {
                Err(StateError::UnlockMismatch {
                    wanted: id.into(),
                    found: "the lock changed while it was being removed; nothing was changed"
                        .into(),
                })
            }
        }
    }
}

/// The state as read, plus what is needed to write it back safely.
pub struct Store {
    backend: Arc<dyn Backend>,
    etag: Option<Etag>,
    pub state: State,
}

impl Store {
    /// Reads the state (a new empty one when there is none).
    ///
    /// # Errors
    /// [`StateError::Corrupt`] for a document that cannot be used; it is left untouched.
    pub async fn load(backend: Arc<dyn Backend>) -> Result<Store, StateError> {
        let (state, etag) = match backend.read().await? {
            None => (State::new(), None),
            Some((bytes, etag)) => {
                let state = State::parse(&bytes).map_err(|reason| StateError::Corrupt {
                    location: backend.location(),
                    reason,
                    hint: backend.recovery_hint(),
                })?;
                (state, Some(etag))
            }
        };
        Ok(Store {
            backend,
            etag,
            state,
        })
    }

    /// True when no state document exists yet.
    pub fn is_new(&self) -> bool {
        self.etag.is_none()
    }

    /// Writes the state, bumping `serial`, only if it is unchanged since read.
    ///
    /// # Errors
    /// [`StateError::Stale`] when someone else wrote it; nothing is overwritten.
    pub async fn persist(&mut self) -> Result<(), StateError> {
        let mut next = self.state.clone();
        next.serial += 1;
        next.cdcstack_version = env!("CARGO_PKG_VERSION").to_string();
        let etag = self
            .backend
            .write(&next.to_bytes(), self.etag.as_ref())
            .await?;
        self.state = next;
        self.etag = Some(etag);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::memory::MemoryBackend;
    use super::*;

    fn backend() -> Arc<MemoryBackend> {
        Arc::new(MemoryBackend::default())
    }

    #[tokio::test]
    async fn every_write_bumps_the_serial_and_a_stale_writer_is_refused() {
        let b = backend();
        let mut first = Store::load(b.clone()).await.unwrap();
        assert!(first.is_new());
        first.persist().await.unwrap();
        let (mut a, mut c) = (
            Store::load(b.clone()).await.unwrap(),
            Store::load(b.clone()).await.unwrap(),
        );
        a.state.outputs.insert("who".into(), "a".into());
        a.persist().await.unwrap();
        c.state.outputs.insert("who".into(), "c".into());
        let err = c.persist().await.unwrap_err();
        assert!(matches!(err, StateError::Stale { .. }), "{err}");
        let now = Store::load(b.clone()).await.unwrap();
        assert_eq!(now.state.serial, 2);
        assert_eq!(
            now.state.outputs["who"], "a",
            "the refused write changed nothing"
        );
        assert_eq!(
            now.state.lineage, first.state.lineage,
            "lineage is set once"
        );
        assert_eq!(b.writes(), 2);
    }

    #[tokio::test]
    async fn a_document_that_cannot_be_used_is_refused_untouched() {
        let b = backend();
        b.overwrite(b"{ not json");
        let err = Store::load(b.clone()).await.err().unwrap();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        assert_eq!(b.document().unwrap(), b"{ not json");
    }

    #[tokio::test]
    async fn one_holder_at_a_time_and_the_loser_is_told_who() {
        let b = backend();
        let token = acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        match acquire(b.as_ref(), Operation::Plan, "dev", Duration::ZERO).await {
            Err(StateError::Locked { info, env }) => {
                assert_eq!(
                    (info.id.as_str(), env.as_str()),
                    (token.info.id.as_str(), "dev")
                );
                assert_eq!(info.operation, "OperationTypeApply");
            }
            other => panic!("expected the lock to be held: {other:?}"),
        }
        assert_eq!(release(b.as_ref(), &token).await.unwrap(), None);
        assert!(b.read_lock().await.unwrap().is_none());
        let again = acquire(b.as_ref(), Operation::Plan, "dev", Duration::ZERO).await;
        assert!(again.is_ok(), "free once released");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lock_timeout_waits_for_the_holder_to_finish() {
        let b = backend();
        let token = acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        let holder = b.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(20)).await;
            release(holder.as_ref(), &token).await.unwrap();
        });
        let started = Instant::now();
        let err = acquire(b.as_ref(), Operation::Plan, "dev", Duration::from_secs(5)).await;
        assert!(matches!(err, Err(StateError::Locked { .. })));
        assert!(started.elapsed() >= Duration::from_secs(5));
        let got = acquire(b.as_ref(), Operation::Plan, "dev", Duration::from_secs(60)).await;
        assert!(got.is_ok(), "taken once the holder released it");
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "backoff stays under 16 s"
        );
    }

    #[tokio::test]
    async fn a_lock_that_was_replaced_is_not_released_by_its_old_holder() {
        let b = backend();
        let token = acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        force_unlock(b.as_ref(), &token.info.id).await.unwrap();
        let other = acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        let msg = release(b.as_ref(), &token).await.unwrap().unwrap();
        assert!(
            msg.contains(&other.info.id) && msg.contains("left in place"),
            "{msg}"
        );
        assert_eq!(b.read_lock().await.unwrap().unwrap().0.id, other.info.id);
    }

    #[tokio::test]
    async fn force_unlock_needs_the_lock_s_own_id() {
        let b = backend();
        let token = acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        let err = force_unlock(b.as_ref(), "not-it").await.unwrap_err();
        assert!(matches!(err, StateError::UnlockMismatch { .. }), "{err}");
        assert!(b.read_lock().await.unwrap().is_some());
        assert_eq!(
            force_unlock(b.as_ref(), &token.info.id).await.unwrap().id,
            token.info.id
        );
        assert!(
            force_unlock(b.as_ref(), &token.info.id).await.is_err(),
            "no lock left"
        );
    }
}
