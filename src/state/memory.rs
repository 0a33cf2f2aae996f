//! State and lock in memory, with the same compare-and-set rules as S3
//! (conditional create of the lock, writes conditional on the version
//! read): the backend of the fast tests, which counts its writes and lets
//! a test write behind a run's back.

use std::sync::Mutex;

use async_trait::async_trait;

use super::StateError;
use super::backend::{Backend, Contended, Etag, LockToken};
use super::lock::LockInfo;

#[derive(Default)]
pub struct MemoryBackend {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Option<(Vec<u8>, Etag)>,
    lock: Option<(Vec<u8>, Etag)>,
    versions: u64,
    writes: usize,
}

impl Inner {
    fn version(&mut self) -> Etag {
        self.versions += 1;
        Etag(format!("v{}", self.versions))
    }
}

impl MemoryBackend {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many state writes succeeded.
    pub fn writes(&self) -> usize {
        self.inner().writes
    }

    /// Someone else writes the state (a run after a forced unlock).
    pub fn overwrite(&self, bytes: &[u8]) {
        let mut i = self.inner();
        let v = i.version();
        i.state = Some((bytes.to_vec(), v));
    }

    /// The state document, if any.
    pub fn document(&self) -> Option<Vec<u8>> {
        self.inner().state.as_ref().map(|(b, _)| b.clone())
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    fn location(&self) -> String {
        "memory://state".into()
    }

    fn lock_path(&self) -> String {
        "memory/state".into()
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<Result<LockToken, Contended>, StateError> {
        let mut i = self.inner();
        if let Some((body, _)) = &i.lock {
            return Ok(Err(Contended::Held(serde_json::from_slice(body).ok())));
        }
        let etag = i.version();
        i.lock = Some((info.to_bytes(), etag.clone()));
        Ok(Ok(LockToken {
            info: info.clone(),
            etag,
        }))
    }

    async fn read_lock(&self) -> Result<Option<(LockInfo, Etag)>, StateError> {
        let i = self.inner();
        Ok(i.lock
            .as_ref()
            .and_then(|(body, etag)| Some((serde_json::from_slice(body).ok()?, etag.clone()))))
    }

    async fn delete_lock(&self, etag: &Etag) -> Result<bool, StateError> {
        let mut i = self.inner();
        match &i.lock {
            Some((_, current)) if current == etag => {
                i.lock = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn read(&self) -> Result<Option<(Vec<u8>, Etag)>, StateError> {
        Ok(self.inner().state.clone())
    }

    async fn write(&self, bytes: &[u8], expected: Option<&Etag>) -> Result<Etag, StateError> {
        let mut i = self.inner();
        if i.state.as_ref().map(|(_, e)| e) != expected {
            return Err(StateError::Stale {
                location: "memory://state".into(),
            });
        }
        let etag = i.version();
        i.state = Some((bytes.to_vec(), etag.clone()));
        i.writes += 1;
        Ok(etag)
    }

    fn recovery_hint(&self) -> String {
        "it is in memory: nothing to recover".into()
    }
}
