//! State management over any [`StateBackend`]: waiting for the lock,
//! loading (snapshot + journal replay, crash recovery), the group-commit
//! journal writer that makes every operation durable without rewriting the
//! whole state, and folding the journal into a new snapshot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError};
use iac_core::journal::{check_sequence, encode_sequenced, replay, sequence_of, JournalEntry, PendingIntent};
use iac_core::state::State;
use tokio::sync::{mpsc, oneshot};

use crate::error::EngineError;
use crate::run::{Event, EventSink};

pub fn new_lineage() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Who takes the lock (recorded in it: the user, the machine, the process),
/// how a lock left on this machine by a process that has ended is told from
/// a live one, and how often a run waiting for a lock says so. The CLI fills
/// it in (the engine never reads the environment): `$USER`, else the name
/// of the process's uid; the machine's name; the process id.
#[derive(Clone, Debug)]
pub struct LockWait {
    pub who: String,
    /// The machine's name.
    pub host: String,
    /// This process's id (0: none given).
    pub pid: u32,
    /// Whether the process with this id on this machine has ended; `None`
    /// when that cannot be told, and then no lock is taken over as stale.
    pub process_gone: Option<fn(u32) -> bool>,
    /// How often a waiting run reports that it still waits (the first
    /// report comes at once).
    pub notice_every: Duration,
}

impl Default for LockWait {
    fn default() -> Self {
        LockWait { who: "unknown".into(), host: "unknown".into(), pid: 0, process_gone: None, notice_every: Duration::from_secs(5) }
    }
}

pub fn lock_info(operation: &str, wait: &LockWait) -> LockInfo {
    LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        operation: operation.to_string(),
        who: wait.who.clone(),
        host: wait.host.clone(),
        pid: wait.pid,
        created: crate::time::now_rfc3339(),
    }
}

/// Takes the lock, retrying until `timeout`; then fails naming the holder.
/// While it waits it emits [`Event::LockWait`] at once and then every
/// `wait.notice_every`, naming the holder, so a waiting run never looks hung.
pub async fn lock(
    backend: &dyn StateBackend,
    operation: &str,
    timeout: Duration,
    wait: &LockWait,
    events: Option<&EventSink>,
) -> Result<LockInfo, EngineError> {
    let info = lock_info(operation, wait);
    let start = Instant::now();
    let mut delay = Duration::from_millis(50);
    let mut next_notice = Duration::ZERO;
    loop {
        match backend.try_lock(&info).await {
            Ok(()) => return Ok(info),
            Err(StateError::Locked(holder)) => {
                if holder_is_gone(&holder, &info, wait) {
                    // The run that held it died on this machine (a kill, a crash): the lock is stale.
                    tracing::warn!(lock = %holder, "taking over a lock whose process is gone");
                    backend.force_unlock(&holder.id).await?;
                    continue;
                }
                let waited = start.elapsed();
                if waited >= timeout {
                    return Err(EngineError::Locked { holder, waited: timeout });
                }
                if waited >= next_notice {
                    tracing::info!(lock = %holder, waited_ms = waited.as_millis() as u64, "waiting for the state lock");
                    if let Some(sink) = events {
                        sink(Event::LockWait { holder: (*holder).clone(), waited, timeout });
                    }
                    while next_notice <= waited {
                        next_notice += wait.notice_every.max(Duration::from_millis(10));
                    }
                }
                // Sleep no longer than until the timeout or the next notice.
                let now = start.elapsed();
                tokio::time::sleep(delay.min(timeout.saturating_sub(now)).min(next_notice.saturating_sub(now)).max(Duration::from_millis(1))).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// True when the lock was taken on this host by a process that no longer runs.
fn holder_is_gone(holder: &LockInfo, me: &LockInfo, wait: &LockWait) -> bool {
    holder.host == me.host && holder.pid != 0 && holder.pid != me.pid && wait.process_gone.is_some_and(|gone| gone(holder.pid))
}

pub struct Loaded {
    pub state: State,
    pub pending: Vec<PendingIntent>,
    /// The journal held records (a run was interrupted): fold it now.
    pub needs_fold: bool,
    /// False when no snapshot was ever written (the lineage is new).
    pub exists: bool,
}

/// Loads the current state: snapshot plus replayed journal.
pub async fn load(backend: &dyn StateBackend) -> Result<Loaded, EngineError> {
    let stored = backend.load().await?;
    let state = match &stored.snapshot {
        Some(bytes) => State::from_bytes(bytes).map_err(|detail| StateError::Corrupt { what: backend.describe(), detail })?,
        None => State::new(new_lineage()),
    };
    let mut entries = Vec::with_capacity(stored.journal.len());
    for (i, rec) in stored.journal.iter().enumerate() {
        let e = JournalEntry::decode(rec).map_err(|detail| StateError::Corrupt { what: format!("{} journal record {}", backend.describe(), i + 1), detail })?;
        entries.push(e);
    }
    // A record removed, repeated or moved is corruption like a damaged one.
    check_sequence(stored.journal.iter().zip(&entries).map(|(rec, e)| (sequence_of(rec), matches!(e, JournalEntry::Begin { .. }))))
        .map_err(|o| StateError::Corrupt { what: format!("{} journal", backend.describe()), detail: o.detail })?;
    let had_journal = !entries.is_empty();
    let r = replay(state, entries);
    if had_journal {
        tracing::warn!(records = r.applied, pending = r.pending.len(), "recovered state from the journal of an interrupted run");
    }
    Ok(Loaded { state: r.state, pending: r.pending, needs_fold: had_journal || stored.torn_tail, exists: stored.snapshot.is_some() })
}

/// Writes `state` as the next snapshot (serial + 1), which clears the
/// journal. Intents still pending go into the snapshot itself, so a crash
/// at any point keeps them.
pub async fn snapshot(backend: &dyn StateBackend, state: &mut State, pending: &[PendingIntent]) -> Result<(), EngineError> {
    state.serial += 1;
    state.pending = pending.to_vec();
    let meta = SnapshotMeta { lineage: state.lineage.clone(), serial: state.serial };
    backend.write_snapshot(&meta, &state.to_bytes()).await?;
    Ok(())
}

type Ack = oneshot::Sender<Result<(), String>>;

/// Appends journal entries with group commit: entries that arrive while a
/// write is in flight go together in the next write. `record` returns once
/// the entry is durable. Records are numbered from the `Begin` (0) on
/// ([`encode_sequenced`]); after a failed write the next one starts a new
/// `Begin` at 0, since the failed one may or may not have reached the store.
#[derive(Clone)]
pub struct Journal {
    tx: mpsc::UnboundedSender<(Vec<u8>, Ack)>,
}

impl Journal {
    /// Starts the writer; the first write begins with `Begin{lineage, serial}`.
    pub fn start(backend: Arc<dyn StateBackend>, lineage: String, serial: u64) -> (Journal, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Vec<u8>, Ack)>();
        let handle = tokio::spawn(async move {
            let mut begun = false;
            let mut next_seq = 0u64;
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let mut records = Vec::with_capacity(batch.len() + 1);
                let mut seq = if begun { next_seq } else { 0 };
                if !begun {
                    records.push(encode_sequenced(&JournalEntry::Begin { lineage: lineage.clone(), serial }.encode(), seq));
                    seq += 1;
                }
                for (r, _) in &batch {
                    records.push(encode_sequenced(r, seq));
                    seq += 1;
                }
                let result = backend.append(&records).await.map_err(|e| e.to_string());
                if result.is_ok() {
                    begun = true;
                    next_seq = seq;
                } else {
                    begun = false;
                }
                for (_, ack) in batch {
                    let _ = ack.send(result.clone());
                }
            }
        });
        (Journal { tx }, handle)
    }

    pub async fn record(&self, entry: &JournalEntry) -> Result<(), EngineError> {
        let (ack, wait) = oneshot::channel();
        self.tx.send((entry.encode(), ack)).map_err(|_| EngineError::Journal("the journal writer stopped".into()))?;
        wait.await.map_err(|_| EngineError::Journal("the journal writer stopped".into()))?.map_err(EngineError::Journal)
    }
}
