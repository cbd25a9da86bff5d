//! The conformance suite every [`StateBackend`] must pass (local, S3,
//! PostgreSQL, and any of them encrypted).
//!
//! A backend's tests implement [`BackendFactory`] and invoke
//! [`state_backend_conformance!`](crate::state_backend_conformance), which
//! expands to one `#[tokio::test]` per [`Case`]:
//!
//! ```ignore
//! struct Factory { /* tempdirs, connections… */ }
//! #[async_trait::async_trait]
//! impl iac_testkit::conformance::state_backend::BackendFactory for Factory { /* … */ }
//!
//! iac_testkit::state_backend_conformance!(Factory::new());
//! ```
//!
//! The calling crate needs `tokio` (with `macros` and `rt-multi-thread`) as
//! a dev-dependency. Cases about damage and crashes need the factory to
//! reach into the store ([`BackendFactory::corrupt`],
//! [`BackendFactory::crash_during_write_snapshot`]); a factory that cannot
//! leaves the default, and those cases pass as skipped, saying so on stderr
//! (and in [`run_all`]'s report).

use std::time::Duration;

use async_trait::async_trait;
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError, Stored};

/// Damage a factory can do to a store at rest, for the corruption cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// Change a byte of the current snapshot's stored bytes, keeping its size.
    SnapshotBytesChanged,
    /// Cut the current snapshot's stored bytes short.
    SnapshotTruncated,
    /// Cut the journal partway through its final record, as a crash in the
    /// middle of an append would.
    JournalTornTail,
    /// Change a byte of the *first* journal record, leaving the records
    /// after it intact (the store has at least three records when asked).
    JournalFirstRecordChanged,
}

/// Makes stores for the suite, and optionally damages them.
#[async_trait]
pub trait BackendFactory: Send + Sync {
    /// A handle onto a new, empty store.
    async fn fresh(&self) -> Box<dyn StateBackend>;

    /// A second handle onto the same store as `of`, as another process would
    /// open it: sharing nothing in memory with `of`.
    async fn reopen(&self, of: &dyn StateBackend) -> Box<dyn StateBackend>;

    /// Damages `of`'s store at rest. Returns false if this factory cannot
    /// (the cases that need it are then skipped).
    async fn corrupt(&self, _of: &dyn StateBackend, _what: Corruption) -> bool {
        false
    }

    /// Starts `write_snapshot(meta, bytes)` on `of`'s store and stops it
    /// partway, before it takes effect, leaving the store as a crash (power
    /// loss, kill -9) at that point would. Returns false if this factory
    /// cannot simulate that.
    async fn crash_during_write_snapshot(&self, _of: &dyn StateBackend, _meta: &SnapshotMeta, _bytes: &[u8]) -> bool {
        false
    }

    /// True when a lock ends with the session that took it (PostgreSQL's
    /// session advisory locks): a dead holder's lock is then released by the
    /// store itself, not left stale for `force_unlock`.
    fn locks_end_with_their_session(&self) -> bool {
        false
    }

    /// How many previous snapshots the backend keeps besides the current one,
    /// if it promises a bound (`history()` then lists at most this plus one).
    fn history_limit(&self) -> Option<usize> {
        None
    }
}

macro_rules! cases {
    ($($case:ident => $fn:ident: $doc:literal,)*) => {
        /// A conformance case.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Case {
            $(#[doc = $doc] $case,)*
        }

        impl Case {
            /// Every case, in the order [`run_all`] runs them.
            pub const ALL: &'static [Case] = &[$(Case::$case,)*];

            /// The case's name (its test's name in the macro, less the prefix).
            pub fn name(self) -> &'static str {
                match self {
                    $(Case::$case => stringify!($fn),)*
                }
            }

            async fn run(self, f: &dyn BackendFactory) -> Check {
                match self {
                    $(Case::$case => $fn(f).await,)*
                }
            }
        }
    };
}

cases! {
    EmptyLoad => empty_load: "A new store loads as nothing: no snapshot, no journal, no history, no lock.",
    SnapshotRoundTrip => snapshot_round_trip: "Snapshot bytes (text, binary, empty) and meta come back identical, from any handle.",
    AppendLoadOrder => append_load_order: "Appended records come back in order, byte for byte, across batches and handles.",
    WriteSnapshotClearsJournal => write_snapshot_clears_journal: "A new snapshot clears the journal.",
    LineageMismatchRefused => lineage_mismatch_refused: "A snapshot of another lineage is refused as Conflict and changes nothing.",
    SerialNotIncreasingRefused => serial_not_increasing_refused: "A snapshot whose serial does not increase is refused as Conflict and changes nothing.",
    ConcurrentLockers => concurrent_lockers: "Of two handles locking at once, exactly one wins; the other is told who holds it.",
    UnlockWrongIdRefused => unlock_wrong_id_refused: "Unlocking with an id that does not hold the lock is LockNotHeld and leaves the lock.",
    StaleLockForceUnlock => stale_lock_force_unlock: "A lock left by a dead process is reported, and force_unlock with its id clears it (or, where locks end with their session, it is released by itself).",
    ForceUnlockLiveHolder => force_unlock_live_holder: "force_unlock takes a lock from a live holder, who can then neither unlock it nor disturb the next holder.",
    CrashMidSnapshotWrite => crash_mid_snapshot_write: "A crash in the middle of a snapshot write leaves the previous snapshot and journal intact.",
    CorruptSnapshotDetected => corrupt_snapshot_detected: "A damaged or truncated snapshot loads as Corrupt; older versions stay readable.",
    TornJournalTail => torn_journal_tail: "A torn final journal record is dropped and reported, and appending afterwards works.",
    CorruptJournalMiddle => corrupt_journal_middle: "A damaged journal record with valid records after it loads as Corrupt.",
    HistoryNewestFirst => history_newest_first: "History lists the current and previous snapshots newest first; load_version returns their bytes.",
    HistoryRetention => history_retention: "History keeps at most the promised number of previous snapshots, the newest ones.",
}

/// How a case went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// The factory cannot drive this case (a fault hook is not implemented).
    Skipped(String),
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseReport {
    pub case: Case,
    pub outcome: Outcome,
}

/// A case runs out of time after this; remote backends get generous room.
const CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs one case against stores from `factory`.
pub async fn run_case(factory: &dyn BackendFactory, case: Case) -> Outcome {
    match tokio::time::timeout(CASE_TIMEOUT, case.run(factory)).await {
        Ok(Ok(())) => Outcome::Passed,
        Ok(Err(Stop::Skip(why))) => Outcome::Skipped(why),
        Ok(Err(Stop::Fail(why))) => Outcome::Failed(why),
        Err(_) => Outcome::Failed(format!("did not finish within {CASE_TIMEOUT:?}")),
    }
}

/// Runs every case, in order, and reports each.
pub async fn run_all(factory: &dyn BackendFactory) -> Vec<CaseReport> {
    let mut out = Vec::with_capacity(Case::ALL.len());
    for &case in Case::ALL {
        out.push(CaseReport { case, outcome: run_case(factory, case).await });
    }
    out
}

/// Panics (failing the test) if `outcome` is a failure; notes a skip on stderr.
#[track_caller]
pub fn expect_pass(case: Case, outcome: Outcome) {
    match outcome {
        Outcome::Passed => {}
        Outcome::Skipped(why) => eprintln!("state backend conformance: {} SKIPPED: {why}", case.name()),
        Outcome::Failed(why) => panic!("state backend conformance: {} FAILED: {why}", case.name()),
    }
}

/// Expands to one `#[tokio::test]` per conformance [`Case`], each running it
/// against a factory made by evaluating the argument, plus a test that the
/// expansion covers every case. The calling crate needs `tokio` as a
/// dev-dependency.
///
/// ```ignore
/// iac_testkit::state_backend_conformance!(LocalFactory::new());
/// ```
#[macro_export]
macro_rules! state_backend_conformance {
    ($factory:expr) => {
        $crate::__state_backend_cases! { ($factory)
            EmptyLoad => conformance_empty_load,
            SnapshotRoundTrip => conformance_snapshot_round_trip,
            AppendLoadOrder => conformance_append_load_order,
            WriteSnapshotClearsJournal => conformance_write_snapshot_clears_journal,
            LineageMismatchRefused => conformance_lineage_mismatch_refused,
            SerialNotIncreasingRefused => conformance_serial_not_increasing_refused,
            ConcurrentLockers => conformance_concurrent_lockers,
            UnlockWrongIdRefused => conformance_unlock_wrong_id_refused,
            StaleLockForceUnlock => conformance_stale_lock_force_unlock,
            ForceUnlockLiveHolder => conformance_force_unlock_live_holder,
            CrashMidSnapshotWrite => conformance_crash_mid_snapshot_write,
            CorruptSnapshotDetected => conformance_corrupt_snapshot_detected,
            TornJournalTail => conformance_torn_journal_tail,
            CorruptJournalMiddle => conformance_corrupt_journal_middle,
            HistoryNewestFirst => conformance_history_newest_first,
            HistoryRetention => conformance_history_retention,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __state_backend_cases {
    (($factory:expr) $($case:ident => $test:ident,)*) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                let factory = $factory;
                let case = $crate::conformance::state_backend::Case::$case;
                let outcome = $crate::conformance::state_backend::run_case(&factory, case).await;
                $crate::conformance::state_backend::expect_pass(case, outcome);
            }
        )*

        #[test]
        fn conformance_covers_every_case() {
            let covered: &[$crate::conformance::state_backend::Case] = &[$($crate::conformance::state_backend::Case::$case,)*];
            assert_eq!(covered, $crate::conformance::state_backend::Case::ALL, "state_backend_conformance! is out of date with Case::ALL");
        }
    };
}

// ---------------------------------------------------------------------------
// Helpers

enum Stop {
    Skip(String),
    Fail(String),
}

type Check = Result<(), Stop>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(Stop::Fail(format!($($msg)+)));
        }
    };
}

macro_rules! ensure_eq {
    ($got:expr, $want:expr, $($msg:tt)+) => {{
        let (got, want) = (&$got, &$want);
        if got != want {
            return Err(Stop::Fail(format!("{}\n  got:  {:?}\n  want: {:?}", format!($($msg)+), got, want)));
        }
    }};
}

fn fail(msg: impl Into<String>) -> Stop {
    Stop::Fail(msg.into())
}

/// Unwraps a backend call that must succeed.
fn ok<T>(r: Result<T, StateError>, what: &str) -> Result<T, Stop> {
    r.map_err(|e| fail(format!("{what} failed: {e} ({e:?})")))
}

fn meta(lineage: &str, serial: u64) -> SnapshotMeta {
    SnapshotMeta { lineage: lineage.to_string(), serial }
}

fn lock_info(id: &str, who: &str, operation: &str) -> LockInfo {
    LockInfo { id: id.into(), operation: operation.into(), who: who.into(), host: format!("{who}-host"), pid: 4242, created: "2024-05-06T07:08:09Z".into() }
}

/// A JSON snapshot like the engine writes, distinct per (lineage, serial).
fn state_json(lineage: &str, serial: u64) -> Vec<u8> {
    format!("{{\n  \"version\": 1,\n  \"lineage\": \"{lineage}\",\n  \"serial\": {serial},\n  \"resources\": {{\n    \"terraform_data.a\": {{ \"id\": \"r-{serial}\" }}\n  }},\n  \"outputs\": {{}}\n}}\n").into_bytes()
}

fn binary_bytes() -> Vec<u8> {
    (0u8..=255).chain((0u8..=255).rev()).chain(b"\n\r\n\0end".iter().copied()).collect()
}

fn record(n: usize) -> Vec<u8> {
    format!("{{\"op\":\"put\",\"addr\":\"terraform_data.r{n}\",\"n\":{n}}}").into_bytes()
}

async fn load(b: &dyn StateBackend, what: &str) -> Result<Stored, Stop> {
    ok(b.load().await, &format!("load ({what})"))
}

async fn write(b: &dyn StateBackend, m: &SnapshotMeta, bytes: &[u8]) -> Check {
    ok(b.write_snapshot(m, bytes).await, &format!("write_snapshot({m:?})"))
}

async fn append(b: &dyn StateBackend, records: &[Vec<u8>]) -> Check {
    ok(b.append(records).await, &format!("append of {} records", records.len()))
}

/// Checks a loaded store against what it must hold.
fn expect_stored(s: &Stored, snapshot: Option<&[u8]>, m: Option<&SnapshotMeta>, journal: &[Vec<u8>], torn: bool, what: &str) -> Check {
    ensure_eq!(s.snapshot.as_deref(), snapshot, "{what}: snapshot bytes");
    ensure_eq!(s.meta.as_ref(), m, "{what}: snapshot meta");
    ensure_eq!(s.journal.len(), journal.len(), "{what}: number of journal records");
    ensure_eq!(s.journal, journal, "{what}: journal records");
    ensure_eq!(s.torn_tail, torn, "{what}: torn_tail");
    Ok(())
}

fn expect_conflict(r: Result<(), StateError>, what: &str) -> Check {
    match r {
        Err(StateError::Conflict(_)) => Ok(()),
        Err(e) => Err(fail(format!("{what}: expected Conflict, got {e} ({e:?})"))),
        Ok(()) => Err(fail(format!("{what}: expected Conflict, but it succeeded"))),
    }
}

fn expect_not_held<T: std::fmt::Debug>(r: Result<T, StateError>, what: &str) -> Check {
    match r {
        Err(StateError::LockNotHeld(_)) => Ok(()),
        other => Err(fail(format!("{what}: expected LockNotHeld, got {other:?}"))),
    }
}

fn expect_locked_by(r: Result<(), StateError>, holder: &LockInfo, what: &str) -> Check {
    match r {
        Err(StateError::Locked(h)) => {
            ensure_eq!((&h.id, &h.who, &h.operation), (&holder.id, &holder.who, &holder.operation), "{what}: Locked must name the holder");
            Ok(())
        }
        other => Err(fail(format!("{what}: expected Locked by {}, got {other:?}", holder.id))),
    }
}

async fn expect_holder(b: &dyn StateBackend, want: Option<&LockInfo>, what: &str) -> Check {
    let h = ok(b.lock_holder().await, &format!("lock_holder ({what})"))?;
    ensure_eq!(h.as_ref(), want, "{what}: lock holder");
    Ok(())
}

fn expect_corrupt<T: std::fmt::Debug>(r: Result<T, StateError>, what: &str) -> Check {
    match r {
        Err(StateError::Corrupt { .. }) => Ok(()),
        other => Err(fail(format!("{what}: expected Corrupt, got {other:?}"))),
    }
}

// ---------------------------------------------------------------------------
// Cases

async fn empty_load(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    expect_stored(&load(&*b, "new store").await?, None, None, &[], false, "new store")?;
    ensure!(ok(b.history().await, "history")?.is_empty(), "a new store has no history");
    expect_holder(&*b, None, "new store").await?;
    match b.load_version("1").await {
        Err(StateError::NoSuchVersion(_)) => {}
        other => return Err(fail(format!("load_version on a new store: expected NoSuchVersion, got {other:?}"))),
    }
    let r = f.reopen(&*b).await;
    expect_stored(&load(&*r, "new store, second handle").await?, None, None, &[], false, "new store, second handle")
}

async fn snapshot_round_trip(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    let m1 = meta("lineage-rt", 1);
    let json = state_json("lineage-rt", 1);
    write(&*b, &m1, &json).await?;
    expect_stored(&load(&*b, "after first snapshot").await?, Some(&json), Some(&m1), &[], false, "JSON snapshot")?;
    let r = f.reopen(&*b).await;
    expect_stored(&load(&*r, "second handle").await?, Some(&json), Some(&m1), &[], false, "JSON snapshot, second handle")?;

    let m2 = meta("lineage-rt", 2);
    let bin = binary_bytes();
    write(&*r, &m2, &bin).await?;
    expect_stored(&load(&*b, "binary").await?, Some(&bin), Some(&m2), &[], false, "binary snapshot written by the second handle")?;

    let m3 = meta("lineage-rt", 3);
    write(&*b, &m3, &[]).await?;
    expect_stored(&load(&*r, "empty").await?, Some(&[]), Some(&m3), &[], false, "empty snapshot")
}

async fn append_load_order(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    let m = meta("lineage-j", 1);
    let snap = state_json("lineage-j", 1);
    write(&*b, &m, &snap).await?;
    let batches: Vec<Vec<Vec<u8>>> = vec![
        vec![b"{\"op\":\"begin\",\"lineage\":\"lineage-j\",\"serial\":1}".to_vec(), b"with\nnewlines\n".to_vec(), Vec::new()],
        vec![binary_bytes()],
        vec![],
        (0..50).map(record).collect(),
        vec![b"12 00000000 looks like a frame\n".to_vec()],
    ];
    let mut want = Vec::new();
    for batch in &batches {
        append(&*b, batch).await?;
        want.extend(batch.iter().cloned());
        expect_stored(&load(&*b, "after append").await?, Some(&snap), Some(&m), &want, false, "after each append")?;
    }
    let r = f.reopen(&*b).await;
    expect_stored(&load(&*r, "second handle").await?, Some(&snap), Some(&m), &want, false, "second handle")?;
    // Appends from either handle interleave in call order.
    append(&*r, &[record(100)]).await?;
    append(&*b, &[record(101)]).await?;
    want.extend([record(100), record(101)]);
    expect_stored(&load(&*b, "interleaved").await?, Some(&snap), Some(&m), &want, false, "appends from two handles")
}

async fn write_snapshot_clears_journal(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    write(&*b, &meta("lineage-c", 1), &state_json("lineage-c", 1)).await?;
    append(&*b, &[record(1), record(2), record(3)]).await?;
    let (m2, s2) = (meta("lineage-c", 2), state_json("lineage-c", 2));
    write(&*b, &m2, &s2).await?;
    expect_stored(&load(&*b, "after snapshot").await?, Some(&s2), Some(&m2), &[], false, "journal after a new snapshot")?;
    let r = f.reopen(&*b).await;
    expect_stored(&load(&*r, "second handle").await?, Some(&s2), Some(&m2), &[], false, "second handle after a new snapshot")?;
    append(&*r, &[record(4)]).await?;
    expect_stored(&load(&*b, "append after snapshot").await?, Some(&s2), Some(&m2), &[record(4)], false, "append after a new snapshot")
}

async fn lineage_mismatch_refused(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    let (m1, s1) = (meta("lineage-one", 1), state_json("lineage-one", 1));
    write(&*b, &m1, &s1).await?;
    append(&*b, &[record(1)]).await?;
    expect_conflict(b.write_snapshot(&meta("lineage-two", 2), &state_json("lineage-two", 2)).await, "snapshot of another lineage")?;
    let r = f.reopen(&*b).await;
    expect_conflict(r.write_snapshot(&meta("lineage-two", 9), &state_json("lineage-two", 9)).await, "snapshot of another lineage, second handle")?;
    expect_stored(&load(&*b, "after refusals").await?, Some(&s1), Some(&m1), &[record(1)], false, "store after refused lineage change")?;
    let h = ok(b.history().await, "history")?;
    ensure_eq!(h.iter().map(|v| (v.lineage.as_str(), v.serial)).collect::<Vec<_>>(), vec![("lineage-one", 1)], "history after refusals");
    Ok(())
}

async fn serial_not_increasing_refused(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    let (m5, s5) = (meta("lineage-s", 5), state_json("lineage-s", 5));
    write(&*b, &m5, &s5).await?;
    append(&*b, &[record(1)]).await?;
    for serial in [5, 4, 0] {
        expect_conflict(b.write_snapshot(&meta("lineage-s", serial), b"other").await, &format!("serial {serial} over serial 5"))?;
    }
    expect_stored(&load(&*b, "after refusals").await?, Some(&s5), Some(&m5), &[record(1)], false, "store after refused serials")?;
    let (m6, s6) = (meta("lineage-s", 6), state_json("lineage-s", 6));
    write(&*b, &m6, &s6).await?;
    expect_stored(&load(&*b, "after serial 6").await?, Some(&s6), Some(&m6), &[], false, "serial 6 after refusals")
}

async fn concurrent_lockers(f: &dyn BackendFactory) -> Check {
    let a = f.fresh().await;
    let b = f.reopen(&*a).await;
    for round in 0..10 {
        let ia = lock_info(&format!("lock-a-{round}"), "alice", "apply");
        let ib = lock_info(&format!("lock-b-{round}"), "bob", "destroy");
        let (ra, rb) = tokio::join!(a.try_lock(&ia), b.try_lock(&ib));
        let (winner, loser_result, winner_handle) = match (ra.is_ok(), rb.is_ok()) {
            (true, false) => (&ia, rb, &a),
            (false, true) => (&ib, ra, &b),
            (true, true) => return Err(fail(format!("round {round}: both handles got the lock"))),
            (false, false) => return Err(fail(format!("round {round}: neither handle got the lock: {ra:?}; {rb:?}"))),
        };
        expect_locked_by(loser_result, winner, &format!("round {round}: the losing handle"))?;
        expect_holder(&*a, Some(winner), &format!("round {round}, first handle")).await?;
        expect_holder(&*b, Some(winner), &format!("round {round}, second handle")).await?;
        let third = lock_info(&format!("lock-c-{round}"), "carol", "plan");
        expect_locked_by(a.try_lock(&third).await, winner, &format!("round {round}: a later locker"))?;
        ok(winner_handle.unlock(&winner.id).await, "unlock by the winner")?;
        expect_holder(&*a, None, &format!("round {round}, after unlock")).await?;
        expect_holder(&*b, None, &format!("round {round}, after unlock, second handle")).await?;
    }
    Ok(())
}

async fn unlock_wrong_id_refused(f: &dyn BackendFactory) -> Check {
    let a = f.fresh().await;
    let ia = lock_info("lock-held", "alice", "apply");
    ok(a.try_lock(&ia).await, "try_lock")?;
    expect_not_held(a.unlock("lock-not-held").await, "unlock with the wrong id")?;
    let b = f.reopen(&*a).await;
    expect_not_held(b.unlock("lock-not-held").await, "unlock with the wrong id, second handle")?;
    expect_holder(&*b, Some(&ia), "after refused unlocks").await?;
    ok(a.unlock(&ia.id).await, "unlock with the right id")?;
    expect_holder(&*b, None, "after unlock").await?;
    expect_not_held(a.unlock(&ia.id).await, "unlocking again")?;
    // The lock can be taken again once released.
    let ib = lock_info("lock-again", "bob", "apply");
    ok(b.try_lock(&ib).await, "try_lock after release")?;
    expect_holder(&*a, Some(&ib), "relocked").await?;
    ok(b.unlock(&ib.id).await, "unlock")
}

async fn stale_lock_force_unlock(f: &dyn BackendFactory) -> Check {
    let dead = f.fresh().await;
    let stale = lock_info("lock-of-a-dead-process", "alice", "apply");
    ok(dead.try_lock(&stale).await, "try_lock")?;
    let b = f.reopen(&*dead).await;
    drop(dead); // the holder dies without unlocking
    if f.locks_end_with_their_session() {
        return lock_released_with_its_session(&*b, &stale).await;
    }
    expect_holder(&*b, Some(&stale), "stale lock").await?;
    let ib = lock_info("lock-new", "bob", "apply");
    expect_locked_by(b.try_lock(&ib).await, &stale, "locking over a stale lock")?;
    expect_not_held(b.force_unlock("some-other-id").await, "force_unlock with the wrong id")?;
    expect_holder(&*b, Some(&stale), "after refused force_unlock").await?;
    ok(b.force_unlock(&stale.id).await, "force_unlock with the holder's id")?;
    expect_holder(&*b, None, "after force_unlock").await?;
    ok(b.try_lock(&ib).await, "try_lock after force_unlock")?;
    expect_not_held(b.force_unlock(&stale.id).await, "force_unlock with the old holder's id")?;
    expect_holder(&*b, Some(&ib), "the new lock survives a stale force_unlock").await?;
    ok(b.unlock(&ib.id).await, "unlock")?;
    expect_not_held(b.force_unlock(&ib.id).await, "force_unlock with no lock held")
}

/// The store notices the holder's session is gone (promptly, but not
/// instantly) and the lock is free: nothing is left for force_unlock.
async fn lock_released_with_its_session(b: &dyn StateBackend, stale: &LockInfo) -> Check {
    loop {
        match ok(b.lock_holder().await, "lock_holder after the holder died")? {
            None => break,
            Some(h) if h.id == stale.id => tokio::time::sleep(Duration::from_millis(20)).await,
            Some(h) => return Err(fail(format!("after the holder died, another lock appeared: {h:?}"))),
        }
    }
    let ib = lock_info("lock-new", "bob", "apply");
    ok(b.try_lock(&ib).await, "try_lock after the holder's session ended")?;
    expect_not_held(b.force_unlock(&stale.id).await, "force_unlock with the dead holder's id")?;
    expect_holder(b, Some(&ib), "the new lock survives a stale force_unlock").await?;
    ok(b.unlock(&ib.id).await, "unlock")?;
    expect_not_held(b.force_unlock(&ib.id).await, "force_unlock with no lock held")
}

async fn force_unlock_live_holder(f: &dyn BackendFactory) -> Check {
    let a = f.fresh().await;
    let b = f.reopen(&*a).await;
    let ia = lock_info("lock-live", "alice", "apply");
    ok(a.try_lock(&ia).await, "try_lock")?;
    expect_not_held(b.force_unlock("not-the-holder").await, "force_unlock with the wrong id")?;
    expect_holder(&*b, Some(&ia), "after refused force_unlock").await?;
    ok(b.force_unlock(&ia.id).await, "force_unlock of a live holder's lock")?;
    expect_holder(&*b, None, "after force_unlock").await?;
    let ib = lock_info("lock-next", "bob", "apply");
    ok(b.try_lock(&ib).await, "try_lock after force_unlock")?;
    // The old holder no longer holds it, and cannot release the new lock.
    expect_not_held(a.unlock(&ia.id).await, "the old holder unlocking")?;
    expect_holder(&*b, Some(&ib), "the new lock after the old holder tried to unlock").await?;
    let c = f.reopen(&*a).await;
    expect_holder(&*c, Some(&ib), "the new lock, from a third handle").await?;
    ok(b.unlock(&ib.id).await, "unlock")?;
    expect_holder(&*c, None, "after unlock").await
}

async fn crash_mid_snapshot_write(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    let (m1, s1) = (meta("lineage-x", 1), state_json("lineage-x", 1));
    write(&*b, &m1, &s1).await?;
    let journal = vec![record(1), record(2)];
    append(&*b, &journal).await?;
    let (m2, s2) = (meta("lineage-x", 2), state_json("lineage-x", 2));
    if !f.crash_during_write_snapshot(&*b, &m2, &s2).await {
        return Err(Stop::Skip("factory cannot simulate a crash during write_snapshot".into()));
    }
    let r = f.reopen(&*b).await;
    expect_stored(&load(&*r, "after the crash").await?, Some(&s1), Some(&m1), &journal, false, "store after a crash mid-write")?;
    let h = ok(r.history().await, "history after the crash")?;
    ensure_eq!(h.first().map(|v| v.serial), Some(1), "history after the crash must lead with the surviving snapshot");
    ensure!(h.iter().all(|v| v.serial == 1), "history after the crash lists a version that was never written: {h:?}");
    // The store is usable afterwards: the interrupted write can be redone.
    write(&*r, &m2, &s2).await?;
    expect_stored(&load(&*r, "after redoing the write").await?, Some(&s2), Some(&m2), &[], false, "store after redoing the write")?;
    let h = ok(r.history().await, "history after redoing the write")?;
    ensure_eq!(h.iter().map(|v| v.serial).collect::<Vec<_>>(), vec![2, 1], "history after redoing the write");
    Ok(())
}

async fn corrupt_snapshot_detected(f: &dyn BackendFactory) -> Check {
    let mut ran = 0;
    for what in [Corruption::SnapshotBytesChanged, Corruption::SnapshotTruncated] {
        let b = f.fresh().await;
        let s1 = state_json("lineage-k", 1);
        write(&*b, &meta("lineage-k", 1), &s1).await?;
        write(&*b, &meta("lineage-k", 2), &state_json("lineage-k", 2)).await?;
        let old_id = ok(b.history().await, "history")?.into_iter().find(|v| v.serial == 1).map(|v| v.id);
        let old_id = old_id.ok_or_else(|| fail("history does not list serial 1 after writing serial 2"))?;
        if !f.corrupt(&*b, what).await {
            continue;
        }
        ran += 1;
        expect_corrupt(b.load().await, &format!("load after {what:?}"))?;
        let r = f.reopen(&*b).await;
        expect_corrupt(r.load().await, &format!("load after {what:?}, second handle"))?;
        let old = ok(r.load_version(&old_id).await, &format!("load_version({old_id}) after {what:?}"))?;
        ensure_eq!(old, s1, "the previous version after {what:?} of the current one");
    }
    if ran == 0 {
        return Err(Stop::Skip("factory cannot damage a snapshot".into()));
    }
    Ok(())
}

async fn torn_journal_tail(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    let (m, s) = (meta("lineage-t", 1), state_json("lineage-t", 1));
    write(&*b, &m, &s).await?;
    append(&*b, &[record(1), record(2)]).await?;
    append(&*b, &[record(3)]).await?;
    if !f.corrupt(&*b, Corruption::JournalTornTail).await {
        return Err(Stop::Skip("factory cannot tear the journal's tail".into()));
    }
    let r = f.reopen(&*b).await;
    expect_stored(&load(&*r, "torn tail").await?, Some(&s), Some(&m), &[record(1), record(2)], true, "journal with a torn tail")?;
    // Appending after a torn tail must not bury it in the middle.
    append(&*r, &[record(4)]).await?;
    let want = [record(1), record(2), record(4)];
    expect_stored(&load(&*r, "append after torn tail").await?, Some(&s), Some(&m), &want, false, "append after a torn tail")?;
    let r2 = f.reopen(&*b).await;
    expect_stored(&load(&*r2, "append after torn tail, third handle").await?, Some(&s), Some(&m), &want, false, "append after a torn tail, third handle")
}

async fn corrupt_journal_middle(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    write(&*b, &meta("lineage-m", 1), &state_json("lineage-m", 1)).await?;
    append(&*b, &[record(1)]).await?;
    append(&*b, &[record(2)]).await?;
    append(&*b, &[record(3)]).await?;
    if !f.corrupt(&*b, Corruption::JournalFirstRecordChanged).await {
        return Err(Stop::Skip("factory cannot damage a journal record".into()));
    }
    expect_corrupt(b.load().await, "load with a damaged first record")?;
    let r = f.reopen(&*b).await;
    expect_corrupt(r.load().await, "load with a damaged first record, second handle")
}

async fn history_newest_first(f: &dyn BackendFactory) -> Check {
    let b = f.fresh().await;
    let serials = [1u64, 2, 7];
    for (i, &serial) in serials.iter().enumerate() {
        write(&*b, &meta("lineage-h", serial), &state_json("lineage-h", serial)).await?;
        append(&*b, &[record(i)]).await?;
    }
    let keep = f.history_limit().map_or(serials.len(), |n| (n + 1).min(serials.len()));
    let want: Vec<u64> = serials.iter().rev().take(keep).copied().collect();
    let r = f.reopen(&*b).await;
    for (who, h) in [("first handle", &b), ("second handle", &r)] {
        let h = ok(h.history().await, &format!("history ({who})"))?;
        ensure_eq!(h.iter().map(|v| v.serial).collect::<Vec<_>>(), want, "history serials, newest first ({who})");
        let mut ids: Vec<&str> = h.iter().map(|v| v.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ensure_eq!(ids.len(), h.len(), "history ids must be distinct ({who})");
        for v in &h {
            let want_bytes = state_json("lineage-h", v.serial);
            ensure_eq!(v.lineage, "lineage-h", "lineage of version {}", v.id);
            ensure_eq!(v.size, want_bytes.len() as u64, "size of version {}", v.id);
            ensure!(!v.created.is_empty(), "version {} has no created time", v.id);
            let got = ok(r.load_version(&v.id).await, &format!("load_version({})", v.id))?;
            ensure_eq!(got, want_bytes, "bytes of version {} (serial {})", v.id, v.serial);
        }
    }
    match b.load_version("no-such-version-999999").await {
        Err(StateError::NoSuchVersion(_)) => Ok(()),
        other => Err(fail(format!("load_version of an unknown id: expected NoSuchVersion, got {other:?}"))),
    }
}

async fn history_retention(f: &dyn BackendFactory) -> Check {
    let Some(limit) = f.history_limit() else {
        return Err(Stop::Skip("factory promises no history limit".into()));
    };
    let b = f.fresh().await;
    let total = limit as u64 + 4;
    let serial = |i: u64| i * 3 + 1; // not contiguous: ids must not be assumed to be
    let mut first_id = None;
    for i in 0..total {
        write(&*b, &meta("lineage-r", serial(i)), &state_json("lineage-r", serial(i))).await?;
        if i == 0 {
            first_id = ok(b.history().await, "history")?.first().map(|v| v.id.clone());
        }
    }
    let h = ok(b.history().await, "history")?;
    let want: Vec<u64> = (0..total).rev().take(limit + 1).map(serial).collect();
    ensure_eq!(h.iter().map(|v| v.serial).collect::<Vec<_>>(), want, "history keeps the current and the newest {limit} previous snapshots");
    for v in &h {
        let got = ok(b.load_version(&v.id).await, &format!("load_version({})", v.id))?;
        ensure_eq!(got, state_json("lineage-r", v.serial), "bytes of version {}", v.id);
    }
    let first_id = first_id.ok_or_else(|| fail("history was empty after the first snapshot"))?;
    match b.load_version(&first_id).await {
        Err(StateError::NoSuchVersion(_)) => Ok(()),
        other => Err(fail(format!("load_version of pruned version {first_id}: expected NoSuchVersion, got {other:?}"))),
    }
}
