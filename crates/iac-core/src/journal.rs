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
    Begin { lineage: String, serial: u64 },
    Intent { addr: InstanceAddr, action: Action, provider: ProviderAddr, planned: Value },
    Put { addr: InstanceAddr, instance: InstanceState },
    Remove { addr: InstanceAddr },
    /// An intent ended without an object (the operation failed cleanly).
    Abandon { addr: InstanceAddr },
    Outputs { outputs: BTreeMap<String, OutputState> },
}

impl JournalEntry {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("journal entry serializes")
    }
    pub fn decode(bytes: &[u8]) -> Result<JournalEntry, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("journal record is not valid: {e}"))
    }
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
    fn stale_records_are_skipped() {
        let a = InstanceAddr::managed("terraform_data", "a");
        let mut s = State::new("L".into());
        s.serial = 2;
        let entries = vec![JournalEntry::Begin { lineage: "L".into(), serial: 1 }, JournalEntry::Put { addr: a, instance: inst("1") }];
        assert!(replay(s, entries).state.resources.is_empty());
    }
}
