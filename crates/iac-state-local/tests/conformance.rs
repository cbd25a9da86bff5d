//! The shared StateBackend conformance suite, run against `LocalBackend`
//! over temporary directories, with every fault hook implemented by editing
//! the files directly (or, for a crash mid-write, by the backend's own
//! fault injection).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use iac_core::backend::{SnapshotMeta, StateBackend};
use iac_state_local::{CrashPoint, LocalBackend, HISTORY_KEEP};
use iac_testkit::conformance::state_backend::{BackendFactory, Corruption};

struct LocalFactory {
    root: tempfile::TempDir,
    next: AtomicUsize,
    /// Store directories by `describe()`, which names the directory.
    dirs: Mutex<HashMap<String, PathBuf>>,
}

impl LocalFactory {
    fn new() -> LocalFactory {
        LocalFactory { root: tempfile::tempdir().expect("tempdir"), next: AtomicUsize::new(0), dirs: Mutex::new(HashMap::new()) }
    }

    fn dir_of(&self, b: &dyn StateBackend) -> PathBuf {
        self.dirs.lock().expect("dirs").get(&b.describe()).cloned().expect("a store made by this factory")
    }
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) -> bool {
    let Ok(mut bytes) = fs::read(path) else { return false };
    f(&mut bytes);
    fs::write(path, bytes).is_ok()
}

/// The offset of the first record's payload: after `<len> <crc32> `.
fn first_payload(journal: &[u8]) -> Option<usize> {
    let sp = journal.iter().position(|&b| b == b' ')?;
    Some(sp + 1 + 8 + 1)
}

#[async_trait]
impl BackendFactory for LocalFactory {
    async fn fresh(&self) -> Box<dyn StateBackend> {
        // Nested and not yet existing: the backend creates it.
        let dir = self.root.path().join("state").join(format!("stack-{}", self.next.fetch_add(1, Ordering::Relaxed)));
        let b = LocalBackend::new(dir.clone());
        self.dirs.lock().expect("dirs").insert(b.describe(), dir);
        Box::new(b)
    }

    async fn reopen(&self, of: &dyn StateBackend) -> Box<dyn StateBackend> {
        Box::new(LocalBackend::new(self.dir_of(of)))
    }

    async fn corrupt(&self, of: &dyn StateBackend, what: Corruption) -> bool {
        let dir = self.dir_of(of);
        let (state, journal) = (dir.join("state.json"), dir.join("journal.log"));
        match what {
            Corruption::SnapshotBytesChanged => edit(&state, |b| {
                let last = b.len() - 3;
                b[last] ^= 0x04;
            }),
            Corruption::SnapshotTruncated => edit(&state, |b| b.truncate(b.len() * 2 / 3)),
            Corruption::JournalTornTail => edit(&journal, |b| b.truncate(b.len() - 5)),
            Corruption::JournalFirstRecordChanged => edit(&journal, |b| {
                if let Some(p) = first_payload(b) {
                    b[p + 1] ^= 0x01;
                }
            }),
        }
    }

    async fn crash_during_write_snapshot(&self, of: &dyn StateBackend, meta: &SnapshotMeta, bytes: &[u8]) -> bool {
        // A separate handle, as the crashing process would have had.
        LocalBackend::new(self.dir_of(of)).write_snapshot_crashing_at(meta, bytes, CrashPoint::MidTempWrite).await.is_ok()
    }

    fn history_limit(&self) -> Option<usize> {
        Some(HISTORY_KEEP)
    }
}

iac_testkit::state_backend_conformance!(LocalFactory::new());

/// `run_all` reports every case, and none is skipped for the local backend:
/// all of its hooks are implemented.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_runs_and_passes() {
    use iac_testkit::conformance::state_backend::{run_all, Case, Outcome};
    let reports = run_all(&LocalFactory::new()).await;
    assert_eq!(reports.iter().map(|r| r.case).collect::<Vec<_>>(), Case::ALL);
    for r in reports {
        assert_eq!(r.outcome, Outcome::Passed, "{}", r.case.name());
    }
}

/// The suite can fail: a backend that ignores serials and lineage is caught.
#[tokio::test]
async fn the_suite_catches_a_broken_backend() {
    use iac_core::backend::{LockInfo, StateError, Stored, VersionInfo};
    use iac_testkit::conformance::state_backend::{run_case, Case, Outcome};

    /// Delegates to a LocalBackend but writes snapshots without any checks.
    struct Careless(LocalBackend, PathBuf);
    #[async_trait]
    impl StateBackend for Careless {
        fn describe(&self) -> String {
            self.0.describe()
        }
        async fn try_lock(&self, i: &LockInfo) -> Result<(), StateError> {
            self.0.try_lock(i).await
        }
        async fn unlock(&self, id: &str) -> Result<(), StateError> {
            self.0.force_unlock(id).await
        }
        async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
            self.0.force_unlock(id).await
        }
        async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
            self.0.lock_holder().await
        }
        async fn load(&self) -> Result<Stored, StateError> {
            self.0.load().await
        }
        async fn append(&self, r: &[Vec<u8>]) -> Result<(), StateError> {
            self.0.append(r).await
        }
        async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
            let _ = fs::remove_dir_all(&self.1);
            self.0.write_snapshot(meta, bytes).await
        }
        async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
            self.0.history().await
        }
        async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
            self.0.load_version(id).await
        }
    }
    struct CarelessFactory(LocalFactory);
    #[async_trait]
    impl BackendFactory for CarelessFactory {
        async fn fresh(&self) -> Box<dyn StateBackend> {
            let b = self.0.fresh().await;
            let dir = self.0.dir_of(&*b);
            Box::new(Careless(LocalBackend::new(dir.clone()), dir))
        }
        async fn reopen(&self, of: &dyn StateBackend) -> Box<dyn StateBackend> {
            let dir = self.0.dir_of(of);
            Box::new(Careless(LocalBackend::new(dir.clone()), dir))
        }
    }

    let f = CarelessFactory(LocalFactory::new());
    for case in [Case::LineageMismatchRefused, Case::SerialNotIncreasingRefused, Case::HistoryNewestFirst] {
        assert!(matches!(run_case(&f, case).await, Outcome::Failed(_)), "{} should fail", case.name());
    }
    assert!(matches!(run_case(&f, Case::TornJournalTail).await, Outcome::Skipped(_)), "no hook, so skipped");
    assert_eq!(run_case(&f, Case::EmptyLoad).await, Outcome::Passed);
}
