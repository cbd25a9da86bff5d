//! What the PostgreSQL backend keeps in its schema, and what happens to a
//! run whose connection (and with it, its lock) is lost.

mod support;

use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError};
use iac_state_pg::PgBackend;
use support::PgServer;

fn meta(serial: u64) -> SnapshotMeta {
    SnapshotMeta { lineage: "L".into(), serial }
}

fn lock(id: &str) -> LockInfo {
    LockInfo { id: id.into(), operation: "apply".into(), who: "ann".into(), host: "h".into(), pid: 1, created: "2024-01-01T00:00:00Z".into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_row_per_version_and_one_per_record() {
    let server = PgServer::start();
    let cfg = server.fresh_config();
    let b = PgBackend::new(cfg.clone());
    for s in 1..=3 {
        b.write_snapshot(&meta(s), format!("s{s}").as_bytes()).await.expect("write");
    }
    b.append(&[b"a".to_vec(), b"b".to_vec()]).await.expect("append");
    b.append(&[b"c".to_vec()]).await.expect("append");
    let c = server.client().await;
    let schema = &cfg.schema_name;
    let versions: Vec<(i64, Vec<u8>)> = c
        .query(&format!("SELECT serial, data FROM {schema}.iac_state_versions ORDER BY serial"), &[])
        .await
        .expect("query")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(versions, vec![(1, b"s1".to_vec()), (2, b"s2".to_vec()), (3, b"s3".to_vec())]);
    let journal: Vec<Vec<u8>> =
        c.query(&format!("SELECT data FROM {schema}.iac_journal ORDER BY seq"), &[]).await.expect("query").iter().map(|r| r.get(0)).collect();
    assert_eq!(journal, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
}

/// When the session holding the lock ends (a network cut, a server
/// restart, an admin's pg_terminate_backend), the lock is free for the next
/// run, and the old run can neither write nor pretend to unlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_releases_the_lock_and_stops_its_run() {
    let server = PgServer::start();
    let cfg = server.fresh_config();
    let first = PgBackend::new(cfg.clone());
    first.write_snapshot(&meta(1), b"s1").await.expect("write");
    first.try_lock(&lock("first")).await.expect("lock");
    let c = server.client().await;
    let pids: Vec<i32> =
        c.query(&format!("SELECT session_pid FROM {}.iac_locks", cfg.schema_name), &[]).await.expect("lock row").iter().map(|r| r.get(0)).collect();
    assert_eq!(pids.len(), 1, "one lock row");
    c.execute("SELECT pg_terminate_backend($1)", &[&pids[0]]).await.expect("terminate");

    let second = PgBackend::new(cfg.clone());
    loop {
        match second.try_lock(&lock("second")).await {
            Ok(()) => break,
            Err(StateError::Locked(h)) if h.id == "first" => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            other => panic!("expected the lock to be released, got {other:?}"),
        }
    }
    match first.append(&[b"late".to_vec()]).await {
        Err(StateError::Backend(msg)) => {
            assert!(msg.contains("lost") && msg.contains("first"), "{msg}")
        }
        other => panic!("a run that lost its lock must not write: {other:?}"),
    }
    assert!(matches!(first.unlock("first").await, Err(StateError::LockNotHeld(_))));
    assert_eq!(second.lock_holder().await.expect("holder").map(|h| h.id).as_deref(), Some("second"));
    assert!(second.load().await.expect("load").journal.is_empty(), "the late record was not written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_clear_error() {
    let port = iac_testkit::services::free_port();
    let b = PgBackend::new(iac_state_pg::PgConfig { conn_str: format!("host=127.0.0.1 port={port} user=postgres"), schema_name: "s".into() });
    let e = b.load().await.expect_err("nothing listens");
    assert!(e.to_string().contains("PostgreSQL connecting"), "{e}");
}

/// `sslmode=disable` connects in plain; the default (`prefer`) negotiates
/// TLS and, with a server that has none, carries on in plain; a malformed
/// connection string is named as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmodes_and_malformed_connection_strings() {
    let server = PgServer::start();
    for conn_str in [format!("{} sslmode=disable", server.conn_str), server.conn_str.clone()] {
        let b = PgBackend::new(iac_state_pg::PgConfig { conn_str: conn_str.clone(), schema_name: "modes".into() });
        assert_eq!(b.load().await.unwrap_or_else(|e| panic!("{conn_str}: {e}")).snapshot, None);
    }
    let required = PgBackend::new(iac_state_pg::PgConfig { conn_str: format!("{} sslmode=require", server.conn_str), schema_name: "modes".into() });
    assert!(required.load().await.is_err(), "a server without TLS is refused when TLS is required");
    let bad = PgBackend::new(iac_state_pg::PgConfig { conn_str: "host=127.0.0.1 sslmode=sometimes".into(), schema_name: "s".into() });
    let e = bad.load().await.expect_err("malformed");
    assert!(e.to_string().contains("reading conn_str"), "{e}");
}
