//! The documented on-disk layout, its permissions, and what is left behind.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError};
use iac_state_local::{LocalBackend, HISTORY_KEEP};

fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir).expect("ls").filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}

fn lock_info() -> LockInfo {
    LockInfo { id: "L1".into(), operation: "apply".into(), who: "ann".into(), host: "h".into(), pid: 1, created: "2024-01-01T00:00:00Z".into() }
}

#[tokio::test]
async fn files_are_where_the_docs_say_and_private() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().join("state").join("web");
    let b = LocalBackend::new(dir.clone());
    assert!(!dir.exists(), "nothing is created before it is needed");
    b.load().await.expect("load");
    b.history().await.expect("history");
    assert!(!dir.exists(), "reading creates nothing");

    b.try_lock(&lock_info()).await.expect("lock");
    let total = HISTORY_KEEP as u64 + 5;
    for serial in 1..=total {
        b.write_snapshot(&SnapshotMeta { lineage: "L".into(), serial }, format!("snapshot {serial}").as_bytes()).await.expect("write");
        b.append(&[b"record".to_vec()]).await.expect("append");
    }

    assert_eq!(names(&dir), ["history", "journal.log", "lock.json", "state.json"].map(String::from).into());
    let kept: BTreeSet<String> = (total - HISTORY_KEEP as u64..total).map(|s| format!("state.{s}.json")).collect();
    assert_eq!(names(&dir.join("history")), kept, "history keeps the newest {HISTORY_KEEP} previous snapshots");

    // state.json: one header line, then the snapshot bytes verbatim.
    let state = fs::read(dir.join("state.json")).expect("read");
    let nl = state.iter().position(|&b| b == b'\n').expect("header line");
    let header: serde_json::Value = serde_json::from_slice(&state[..nl]).expect("header is JSON");
    assert_eq!(header["serial"], serde_json::json!(total));
    assert_eq!(header["lineage"], "L");
    assert_eq!(&state[nl + 1..], format!("snapshot {total}").as_bytes());
    assert_eq!(fs::read(dir.join("journal.log")).expect("read"), b"6 9b349f91 record\n");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("history")), 0o700);
        for f in ["state.json", "journal.log", "lock.json"] {
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
        for f in names(&dir.join("history")) {
            assert_eq!(mode(&dir.join("history").join(&f)), 0o600, "history/{f}");
        }
    }
}

#[tokio::test]
async fn version_ids_are_serials_and_nothing_else() {
    let t = tempfile::tempdir().expect("tempdir");
    let b = LocalBackend::new(t.path().to_path_buf());
    for serial in [3, 8] {
        b.write_snapshot(&SnapshotMeta { lineage: "L".into(), serial }, format!("s{serial}").as_bytes()).await.expect("write");
    }
    let ids: Vec<String> = b.history().await.expect("history").into_iter().map(|v| v.id).collect();
    assert_eq!(ids, ["8", "3"]);
    assert_eq!(b.load_version("3").await.expect("v3"), b"s3");
    assert_eq!(b.load_version("8").await.expect("v8"), b"s8");
    fs::write(t.path().join("secret.json"), b"not state").expect("seed");
    for bad in ["5", "03", "../secret", "state.3", "", "-3", "3 "] {
        assert!(matches!(b.load_version(bad).await, Err(StateError::NoSuchVersion(_))), "{bad:?}");
    }
}

#[tokio::test]
async fn a_damaged_history_entry_is_reported_not_served() {
    let t = tempfile::tempdir().expect("tempdir");
    let b = LocalBackend::new(t.path().to_path_buf());
    for serial in [1, 2] {
        b.write_snapshot(&SnapshotMeta { lineage: "L".into(), serial }, b"{\"some\":\"state\"}").await.expect("write");
    }
    let old = t.path().join("history").join("state.1.json");
    let mut bytes = fs::read(&old).expect("read");
    let n = bytes.len();
    bytes[n - 3] ^= 0x01;
    fs::write(&old, bytes).expect("damage");
    assert!(matches!(b.load_version("1").await, Err(StateError::Corrupt { .. })));
    assert!(b.load().await.is_ok(), "the current snapshot is unaffected");
}
