//! State in a local file, for experiments: the same guarantees as S3 with
//! an exclusive lock file (`{path}.tflock`, created only if absent) and
//! writes that check the file is still the version last read.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::StateError;
use super::backend::{Backend, Contended, Etag, LockToken};
use super::lock::LockInfo;

pub struct LocalBackend {
    path: PathBuf,
    lock: PathBuf,
}

impl LocalBackend {
    pub fn new(path: &Path) -> Self {
        let mut lock = path.as_os_str().to_owned();
        lock.push(".tflock");
        LocalBackend {
            path: path.to_path_buf(),
            lock: lock.into(),
        }
    }

    fn io(&self, what: &str, p: &Path, e: std::io::Error) -> StateError {
        StateError::Local(format!("{what} {}: {e}", p.display()))
    }
}

fn etag(bytes: &[u8]) -> Etag {
    Etag(format!("{:x}", Sha256::digest(bytes)))
}

fn read_opt(p: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn lock_path(&self) -> String {
        self.path.display().to_string()
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<Result<LockToken, Contended>, StateError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.io("cannot create", dir, e))?;
        }
        let body = info.to_bytes();
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.lock)
        {
            Ok(mut f) => {
                f.write_all(&body)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| self.io("cannot write", &self.lock, e))?;
                Ok(Ok(LockToken {
                    info: info.clone(),
                    etag: etag(&body),
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Err(Contended::Held(
                self.read_lock().await?.map(|(i, _)| i),
            ))),
            Err(e) => Err(self.io("cannot create", &self.lock, e)),
        }
    }

    async fn read_lock(&self) -> Result<Option<(LockInfo, Etag)>, StateError> {
        let Some(body) = read_opt(&self.lock).map_err(|e| self.io("cannot read", &self.lock, e))?
        else {
            return Ok(None);
        };
        let info = serde_json::from_slice(&body).map_err(|e| StateError::BadLock {
            location: self.lock.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Some((info, etag(&body))))
    }

    async fn delete_lock(&self, expected: &Etag) -> Result<bool, StateError> {
        // Holders serialise through the lock itself; this compare-then-remove
        // only guards against removing a lock someone else took since.
        match read_opt(&self.lock).map_err(|e| self.io("cannot read", &self.lock, e))? {
            Some(body) if etag(&body) == *expected => {
                std::fs::remove_file(&self.lock)
                    .map_err(|e| self.io("cannot remove", &self.lock, e))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn read(&self) -> Result<Option<(Vec<u8>, Etag)>, StateError> {
        let b = read_opt(&self.path).map_err(|e| self.io("cannot read", &self.path, e))?;
        Ok(b.map(|b| {
            let t = etag(&b);
            (b, t)
        }))
    }

    async fn write(&self, bytes: &[u8], expected: Option<&Etag>) -> Result<Etag, StateError> {
        let current = read_opt(&self.path).map_err(|e| self.io("cannot read", &self.path, e))?;
        if current.as_deref().map(etag).as_ref() != expected {
            return Err(StateError::Stale {
                location: self.location(),
            });
        }
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, bytes).map_err(|e| self.io("cannot write", &tmp, e))?;
        // Rename is atomic: readers see the old or the new document, never half.
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io("cannot replace", &self.path, e))?;
        Ok(etag(bytes))
    }

    fn recovery_hint(&self) -> String {
        format!(
            "restore {} from your backup (local state keeps no versions)",
            self.path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::state::{self, Operation, StateError, Store};

    #[tokio::test]
    async fn one_holder_and_no_lost_update() {
        let dir = tempfile::tempdir().unwrap();
        let b: Arc<dyn Backend> = Arc::new(LocalBackend::new(&dir.path().join("s/dev.tfstate")));
        let token = state::acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        match state::acquire(b.as_ref(), Operation::Plan, "dev", Duration::ZERO).await {
            Err(StateError::Locked { info, .. }) => assert_eq!(info.id, token.info.id),
            other => panic!("expected the lock to be held: {other:?}"),
        }
        let mut a = Store::load(b.clone()).await.unwrap();
        let mut c = Store::load(b.clone()).await.unwrap();
        a.persist().await.unwrap();
        assert!(
            matches!(c.persist().await, Err(StateError::Stale { .. })),
            "the second writer read an older version"
        );
        assert_eq!(Store::load(b.clone()).await.unwrap().state.serial, 1);
        assert_eq!(state::release(b.as_ref(), &token).await.unwrap(), None);
        assert!(b.read_lock().await.unwrap().is_none());
        // A wrong ID never removes a lock.
        let t2 = state::acquire(b.as_ref(), Operation::Apply, "dev", Duration::ZERO)
            .await
            .unwrap();
        assert!(state::force_unlock(b.as_ref(), "nope").await.is_err());
        assert_eq!(
            state::force_unlock(b.as_ref(), &t2.info.id)
                .await
                .unwrap()
                .id,
            t2.info.id
        );
    }
}
