//! `EncryptedBackend` over a local backend: what reaches the disk, reading
//! plain state for migration, missing and wrong keys, tampering, rekeying.

use std::sync::Arc;

use iac_core::backend::{SnapshotMeta, StateBackend, StateError};
use iac_state_crypt::{EncryptedBackend, KeySource, Keyring};
use iac_state_local::LocalBackend;

fn raw(b: u8) -> KeySource {
    KeySource::Raw(zeroize::Zeroizing::new([b; 32]))
}

fn meta(serial: u64) -> SnapshotMeta {
    SnapshotMeta { lineage: "L".into(), serial }
}

fn over(dir: &std::path::Path, keys: Keyring) -> EncryptedBackend {
    EncryptedBackend::new(Arc::new(LocalBackend::new(dir.to_path_buf())), Arc::new(keys))
}

fn disk(dir: &std::path::Path) -> Vec<u8> {
    ["state.json", "journal.log"].iter().flat_map(|f| std::fs::read(dir.join(f)).unwrap_or_default()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn nothing_readable_reaches_the_store() {
    let t = tempfile::tempdir().expect("tempdir");
    let b = over(t.path(), Keyring::new(Some(raw(1)), vec![]));
    b.write_snapshot(&meta(1), b"{\"password\":\"hunter2\"}").await.expect("write");
    b.append(&[b"{\"token\":\"s3cr3t\"}".to_vec()]).await.expect("append");
    let bytes = disk(t.path());
    assert!(!contains(&bytes, b"hunter2") && !contains(&bytes, b"s3cr3t"), "plaintext on disk");
    let s = over(t.path(), Keyring::new(Some(raw(1)), vec![])).load().await.expect("load");
    assert_eq!(s.snapshot.as_deref(), Some(&b"{\"password\":\"hunter2\"}"[..]));
    assert_eq!(s.journal, vec![b"{\"token\":\"s3cr3t\"}".to_vec()]);
}

#[tokio::test]
async fn plain_state_stays_readable_and_the_next_write_seals_it() {
    let t = tempfile::tempdir().expect("tempdir");
    let plain = LocalBackend::new(t.path().to_path_buf());
    plain.write_snapshot(&meta(1), b"{\"plain\":\"old\"}").await.expect("write");
    plain.append(&[b"rec".to_vec()]).await.expect("append");
    let b = over(t.path(), Keyring::new(Some(raw(1)), vec![]));
    let s = b.load().await.expect("plain state loads through the decorator");
    assert_eq!((s.snapshot.as_deref(), s.journal.len()), (Some(&b"{\"plain\":\"old\"}"[..]), 1));
    b.write_snapshot(&meta(2), b"{\"plain\":\"new\"}").await.expect("write");
    assert!(!contains(&disk(t.path()), b"new"), "the new snapshot is sealed");
    assert_eq!(b.load_version("1").await.expect("plain history stays readable"), b"{\"plain\":\"old\"}");
}

#[tokio::test]
async fn a_missing_or_wrong_key_names_the_key_id() {
    let t = tempfile::tempdir().expect("tempdir");
    let keys = Keyring::new(Some(raw(1)), vec![]);
    let id = keys.sealing_key_id().expect("id");
    over(t.path(), keys).write_snapshot(&meta(1), b"s").await.expect("write");
    for ring in [Keyring::none(), Keyring::new(Some(raw(2)), vec![])] {
        match over(t.path(), ring).load().await {
            Err(StateError::Backend(msg)) => {
                assert!(msg.contains(&id) && msg.contains("local state at"), "{msg}")
            }
            other => panic!("expected an error naming {id}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn altered_ciphertext_is_corruption() {
    let t = tempfile::tempdir().expect("tempdir");
    let b = over(t.path(), Keyring::new(Some(raw(1)), vec![]));
    b.write_snapshot(&meta(1), b"state").await.expect("write");
    // Change the sealed bytes behind the decorator, keeping the local
    // backend's own checksum valid, so only the tag can notice.
    let inner = LocalBackend::new(t.path().to_path_buf());
    let mut sealed = inner.load().await.expect("load").snapshot.expect("snapshot");
    let n = sealed.len();
    sealed[n - 1] ^= 0x01;
    inner.write_snapshot(&meta(2), &sealed).await.expect("write");
    assert!(matches!(b.load().await, Err(StateError::Corrupt { .. })));
}

#[tokio::test]
async fn rekeying_reads_with_the_old_key_and_writes_with_the_new() {
    let t = tempfile::tempdir().expect("tempdir");
    over(t.path(), Keyring::new(Some(raw(1)), vec![])).write_snapshot(&meta(1), b"v1").await.expect("write");
    let rekey = over(t.path(), Keyring::new(Some(raw(2)), vec![raw(1)]));
    let s = rekey.load().await.expect("old key opens");
    rekey.write_snapshot(&meta(2), s.snapshot.as_deref().expect("snapshot")).await.expect("write under the new key");

    let new_only = over(t.path(), Keyring::new(Some(raw(2)), vec![]));
    assert_eq!(new_only.load().await.expect("new key opens the current state").snapshot.as_deref(), Some(&b"v1"[..]));
    let old_id = Keyring::new(Some(raw(1)), vec![]).sealing_key_id().expect("id");
    match new_only.load_version("1").await {
        Err(StateError::Backend(msg)) => assert!(msg.contains(&old_id), "history keeps its old key, and says which: {msg}"),
        other => panic!("expected the old version to need the old key, got {other:?}"),
    }
    assert!(
        matches!(over(t.path(), Keyring::new(Some(raw(1)), vec![])).load().await, Err(StateError::Backend(_))),
        "the old key no longer opens current state"
    );
}
