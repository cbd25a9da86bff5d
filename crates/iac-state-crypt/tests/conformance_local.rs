//! The shared StateBackend conformance suite, run against a local backend
//! wrapped in `EncryptedBackend`: encryption must not weaken any guarantee.
//! Damage is done to the files as in the local backend's own run; the crash
//! hook seals the snapshot first, as the decorator would have.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use iac_core::backend::{SnapshotMeta, StateBackend};
use iac_state_crypt::{EncryptedBackend, KeySource, Keyring, Purpose};
use iac_state_local::{CrashPoint, LocalBackend, HISTORY_KEEP};
use iac_testkit::conformance::state_backend::{BackendFactory, Corruption};

struct EncryptedLocalFactory {
    root: tempfile::TempDir,
    next: AtomicUsize,
    dirs: Mutex<HashMap<String, PathBuf>>,
    keys: Arc<Keyring>,
}

impl EncryptedLocalFactory {
    fn new() -> EncryptedLocalFactory {
        let keys = Arc::new(Keyring::new(Some(KeySource::Raw(zeroize::Zeroizing::new([9; 32]))), vec![]));
        EncryptedLocalFactory { root: tempfile::tempdir().expect("tempdir"), next: AtomicUsize::new(0), dirs: Mutex::new(HashMap::new()), keys }
    }

    fn wrap(&self, dir: PathBuf) -> Box<dyn StateBackend> {
        Box::new(EncryptedBackend::new(Arc::new(LocalBackend::new(dir)), self.keys.clone()))
    }

    fn dir_of(&self, b: &dyn StateBackend) -> PathBuf {
        self.dirs.lock().expect("dirs").get(&b.describe()).cloned().expect("a store made by this factory")
    }
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) -> bool {
    let Ok(mut bytes) = fs::read(path) else {
        return false;
    };
    f(&mut bytes);
    fs::write(path, bytes).is_ok()
}

#[async_trait]
impl BackendFactory for EncryptedLocalFactory {
    async fn fresh(&self) -> Box<dyn StateBackend> {
        let dir = self.root.path().join(format!("stack-{}", self.next.fetch_add(1, Ordering::Relaxed)));
        let b = self.wrap(dir.clone());
        self.dirs.lock().expect("dirs").insert(b.describe(), dir);
        b
    }

    async fn reopen(&self, of: &dyn StateBackend) -> Box<dyn StateBackend> {
        self.wrap(self.dir_of(of))
    }

    async fn corrupt(&self, of: &dyn StateBackend, what: Corruption) -> bool {
        let dir = self.dir_of(of);
        let (state, journal) = (dir.join("state.json"), dir.join("journal.log"));
        match what {
            Corruption::SnapshotBytesChanged => edit(&state, |b| {
                let at = b.len() - 3;
                b[at] ^= 0x04;
            }),
            Corruption::SnapshotTruncated => edit(&state, |b| b.truncate(b.len() * 2 / 3)),
            Corruption::JournalTornTail => edit(&journal, |b| b.truncate(b.len() - 5)),
            Corruption::JournalFirstRecordChanged => edit(&journal, |b| {
                let sp = b.iter().position(|&c| c == b' ').unwrap_or(0);
                b[sp + 12] ^= 0x01;
            }),
        }
    }

    async fn crash_during_write_snapshot(&self, of: &dyn StateBackend, meta: &SnapshotMeta, bytes: &[u8]) -> bool {
        let Ok(sealed) = self.keys.seal(Purpose::Snapshot, bytes) else {
            return false;
        };
        LocalBackend::new(self.dir_of(of)).write_snapshot_crashing_at(meta, &sealed, CrashPoint::MidTempWrite).await.is_ok()
    }

    fn history_limit(&self) -> Option<usize> {
        Some(HISTORY_KEEP)
    }
}

iac_testkit::state_backend_conformance!(EncryptedLocalFactory::new());
