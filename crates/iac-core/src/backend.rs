//! The state backend protocol. Backends store opaque bytes (a snapshot and
//! journal records) so that encoding and encryption stay in one place above
//! them; they own atomicity, locking, history, and corruption detection.
//! Waiting for a lock with a timeout is the engine's job, not each backend's.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who holds a lock, recorded with it and shown to whoever waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: String,
    pub operation: String,
    pub who: String,
    pub host: String,
    pub pid: u32,
    /// RFC 3339 time the lock was taken.
    pub created: String,
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lock {} held by {}@{} (pid {}) for {} since {}", self.id, self.who, self.host, self.pid, self.operation, self.created)
    }
}

/// The identity of a snapshot; a backend refuses to replace a snapshot of
/// another lineage, or with a serial that does not increase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    pub lineage: String,
    pub serial: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    pub snapshot: Option<Vec<u8>>,
    pub meta: Option<SnapshotMeta>,
    /// Journal records appended since the snapshot, in order.
    pub journal: Vec<Vec<u8>>,
    /// A torn final journal record (a crash mid-append) that was dropped;
    /// it was never acknowledged, so nothing reported as done is lost.
    pub torn_tail: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub id: String,
    pub serial: u64,
    pub lineage: String,
    pub created: String,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state is locked: {0}")]
    /// Boxed: a `LockInfo` would make every `Result<_, StateError>` large.
    Locked(Box<LockInfo>),
    #[error("no lock with id {0} is held")]
    LockNotHeld(String),
    #[error("state conflict: {0}")]
    Conflict(String),
    #[error("state is corrupted: {what}: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("no state version {0}")]
    NoSuchVersion(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Backend(String),
}

#[async_trait]
pub trait StateBackend: Send + Sync {
    /// A human description (`local state at state/web`).
    fn describe(&self) -> String;

    /// Takes the lock once, without waiting: Err(Locked(holder)) if held.
    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError>;
    /// Releases a lock this process holds.
    async fn unlock(&self, id: &str) -> Result<(), StateError>;
    /// Releases a lock whoever holds it, if its id matches.
    async fn force_unlock(&self, id: &str) -> Result<(), StateError>;
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError>;

    /// Reads the snapshot and the journal after it.
    async fn load(&self) -> Result<Stored, StateError>;
    /// Appends journal records; they are durable when this returns.
    async fn append(&self, records: &[Vec<u8>]) -> Result<(), StateError>;
    /// Atomically replaces the snapshot and clears the journal, keeping the
    /// previous snapshot in history.
    async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError>;
    /// Snapshot versions, newest first.
    async fn history(&self) -> Result<Vec<VersionInfo>, StateError>;
    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError>;
}
