//! The state journal: an append-only log of per-resource operations that
//! makes state durable after every operation without rewriting the whole
//! state (rewriting per operation is what makes Terraform's apply O(N²)).
//!
//! Before a provider is asked to create something, an `Intent` is logged;
//! `Put`/`Remove` record outcomes. Replaying a snapshot plus its journal
//! gives the current state and the intents that never completed, which the
//! engine hands back to providers to recover (adopt instead of duplicate).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::{InstanceAddr, ProviderAddr};
use crate::plan::Action;
use crate::state::{InstanceState, OutputState, State};
use crate::value::Value;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum JournalEntry {
    /// Starts a journal on top of a snapshot: ties records to its lineage/serial,
    /// so records left over from an older snapshot are never replayed.
    Begin {
        lineage: String,
        serial: u64,
    },
    Intent {
        addr: InstanceAddr,
        action: Action,
        provider: ProviderAddr,
        planned: Value,
    },
    Put {
        addr: InstanceAddr,
        instance: InstanceState,
    },
    Remove {
        addr: InstanceAddr,
    },
    /// An intent ended without an object (the operation failed cleanly).
    Abandon {
        addr: InstanceAddr,
    },
    /// A create-before-destroy replacement set the current object aside
    /// (deposed under `key`) before creating its successor.
    Depose {
        addr: InstanceAddr,
        key: String,
    },
    /// The successor's create failed and left nothing: the deposed object
    /// is current again.
    Restore {
        addr: InstanceAddr,
        key: String,
    },
    /// A deposed object was destroyed.
    RemoveDeposed {
        addr: InstanceAddr,
        key: String,
    },
    Outputs {
        outputs: BTreeMap<String, OutputState>,
    },
}

impl JournalEntry {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("journal entry serializes")
    }
    pub fn decode(bytes: &[u8]) -> Result<JournalEntry, String> {
        let invalid = |e: serde_json::Error| format!("journal record is not valid: {e}");
        // serde reads an internally tagged enum through its own buffer, where
        // a number is already a float64; the entries holding state are read
        // straight from the record instead, so their numbers keep every
        // digit (see `crate::json`).
        #[derive(Deserialize)]
        struct Op {
            op: String,
        }
        #[derive(Deserialize)]
        struct Put {
            addr: InstanceAddr,
            instance: InstanceState,
        }
        #[derive(Deserialize)]
        struct Outputs {
            outputs: BTreeMap<String, OutputState>,
        }
        match serde_json::from_slice::<Op>(bytes).map_err(invalid)?.op.as_str() {
            "put" => serde_json::from_slice::<Put>(bytes).map(|p| JournalEntry::Put { addr: p.addr, instance: p.instance }).map_err(invalid),
            "outputs" => serde_json::from_slice::<Outputs>(bytes).map(|o| JournalEntry::Outputs { outputs: o.outputs }).map_err(invalid),
            _ => serde_json::from_slice(bytes).map_err(invalid),
        }
    }
}

/// A journal record as stored: `{"seq":N,"op":...}`. The writer numbers the
/// records of each journal from its `Begin` (0) up, so a record removed,
/// repeated or moved in the middle breaks the count and is reported as
/// corruption, like a damaged one. Journals written before sequence numbers
/// existed have none and still replay.
pub fn encode_sequenced(entry: &[u8], seq: u64) -> Vec<u8> {
    debug_assert!(entry.starts_with(b"{\"op\":"), "an encoded entry starts with its op");
    let mut out = Vec::with_capacity(entry.len() + 24);
    out.extend_from_slice(format!("{{\"seq\":{seq},").as_bytes());
    out.extend_from_slice(&entry[1..]);
    out
}

/// The sequence number of a stored record, if it has one: only as the first
/// field, where the writer puts it (anywhere else it counts as none).
pub fn sequence_of(record: &[u8]) -> Option<u64> {
    let rest = record.strip_prefix(b"{\"seq\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 || rest.get(digits) != Some(&b',') || (digits > 1 && rest[0] == b'0') {
        return None;
    }
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// A record out of sequence: its index (0-based) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutOfSequence {
    pub index: usize,
    pub detail: String,
}

/// Checks the order of a journal's records, given each one's sequence number
/// and whether it is a `Begin`. Each `Begin` starts a segment (a writer's
/// run, or its retry after a failed write): numbered from 0 when it has a
/// number, unnumbered (an older journal) when it has none.
pub fn check_sequence(records: impl IntoIterator<Item = (Option<u64>, bool)>) -> Result<(), OutOfSequence> {
    // None before any Begin; Some(None) in an unnumbered segment; Some(Some(n)) expecting n.
    let mut expect: Option<Option<u64>> = None;
    for (index, (seq, begin)) in records.into_iter().enumerate() {
        let fail = |detail: String| Err(OutOfSequence { index, detail });
        if begin {
            expect = match seq {
                Some(0) => Some(Some(1)),
                None => Some(None),
                Some(n) => return fail(format!("record {} starts a journal with sequence number {n}, not 0", index + 1)),
            };
            continue;
        }
        match (expect, seq) {
            (Some(Some(want)), Some(got)) if got == want => expect = Some(Some(want + 1)),
            (Some(Some(want)), Some(got)) if got > want => {
                return fail(format!(
                    "record {} has sequence number {got} where {want} was expected: {} record(s) before it are missing",
                    index + 1,
                    got - want
                ))
            }
            (Some(Some(want)), Some(got)) => {
                return fail(format!("record {} has sequence number {got} where {want} was expected: a record is repeated or out of order", index + 1))
            }
            (Some(Some(want)), None) => return fail(format!("record {} has no sequence number where {want} was expected", index + 1)),
            (Some(None), None) | (None, None) => {}
            (Some(None), Some(got)) => return fail(format!("record {} has sequence number {got} in a journal without them", index + 1)),
            (None, Some(got)) => return fail(format!("record {} has sequence number {got} but the journal's first record (its Begin) is missing", index + 1)),
        }
    }
    Ok(())
}

/// An operation that was started and never recorded as finished. Kept in
/// the state snapshot itself, so folding the journal never loses one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingIntent {
    pub addr: InstanceAddr,
    pub action: Action,
    pub provider: ProviderAddr,
    pub planned: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Replayed {
    pub state: State,
    pub pending: Vec<PendingIntent>,
    /// Records applied (so the caller knows whether a new snapshot is due).
    pub applied: usize,
}

/// Folds journal entries onto a snapshot. Entries that follow a `Begin` for a
/// different lineage/serial than the snapshot's are stale and skipped.
pub fn replay(mut state: State, entries: impl IntoIterator<Item = JournalEntry>) -> Replayed {
    let mut pending: BTreeMap<InstanceAddr, PendingIntent> = std::mem::take(&mut state.pending).into_iter().map(|p| (p.addr.clone(), p)).collect();
    let mut live = true;
    let mut applied = 0;
    for e in entries {
        if let JournalEntry::Begin { lineage, serial } = &e {
            live = *lineage == state.lineage && *serial == state.serial;
            continue;
        }
        if !live {
            continue;
        }
        applied += 1;
        match e {
            JournalEntry::Begin { .. } => unreachable!("handled above"),
            JournalEntry::Intent { addr, action, provider, planned } => {
                pending.insert(addr.clone(), PendingIntent { addr, action, provider, planned });
            }
            JournalEntry::Put { addr, instance } => {
                pending.remove(&addr);
                state.resources.insert(addr, instance);
            }
            JournalEntry::Remove { addr } => {
                pending.remove(&addr);
                state.resources.remove(&addr);
            }
            JournalEntry::Abandon { addr } => {
                pending.remove(&addr);
            }
            JournalEntry::Depose { addr, key } => state.depose(&addr, &key),
            JournalEntry::Restore { addr, key } => state.restore_deposed(&addr, &key),
            JournalEntry::RemoveDeposed { addr, key } => state.remove_deposed(&addr, &key),
            JournalEntry::Outputs { outputs } => state.outputs = outputs,
        }
    }
    state.pending = pending.into_values().collect();
    Replayed { pending: state.pending.clone(), state, applied }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(v: &str) -> InstanceState {
        InstanceState::from_value(ProviderAddr::new("terraform"), Value::map([("id", Value::from(v))]))
    }

    #[test]
    fn replay_folds_and_reports_pending() {
        let a = InstanceAddr::managed("terraform_data", "a");
        let b = InstanceAddr::managed("terraform_data", "b");
        let s = State::new("L".into());
        let entries = vec![
            JournalEntry::Begin { lineage: "L".into(), serial: 0 },
            JournalEntry::Intent { addr: a.clone(), action: Action::Create, provider: ProviderAddr::new("terraform"), planned: Value::Null },
            JournalEntry::Put { addr: a.clone(), instance: inst("1") },
            JournalEntry::Intent { addr: b.clone(), action: Action::Create, provider: ProviderAddr::new("terraform"), planned: Value::Null },
        ];
        let r = replay(s, entries);
        assert!(r.state.resources.contains_key(&a));
        assert_eq!(r.pending.len(), 1);
        assert_eq!(r.pending[0].addr, b);
    }

    #[test]
    fn replay_keeps_a_deposed_object_until_it_is_destroyed() {
        let a = InstanceAddr::managed("terraform_data", "a");
        let mut s = State::new("L".into());
        s.resources.insert(a.clone(), inst("old"));
        let begin = JournalEntry::Begin { lineage: "L".into(), serial: 0 };
        let depose = JournalEntry::Depose { addr: a.clone(), key: "0a1b2c3d".into() };
        let create = JournalEntry::Intent { addr: a.clone(), action: Action::Replace, provider: ProviderAddr::new("terraform"), planned: Value::Null };
        let put = JournalEntry::Put { addr: a.clone(), instance: inst("new") };
        // A crash after the successor was recorded: both objects are in state.
        let r = replay(s.clone(), vec![begin.clone(), depose.clone(), create.clone(), put.clone()]);
        assert_eq!(r.state.resources[&a], inst("new"));
        assert_eq!(r.state.deposed_object(&a, "0a1b2c3d").map(|d| &d.instance), Some(&inst("old")));
        assert!(r.pending.is_empty());
        let removed = replay(
            s.clone(),
            vec![begin.clone(), depose.clone(), create.clone(), put, JournalEntry::RemoveDeposed { addr: a.clone(), key: "0a1b2c3d".into() }],
        );
        assert!(removed.state.deposed.is_empty());
        // The create failed cleanly: the old object is current again.
        let restored = replay(
            s,
            vec![begin, depose, create, JournalEntry::Abandon { addr: a.clone() }, JournalEntry::Restore { addr: a.clone(), key: "0a1b2c3d".into() }],
        );
        assert_eq!(restored.state.resources[&a], inst("old"));
        assert!(restored.state.deposed.is_empty());
        // The records round-trip through their encoding.
        let e = JournalEntry::Depose { addr: a, key: "0a1b2c3d".into() };
        assert_eq!(JournalEntry::decode(&e.encode()).unwrap(), e);
    }

    fn numbered(entries: &[JournalEntry]) -> Vec<Vec<u8>> {
        entries.iter().enumerate().map(|(i, e)| encode_sequenced(&e.encode(), i as u64)).collect()
    }

    fn order(records: &[Vec<u8>]) -> Result<(), OutOfSequence> {
        check_sequence(records.iter().map(|r| (sequence_of(r), matches!(JournalEntry::decode(r), Ok(JournalEntry::Begin { .. })))))
    }

    fn journal() -> Vec<Vec<u8>> {
        let a = InstanceAddr::managed("terraform_data", "a");
        let b = InstanceAddr::managed("terraform_data", "b");
        numbered(&[
            JournalEntry::Begin { lineage: "L".into(), serial: 0 },
            JournalEntry::Intent { addr: a.clone(), action: Action::Create, provider: ProviderAddr::new("terraform"), planned: Value::Null },
            JournalEntry::Put { addr: a, instance: inst("1") },
            JournalEntry::Intent { addr: b.clone(), action: Action::Create, provider: ProviderAddr::new("terraform"), planned: Value::Null },
            JournalEntry::Put { addr: b, instance: inst("2") },
        ])
    }

    #[test]
    fn records_keep_every_digit_of_numbers() {
        let third = crate::Number::from(1).div(&crate::Number::from(3));
        let v = Value::map([("n", Value::Number(third.clone())), ("big", Value::Number(crate::Number::parse("18446744073709551617").unwrap()))]);
        let put = JournalEntry::Put {
            addr: InstanceAddr::managed("terraform_data", "a"),
            instance: InstanceState::from_value(ProviderAddr::new("terraform"), v.clone()),
        };
        let outputs = JournalEntry::Outputs { outputs: BTreeMap::from([("o".to_string(), OutputState::new(v, false))]) };
        for e in [put, outputs] {
            let rec = encode_sequenced(&e.encode(), 1);
            assert!(String::from_utf8_lossy(&rec).contains("18446744073709551617"));
            assert_eq!(JournalEntry::decode(&rec), Ok(e));
        }
    }

    #[test]
    fn sequenced_records_decode_as_entries() {
        let recs = journal();
        assert!(recs[2].starts_with(b"{\"seq\":2,\"op\":\"put\""));
        assert_eq!(sequence_of(&recs[2]), Some(2));
        assert!(matches!(JournalEntry::decode(&recs[2]), Ok(JournalEntry::Put { .. })));
        assert_eq!(order(&recs), Ok(()));
        assert_eq!(sequence_of(b"{\"op\":\"begin\"}"), None);
        assert_eq!(sequence_of(b"{\"seq\":01,\"op\":\"x\"}"), None);
    }

    #[test]
    fn a_removed_record_is_out_of_sequence() {
        for gone in 0..5 {
            let mut recs = journal();
            recs.remove(gone);
            if gone == 4 {
                // The last record removed looks like a write that never happened.
                assert_eq!(order(&recs), Ok(()));
                continue;
            }
            let e = order(&recs).expect_err("a removed record is caught");
            assert_eq!(e.index, gone, "reported at the record after the gap: {e:?}");
            assert!(e.detail.contains("missing"), "{e:?}");
        }
    }

    #[test]
    fn swapped_and_repeated_records_are_out_of_sequence() {
        for i in 0..4 {
            let mut recs = journal();
            recs.swap(i, i + 1);
            assert!(order(&recs).is_err(), "records {i} and {} swapped", i + 1);
        }
        for i in 1..5 {
            let mut recs = journal();
            let dup = recs[i].clone();
            recs.insert(i + 1, dup);
            let e = order(&recs).expect_err("a repeated record is caught");
            assert_eq!(e.index, i + 1);
            assert!(e.detail.contains("repeated"), "{e:?}");
        }
        // A repeated Begin is an empty segment: a retry after a write torn
        // right after its Begin looks just like it.
        let mut recs = journal();
        recs.insert(1, recs[0].clone());
        assert_eq!(order(&recs), Ok(()));
    }

    #[test]
    fn a_retry_after_a_failed_write_starts_a_new_segment() {
        let mut recs = journal();
        recs.truncate(3);
        recs.extend(journal());
        assert_eq!(order(&recs), Ok(()));
    }

    #[test]
    fn older_journals_without_numbers_still_replay() {
        let a = InstanceAddr::managed("terraform_data", "a");
        let old: Vec<Vec<u8>> = [JournalEntry::Begin { lineage: "L".into(), serial: 0 }, JournalEntry::Put { addr: a.clone(), instance: inst("1") }]
            .iter()
            .map(JournalEntry::encode)
            .collect();
        assert_eq!(order(&old), Ok(()));
        assert_eq!(order(&old[1..]), Ok(()), "even without their Begin, as before");
        // A numbered record inside an unnumbered journal is not.
        let mut mixed = old.clone();
        mixed.push(encode_sequenced(&JournalEntry::Remove { addr: a }.encode(), 2));
        assert!(order(&mixed).is_err());
    }

    #[test]
    fn stale_records_are_skipped() {
        let a = InstanceAddr::managed("terraform_data", "a");
        let mut s = State::new("L".into());
        s.serial = 2;
        let entries = vec![JournalEntry::Begin { lineage: "L".into(), serial: 1 }, JournalEntry::Put { addr: a, instance: inst("1") }];
        assert!(replay(s, entries).state.resources.is_empty());
    }
}
