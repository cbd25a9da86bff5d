//! Replacing the snapshot: the one multi-file operation, and so the one
//! whose step order carries the crash-safety argument.
//!
//! 1. Read and verify the current snapshot; refuse (`Conflict`) another
//!    lineage or a serial that does not increase, and refuse (`Corrupt`) to
//!    replace a snapshot that cannot be verified.
//! 2. Preserve the current snapshot as `history/state.<serial>.json` (hard
//!    link + rename). A crash after this leaves an extra history entry that
//!    duplicates the current snapshot: listing skips it, the retry replaces it.
//! 3. Write the new envelope to `.state.json.tmp` and fsync it. A crash here
//!    leaves a partial temp file that nothing reads; the next write
//!    truncates and reuses it. `state.json` and `journal.log` are untouched.
//! 4. Rename it over `state.json` and fsync the directory: the commit
//!    point. Before it, a load sees the old snapshot with its whole journal;
//!    after it, the new snapshot.
//! 5. Truncate `journal.log`. A crash between 4 and 5 leaves the old
//!    snapshot's records behind the new snapshot; they are harmless, because
//!    the engine's journal starts with `Begin { lineage, serial }` and replay
//!    skips records whose `Begin` does not match the snapshot. Truncating
//!    *before* the commit would be wrong: a crash in between would pair the
//!    old snapshot with an empty journal and lose acknowledged operations.
//! 6. Prune `history/` to the newest entries. A crash leaves extra entries.
//!
//! Failures in steps 5 and 6 happen after the commit, so they are logged and
//! the write reports success: the snapshot is replaced, and an error would
//! invite a retry that must fail (its serial no longer increases).

use iac_core::backend::{SnapshotMeta, StateError};

use crate::atomic::{commit, write_temp};
use crate::layout::Layout;
use crate::{history, journal, snapshot};

/// A step of a snapshot write after which a simulated crash stops it
/// (test support; see `LocalBackend::write_snapshot_crashing_at`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub enum CrashPoint {
    /// The current snapshot has been preserved in `history/`.
    AfterPreservingCurrent,
    /// Half of the new envelope has reached the temp file.
    MidTempWrite,
    /// The temp file is complete and synced but not renamed.
    BeforeRename,
    /// The new snapshot is committed; the journal still holds old records.
    AfterRename,
    /// The journal is cleared; history is not pruned yet.
    BeforePrune,
}

pub(crate) fn write_snapshot(
    layout: &Layout,
    clean_end: &mut Option<u64>,
    meta: &SnapshotMeta,
    envelope: &[u8],
    crash: Option<CrashPoint>,
) -> Result<(), StateError> {
    let stop = |p: CrashPoint| crash == Some(p);
    layout.ensure_dir()?;

    // 1. Check the current snapshot.
    let current = snapshot::read(&layout.state())?;
    if let Some(cur) = &current {
        let h = &cur.header;
        if h.lineage != meta.lineage {
            return Err(StateError::Conflict(format!(
                "{} holds lineage {:?}, refusing to replace it with lineage {:?}",
                layout.state().display(),
                h.lineage,
                meta.lineage
            )));
        }
        if meta.serial <= h.serial {
            return Err(StateError::Conflict(format!(
                "{} is at serial {}, refusing to replace it with serial {} (serials must increase; another run may have written it)",
                layout.state().display(),
                h.serial,
                meta.serial
            )));
        }
    }

    // 2. Keep the current snapshot in history.
    if let Some(cur) = &current {
        history::preserve_current(layout, cur.header.serial)?;
    }
    if stop(CrashPoint::AfterPreservingCurrent) {
        return Ok(());
    }

    // 3. Write the new snapshot under the temp name.
    let tmp = layout.state_tmp();
    if stop(CrashPoint::MidTempWrite) {
        return write_temp(&tmp, &envelope[..envelope.len() / 2]);
    }
    write_temp(&tmp, envelope)?;
    if stop(CrashPoint::BeforeRename) {
        return Ok(());
    }

    // 4. Commit.
    commit(&tmp, &layout.state())?;
    if stop(CrashPoint::AfterRename) {
        return Ok(());
    }

    // 5. Clear the journal.
    match journal::clear(&layout.journal()) {
        Ok(()) => *clean_end = Some(0),
        Err(e) => {
            *clean_end = None;
            tracing::warn!(error = %e, "snapshot committed but the journal could not be cleared; its records are stale and will be skipped");
        }
    }
    if stop(CrashPoint::BeforePrune) {
        return Ok(());
    }

    // 6. Prune history.
    if let Err(e) = history::prune(layout, meta.serial) {
        tracing::warn!(error = %e, "snapshot committed but old history could not be pruned");
    }
    Ok(())
}
