//! Property: whatever records were appended, in whatever batches, a crash
//! that cuts `journal.log` at any byte leaves a journal that loads as a
//! prefix of the records, never an error, with `torn_tail` set exactly when
//! the cut fell inside a record.

use std::fs::OpenOptions;

use iac_core::backend::StateBackend;
use iac_state_local::LocalBackend;
use proptest::prelude::*;

/// The documented frame size: `<len> <crc32> <payload>\n`.
fn frame_len(payload: &[u8]) -> usize {
    payload.len().to_string().len() + 1 + 8 + 1 + payload.len() + 1
}

fn batches() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    let record =
        prop_oneof![prop::collection::vec(any::<u8>(), 0..40), prop::collection::vec(prop::sample::select(b"{}\":, \n0123456789abcdef".to_vec()), 0..40),];
    prop::collection::vec(prop::collection::vec(record, 0..5), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn truncation_at_any_offset_loads_a_prefix(batches in batches(), cut in any::<prop::sample::Index>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let t = tempfile::tempdir().expect("tempdir");
        let records: Vec<Vec<u8>> = batches.iter().flatten().cloned().collect();
        let (stored, boundaries, cut) = rt.block_on(async {
            let b = LocalBackend::new(t.path().join("s"));
            for batch in &batches {
                b.append(batch).await.expect("append");
            }
            let path = t.path().join("s").join("journal.log");
            let len = std::fs::metadata(&path).map(|m| m.len() as usize).unwrap_or(0);
            let mut boundaries = vec![0usize];
            for r in &records {
                boundaries.push(boundaries[boundaries.len() - 1] + frame_len(r));
            }
            assert_eq!(boundaries[boundaries.len() - 1], len, "journal size is the sum of its frames");
            let cut = cut.index(len + 1);
            if len > 0 {
                OpenOptions::new().write(true).open(&path).expect("open").set_len(cut as u64).expect("truncate");
            }
            let stored = LocalBackend::new(t.path().join("s")).load().await;
            (stored, boundaries, cut)
        });
        let stored = stored.map_err(|e| TestCaseError::fail(format!("load failed after a cut at {cut}: {e}")))?;
        let whole = boundaries.iter().filter(|&&b| b <= cut).count() - 1;
        prop_assert_eq!(&stored.journal[..], &records[..whole]);
        prop_assert_eq!(stored.torn_tail, !boundaries.contains(&cut));
    }
}
