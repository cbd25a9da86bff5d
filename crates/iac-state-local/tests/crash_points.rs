//! A crash at every step of `write_snapshot` leaves a loadable store that
//! has lost nothing acknowledged, and the next write succeeds.

use std::fs;

use iac_core::backend::{SnapshotMeta, StateBackend, StateError};
use iac_state_local::{CrashPoint, LocalBackend};

fn meta(serial: u64) -> SnapshotMeta {
    SnapshotMeta { lineage: "L".into(), serial }
}

fn snap(serial: u64) -> Vec<u8> {
    format!("{{\"lineage\":\"L\",\"serial\":{serial}}}").into_bytes()
}

const POINTS: [CrashPoint; 5] =
    [CrashPoint::AfterPreservingCurrent, CrashPoint::MidTempWrite, CrashPoint::BeforeRename, CrashPoint::AfterRename, CrashPoint::BeforePrune];

#[tokio::test]
async fn a_crash_at_any_step_leaves_a_loadable_store() {
    for point in POINTS {
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path().join("stack");
        let b = LocalBackend::new(dir.clone());
        b.write_snapshot(&meta(1), &snap(1)).await.expect("write 1");
        let old_journal = vec![b"{\"op\":\"begin\",\"lineage\":\"L\",\"serial\":1}".to_vec(), b"rec".to_vec()];
        b.append(&old_journal).await.expect("append");

        LocalBackend::new(dir.clone()).write_snapshot_crashing_at(&meta(2), &snap(2), point).await.expect("crashing write");

        let after = LocalBackend::new(dir.clone());
        let s = after.load().await.unwrap_or_else(|e| panic!("{point:?}: load failed: {e}"));
        let committed = matches!(point, CrashPoint::AfterRename | CrashPoint::BeforePrune);
        if committed {
            assert_eq!(s.snapshot.as_deref(), Some(&snap(2)[..]), "{point:?}");
            assert_eq!(s.meta, Some(meta(2)), "{point:?}");
            // Old records may survive the commit; the engine skips them by
            // their Begin. Nothing else may appear.
            assert!(s.journal.is_empty() || s.journal == old_journal, "{point:?}: {:?}", s.journal);
        } else {
            assert_eq!(s.snapshot.as_deref(), Some(&snap(1)[..]), "{point:?}");
            assert_eq!(s.meta, Some(meta(1)), "{point:?}");
            assert_eq!(s.journal, old_journal, "{point:?}");
        }
        assert!(!s.torn_tail, "{point:?}");

        let h: Vec<u64> = after.history().await.expect("history").iter().map(|v| v.serial).collect();
        assert_eq!(h, if committed { vec![2, 1] } else { vec![1] }, "{point:?}: history");

        // The store carries on: the interrupted (or completed) write is followed by another.
        let next = if committed { 3 } else { 2 };
        after.write_snapshot(&meta(next), &snap(next)).await.unwrap_or_else(|e| panic!("{point:?}: next write failed: {e}"));
        let s = after.load().await.expect("load");
        assert_eq!((s.snapshot, s.meta, s.journal.len()), (Some(snap(next)), Some(meta(next)), 0), "{point:?}");
        assert!(!dir.join(".state.json.tmp").exists(), "{point:?}: temp file left behind after a clean write");
    }
}

#[tokio::test]
async fn a_corrupt_snapshot_is_never_replaced() {
    let t = tempfile::tempdir().expect("tempdir");
    let b = LocalBackend::new(t.path().to_path_buf());
    b.write_snapshot(&meta(1), &snap(1)).await.expect("write");
    let state = t.path().join("state.json");
    let mut bytes = fs::read(&state).expect("read");
    let n = bytes.len();
    bytes[n - 2] ^= 0x01;
    fs::write(&state, &bytes).expect("damage");
    match b.write_snapshot(&meta(2), &snap(2)).await {
        Err(StateError::Corrupt { what, .. }) => assert!(what.ends_with("state.json"), "{what}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(fs::read(&state).expect("read"), bytes, "the damaged file is left for the operator");
}
