//! State migration: one backend's state copied into another under both
//! locks, then read back and compared (`iac init -migrate-state`). The
//! source is never changed, so an interrupted migration loses nothing; a
//! target already holding this exact copy (a run stopped after writing it)
//! is checked rather than refused.

use std::time::Duration;

use iac_core::backend::{StateBackend, Stored};

use crate::error::EngineError;
use crate::run::EventSink;
use crate::statemgr::{self, LockWait};

/// What a migration copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migrated {
    /// The serial of the snapshot copied, if there was one.
    pub serial: Option<u64>,
    /// The journal records copied.
    pub records: usize,
}

/// Copies `from`'s snapshot and journal to the empty `to`, holding both
/// locks (`from`'s first, each waited for up to `timeout`, lock waits
/// reported through `events`), then reads `to` back and compares. Refuses a
/// `from` without state and a `to` holding other state.
pub async fn migrate_state(
    from: &dyn StateBackend,
    to: &dyn StateBackend,
    timeout: Duration,
    lock_wait: &LockWait,
    events: Option<&EventSink>,
) -> Result<Migrated, EngineError> {
    let from_lock = statemgr::lock(from, "migrate state", timeout, lock_wait, events).await?;
    let result = async {
        let to_lock = statemgr::lock(to, "migrate state", timeout, lock_wait, events).await?;
        let copied = copy(from, to).await;
        let unlocked = to.unlock(&to_lock.id).await;
        let copied = copied?;
        unlocked?;
        Ok::<Migrated, EngineError>(copied)
    }
    .await;
    let unlocked = from.unlock(&from_lock.id).await;
    let migrated = result?;
    unlocked?;
    Ok(migrated)
}

/// True when a backend holds any state (a snapshot or journal records).
pub fn has_state(s: &Stored) -> bool {
    s.snapshot.is_some() || !s.journal.is_empty()
}

async fn copy(from: &dyn StateBackend, to: &dyn StateBackend) -> Result<Migrated, EngineError> {
    let source = from.load().await?;
    if !has_state(&source) {
        return Err(EngineError::Invalid(format!("{} holds no state to migrate", from.describe())));
    }
    let existing = to.load().await?;
    let identical = existing.meta == source.meta && existing.snapshot == source.snapshot && existing.journal == source.journal;
    if has_state(&existing) && identical {
        // An earlier run wrote this copy and was stopped before it finished
        // (snapshots are written atomically, so it is whole): check it below.
        tracing::info!(to = %to.describe(), "the state was already copied by an interrupted migration");
    } else if has_state(&existing) {
        let what = existing.meta.as_ref().map_or_else(|| "journal records".to_string(), |m| format!("lineage {}, serial {}", m.lineage, m.serial));
        return Err(EngineError::Invalid(format!("{} already holds state ({what}); refusing to overwrite it with {}", to.describe(), from.describe())));
    }
    if !identical {
        if let (Some(meta), Some(snapshot)) = (&source.meta, &source.snapshot) {
            to.write_snapshot(meta, snapshot).await?;
        }
        if !source.journal.is_empty() {
            to.append(&source.journal).await?;
        }
    }
    let copy = to.load().await?;
    if copy.snapshot != source.snapshot || copy.meta != source.meta || copy.journal != source.journal {
        return Err(EngineError::Invalid(format!(
            "the copy in {} does not read back as the state of {}; the old state is untouched",
            to.describe(),
            from.describe()
        )));
    }
    Ok(Migrated { serial: source.meta.map(|m| m.serial), records: source.journal.len() })
}

#[cfg(test)]
mod tests {
    use iac_core::backend::SnapshotMeta;
    use iac_state_local::LocalBackend;

    use super::*;

    async fn migrate(from: &LocalBackend, to: &LocalBackend) -> Result<Migrated, EngineError> {
        migrate_state(from, to, Duration::from_secs(1), &LockWait::default(), None).await
    }

    #[tokio::test]
    async fn copies_checks_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (from, to, other) = (LocalBackend::new(dir.path().join("a")), LocalBackend::new(dir.path().join("b")), LocalBackend::new(dir.path().join("c")));
        let err = migrate(&from, &to).await.expect_err("nothing to migrate");
        assert!(err.to_string().contains("holds no state to migrate"), "{err}");

        let meta = SnapshotMeta { lineage: "l".into(), serial: 3 };
        from.write_snapshot(&meta, b"{}").await.expect("snapshot");
        from.append(&[b"{\"seq\":0}".to_vec()]).await.expect("append");
        assert_eq!(migrate(&from, &to).await.expect("migrates"), Migrated { serial: Some(3), records: 1 });
        let (a, b) = (from.load().await.expect("load"), to.load().await.expect("load"));
        assert_eq!((a.meta, a.snapshot, a.journal), (b.meta, b.snapshot, b.journal));
        // The same copy again (an interrupted run) is checked, not refused.
        assert_eq!(migrate(&from, &to).await.expect("checks").records, 1);

        other.write_snapshot(&SnapshotMeta { lineage: "m".into(), serial: 1 }, b"{}").await.expect("snapshot");
        let err = migrate(&from, &other).await.expect_err("refuses");
        assert!(err.to_string().contains("already holds state (lineage m, serial 1)"), "{err}");
        // Both locks were released.
        assert!(migrate(&from, &to).await.is_ok());
    }
}
