//! The default, embedded state backend: a stack's state as files in one
//! directory (usually `<repo>/state/<stack>/`), created on first write with
//! mode 0700; every file in it has mode 0600.
//!
//! It owns, for that directory: atomic replacement of the snapshot together
//! with its meta, the append-only journal and its framing, the lock file,
//! the history of previous snapshots, and detecting damage to any of them.
//! Snapshot and journal bytes are opaque here; encoding them is the
//! engine's business.
//!
//! # On-disk layout
//!
//! ```text
//! state/<stack>/
//!   state.json                 header line (meta, size, crc32) + snapshot bytes
//!   journal.log                framed records: `<len> <crc32> <payload>\n`
//!   lock.json                  the holder's LockInfo, present while locked
//!   history/state.<serial>.json  previous snapshots (same envelope), newest 10
//!   .state.json.tmp            transient: a snapshot being written
//! ```
//!
//! `state.json` starts with one line of JSON, `{"format":"iac-local-state/1",
//! "lineage":…,"serial":…,"created":…,"size":…,"crc32":…}`, followed by
//! exactly `size` snapshot bytes (`tail -n +2 state.json` prints them).
//!
//! # Crash safety
//!
//! - A snapshot and its meta are one file, replaced by write-temp, fsync,
//!   rename, fsync-directory: a reader sees the old file or the new, whole.
//!   The checksum covers meta and bytes, so a damaged or truncated file is
//!   reported as `Corrupt`, never loaded or silently replaced.
//! - A journal append is one write of all records, then fsync; it is durable
//!   when `append` returns. A crash mid-append can only leave a torn *final*
//!   record, which was never acknowledged: `load` drops it and sets
//!   `torn_tail`, and the next `append` cuts it off before writing. A bad
//!   record with valid records after it is damage, and is `Corrupt`.
//! - `write_snapshot` orders its steps so a crash at any point leaves a
//!   loadable state with nothing acknowledged lost; the argument is in
//!   `write.rs`.
//! - Locks are taken by an atomic exclusive link of a complete lock file, so
//!   a competitor always reads the winner's identity.
//!
//! All file IO runs on tokio's blocking pool (`spawn_blocking`); a
//! cancelled call still runs to completion, so a dropped future never
//! leaves a half-done operation behind.
//!
//! Readers need not hold the lock: `load` notices a snapshot committed
//! while it was reading and reads again. A reader racing an append may see
//! the appender's final record half-written, reported as a torn tail.
//!
//! Architecture Invariant: this crate depends on `iac-core` only; it must
//! not depend on the engine, the parser, or any provider.

#![deny(missing_docs)]

mod atomic;
mod crc32;
mod history;
mod journal;
mod layout;
mod lock;
mod snapshot;
mod time;
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError, Stored, VersionInfo};

#[cfg(feature = "fault-injection")]
pub use write::CrashPoint;

/// How many previous snapshots are kept in `history/` (the current one is
/// listed in addition).
pub const HISTORY_KEEP: usize = layout::HISTORY_KEEP;

/// Local state for one stack, in one directory.
#[derive(Clone)]
pub struct LocalBackend {
    inner: Arc<Inner>,
}

struct Inner {
    layout: layout::Layout,
    /// The journal length this handle last knew to end on a record boundary;
    /// the mutex also serialises this handle's appends and snapshot writes.
    clean_end: Mutex<Option<u64>>,
}

impl LocalBackend {
    /// A backend over `dir`, the stack's state directory. Nothing is read or
    /// created until the first operation; the directory is made on first
    /// write or lock.
    pub fn new(dir: PathBuf) -> LocalBackend {
        LocalBackend { inner: Arc::new(Inner { layout: layout::Layout::new(dir), clean_end: Mutex::new(None) }) }
    }

    /// The directory holding this stack's state.
    pub fn dir(&self) -> &Path {
        self.inner.layout.dir()
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StateError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| StateError::Backend(format!("local state task for {} failed: {e}", self.dir().display())))?
    }

    async fn write_snapshot_at(&self, meta: &SnapshotMeta, bytes: &[u8], crash: Option<write::CrashPoint>) -> Result<(), StateError> {
        let envelope = snapshot::encode(meta, time::now_rfc3339(), bytes);
        let meta = meta.clone();
        self.blocking(move |i| {
            let mut clean_end = i.clean_end.lock().unwrap_or_else(|p| p.into_inner());
            write::write_snapshot(&i.layout, &mut clean_end, &meta, &envelope, crash)
        })
        .await
    }

    /// Runs `write_snapshot` but stops after `at`, leaving the files as a
    /// crash at that step would. Test support for crash-safety tests.
    #[cfg(feature = "fault-injection")]
    pub async fn write_snapshot_crashing_at(&self, meta: &SnapshotMeta, bytes: &[u8], at: CrashPoint) -> Result<(), StateError> {
        self.write_snapshot_at(meta, bytes, Some(at)).await
    }
}

/// Reads of snapshot + journal retried when a snapshot is committed meanwhile.
const LOAD_ATTEMPTS: usize = 5;

/// Enough of a file's identity to notice it was replaced or rewritten.
#[derive(PartialEq, Eq)]
struct FileStamp(Option<(u64, Option<std::time::SystemTime>, u64)>);

impl FileStamp {
    fn of(path: &Path) -> FileStamp {
        FileStamp(std::fs::metadata(path).ok().map(|m| {
            #[cfg(unix)]
            let ino = std::os::unix::fs::MetadataExt::ino(&m);
            #[cfg(not(unix))]
            let ino = 0;
            (m.len(), m.modified().ok(), ino)
        }))
    }
}

impl std::fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBackend").field("dir", &self.dir()).finish()
    }
}

#[async_trait]
impl StateBackend for LocalBackend {
    fn describe(&self) -> String {
        format!("local state at {}", self.dir().display())
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let info = info.clone();
        self.blocking(move |i| lock::try_lock(&i.layout, &info)).await
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let id = id.to_string();
        self.blocking(move |i| lock::unlock(&i.layout, &id, false)).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let id = id.to_string();
        self.blocking(move |i| lock::unlock(&i.layout, &id, true)).await
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.blocking(|i| lock::holder(&i.layout)).await
    }

    async fn load(&self) -> Result<Stored, StateError> {
        self.blocking(|i| {
            // The snapshot and the journal are read one after the other; if
            // another process committed a snapshot in between, the pair may
            // not belong together (the old snapshot with an already cleared
            // journal), so read again.
            for _ in 0..LOAD_ATTEMPTS {
                let before = FileStamp::of(&i.layout.state());
                let snap = snapshot::read(&i.layout.state())?;
                let (journal, torn_tail) = journal::load(&i.layout.journal())?;
                if FileStamp::of(&i.layout.state()) != before {
                    continue;
                }
                let (snapshot, meta) = match snap {
                    Some(s) => (Some(s.body), Some(s.header.meta())),
                    None => (None, None),
                };
                return Ok(Stored { snapshot, meta, journal, torn_tail });
            }
            Err(StateError::Backend(format!("{} kept changing while it was read; is another process writing it without the lock?", i.layout.state().display())))
        })
        .await
    }

    async fn append(&self, records: &[Vec<u8>]) -> Result<(), StateError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch = journal::encode_batch(records);
        self.blocking(move |i| {
            i.layout.ensure_dir()?;
            let mut clean_end = i.clean_end.lock().unwrap_or_else(|p| p.into_inner());
            journal::append(&i.layout.journal(), i.layout.dir(), &batch, &mut clean_end)
        })
        .await
    }

    async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        self.write_snapshot_at(meta, bytes, None).await
    }

    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        self.blocking(|i| history::list(&i.layout)).await
    }

    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        let id = id.to_string();
        self.blocking(move |i| history::load_version(&i.layout, &id)).await
    }
}
