//! Where state and its lock live. Two implementations: an S3 object with a
//! lock object beside it, and a local file with a lock file beside it; both
//! give the same guarantees (exclusive lock, conditional writes).

use async_trait::async_trait;

use super::StateError;
use super::lock::LockInfo;

/// An opaque version of a stored object (S3 ETag, or a content hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Etag(pub String);

/// Proof of holding the lock: what we wrote and its version.
#[derive(Debug, Clone)]
pub struct LockToken {
    pub info: LockInfo,
    pub etag: Etag,
}

/// Why one attempt to take the lock failed.
#[derive(Debug)]
pub enum Contended {
    /// Someone holds it (their lock body, when it could be read).
    Held(Option<LockInfo>),
    /// A racing writer: try again at once (S3 409 ConditionalRequestConflict).
    Conflict,
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// `s3://bucket/key` or the local path, for messages.
    fn location(&self) -> String;
    /// The `Path` recorded in lock bodies (`bucket/key`).
    fn lock_path(&self) -> String;
    /// One attempt to create the lock; never waits.
    async fn try_lock(&self, info: &LockInfo) -> Result<Result<LockToken, Contended>, StateError>;
    /// The current lock, if any, with its version.
    async fn read_lock(&self) -> Result<Option<(LockInfo, Etag)>, StateError>;
    /// Deletes the lock only if it is still at version `etag`. `Ok(false)`: it was not.
    async fn delete_lock(&self, etag: &Etag) -> Result<bool, StateError>;
    /// The state document and its version; `None` when there is none yet.
    async fn read(&self) -> Result<Option<(Vec<u8>, Etag)>, StateError>;
    /// Writes the state only if it is still at `expected` (`None`: only if absent).
    async fn write(&self, bytes: &[u8], expected: Option<&Etag>) -> Result<Etag, StateError>;
    /// How to get an earlier version back, for error messages.
    fn recovery_hint(&self) -> String;
}
